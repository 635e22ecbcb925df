"""The discriminator shipped as package data: found, attributed, and it tells real code from
corrupted twins on blocks it never trained on. These are the bar a model must pass to be put
in ``afs/discriminator/pretrained`` (``scripts/train_shipped_discriminator.sh``); while none is
there, ``packaged_model_path`` says so and they are skipped."""

from __future__ import annotations

import json

import pytest

from afs.discriminator import packaged_model_path
from afs.discriminator.data import REAL, Snippets, eval_examples, read_documents
from afs.discriminator.packaged import PACKAGED_DIR
from afs.errors import ConfigError

SHIPPED = (PACKAGED_DIR / "config.json").is_file()
needs_model = pytest.mark.skipif(not SHIPPED, reason="no discriminator in afs/discriminator/"
                                 "pretrained (docs/discriminator.md says why)")


@pytest.fixture(scope="module")
def packaged():
    from afs.discriminator.model import ElectraDiscriminator

    return ElectraDiscriminator.load(packaged_model_path(), device="cpu")


@pytest.mark.skipif(SHIPPED, reason="a model is packaged")
def test_no_packaged_model_is_a_clear_error():
    with pytest.raises(ConfigError, match="no packaged discriminator.*afs discriminator train"):
        packaged_model_path()


@needs_model
def test_the_packaged_model_is_installed_with_its_attribution():
    folder = packaged_model_path()
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    notice = (folder / "NOTICE").read_text(encoding="utf-8")
    assert "KatDevsGames/z3randomizer" in notice and "Permission is hereby granted" in notice
    facts = json.loads((folder / "training.json").read_text(encoding="utf-8"))
    assert facts["params"]["layers"] == 2 and facts["params"]["hidden"] == 128
    assert facts["calibration"]["method"] == "platt" and "unseen" in facts["metrics"]


@needs_model
def test_it_scores_real_code_above_its_corrupted_twins(packaged, corpus_files):
    # the sample corpus' test blocks under the shipped seed: held out from its training
    snippets = Snippets(read_documents(corpus_files), seed=42, windows=(6, 8, 12))
    examples = eval_examples(snippets.split("test"), snippets)
    scores = packaged.score_texts([e.text for e in examples])
    real = [s for s, e in zip(scores, examples) if e.kind == REAL]
    corrupted = [s for s, e in zip(scores, examples) if e.kind != REAL]
    assert len(real) >= 10
    pairs = sum(r > c for r in real for c in corrupted) / (len(real) * len(corrupted))
    assert pairs > 0.7, pairs  # ROC AUC of real against corrupted
    assert sum(s >= 0.5 for s in real) / len(real) > 0.5  # real code is mostly kept


@needs_model
def test_one_line_mistakes_score_below_the_real_line(packaged):
    real = "    REP #$20\n    LDA $0D00,X\n    CLC : ADC #$0010\n    STA $0D00,X\n    SEP #$20\n    RTL"
    broken = [real.replace("LDA $0D00,X", "LDB $0D00,X"),       # unknown mnemonic
              real.replace("STA $0D00,X", "STA #$0D00"),          # impossible mode
              real.replace("LDA $0D00,X", "LDA $0D000,X")]       # address length
    scores = packaged.score_texts([real, *broken])
    assert all(score < scores[0] for score in scores[1:]), scores
