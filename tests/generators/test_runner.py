"""The generation runner stamps every sample with the source it came from
(``_metadata.origin``): curation rebalances by it."""

from __future__ import annotations

from pathlib import Path

from afs.generators.runner import combine_sources, run_source, run_sources
from afs.samples.frame import metadata_values
from afs.samples.model import ORIGIN_KEY

EXAMPLE_MEMORY = Path(__file__).resolve().parents[2] / "data/01_raw/context/memory"
SOURCES = {
    "addresses": {"generator": "knowledge", "params": {"registers": False, "seed": 1}},
    "notes": {"generator": "memory", "params": {"memory_root": str(EXAMPLE_MEMORY)}},
}


def test_every_sample_carries_its_source_name_as_origin():
    frames, report = run_sources(SOURCES)
    for name, frame in frames.items():
        assert len(frame) == report["sources"][name]["samples"] > 0
        assert set(metadata_values(frame, ORIGIN_KEY)) == {name}
    combined = combine_sources(frames)
    counts = metadata_values(combined, ORIGIN_KEY).value_counts().to_dict()
    assert counts == {name: len(frame) for name, frame in frames.items()}


def test_the_stamp_keeps_the_generators_own_metadata():
    frame, _ = run_source("addresses", SOURCES["addresses"])
    assert metadata_values(frame, "address").notna().all()
    assert metadata_values(frame, ORIGIN_KEY).eq("addresses").all()
