"""`afs knowledge …` through the real console script."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.knowledge.conftest import write_file  # noqa: F401  (a fixture)

from .clitools import afs_env, afs_executable, assert_user_error, read_records, summary_line


@pytest.fixture
def afs_knowledge(tmp_path):
    """Run `afs knowledge ARGS…` in tmp_path; returns the CompletedProcess."""

    def run(*args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run([str(afs_executable()), "knowledge", *map(str, args)], cwd=tmp_path,
                              env=afs_env(tmp_path), capture_output=True, text=True, timeout=120)

    return run


def test_query_by_name_prints_one_line(afs_knowledge):
    result = afs_knowledge("query", "PLAYER_HEALTH")
    assert summary_line(result).startswith("$7EF36D  player_health  (1 byte, player, rw)  Link's")


def test_query_by_address_finds_the_entry_holding_that_byte(afs_knowledge):
    record = json.loads(afs_knowledge("query", "$7EF361", "--json").stdout)
    assert (record["name"], record["address_hex"], record["size"]) == ("rupees", "$7EF360", 2)
    assert json.loads(afs_knowledge("query", "INIDISP", "--json").stdout)["address"] == 0x2100


def test_cli_and_python_default_find_the_same_entries(afs_knowledge, tmp_path):
    from afs.knowledge import AddressDatabase

    db = AddressDatabase()
    for key in ("INIDISP", "$420B", "$7EF361", "player_health"):
        record = json.loads(afs_knowledge("query", key, "--json").stdout)
        assert record["name"] == db.query_address(key).name
    exported = summary_line(afs_knowledge("export", "--output", tmp_path / "k.jsonl"))
    assert exported.startswith(f"export: {len(db)} entries -> ")


def test_query_range_lists_entries_in_address_order(afs_knowledge):
    result = afs_knowledge("query", "--range", "$7E0D00", "0x7E0D40")
    assert result.returncode == 0, result.stderr
    assert [line.split()[1] for line in result.stdout.splitlines()] == [
        "sprite_y_lo", "sprite_x_lo", "sprite_y_hi", "sprite_x_hi"]
    records = json.loads(afs_knowledge("query", "--range", "$2140", "$2144", "--json").stdout)
    assert [r["name"] for r in records] == ["APUIO0", "APUIO1", "APUIO2", "APUIO3"]


def test_user_files_load_on_top_of_the_builtin_tables(afs_knowledge, write_file):
    write_file("oracle.sym", "; Swim state of Link\nSwimState = $7E0345\n")
    write_file("extra.csv", "address,name,description\n$7E0F00,player_health,moved\n")
    result = afs_knowledge("query", "swimstate", "--db", "oracle.sym", "--db", "extra.csv")
    assert summary_line(result).startswith("$7E0345  SwimState  (1 byte, rw)  Swim state of Link")
    moved = afs_knowledge("query", "player_health", "--db", "extra.csv", "--json")
    assert json.loads(moved.stdout)["address"] == 0x7E0F00


def test_unknown_names_and_bad_files_are_one_line_errors(afs_knowledge, write_file):
    assert_user_error(afs_knowledge("query", "player_helth"), "unknown address name 'player_helth'",
                      "did you mean player_health")
    write_file("bad.csv", "address,name\n$7E0010,ok\n$7E00ZZ,bad\n")
    assert_user_error(afs_knowledge("query", "ok", "--db", "bad.csv"), "bad.csv:3:",
                      "malformed address '$7E00ZZ'")
    assert_user_error(afs_knowledge("query", "x", "--db", "missing.sym"), "missing.sym", "no such file")
    assert_user_error(afs_knowledge("query", "--range", "$7E0000", "$7E00QQ"), "--range")
    assert afs_knowledge("query").returncode == 2  # usage error: nothing to look up


def test_export_writes_samples_both_ways(afs_knowledge, write_file, tmp_path):
    write_file("oracle.sym", "SwimState = $7E0345 ; Link's swim state\n")
    result = afs_knowledge("export", "--output", "out/knowledge.jsonl", "--db", "oracle.sym",
                           "--no-registers", "--seed", "3")
    assert summary_line(result) == "export: 151 entries -> 302 samples -> out/knowledge.jsonl"
    records = read_records(tmp_path / "out/knowledge.jsonl")
    assert len(records) == 302 and {r["domain"] for r in records} == {"knowledge"}
    swim = [r for r in records if r["source"] == "knowledge:oracle"]
    assert {r["_metadata"]["direction"] for r in swim} == {"name_to_address", "address_to_meaning"}
    again = afs_knowledge("export", "--output", "again.jsonl", "--db", "oracle.sym",
                          "--no-registers", "--seed", "3")
    assert again.returncode == 0
    assert (tmp_path / "again.jsonl").read_bytes() == (tmp_path / "out/knowledge.jsonl").read_bytes()


def test_help_explains_the_commands(afs_knowledge):
    result = afs_knowledge("--help")
    assert "query" in result.stdout and "export" in result.stdout
    query_help = afs_knowledge("query", "--help").stdout
    assert "--range" in query_help and "--db" in query_help and "--json" in query_help
