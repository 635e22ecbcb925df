"""The llama.cpp server AFS starts dies with its parent, even a SIGKILLed one; `afs deploy
serve` on a truncated GGUF or a busy port prints one error line and exits 1."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tests.cli.clitools import afs_env, afs_executable

START_AND_WAIT = """
import sys, time
from afs.deployment.server import start_server
server = start_server(sys.argv[1], n_ctx=256, n_threads=1)
print(server.port, server.process.pid, flush=True)
time.sleep(300)
"""


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_started_server_dies_with_its_killed_parent(tiny_gguf):
    parent = subprocess.Popen([sys.executable, "-c", START_AND_WAIT, str(tiny_gguf)],
                              stdout=subprocess.PIPE, text=True)
    server_pid = None
    try:
        port, server_pid = map(int, parent.stdout.readline().split())
        assert port_open(port)

        parent.send_signal(signal.SIGKILL)  # no cleanup code of the parent runs
        parent.wait(timeout=10)

        deadline = time.monotonic() + 10
        while port_open(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not port_open(port), "the server outlived its parent and still listens"
    finally:
        if parent.poll() is None:
            parent.kill()
        if server_pid:  # the old behaviour: do not leave the orphan running after the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(server_pid, signal.SIGKILL)


def small_gguf(path: Path) -> Path:
    """A valid GGUF file with one 64 KB tensor (no model llama.cpp could run)."""
    from gguf import GGUFWriter

    writer = GGUFWriter(str(path), "llama")
    writer.add_tensor("weights", np.zeros(16384, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def serve(tmp_path: Path, model: Path, port: int) -> subprocess.CompletedProcess:
    return subprocess.run([str(afs_executable()), "deploy", "serve", str(model), "--port",
                           str(port)], cwd=tmp_path, env=afs_env(tmp_path),
                          capture_output=True, text=True, timeout=60)


def assert_one_error_line(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-3000:]
    assert all(word in lines[0] for word in words), lines[0]


def test_serve_on_a_truncated_gguf_is_one_error_line(tmp_path):
    whole = small_gguf(tmp_path / "whole.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole[: len(whole) // 2])

    result = serve(tmp_path, cut, 18765)

    assert_one_error_line(result, "cut.gguf", "incomplete or damaged GGUF")


def test_serve_on_a_busy_port_is_one_error_line(tmp_path):
    model = small_gguf(tmp_path / "model.gguf")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = serve(tmp_path, model, port)

    assert_one_error_line(result, f"127.0.0.1:{port}", "--port")
