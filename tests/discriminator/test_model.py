"""Training writes a standard model folder; scoring is order-preserving and batch-invariant."""

from __future__ import annotations

import json

import pytest

from afs.discriminator.model import ElectraDiscriminator


def test_training_writes_a_loadable_folder(tiny_model):
    output, report = tiny_model
    facts = json.loads((output / "training.json").read_text())
    for key in ("roc_auc", "precision", "recall", "detection_rate"):
        assert key in facts["metrics"]
    assert facts["data_hash"] == report.data_hash
    assert set(facts["metrics"]["detection_rate"]) <= set(__import__(
        "afs.discriminator.corruptions", fromlist=["KINDS"]).KINDS)
    assert (output / "tokenizer.json").is_file()
    assert not list(output.parent.glob(".electra.tmp-*"))

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(str(output))
    assert model.config.num_labels == 2 and model.config.id2label[1] == "real"
    assert AutoTokenizer.from_pretrained(str(output)).pad_token == "<|pad|>"


def test_score_texts_order_and_batch_size(tiny_model):
    output, _ = tiny_model
    model = ElectraDiscriminator.load(output, device="cpu")
    texts = ["RTS", "LDA #$01\nSTA $10\n" * 6, "LDB $1234,Q", "  PHB : PHK : PLB\n  RTL",
             "", "SEP #$20\nLDA #$1234", "JSL Foo\n" * 30, "; only a comment"]
    one = model.score_texts(texts, batch_size=1)
    eight = model.score_texts(texts, batch_size=8)
    three = model.score_texts(texts, batch_size=3)
    assert len(one) == len(texts) and all(0.0 <= s <= 1.0 for s in one)
    assert one == pytest.approx(eight, abs=1e-5) and one == pytest.approx(three, abs=1e-5)
    assert model.score_texts(list(reversed(texts)), batch_size=4) == \
        pytest.approx(list(reversed(one)), abs=1e-5)
    assert model.score_texts([]) == []


def test_save_and_reload_give_the_same_scores(tiny_model, tmp_path):
    output, _ = tiny_model
    model = ElectraDiscriminator.load(output, device="auto")
    assert model.device in ("cpu", "cuda")
    model.save(tmp_path / "copy")
    again = ElectraDiscriminator.load(tmp_path / "copy", device=model.device)
    texts = ["LDA $10\nRTS", "STA #$10"]
    assert again.score_texts(texts) == pytest.approx(model.score_texts(texts), abs=1e-6)


def test_load_missing_folder_is_a_clear_error(tmp_path):
    from afs.errors import ConfigError

    with pytest.raises(ConfigError, match="no such folder"):
        ElectraDiscriminator.load(tmp_path / "nope")


def test_training_is_deterministic(tmp_path, corpus_files):
    from afs.discriminator.train import train_discriminator

    settings = {"epochs": 1, "layers": 1, "hidden": 16, "windows": (8,), "stride": 8,
                "batch_size": 16, "max_length": 64, "log_to_mlflow": False, "device": "cpu"}
    first = train_discriminator(corpus_files[:2], tmp_path / "a", seed=5, **settings)
    second = train_discriminator(corpus_files[:2], tmp_path / "b", seed=5, **settings)
    assert first.metrics == second.metrics


def test_mnemonic_case_writes_every_style_of_a_mnemonic_one_way_and_leaves_names_alone():
    from afs.discriminator.model import mnemonic_case

    assert mnemonic_case("  LDA.B $10\n  lda.w $1234,x\n  Sta.L $7EF36D") == \
        "  LDA.b $10\n  LDA.w $1234,x\n  STA.l $7EF36D"
    assert mnemonic_case(".loop: dex : bne .loop") == ".loop: DEX : BNE .loop"
    assert mnemonic_case("  + tya\n  - inx") == "  + TYA\n  - INX"
    # names, macros and defines keep their case; an unknown mnemonic stays as written
    assert mnemonic_case("abc:\n  %foo()\n  !ldb = $10\n  JSL Abc\n  ldb $10") == \
        "abc:\n  %foo()\n  !ldb = $10\n  JSL Abc\n  ldb $10"


def test_a_model_reads_an_unseen_mnemonic_style_as_the_style_it_learnt(tmp_path):
    """SMWDisX writes LDA.B where the training trees write LDA.b: with ``normalize_mnemonics``
    both give the same tokens, so a style never seen is not a mistake; a model saved
    without the flag (trained before it existed) keeps reading text as it was."""
    from afs.discriminator.model import ElectraDiscriminator

    model = ElectraDiscriminator.create(layers=1, hidden=32, device="cpu")
    assert model.encode(["  LDA.B $10"]) == model.encode(["  lda.b $10"])
    model.save(tmp_path / "m")
    assert ElectraDiscriminator.load(tmp_path / "m", device="cpu").normalize_mnemonics
    older = ElectraDiscriminator.create(layers=1, hidden=32, device="cpu",
                                        normalize_mnemonics=False)
    older.save(tmp_path / "old")
    reloaded = ElectraDiscriminator.load(tmp_path / "old", device="cpu")
    assert reloaded.encode(["  LDA.B $10"]) != reloaded.encode(["  LDA.b $10"])


def test_number_shapes_keep_widths_and_the_rep_sep_flags():
    from afs.discriminator.model import number_shapes

    assert number_shapes("LDA.w #$1234 : STA $7EF36D") == "LDA.w #$0000 : STA $000000"
    assert number_shapes("  SEP #$20 : LDA #$12") == "  SEP #$20 : LDA #$00"
    assert number_shapes(".loop: REP #$30\nLDA $0D00,X") == ".loop: REP #$30\nLDA $0000,X"
    assert number_shapes("LDA Label+3") == "LDA Label+3"


def test_a_snippet_is_as_real_as_its_most_suspicious_token():
    import torch

    from afs.discriminator.model import token_margins

    # per-token (corrupted, real) logits; margins 9 (bos), 2, -1, 3 and padding
    logits = torch.tensor([[[0.0, 9.0], [0.0, 2.0], [1.0, 0.0], [0.0, 3.0]],
                           [[0.0, 9.0], [0.0, 4.0], [5.0, 0.0], [5.0, 0.0]]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    assert token_margins(logits, mask).tolist() == [-1.0, 4.0]  # bos and padding left out
    assert token_margins(logits[:, :1], mask[:, :1]).tolist() == [0.0, 0.0]  # bos alone


def test_the_token_head_is_saved_and_scores(tiny_model):
    output, _ = tiny_model
    assert (output / "token_head.safetensors").is_file()
    model = ElectraDiscriminator.load(output, device="cpu")
    assert model.token_head is not None
    ids, mask = model.collate(model.encode(["LDA #$01\nSTA $10"]))
    hidden = model.model.electra(input_ids=ids, attention_mask=mask).last_hidden_state
    from afs.discriminator.model import token_margins

    expected = token_margins(model.token_head(hidden), mask).item()
    assert model.margins(["LDA #$01\nSTA $10"])[0] == pytest.approx(expected, abs=1e-5)
