"""Examples: twins share a split, splits are seeded, inputs are read as documented."""

from __future__ import annotations

from collections import defaultdict

from afs.discriminator.data import (REAL, build_examples, data_hash, read_documents, split_of)


def test_twins_never_cross_splits(corpus_files):
    examples = build_examples(read_documents(corpus_files), seed=11, stride=1)
    splits = defaultdict(set)
    for example in examples:
        splits[example.group].add(example.split)
    assert all(len(s) == 1 for s in splits.values())
    assert {e.split for e in examples} == {"train", "val", "test"}
    real_lines = defaultdict(set)
    for example in examples:
        if example.kind == REAL:
            for line in example.text.splitlines():
                real_lines[line.strip()].add(example.split)
    # every corrupted example belongs to a group that has a real window in the same split
    real_groups = {(e.group, e.split) for e in examples if e.kind == REAL}
    assert all((e.group, e.split) in real_groups for e in examples)
    assert {e.label for e in examples} == {0, 1}


def test_split_is_seeded_and_deterministic(corpus_files):
    documents = read_documents(corpus_files)
    first = build_examples(documents, seed=3)
    assert first == build_examples(documents, seed=3)
    assert [e.split for e in first] != [e.split for e in build_examples(documents, seed=4)]
    assert split_of("abc", 1) == split_of("abc", 1)


def test_reads_folders_and_jsonl(tmp_path, corpus_files):
    from afs.samples import TrainingSample, save_jsonl

    code = corpus_files[0].read_text(encoding="utf-8")
    save_jsonl([TrainingSample(instruction="show it", output=f"```asm\n{code}\n```")],
               tmp_path / "s.jsonl")
    documents = read_documents([tmp_path / "s.jsonl", corpus_files[0].parent])
    assert documents[0].text.strip() == code.strip()
    assert len(documents) > 1
    assert data_hash(documents) == data_hash(list(documents))
    assert data_hash(documents[:1]) != data_hash(documents)
