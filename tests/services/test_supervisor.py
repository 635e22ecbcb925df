"""The built-in supervisor through the real `afs` script: real detached processes, their
logs and state files, crashes, PID reuse, graceful and forced stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from afs.services.process import pid_exists, process_cmdline, process_start_time
from afs.services.state import (
    CRASHED,
    RUNNING,
    ServiceState,
    judge,
    read_state,
    write_state,
)
from afs.services.supervisor import stop
from tests.cli.clitools import assert_user_error, read_records

from .conftest import wait_for

NAME = "memory-export"


def log_lines(state_dir: Path, name: str = NAME) -> list[str]:
    path = state_dir / f"{name}.log"
    return path.read_text().splitlines() if path.exists() else []


def status_json(afs, name: str = NAME, exit_code: int = 0) -> dict:
    result = afs("services", "status", name, "--json")
    assert result.returncode == exit_code, result.stderr
    return json.loads(result.stdout)


def test_started_service_outlives_the_cli_exports_and_stops_gracefully(afs, state_dir, tmp_path):
    started = afs("services", "start", NAME)
    assert started.returncode == 0, started.stderr
    assert "memory-export started (pid" in started.stdout
    pid = status_json(afs)["pid"]
    assert pid and pid_exists(pid)  # the CLI has exited; the service has not

    output = tmp_path / "out" / "memory.jsonl"
    wait_for(lambda: sum("memory unchanged" in line for line in log_lines(state_dir)) >= 2,
             what="two more ticks in the log")
    records = read_records(output)
    assert records and all(record["instruction"] and record["output"] for record in records)
    assert status_json(afs)["status"] == RUNNING
    text = afs("services", "status", NAME).stdout
    assert text.startswith(f"memory-export: running (pid {pid} since ")

    again = afs("services", "start", NAME)
    assert again.returncode == 0 and "already running" in again.stdout
    assert status_json(afs)["pid"] == pid  # no second process

    (tmp_path / "memory" / "new.jsonl").write_text(
        '{"instruction": "What is $2100?", "output": "INIDISP"}\n')
    wait_for(lambda: sum(" exported " in line for line in log_lines(state_dir)) >= 2,
             what="a second export after the memory changed")
    assert len(read_records(output)) == len(records) + 1

    stopped = afs("services", "stop", NAME)
    assert stopped.returncode == 0, stopped.stderr
    assert "SIGTERM" in stopped.stdout
    assert log_lines(state_dir)[-1].endswith("memory-export: stopped (SIGTERM)")
    assert not pid_exists(pid)
    assert status_json(afs)["status"] == "stopped"
    twice = afs("services", "stop", NAME)
    assert twice.returncode == 0 and "not running" in twice.stdout

    listed = afs("services", "list").stdout.splitlines()
    assert listed[0].split() == ["NAME", "STATUS", "PID", "DESCRIPTION"]
    assert listed[2].startswith("memory-export") and " stopped " in listed[2]
    last = afs("services", "logs", NAME, "-n", "2").stdout.splitlines()
    assert last == log_lines(state_dir)[-2:]


def test_a_killed_service_reads_crashed_and_stop_records_it(afs, state_dir):
    assert afs("services", "start", NAME).returncode == 0
    pid = status_json(afs)["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_exists(pid), what="the runner to die")
    # a crash is a failure a script or a monitor must see: exit code 1 and one error line
    assert status_json(afs, exit_code=1)["status"] == CRASHED
    text = afs("services", "status", NAME)
    assert "is gone without a clean stop" in text.stdout
    assert text.returncode == 1
    assert text.stderr.startswith(f"error: {NAME} crashed: process {pid} is gone")
    everything = afs("services", "status")
    assert everything.returncode == 1 and "context-warm: not started" in everything.stdout
    result = afs("services", "stop", NAME)
    assert result.returncode == 0 and "not running (crashed" in result.stdout
    assert status_json(afs)["status"] == "stopped"  # a recorded stop is no failure: exit 0


def test_a_reused_pid_is_not_the_service(state_dir):
    other = subprocess.Popen(["sleep", "30"])
    try:
        real = process_start_time(other.pid)
        boot = real.split(":")[0]
        record = ServiceState(name=NAME, status=RUNNING, pid=other.pid, start_time=f"{boot}:1",
                              cmdline=f"python -m afs.services.runner {NAME}")
        write_state(state_dir, record)
        reused = judge(NAME, read_state(state_dir, NAME))
        assert reused.status == CRASHED and "another process" in reused.detail

        record.start_time = f"00000000-another-boot:{real.split(':')[1]}"
        write_state(state_dir, record)
        assert "machine restarted" in judge(NAME, read_state(state_dir, NAME)).detail

        record.start_time = real  # same start time, but `sleep` is no runner
        write_state(state_dir, record)
        assert "another command" in judge(NAME, read_state(state_dir, NAME)).detail

        assert "not running" in stop(NAME).message
        assert other.poll() is None  # the unrelated process was left alone
    finally:
        other.kill()
        other.wait()


IGNORES_SIGTERM = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def test_stop_kills_a_runner_that_ignores_sigterm(afs, state_dir):
    # argv carries "afs.services.runner memory-export", so it passes the identity check
    stubborn = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM, "afs.services.runner",
                                 NAME], stdout=subprocess.PIPE, text=True)
    try:
        assert stubborn.stdout.readline().strip() == "ready"
        write_state(state_dir, ServiceState(
            name=NAME, status=RUNNING, pid=stubborn.pid,
            start_time=process_start_time(stubborn.pid), cmdline=process_cmdline(stubborn.pid)))
        assert status_json(afs)["status"] == RUNNING
        began = time.monotonic()
        result = afs("services", "stop", NAME, "--timeout", "0.5")
        assert result.returncode == 0, result.stderr
        assert "SIGKILL after 0.5 s" in result.stdout
        assert stubborn.wait(timeout=5) == -signal.SIGKILL
        assert time.monotonic() - began < 8
        assert "killed (did not stop within 0.5 s of SIGTERM)" in log_lines(state_dir)[-1]
        assert status_json(afs)["status"] == "stopped"
    finally:
        stubborn.kill()
        stubborn.wait()


def test_user_errors_are_one_line(afs, state_dir):
    assert_user_error(afs("services", "start", "nope"), "unknown service 'nope'",
                      "context-warm, memory-export")
    bad = afs("services", "start", NAME, AFS_MEMORY_EXPORT_INTERVAL="0")
    assert_user_error(bad, "AFS_MEMORY_EXPORT_INTERVAL", "positive")
    assert not state_dir.exists()  # nothing was started
    state_dir.mkdir()
    (state_dir / f"{NAME}.json").write_text("{not json")
    assert_user_error(afs("services", "status", NAME), f"{NAME}.json", "delete the file")


def test_restart_runs_a_new_process_with_the_new_environment(afs, state_dir):
    assert afs("services", "start", NAME).returncode == 0
    first = status_json(afs)
    result = afs("services", "restart", NAME, AFS_MEMORY_EXPORT_INTERVAL="7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("memory-export started")
    second = status_json(afs)
    assert second["status"] == RUNNING and second["pid"] != first["pid"]
    assert second["state"]["interval_s"] == 7 and not pid_exists(first["pid"])
    assert afs("services", "stop", NAME).returncode == 0
