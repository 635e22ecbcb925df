"""Serve a GGUF file over an OpenAI-compatible HTTP API with llama-cpp-python's server
(``llama_cpp.server``: ``/v1/models``, ``/v1/chat/completions``, ``/v1/completions``).

:func:`serve_gguf` runs the server in the foreground (``afs deploy serve``).
:func:`start_server` runs it in a child process and returns once it answers, for the
deployment pipeline's smoke evaluation, the tests and the benchmarks; ``python -m
afs.deployment.server`` is that child.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from afs.errors import ConfigError
from afs.gguf_file import check_gguf_file
from afs.processes import die_with_parent

LOOPBACK = "127.0.0.1"
DEFAULT_SERVE_PORT = 8000
DEFAULT_CONTEXT = 2048


class ServerStartError(ConfigError):
    """The server process exited or did not answer in time; the message holds its log tail."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` for the server (bound here, before the model is
    loaded, so a busy port is one clear error instead of uvicorn's exit 3)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; another "
                          "server may use the port: choose another --port") from None
    return sock


def gguf_context_length(path: str | Path) -> int | None:
    """The context the model was built for (``<architecture>.context_length`` in the GGUF
    header), or None when the file does not say."""
    from gguf import GGUFReader

    try:
        fields = GGUFReader(str(path)).fields
        architecture = fields["general.architecture"]
        name = bytes(architecture.parts[architecture.data[0]]).decode()
        length = fields[f"{name}.context_length"]
        return int(length.parts[length.data[0]][0])
    except (KeyError, IndexError, ValueError, OSError):
        return None


def serving_context(path: str | Path, n_ctx: int | None = None) -> int:
    """``n_ctx`` when given, else the model's own context capped at ``DEFAULT_CONTEXT`` (a
    longer window than the model was trained on only makes llama.cpp warn and spend memory)."""
    if n_ctx is not None:
        return n_ctx
    trained = gguf_context_length(path)
    return min(DEFAULT_CONTEXT, trained) if trained else DEFAULT_CONTEXT


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def serve_gguf(model_path: str | Path, *, host: str = LOOPBACK, port: int = DEFAULT_SERVE_PORT,
               n_ctx: int | None = None, n_threads: int | None = None,
               model_alias: str | None = None, n_gpu_layers: int = 0,
               verbose: bool = False, on_ready: Callable[[], None] | None = None) -> None:
    """Serve ``model_path`` on ``host:port`` until interrupted (blocks). The model is listed
    under ``model_alias`` (default: the file's stem); its chat template comes from the GGUF.
    ``n_ctx`` None: the model's own context, at most ``DEFAULT_CONTEXT``. A damaged file, a
    busy port or a model llama.cpp cannot load is a ConfigError before anything is served;
    ``on_ready`` is called once the port is held and the model loaded."""
    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    model = check_gguf_file(model_path)
    sock = listening_socket(host, port)
    settings = ModelSettings(model=str(model), model_alias=model_alias or model.stem,
                             n_ctx=serving_context(model, n_ctx), n_gpu_layers=n_gpu_layers, verbose=verbose,
                             **({"n_threads": n_threads, "n_threads_batch": n_threads}
                                if n_threads else {}))
    try:
        app = create_app(server_settings=ServerSettings(host=host, port=port),
                         model_settings=[settings])
    except (ValueError, RuntimeError, OSError) as exc:
        sock.close()
        raise ConfigError(f"{model}: llama.cpp could not load the model ({exc})") from None
    config = uvicorn.Config(app, host=host, port=port, log_level="info" if verbose else "warning")
    if on_ready:
        on_ready()
    _stop_quietly_server_class()(config).run(sockets=[sock])


def _stop_quietly_server_class() -> type:
    import uvicorn

    class StopQuietlyServer(uvicorn.Server):
        """uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, which ends the
        process with a signal status (or a KeyboardInterrupt traceback). A stop that was asked
        for is a normal end here: exit status 0."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                getattr(self, "_captured_signals", []).clear()

    return StopQuietlyServer


@dataclass(eq=False)  # identity: kept in a set of live servers
class ServerProcess:
    """A llama.cpp server in a child process; stop it with :meth:`stop` (or use ``with``)."""

    process: subprocess.Popen
    host: str
    port: int
    model: str
    log_path: Path
    _owned_log: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        """The server's root, ``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI API root, ``http://host:port/v1``."""
        return f"{self.url}/v1"

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines the server wrote."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM to the server's process group, then SIGKILL if it is still up after
        ``timeout_s``."""
        _LIVE_SERVERS.discard(self)
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait()
        if self._owned_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(model_path: str | Path, *, host: str = LOOPBACK, port: int | None = None,
                 n_ctx: int | None = None, n_threads: int | None = None,
                 model_alias: str | None = None, log_path: str | Path | None = None,
                 ready_timeout_s: float = 60.0) -> ServerProcess:
    """Start ``python -m afs.deployment.server`` on ``host:port`` (a free port when None) and
    return once ``/v1/models`` answers. A server that exits or stays silent for
    ``ready_timeout_s`` is stopped and reported with its log tail."""
    model = check_gguf_file(model_path)
    port = port or free_port(host)
    alias = model_alias or model.stem
    owned_log = log_path is None
    if owned_log:
        fd, name = tempfile.mkstemp(prefix="afs-serve-", suffix=".log")
        os.close(fd)
        log_path = name
    command = [sys.executable, "-m", "afs.deployment.server", str(model), "--host", host,
               "--port", str(port), "--n-ctx", str(serving_context(model, n_ctx)),
               "--model-alias", alias]
    if n_threads:
        command += ["--n-threads", str(n_threads)]
    with open(log_path, "wb") as log:
        # its own process group (stop() ends the whole group; a Ctrl-C meant for the parent
        # reaches the parent, which stops it), and it dies with the parent even on SIGKILL
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   preexec_fn=die_with_parent())
    server = ServerProcess(process, host, port, alias, Path(log_path), owned_log)
    _LIVE_SERVERS.add(server)
    try:
        wait_until_ready(server, ready_timeout_s)
    except BaseException:
        server.stop()
        raise
    return server


_LIVE_SERVERS: set[ServerProcess] = set()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


@atexit.register
def _stop_live_servers() -> None:
    """A parent that exits without stopping its servers (an exception that skipped a
    ``with``, sys.exit from a signal handler) still stops them."""
    for server in list(_LIVE_SERVERS):
        server.stop(timeout_s=5.0)


def wait_until_ready(server: ServerProcess, timeout_s: float) -> None:
    """Poll ``/v1/models`` until it answers 200; ServerStartError if the process dies first
    or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerStartError(
                f"the llama.cpp server for {server.model} exited with code "
                f"{server.process.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            with urllib.request.urlopen(f"{server.base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.1)
    raise ServerStartError(f"the llama.cpp server for {server.model} did not answer on "
                           f"{server.url} within {timeout_s:g} s:\n{server.log_tail()}")


@contextlib.contextmanager
def served(model_path: str | Path, **kwargs) -> Iterator[ServerProcess]:
    """``with served("model.gguf") as server:`` — a server for the block's duration."""
    server = start_server(model_path, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m afs.deployment.server",
                                     description="Serve one GGUF file (OpenAI-compatible).")
    parser.add_argument("model")
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=DEFAULT_SERVE_PORT)
    parser.add_argument("--n-ctx", type=int, default=None)
    parser.add_argument("--n-threads", type=int, default=None)
    parser.add_argument("--model-alias", default=None)
    args = parser.parse_args(argv)
    # uvicorn turns SIGTERM into a graceful shutdown
    serve_gguf(args.model, host=args.host, port=args.port, n_ctx=args.n_ctx,
               n_threads=args.n_threads, model_alias=args.model_alias, verbose=True)


if __name__ == "__main__":
    _main()
