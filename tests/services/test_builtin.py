"""The services' ticks, in process: memory-export writes the dataset only when the memory
changed; context-warm indexes every discovered context's knowledge/ and memory/."""

from __future__ import annotations

from pathlib import Path

import pytest

from afs.context.export import export_memory
from afs.errors import ConfigError
from afs.services import get_service
from afs.services.warm import context_store_path
from tests.cli.clitools import read_records


def test_memory_export_writes_the_dataset_only_when_the_memory_changed(services_env, tmp_path):
    service = get_service("memory-export")
    output = Path(services_env["AFS_MEMORY_EXPORT_OUTPUT"])
    logged: list[str] = []
    service.tick(logged.append)
    expected = export_memory(tmp_path / "memory", tmp_path / "expected.jsonl")
    assert read_records(output) == read_records(tmp_path / "expected.jsonl")
    assert logged[-1].startswith(f"exported 4 files from {tmp_path / 'memory'}: "
                                 f"{expected.written} samples -> {output}")

    written = output.stat().st_mtime_ns
    service.tick(logged.append)
    assert logged[-1].startswith("memory unchanged (4 files")
    assert output.stat().st_mtime_ns == written

    (tmp_path / "memory" / "snes_facts.jsonl").unlink()
    service.tick(logged.append)
    assert logged[-1].startswith("exported 3 files")
    assert len(read_records(output)) < expected.written

    output.unlink()  # a deleted dataset is written again even though the memory did not change
    service.tick(logged.append)
    assert output.exists()


def test_memory_export_without_a_memory_folder_logs_and_waits(services_env, monkeypatch, tmp_path):
    monkeypatch.setenv("AFS_MEMORY_ROOT", str(tmp_path / "missing"))
    logged: list[str] = []
    get_service("memory-export").tick(logged.append)
    assert logged == [f"memory folder {tmp_path / 'missing'} does not exist; nothing to export"]


def test_intervals_come_from_the_environment(services_env, monkeypatch):
    monkeypatch.setenv("AFS_CONTEXT_WARM_INTERVAL", "90")
    assert get_service("context-warm").interval_s() == 90
    monkeypatch.setenv("AFS_CONTEXT_WARM_INTERVAL", "-1")
    with pytest.raises(ConfigError, match="AFS_CONTEXT_WARM_INTERVAL"):
        get_service("context-warm").interval_s()


def test_context_warm_indexes_knowledge_and_memory_of_each_context(services_env, tmp_path):
    root = tmp_path / "src"
    full = root / "proj" / ".context"
    (full / "knowledge").mkdir(parents=True)
    (full / "knowledge" / "dma.md").write_text("# DMA\n\nChannel 0 copies the OAM buffer.\n")
    (full / "memory").mkdir()
    (full / "memory" / "facts.jsonl").write_text('{"instruction": "q", "output": "VRAM"}\n')
    empty = root / "other" / ".context"
    (empty / "scratchpad").mkdir(parents=True)
    (root / "archive" / "old" / ".context" / "knowledge").mkdir(parents=True)  # ignored folder

    logged: list[str] = []
    get_service("context-warm").tick(logged.append)
    assert logged[0] == f"found 2 contexts under {root}"
    assert logged[1] == f"{empty}: skipped (no knowledge/ or memory/ folder)"  # sorted by path
    assert logged[2].startswith(f"{full}: 2 files (added 2, updated 0, unchanged 0, removed 0)")
    assert context_store_path(full).is_file()
    assert not context_store_path(empty).exists()

    from afs.embeddings.search import open_index

    with open_index(context_store_path(full)) as searcher:
        hits = searcher.search("OAM buffer", k=3)
    assert hits and hits[0].path == "knowledge/dma.md"

    logged.clear()
    get_service("context-warm").tick(logged.append)
    assert "(added 0, updated 0, unchanged 2, removed 0)" in logged[2]


def test_state_folder_precedence(services_env, monkeypatch, tmp_path):
    from afs.services.state import services_dir

    assert services_dir() == Path(services_env["AFS_SERVICES_DIR"])
    monkeypatch.delenv("AFS_SERVICES_DIR")
    assert services_dir() == tmp_path / ".local" / "state" / "afs" / "services"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert services_dir() == tmp_path / "xdg" / "afs" / "services"
    monkeypatch.setenv("AFS_SERVICES_STATE_DIR", str(tmp_path / "configured"))
    assert services_dir() == tmp_path / "configured"
