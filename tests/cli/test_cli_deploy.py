"""`afs deploy serve|chat|convert`: the installed script, a real llama.cpp server on loopback."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from afs.deployment.server import free_port

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"

from .clitools import afs_env, afs_executable, assert_user_error


def wait_for_models(port: int, process: subprocess.Popen, timeout_s: float = 60) -> bytes:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as r:
                return r.read()
        except OSError:
            time.sleep(0.2)
    pytest.fail("afs deploy serve did not answer")


def test_serve_answers_chat_and_stops_gracefully(tmp_path, tiny_gguf, afs):
    port = free_port()
    server = subprocess.Popen(
        [str(afs_executable()), "deploy", "serve", str(tiny_gguf), "--port", str(port),
         "--n-ctx", "512", "--threads", "1", "--alias", "majora"],
        cwd=tmp_path, env=afs_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        assert b'"majora"' in wait_for_models(port, server)
        streamed = afs("deploy", "chat", "What does LDA do?", "--port", str(port),
                       "--temperature", "0", "--max-tokens", "12")
        whole = afs("deploy", "chat", "What does LDA do?", "--url", f"http://127.0.0.1:{port}",
                    "--model", "majora", "--temperature", "0", "--max-tokens", "12",
                    "--no-stream")
        assert streamed.returncode == 0 and whole.returncode == 0, streamed.stderr + whole.stderr
        assert streamed.stdout.strip() and streamed.stdout == whole.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert f"on http://127.0.0.1:{port}/v1" in stderr


def test_serve_refuses_a_file_that_is_not_gguf(tmp_path, afs):
    (tmp_path / "model.gguf").write_text("not a model")
    assert_user_error(afs("deploy", "serve", "model.gguf"), "model.gguf", "not a GGUF file")
    assert_user_error(afs("deploy", "serve", "nope.gguf"), "nope.gguf", "no such GGUF file")


def test_chat_without_a_server_says_how_to_start_one(afs):
    result = afs("deploy", "chat", "hi", "--port", str(free_port()))
    assert_user_error(result, "no OpenAI-compatible server", "afs deploy serve")


def test_convert_writes_a_gguf_that_llama_cpp_loads(tmp_path, afs, tiny_cache):
    from afs.finetune.lora import train_lora

    chats = tmp_path / "chats.jsonl"
    chats.write_text("".join(
        json.dumps({"messages": [{"role": "user", "content": f"What is at ${i:04X}?"},
                                 {"role": "assistant", "content": f"LDA ${i:04X}"}]}) + "\n"
        for i in range(8)))
    train_lora("tiny", chats, chats, tmp_path / "lora", r=2, epochs=1, batch_size=8,
               max_length=64, seed=1, mlflow=False, early_stopping_patience=None,
               cache_dir=tiny_cache, raw_dir=RAW)
    # a project folder as `afs deploy convert --base-model tiny` expects it
    (tmp_path / "models").symlink_to(tiny_cache, target_is_directory=True)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "01_raw").symlink_to(RAW, target_is_directory=True)
    result = afs("deploy", "convert", "--lora", "lora", "--output", "out/model.gguf",
                 "--quantization", "q8_0")
    assert result.returncode == 0, result.stderr
    assert "Q8_0" in result.stdout
    from llama_cpp import Llama

    llm = Llama(model_path=str(tmp_path / "out" / "model.gguf"), verbose=False, n_ctx=64)
    assert llm.n_vocab() > 256
