import json

from hypothesis import given, settings
from hypothesis import strategies as st

from afs.generators.base import TrainingSample
from afs.samples import load_jsonl, save_jsonl
from afs.samples.model import CANONICAL_FIELDS, compute_sample_id

text = st.text(max_size=40)
json_scalars = st.none() | st.booleans() | st.integers(-10**12, 10**12) | \
    st.floats(allow_nan=False, allow_infinity=False) | text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(text, inner, max_size=3), max_leaves=8)
unknown_keys = st.text(min_size=1, max_size=12).filter(
    lambda k: k not in CANONICAL_FIELDS and k not in ("sample_id", "_metadata"))
records = st.fixed_dictionaries(
    {"instruction": text, "output": text},
    optional={"input": text, "thinking": text, "domain": text, "source": text,
              "quality_score": st.floats(0, 1), "_metadata": st.dictionaries(text, json_values, max_size=4)},
).flatmap(lambda base: st.dictionaries(unknown_keys, json_values, max_size=3).map(
    lambda extra: {**base, **extra}))


def expected_after_round_trip(record):
    """What a loss-free load->save keeps: every key, with defaults filled in."""
    out = {k: v for k, v in record.items() if k != "_metadata" or v}
    out.setdefault("input", "")
    out.setdefault("domain", "general")
    out.setdefault("source", "")
    return out


@given(records)
def test_dict_round_trip_keeps_every_key(record):
    data = TrainingSample.from_dict(record).to_dict()
    data.pop("sample_id")
    assert data == expected_after_round_trip(record)


@settings(max_examples=30, deadline=None)
@given(st.lists(records, min_size=1, max_size=5))
def test_jsonl_file_round_trip_is_loss_free(tmp_path_factory, batch):
    path = tmp_path_factory.mktemp("rt") / "s.jsonl"
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in batch))
    first = load_jsonl(path)
    save_jsonl(first, path.with_name("again.jsonl"))
    lines = path.with_name("again.jsonl").read_text().rstrip("\n").split("\n")
    for record, line in zip(batch, lines, strict=True):
        saved = json.loads(line)
        saved.pop("sample_id")
        assert saved == expected_after_round_trip(record)
    assert list(load_jsonl(path.with_name("again.jsonl"))) == list(first)


def test_unknown_keys_live_in_metadata_and_are_written_back_at_top_level():
    sample = TrainingSample.from_dict({"instruction": "i", "output": "o", "lang": "asm",
                                       "_metadata": {"lang": "meta", "x": 1}})
    assert sample._metadata["x"] == 1
    data = sample.to_dict()
    assert data["lang"] == "asm" and data["_metadata"] == {"lang": "meta", "x": 1}
    sample2 = TrainingSample.from_dict({"instruction": "i", "output": "o", "tags": ["a"]})
    assert sample2._metadata == {"tags": ["a"]}
    assert sample2.to_dict()["tags"] == ["a"] and "_metadata" not in sample2.to_dict()


def test_sample_id_is_a_stable_content_hash():
    a = TrainingSample(instruction="What does LDA do?", output="Loads A.", domain="asm")
    b = TrainingSample(instruction="What does LDA do?", output="Loads A.", domain="docs",
                       quality_score=0.1, _metadata={"x": 1})
    assert a.sample_id == b.sample_id == compute_sample_id("What does LDA do?", "", "Loads A.")
    assert a.sample_id == "9536c4f21d0384fe"  # pinned: ids must not change between releases
    assert TrainingSample(instruction="What does LDA do?", output="Loads X.").sample_id != a.sample_id
    # the separator keeps field boundaries: moving text between fields changes the id
    assert compute_sample_id("ab", "", "c") != compute_sample_id("a", "b", "c")


def test_spec_constructor_and_formats():
    sample = TrainingSample(instruction="Question or task", output="Expected response",
                            input="ctx", thinking="why", domain="category_name", source="id",
                            quality_score=0.85, _metadata={"language": "python"})
    assert json.loads(sample.to_json())["quality_score"] == 0.85
    assert sample.to_dict()["_metadata"] == {"language": "python"}
    assert sample.to_alpaca() == {"instruction": "Question or task", "input": "ctx",
                                  "output": "<think>\nwhy\n</think>\n\nExpected response"}
