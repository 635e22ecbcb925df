"""Per-epoch sampling: cheap to prepare, deterministic for a seed, leak-free."""

from __future__ import annotations

import time

from afs.discriminator.data import (REAL, Document, Snippets, epoch_examples, eval_examples,
                                    read_documents)


def _snippets(corpus_files, seed=5):
    return Snippets(read_documents(corpus_files), seed=seed, windows=(6, 8, 12))


def test_epochs_are_deterministic_for_a_seed_and_differ_between_epochs(corpus_files):
    snippets = _snippets(corpus_files)
    train = snippets.split("train")
    first = epoch_examples(train, snippets, 1, size=40)
    again = _snippets(corpus_files)
    assert first == epoch_examples(again.split("train"), again, 1, size=40)
    assert first != epoch_examples(train, snippets, 2, size=40)
    other_seed = _snippets(corpus_files, seed=6)
    assert first != epoch_examples(other_seed.split("train"), other_seed, 1, size=40)


def test_an_epoch_is_each_window_real_then_its_twins(corpus_files):
    snippets = _snippets(corpus_files)
    examples = epoch_examples(snippets.split("train"), snippets, 3, size=50, twins=2)
    reals = [e for e in examples if e.kind == REAL]
    assert len(reals) == 50
    twins = [e for e in examples if e.kind != REAL]
    assert 50 < len(twins) <= 100
    real_by_text = {e.text: e for e in reals}
    for twin in twins:
        source = real_by_text[twin.source]  # a twin of a window of this epoch
        assert (twin.group, twin.split) == (source.group, source.split) and twin.label == 0
        assert twin.text != twin.source
    assert {e.split for e in examples} == {"train"}
    assert len({e.kind for e in twins}) >= 6  # kinds are drawn, not always the first


def test_pools_hold_only_lines_of_other_blocks(corpus_files):
    snippets = _snippets(corpus_files)
    for window in snippets.windows[:40]:
        own = {line for w in snippets.windows if w.block == window.block
               for line in w.text.splitlines()}
        pool = snippets.pool(window.block)
        assert pool and not {line.strip() for line in pool} <= {line.strip() for line in own}
        assert snippets.pool(window.block) is pool  # drawn once per block


def test_held_out_sets_are_fixed_and_capped(corpus_files):
    snippets = _snippets(corpus_files)
    test = snippets.split("test")
    first = eval_examples(test, snippets, max_windows=10)
    assert first == eval_examples(test, snippets, max_windows=10)
    assert sum(e.kind == REAL for e in first) == 10
    assert len({e.kind for e in first}) > 5


def test_preparing_a_large_tree_is_fast(corpus_files):
    # 12k lines: materialising every twin of every window took over a minute here (10
    # corruptions of each of ~9k windows, a foreign-line pool built from the whole corpus
    # per block); now only the held-out sample and one epoch's twins are made
    texts = [path.read_text(encoding="utf-8") for path in corpus_files]
    documents = []
    lines = 0
    while lines < 12_000:
        for number, text in enumerate(texts):
            # renamed labels keep each copy's blocks distinct (their own keys and splits)
            copy = text.replace(":", f"_{len(documents)}:")
            documents.append(Document(f"copy{len(documents)}_{number}.asm", copy))
            lines += copy.count("\n")
    started = time.perf_counter()
    snippets = Snippets(documents, seed=1, windows=(6, 8, 12))
    val = eval_examples(snippets.split("val"), snippets, max_windows=200)
    epoch = epoch_examples(snippets.split("train"), snippets, 1, size=1000)
    seconds = time.perf_counter() - started
    assert len(snippets.windows) > 6_000 and len(val) > 1000 and len(epoch) > 1500
    assert seconds < 20, seconds  # measured 5 s on 2 cores under load 5
