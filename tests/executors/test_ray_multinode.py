"""The Ray executor on a real cluster of two nodes (a head and a worker raylet on this machine,
started here with the ``ray`` CLI), reached through ``ray_address``: a stage's output equals
the local executor's and its batches ran on both nodes; MinHash dedup, in memory and streamed
from JSONL files (``dedup_files``), equals the local result.

The drivers run in subprocesses (this pytest process may already be connected to the
session's in-process cluster, ``ray_cluster`` in conftest.py, which these tests do not use).
Every process started here runs with ``RAY_AUTH_MODE=disabled`` (a token in ~/.ray/auth_token
would turn token mode on for ``ray start --head`` but not for a driver given an address) and
``RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S=0`` (else SIGTERM drains a node for 30 s first). The
cluster has its own temp dir and free ports, so other Ray clusters on the machine are untouched;
teardown stops only the processes started here and fails if any is left."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from afs.samples.frame import concat_frames
from afs.samples.jsonl import read_jsonl_frame, write_jsonl_frame
from afs.dedup.config import DedupConfig
from afs.dedup.clusters import deduplicate
from afs.dedup.files import dedup_files
from tests.planted import planted_frame

pytest.importorskip("ray", reason="ray is not installed (pip install 'afs[ray]')")

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "01_raw" / "v1_training.jsonl"  # shipped: no kedro run needed
RAY_CLI = Path(sys.executable).parent / "ray"
START_TIMEOUT_S = 120  # a busy 2-core CI machine starts the two nodes in 13-35 s
DRIVER_TIMEOUT_S = 180
STOP_TIMEOUT_S = 15
RESULT = "RESULT "  # the drivers print their JSON result on a line starting with this


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free now (held open together so that none repeats)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def node_ports() -> list[str]:
    """The ports one node listens on, chosen free (the defaults would clash between the
    two nodes, or with another cluster on this machine)."""
    names = ["--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
             "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port"]
    return [item for name, port in zip(names, free_ports(len(names)), strict=True)
            for item in (name, str(port))]


def ray_env() -> dict[str, str]:
    """This environment less any RAY_* setting (an address or token meant for another
    cluster), with auth off, no usage stats and no drain on SIGTERM."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    env.update(RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0",
               RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S="0", PYTHONUNBUFFERED="1")
    return env


def descendants(roots: list[int]) -> dict[int, str]:
    """{pid: start time} of ``roots`` and every process below them (start times tell a
    process from a later one that reuses its pid)."""
    children: dict[int, list[int]] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        started[int(entry.name)] = fields[19]
    found: dict[int, str] = {}
    todo = [pid for pid in roots if pid in started]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found[pid] = started[pid]
            todo.extend(children.get(pid, []))
    return found


def running(pid: int, start: str) -> bool:
    """Whether ``pid`` is still the process that started at ``start`` and not a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == start and fields[0] != "Z"


@dataclass
class TwoNodeCluster:
    address: str
    temp_dir: Path
    work_dir: Path
    scripts: Path
    env: dict[str, str]
    nodes: list[dict]

    def logs(self, lines: int = 25) -> str:
        """The tail of each node's ``ray start`` output and of the raylet and GCS logs."""
        paths = sorted(self.temp_dir.glob("*.log"))
        paths += sorted(self.temp_dir.glob("session_latest/logs/raylet*.out"))
        paths += sorted(self.temp_dir.glob("session_latest/logs/gcs_server.out"))
        paths += sorted(path for path in self.temp_dir.glob("session_latest/logs/*.err")
                        if path.stat().st_size)
        parts = []
        for path in paths:
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path}\n" + "\n".join(text))
        return "\n".join(parts)

    def drive(self, name: str, script: str, *args: str) -> dict:
        """Run ``script`` (a driver) with the cluster's address and ``args``; its result."""
        path = self.scripts / f"{name}.py"
        path.write_text(textwrap.dedent(script), encoding="utf-8")
        try:
            done = subprocess.run([sys.executable, str(path), self.address, *args], cwd=ROOT,
                                  env=self.env, capture_output=True, text=True,
                                  timeout=DRIVER_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as error:
            pytest.fail(f"driver {name} ran past {DRIVER_TIMEOUT_S}s\n{error.stderr}\n"
                        f"{self.logs()}")
        results = [line[len(RESULT):] for line in done.stdout.splitlines()
                   if line.startswith(RESULT)]
        if done.returncode or not results:
            pytest.fail(f"driver {name} failed (exit {done.returncode})\nstdout:\n"
                        f"{done.stdout[-3000:]}\nstderr:\n{done.stderr[-6000:]}\n{self.logs()}")
        return json.loads(results[-1])


NODES_DRIVER = """
    import json, sys, time
    import ray

    address, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
    ray.init(address=address, log_to_driver=False)
    while True:
        alive = [node for node in ray.nodes() if node["Alive"]]
        if len(alive) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    print("RESULT " + json.dumps([{"id": node["NodeID"], "cpus": node["Resources"].get("CPU"),
                                   "gpus": node["Resources"].get("GPU", 0),
                                   "head": "node:__internal_head__" in node["Resources"]}
                                  for node in alive]))
    ray.shutdown()
"""


def start_node(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``ray start ... --block`` in a session of its own (its process group is the node)."""
    with log.open("wb") as out:
        return subprocess.Popen([str(RAY_CLI), "start", *args, "--num-cpus", "1",
                                 "--object-store-memory", str(100 * 2**20),
                                 "--include-log-monitor=false", "--disable-usage-stats",
                                 "--block"],
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def wait_for_port(port: int, head: subprocess.Popen, cluster: TwoNodeCluster) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if head.poll() is not None:
            pytest.fail(f"ray start --head exited with {head.returncode}\n{cluster.logs()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the head's GCS did not listen on {port} in {START_TIMEOUT_S}s\n"
                f"{cluster.logs()}")


def stop_nodes(nodes: list[subprocess.Popen]) -> list[str]:
    """Stop each node (SIGTERM to its process group, SIGKILL after a timeout), then every
    process started below it (Ray's workers run in sessions of their own); the processes
    still there after that, as ``ps`` lines."""
    started = descendants([node.pid for node in nodes])
    for node in nodes:
        with suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGTERM)
    for node in nodes:
        try:
            node.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(node.pid, signal.SIGKILL)
            node.wait(STOP_TIMEOUT_S)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(running(pid, start) for pid, start in started.items()):
        if time.monotonic() > deadline:
            for pid, start in started.items():
                if running(pid, start):
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            time.sleep(1)
            break
        time.sleep(0.2)
    left = {pid for pid, start in started.items() if running(pid, start)}
    ps = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True,
                        check=True).stdout.splitlines()
    return [line for line in ps if int(line.split()[0]) in left]


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    """A head (with the GCS) and a worker node, 1 CPU each, started with ``ray start``;
    stopped, and checked gone, after the module's tests."""
    temp_dir = Path(tempfile.mkdtemp(prefix="r", dir="/tmp"))  # short: socket paths <= 107
    env = ray_env()
    (gcs_port,) = free_ports(1)
    cluster = TwoNodeCluster(address=f"127.0.0.1:{gcs_port}", temp_dir=temp_dir,
                             work_dir=tmp_path_factory.mktemp("shared"),
                             scripts=tmp_path_factory.mktemp("drivers"), env=env, nodes=[])
    nodes: list[subprocess.Popen] = []
    try:
        # the head declares one (logical) GPU: Ray schedules GPU actors onto it and sets
        # CUDA_VISIBLE_DEVICES, with no device behind it (the GPU path, minus CUDA itself)
        head = start_node(["--head", "--num-gpus", "1", "--port", str(gcs_port),
                           "--temp-dir", str(temp_dir),
                           "--include-dashboard=false",
                           "--dashboard-port", str(free_ports(1)[0]), *node_ports()],
                          env, temp_dir / "head.log")
        nodes.append(head)
        wait_for_port(gcs_port, head, cluster)
        nodes.append(start_node(["--address", cluster.address, "--temp-dir", str(temp_dir),
                                    *node_ports()], env, temp_dir / "worker.log"))
        cluster.nodes = cluster.drive("nodes", NODES_DRIVER, str(START_TIMEOUT_S))
        if len(cluster.nodes) != 2:
            pytest.fail(f"the cluster has {len(cluster.nodes)} alive node(s) after "
                        f"{START_TIMEOUT_S}s, not 2: {cluster.nodes}\n{cluster.logs()}")
        yield cluster
    finally:
        left = stop_nodes(nodes)
        shutil.rmtree(temp_dir, ignore_errors=True)
        assert not left, "processes of the two-node cluster still running:\n" + "\n".join(left)
        ps = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True,
                            check=True).stdout
        assert str(temp_dir) not in ps, f"a process of {temp_dir} is still running:\n{ps}"


def test_the_cluster_has_two_alive_nodes(two_nodes):
    nodes = two_nodes.drive("nodes_again", NODES_DRIVER, "0")
    assert len(nodes) == 2
    assert len({node["id"] for node in nodes}) == 2
    assert sorted(node["head"] for node in nodes) == [False, True]
    assert [node["cpus"] for node in nodes] == [1.0, 1.0]
    assert sorted(node["gpus"] for node in nodes) == [0, 1.0]
    assert {node["id"] for node in nodes} == {node["id"] for node in two_nodes.nodes}


MAP_DRIVER = """
    import hashlib, json, os, sys
    import pandas as pd
    import ray
    from afs.executors import ExecutorConfig, map_frame
    from afs.samples.jsonl import read_jsonl_frame

    class Fingerprint:
        # A stage (defined in __main__, so it travels to the workers by value): each row's
        # batch (first row number, size), a digest of its text, the node and process it ran on.
        def __call__(self):
            def run(batch):
                node = ray.get_runtime_context().get_node_id() if ray.is_initialized() \\
                    else "local"
                digest = [hashlib.sha256(f"{a}\\0{b}".encode()).hexdigest()
                          for a, b in zip(batch["instruction"], batch["output"])]
                return batch.assign(first=batch.index.min(), size=len(batch), digest=digest,
                                    node=node, pid=os.getpid())
            return run

    address, samples, work, out = sys.argv[1:]
    # Ray Data starts an actor pool's actors asynchronously and hands batches to those that
    # are up: wait for both, so that one started seconds earlier cannot take every batch.
    ray.data.DataContext.get_current().wait_for_min_actors_s = 120
    frame, _ = read_jsonl_frame(samples)
    local = map_frame(frame, Fingerprint(), ExecutorConfig(batch_size=25))
    config = ExecutorConfig(kind="ray", ray_address=address, num_workers=2, batch_size=25,
                            num_gpus_per_actor=0, work_dir=work)
    on_ray = map_frame(frame, Fingerprint(), config, stage="fingerprint")
    local.to_pickle(os.path.join(out, "local.pkl"))
    on_ray.to_pickle(os.path.join(out, "ray.pkl"))
    print("RESULT " + json.dumps({"pid": os.getpid(), "rows": len(frame),
                                  "connected_after": ray.is_initialized()}))
"""


def test_a_stage_on_two_nodes_equals_local_and_runs_on_both(two_nodes, tmp_path):
    ran = two_nodes.drive("map", MAP_DRIVER, str(SAMPLES), str(two_nodes.work_dir),
                          str(tmp_path))
    local = pd.read_pickle(tmp_path / "local.pkl")
    on_ray = pd.read_pickle(tmp_path / "ray.pkl")
    frame, _ = read_jsonl_frame(SAMPLES)
    assert ran["rows"] == len(frame) == len(on_ray) == 400
    assert not ran["connected_after"]  # ray_session disconnected after the stage
    pd.testing.assert_frame_equal(on_ray.drop(columns=["node", "pid"]),
                                  local.drop(columns=["node", "pid"]))
    pd.testing.assert_frame_equal(on_ray[list(frame.columns)], frame)
    assert set(local["node"]) == {"local"}
    nodes = {node["id"] for node in two_nodes.nodes}
    assert set(on_ray["node"]) == nodes, (
        f"the 16 batches ran on {on_ray.groupby('node').size().to_dict()}, "
        f"not on both nodes {sorted(nodes)}")
    assert ran["pid"] not in set(on_ray["pid"])  # every batch ran on a Ray worker
    assert (on_ray.groupby("first")["node"].nunique() == 1).all()  # batches stay whole
    assert on_ray["pid"].nunique() == 2  # one actor per node (num_workers=2)
    assert (two_nodes.work_dir / "fingerprint" / "output" / "shard-00000").is_dir()


DEDUP_DRIVER = """
    import json, os, pickle, sys
    import pandas as pd
    from afs.executors import ExecutorConfig
    from afs.dedup.config import DedupConfig
    from afs.dedup.clusters import deduplicate
    from afs.dedup.files import dedup_files

    address, frame_path, work, out = sys.argv[1:]
    frame = pd.read_pickle(frame_path)
    config = ExecutorConfig(kind="ray", ray_address=address, num_workers=2, batch_size=64,
                            shard_rows=128, num_gpus_per_actor=0, work_dir=work)
    result = deduplicate(frame, DedupConfig(), executor=config)
    with open(os.path.join(out, "ray.pkl"), "wb") as handle:
        pickle.dump({"kept": result.kept, "rejects": result.rejects,
                     "clusters": list(result.clusters.items())}, handle)
    # the streaming path (afs training dedup): shards in the shared folder, read by the nodes
    streamed = dedup_files([os.path.join(out, "frame.jsonl")], os.path.join(out, "kept.jsonl"),
                           os.path.join(out, "rejects.jsonl"), DedupConfig(), config)
    print("RESULT " + json.dumps({"rows": len(frame), "shards": streamed.shards}))
"""


def test_minhash_dedup_on_two_nodes_equals_local(two_nodes, tmp_path):
    shipped, _ = read_jsonl_frame(SAMPLES)
    frame = concat_frames([shipped.iloc[:300], planted_frame(bases=60, seed=2)])
    frame.to_pickle(tmp_path / "frame.pkl")
    local = deduplicate(frame, DedupConfig())
    write_jsonl_frame(frame, tmp_path / "frame.jsonl")
    dedup_files([tmp_path / "frame.jsonl"], tmp_path / "local-kept.jsonl",
                tmp_path / "local-rejects.jsonl", DedupConfig())
    work = two_nodes.work_dir / "dedup-run"
    ran = two_nodes.drive("dedup", DEDUP_DRIVER, str(tmp_path / "frame.pkl"), str(work),
                          str(tmp_path))
    on_ray = pd.read_pickle(tmp_path / "ray.pkl")
    assert ran["rows"] == len(frame)
    reasons = local.rejects["reject_reason"].str.split(":").str[0].value_counts()
    assert reasons["duplicate_of"] >= 5 and reasons["near_duplicate_of"] >= 25  # planted
    pd.testing.assert_frame_equal(on_ray["kept"], local.kept)
    pd.testing.assert_frame_equal(on_ray["rejects"], local.rejects)
    assert on_ray["clusters"] == list(local.clusters.items())
    assert len(list((work / "dedup" / "source").glob("*.parquet"))) == -(-len(frame) // 128)
    assert ran["shards"] == -(-len(frame) // 128)
    for name in ("kept", "rejects"):
        assert (tmp_path / f"{name}.jsonl").read_bytes() == \
            (tmp_path / f"local-{name}.jsonl").read_bytes()


GPU_DRIVER = """
    import json, os, sys
    import pandas as pd
    import ray
    from afs.executors import ExecutorConfig, map_frame

    class WhereAmI:
        # A stage recording the GPUs Ray gave the actor it runs in.
        def __call__(self):
            def run(batch):
                return batch.assign(double=batch["x"] * 2,
                                    gpus=json.dumps(ray.get_gpu_ids()),
                                    visible=os.environ.get("CUDA_VISIBLE_DEVICES", ""),
                                    node=ray.get_runtime_context().get_node_id(),
                                    pid=os.getpid())
            return run

    address, out = sys.argv[1:]
    frame = pd.DataFrame({"x": range(100)})
    # num_gpus_per_actor left at None: one GPU per actor because the cluster has one
    config = ExecutorConfig(kind="ray", ray_address=address, batch_size=10)
    map_frame(frame, WhereAmI(), config).to_pickle(os.path.join(out, "gpu.pkl"))
    print("RESULT {}")
"""


def test_gpu_actors_get_a_gpu_each_and_no_more_actors_than_gpus(two_nodes, tmp_path):
    two_nodes.drive("gpu", GPU_DRIVER, str(tmp_path))
    out = pd.read_pickle(tmp_path / "gpu.pkl")
    assert list(out["double"]) == [2 * x for x in range(100)]
    head = next(node["id"] for node in two_nodes.nodes if node["gpus"])
    assert set(out["node"]) == {head}  # the only node with a GPU
    assert out["pid"].nunique() == 1  # one GPU in the cluster: one actor, not one per CPU
    assert set(out["gpus"]) == {"[0]"} and set(out["visible"]) == {"0"}
