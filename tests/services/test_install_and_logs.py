"""`afs services install` (unit and plist as text, never enabled here) and the log reader."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest

from afs.services.install import (
    LAUNCHD,
    SYSTEMD,
    UnitSpec,
    launchd_plist,
    manager_problem,
    systemd_unit,
    unit_spec,
)
from afs.services.logs import BLOCK, follow_lines, tail_lines
from tests.cli.clitools import assert_user_error

ODD_DIR = Path("/opt/my tools/100%")


def spec() -> UnitSpec:
    return UnitSpec("context-warm", "refresh indexes", "/opt/py env/bin/python",
                    ODD_DIR / "context-warm.log", ODD_DIR,
                    {"AFS_CONTEXT_WARM_INTERVAL": "60", "AFS_SERVICES_DIR": str(ODD_DIR)})


def test_systemd_unit_runs_the_runner_in_the_foreground_and_quotes_what_it_must():
    lines = systemd_unit(spec()).splitlines()
    assert lines[:2] == ["[Unit]", "Description=AFS context-warm: refresh indexes"]
    assert ('ExecStart="/opt/py env/bin/python" -m afs.services.runner context-warm --foreground'
            in lines)
    assert "Restart=on-failure" in lines
    assert 'Environment="AFS_CONTEXT_WARM_INTERVAL=60"' in lines
    assert 'Environment="AFS_SERVICES_DIR=/opt/my tools/100%%"' in lines  # % is a specifier
    assert "StandardOutput=append:/opt/my tools/100%%/context-warm.log" in lines
    assert lines[-2:] == ["[Install]", "WantedBy=default.target"]


def test_launchd_plist_is_real_xml_that_round_trips():
    data = plistlib.loads(launchd_plist(spec()))
    assert data["Label"] == "com.afs.context-warm"
    assert data["ProgramArguments"] == ["/opt/py env/bin/python", "-m", "afs.services.runner",
                                        "context-warm", "--foreground"]
    assert data["EnvironmentVariables"]["AFS_CONTEXT_WARM_INTERVAL"] == "60"
    assert data["KeepAlive"] == {"SuccessfulExit": False} and data["RunAtLoad"] is True
    assert data["StandardOutPath"] == data["StandardErrorPath"] == str(ODD_DIR / "context-warm.log")


def test_unit_spec_takes_this_python_and_the_afs_variables(services_env, monkeypatch):
    monkeypatch.setenv("AFS_DEBUG", "1")
    monkeypatch.setenv("OTHER_VAR", "x")
    made = unit_spec("memory-export")
    assert made.python == sys.executable
    assert made.environment["AFS_MEMORY_EXPORT_INTERVAL"] == "1"
    assert made.environment["AFS_SERVICES_DIR"] == services_env["AFS_SERVICES_DIR"]
    assert "AFS_DEBUG" not in made.environment and "OTHER_VAR" not in made.environment
    assert made.log == Path(services_env["AFS_SERVICES_DIR"]) / "memory-export.log"


def test_install_dry_run_prints_and_writes_nothing(afs, tmp_path):
    result = afs("services", "install", "memory-export", "--dry-run", "--manager", "systemd")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"# {tmp_path}/.config/systemd/user/afs-memory-export.service\n")
    assert "-m afs.services.runner memory-export --foreground" in out
    assert "systemctl --user enable --now afs-memory-export.service" in out
    plist = afs("services", "install", "context-warm", "--dry-run", "--manager", "launchd")
    xml = plist.stdout.split("\n", 1)[1].rsplit("\n# then:", 1)[0]
    assert plistlib.loads(xml.encode())["Label"] == "com.afs.context-warm"
    assert not (tmp_path / ".config").exists() and not (tmp_path / "Library").exists()


@pytest.mark.skipif(manager_problem(SYSTEMD) is None,
                    reason="a systemd user session is here: the test must not enable a unit")
def test_install_without_an_init_system_points_to_the_builtin_supervisor(afs, tmp_path):
    manager = LAUNCHD if sys.platform == "darwin" else SYSTEMD
    assert_user_error(afs("services", "install", "memory-export", "--manager", manager),
                      "cannot install memory-export", "afs services start memory-export")
    assert not (tmp_path / ".config").exists()


def test_tail_lines_reads_from_the_end(tmp_path):
    path = tmp_path / "big.log"
    lines = [f"line {i} " + "x" * 50 for i in range(3 * BLOCK // 50)]
    path.write_text("\n".join(lines) + "\n")
    assert tail_lines(path, 3) == lines[-3:]
    assert tail_lines(path, 10_000) == lines
    assert tail_lines(path, 0) == [] and tail_lines(tmp_path / "missing.log", 5) == []


def test_follow_lines_sees_appends_and_truncation(tmp_path):
    path = tmp_path / "a.log"
    path.write_text("old\n")
    rounds = iter(range(20))
    writes = {1: "one\ntw", 2: "o\n", 4: None, 5: "fresh\n"}  # None: truncate

    def keep_going() -> bool:
        step = next(rounds, None)
        if step in writes:
            if writes[step] is None:
                path.write_text("")
            else:
                with path.open("a") as handle:
                    handle.write(writes[step])
        return step is not None

    assert list(follow_lines(path, keep_going, poll_s=0)) == ["one", "two", "fresh"]
