"""Training and deployment speed of the tiny model on CPU, each next to the same run's matmul rate.

    python benchmarks/training_deployment.py [--quick] [--threads 1 2] [--json PATH] [--keep]

Everything happens in a temporary folder (the repository's data/ and models/ are only read:
``data/01_raw``), with fixed seeds:

1. The tiny base (``resolve_base_model("tiny", tmp/models)``: 2-layer Qwen2, 632k parameters)
   is built, then ``train_lora`` (CPU, r 8, batch 8, max length 256) trains on chat rows of
   ``data/01_raw/v1_training.jsonl`` (converted with ``convert_jsonl(..., "openai")``, the
   project's own converter). Tokens/s is what ``train_lora`` reports: the batches' non-pad
   tokens over the time of the training steps (validation excluded). Next to it, torch fp32
   matmul GFLOP/s at the model's shapes (batch x 256 rows by hidden 128 x intermediate 352) and
   at 2048^3, with the threads training used; the model's training FLOP/s is estimated as
   6 x parameters x tokens/s and shown as a fraction of the 2048^3 rate.
2. GGUF conversion of the trained adapter, step by step: merge (``merge_lora``), write F32
   (``write_gguf``), quantize F16 / Q8_0 / Q4_K_M (``quantize_gguf``, llama.cpp); plus one
   end-to-end ``convert_lora_to_gguf(..., "Q4_K_M")``.
3. llama.cpp through llama-cpp-python, for each GGUF and each ``--threads`` count: prompt
   processing (a 256-token prompt evaluated with ``Llama.eval``, ``--repeat`` times, ``reset``
   in between, best run) and greedy generation of 128 tokens (``Llama.generate``, best of
   ``--repeat``). Rates are llama.cpp's own timings (``llama_perf_context``: the decode calls
   only); the wall-clock rates (Python sampling and bindings included) go to the JSON and the
   generation table. Next to them, the matmul rate with the same number of torch threads,
   measured just before, and the model's FLOP/s as 2 x parameters x tokens/s.
4. Unless ``--no-serve``: the served path, ``start_server(Q8_0 GGUF)`` and
   ``LMStudioClient.complete`` (temperature 0, 128 tokens max), ``ChatResult.tokens_per_s``
   (completion tokens over the request's wall time, HTTP included).

Prints markdown tables, with the load average and the cores other processes kept busy during
each phase (this is a shared machine: 2-thread figures depend on them); ``--json`` writes the
raw figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "01_raw"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scoring import gemm_flops  # noqa: E402 - the benchmarks' shared GEMM floor

QUANTS = ("F16", "Q8_0", "Q4_K_M")
SERVED_PROMPT = "What does `Menu_Move` ($208001) keep in $7EF36C?"
LARGE = (2048, 2048, 2048)


@contextlib.contextmanager
def quiet_stderr():
    """llama.cpp's quantizer logs every tensor on fd 2; send that to /dev/null."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class OtherLoad:
    """How many cores other processes kept busy since ``start``: the machine's busy time
    (/proc/stat) less this process's and its waited-for children's CPU time, over the wall
    time. The load average lags by a minute; this covers exactly the measured span."""

    def __init__(self) -> None:
        self.start = self._snapshot()

    @staticmethod
    def _snapshot() -> tuple[float, float, float] | None:
        import resource

        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        except (OSError, ValueError):
            return None
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
        own = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                  for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return time.perf_counter(), busy, own

    def cores(self) -> float | None:
        end = self._snapshot()
        if self.start is None or end is None:
            return None
        wall = end[0] - self.start[0]
        others = (end[1] - self.start[1]) - (end[2] - self.start[2])
        return max(0.0, others / wall) if wall > 0 else None


def timed_phase(results: dict, name: str, function, *args):
    """``results[name] = function(*args)``, with the other processes' load during it."""
    load = OtherLoad()
    results[name] = function(*args)
    results.setdefault("other_cores", {})[name] = load.cores()


def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def matmul_rates(threads: int, rows: int, hidden: int, intermediate: int,
                 repeat: int) -> dict[str, float]:
    """GFLOP/s of fp32 torch.matmul with ``threads`` threads: the model's shape and 2048^3."""
    import torch

    torch.set_num_threads(threads)
    shapes = [(rows, hidden, intermediate), LARGE]
    return {shape: rate / 1e9 for shape, rate in gemm_flops(repeat, shapes).items()}


def write_chat_splits(root: Path, train_rows: int, val_rows: int) -> tuple[Path, Path]:
    """The first ``train_rows`` rows of v1_training.jsonl (and the next ``val_rows``) as
    OpenAI chat JSONL, through the project's converter."""
    from afs.curation.export import convert_jsonl

    lines = [line for line in (RAW / "v1_training.jsonl").read_bytes().splitlines()
             if line.strip()]
    paths = []
    for name, part in (("train", lines[:train_rows]),
                       ("val", lines[train_rows:train_rows + val_rows])):
        samples = root / f"{name}.samples.jsonl"
        samples.write_bytes(b"\n".join(part) + b"\n")
        chats = root / f"{name}.jsonl"
        convert_jsonl(samples, chats, "openai")
        paths.append(chats)
    return paths[0], paths[1]


def bench_training(work: Path, args: argparse.Namespace) -> dict:
    import torch

    from afs.finetune.lora import train_lora
    from afs.finetune.tiny import read_build_info, resolve_base_model

    threads = max(args.threads)
    torch.set_num_threads(threads)
    started = time.perf_counter()
    warm_up = {} if args.pretrain_steps is None else {"pretrain_steps": args.pretrain_steps}
    base = resolve_base_model("tiny", work / "models", raw_dir=RAW, **warm_up)
    build_s = time.perf_counter() - started
    info = read_build_info(base)
    train, val = write_chat_splits(work, args.train_rows, args.val_rows)
    matmul = matmul_rates(threads, args.batch_size * args.max_length, info["hidden"],
                          info["intermediate"], args.repeat)
    report = train_lora(base, train, val, work / "lora", r=8, epochs=args.epochs,
                        batch_size=args.batch_size, max_length=args.max_length, seed=42,
                        device="cpu", early_stopping_patience=None, mlflow=False)
    trained = json.loads((report.output_dir / "training.json").read_text())
    params = info["parameters"]
    tps = report.tokens_per_second
    flops = 6 * params * tps
    large = matmul[f"{LARGE[0]}x{LARGE[1]}x{LARGE[2]}"]
    return {"threads": threads, "base_build_s": build_s, "parameters": params,
            "trainable_parameters": trained["trainable_parameters"],
            "examples": trained["examples"], "epochs": args.epochs, "steps": trained["steps"],
            "tokens": trained["tokens"], "seconds_total": report.seconds,
            "train_seconds": trained["tokens"] / tps, "tokens_per_s": tps,
            "model_gflops": flops / 1e9, "matmul_gflops": matmul,
            "of_large_matmul": flops / 1e9 / large, "val_loss": report.metrics["val_loss"],
            "hidden": info["hidden"], "intermediate": info["intermediate"],
            "adapter": str(report.output_dir), "base": base}


def bench_conversion(work: Path, training: dict, args: argparse.Namespace) -> dict:
    from afs.deployment.gguf_export import convert_lora_to_gguf, merge_lora
    from afs.deployment.gguf_writer import write_gguf
    from afs.deployment.quantize import gguf_tensor_types, quantize_gguf

    out = work / "gguf"
    out.mkdir()
    steps, files = {}, {}
    started = time.perf_counter()
    model, tokenizer = merge_lora(training["adapter"], training["base"], device="cpu")
    steps["merge"] = time.perf_counter() - started
    files["F32"] = out / "tiny-F32.gguf"
    started = time.perf_counter()
    write_gguf(model, tokenizer, files["F32"], name="lora")
    steps["write F32"] = time.perf_counter() - started
    for quant in QUANTS:
        files[quant] = out / f"tiny-{quant}.gguf"
        started = time.perf_counter()
        with quiet_stderr():
            quantize_gguf(files["F32"], files[quant], quant, threads=max(args.threads))
        steps[f"quantize {quant}"] = time.perf_counter() - started
    started = time.perf_counter()
    with quiet_stderr():
        convert_lora_to_gguf(training["adapter"], out / "e2e-Q4_K_M.gguf", training["base"],
                             "Q4_K_M", device="cpu")
    steps["convert_lora_to_gguf Q4_K_M (all)"] = time.perf_counter() - started
    return {"seconds": steps, "files": {k: str(v) for k, v in files.items()},
            "bytes": {k: v.stat().st_size for k, v in files.items()},
            "tensor_types": {k: dict(gguf_tensor_types(v)) for k, v in files.items()}}


def prompt_tokens(llm, count: int) -> list[int]:
    """``count`` tokens of corpus text (the first asm files, in order)."""
    text = ""
    for path in sorted((RAW / "asm").rglob("*.asm")):
        text += path.read_text(encoding="utf-8")
        tokens = llm.tokenize(text.encode(), add_bos=False, special=False)
        if len(tokens) >= count:
            return tokens[:count]
    raise SystemExit(f"the corpus has fewer than {count} tokens")


def llama_perf(llm) -> tuple[float, int, float, int]:
    """llama.cpp's prompt and generation timings (ms, tokens) since the last reset. It books
    a decode when the context is synchronized, so this synchronizes first."""
    import llama_cpp

    llama_cpp.llama_synchronize(llm._ctx.ctx)
    data = llama_cpp.llama_perf_context(llm._ctx.ctx)
    return data.t_p_eval_ms, data.n_p_eval, data.t_eval_ms, data.n_eval


def reset_perf(llm) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llm._ctx.ctx)


def bench_llama(path: str, threads: int, args: argparse.Namespace) -> dict:
    """Prompt processing and greedy generation of one GGUF with ``threads`` threads."""
    import llama_cpp

    llm = llama_cpp.Llama(model_path=path, n_ctx=args.prompt_tokens + args.gen_tokens + 16,
                          n_threads=threads, n_threads_batch=threads, seed=42, verbose=False)
    prompt = prompt_tokens(llm, args.prompt_tokens)
    llm.eval(prompt[:32])  # warm-up
    llama_perf(llm)
    pp, pp_wall = 0.0, 0.0
    for _ in range(args.repeat):
        llm.reset()
        reset_perf(llm)
        started = time.perf_counter()
        llm.eval(prompt)
        ms, n, _, _ = llama_perf(llm)
        wall = time.perf_counter() - started
        pp = max(pp, n / (ms / 1e3) if ms else 0.0)
        pp_wall = max(pp_wall, len(prompt) / wall)
    gen, gen_wall, made = 0.0, 0.0, 0
    for _ in range(args.repeat):
        llm.reset()
        reset_perf(llm)
        stamps = []
        for _token in llm.generate(list(prompt[:16]), top_k=1, temp=0.0, reset=True):
            stamps.append(time.perf_counter())
            if len(stamps) > args.gen_tokens:
                break
        # stamps[0] follows the prompt's decode; the next gen_tokens each follow one decode
        _, _, ms, n = llama_perf(llm)
        gen = max(gen, n / (ms / 1e3) if ms else 0.0)
        gen_wall = max(gen_wall, (len(stamps) - 1) / (stamps[-1] - stamps[0]))
        made = n
    del llm
    return {"prompt_tokens": len(prompt), "pp_tokens_per_s": pp, "pp_wall_tokens_per_s": pp_wall,
            "gen_tokens": made, "gen_tokens_per_s": gen, "gen_wall_tokens_per_s": gen_wall}


def bench_inference(conversion: dict, training: dict, args: argparse.Namespace) -> dict:
    results = {}
    for threads in args.threads:
        # one token's decode multiplies a row by hidden x intermediate; the prompt's rows are
        # its tokens
        matmul = matmul_rates(threads, args.prompt_tokens, training["hidden"],
                              training["intermediate"], args.repeat)
        runs = {quant: bench_llama(conversion["files"][quant], threads, args)
                for quant in ("F32", *QUANTS)}
        results[threads] = {"matmul_gflops": matmul, "runs": runs}
    return results


def bench_served(conversion: dict, args: argparse.Namespace) -> dict:
    """Completion tokens/s through the OpenAI-compatible server, per thread count."""
    from afs.deployment.client import LMStudioClient
    from afs.deployment.server import start_server

    results = {}
    for threads in args.threads:
        try:
            started = time.perf_counter()
            with start_server(conversion["files"]["Q8_0"], n_ctx=512,
                              n_threads=threads) as server:
                ready = time.perf_counter() - started
                client = LMStudioClient.from_url(server.url, timeout_s=60)
                client.complete("Warm up.", temperature=0.0, max_tokens=8, seed=42)
                best = None
                for _ in range(args.repeat):
                    result = client.complete(SERVED_PROMPT, temperature=0.0,
                                             max_tokens=args.gen_tokens, seed=42)
                    if best is None or (result.tokens_per_s or 0) > (best.tokens_per_s or 0):
                        best = result
            results[threads] = {"ready_s": ready, "tokens_per_s": best.tokens_per_s,
                                "completion_tokens": best.completion_tokens,
                                "latency_s": best.latency_s,
                                "prompt_tokens": best.prompt_tokens,
                                "finish_reason": best.finish_reason}
        except Exception as exc:  # noqa: BLE001 - the served path is optional; say why
            results[threads] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results


def print_tables(results: dict) -> None:
    training, conversion = results["training"], results["conversion"]
    large = "x".join(map(str, LARGE))
    print(f"machine: {os.cpu_count()} CPU cores, {platform.machine()}, Python "
          f"{platform.python_version()}, torch {results['versions']['torch']}, llama-cpp-python "
          f"{results['versions']['llama_cpp']}; load average before {results['load_before']}, "
          f"after {results['load_after']}; {results['seconds']:.0f} s in all")
    others = ", ".join(f"{name} {cores:.2f}" for name, cores in results["other_cores"].items()
                       if cores is not None)
    print(f"cores kept busy by other processes during the phases (of {os.cpu_count()}): "
          f"{others or 'unknown'}")
    print()
    small = next(k for k in training["matmul_gflops"] if k != large)
    print(f"Training (LoRA r 8, {training['examples']['train']} chats, {training['epochs']} "
          f"epoch(s), {training['steps']} steps, {training['threads']} threads; tiny base built "
          f"in {training['base_build_s']:.1f} s)")
    print()
    print(f"| tokens | train s | tokens/s | model GFLOP/s (6 x {training['parameters']:,} "
          f"x tokens/s) | matmul {small} GFLOP/s | matmul {large} GFLOP/s | of {large} |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {training['tokens']:,} | {training['train_seconds']:.1f} | "
          f"{training['tokens_per_s']:,.0f} | {training['model_gflops']:.2f} | "
          f"{training['matmul_gflops'][small]:.1f} | {training['matmul_gflops'][large]:.1f} | "
          f"{training['of_large_matmul']:.1%} |")
    print()
    print("| GGUF conversion step | seconds | file MB |")
    print("| --- | ---: | ---: |")
    for step, seconds in conversion["seconds"].items():
        quant = step.split()[-1]
        size = conversion["bytes"].get(quant) if not step.startswith("convert") else None
        print(f"| {step} | {seconds:.2f} | {size / 1e6:.2f} |" if size else
              f"| {step} | {seconds:.2f} |  |")
    print()
    params = training["parameters"]
    first = next(iter(results["inference"].values()))["matmul_gflops"]
    shape = next(k for k in first if k != large)
    print("| GGUF | threads | prompt tokens/s | generation tokens/s (llama.cpp) | "
          "generation tokens/s (wall) | model GFLOP/s, prompt | matmul "
          f"{shape} GFLOP/s | matmul {large} GFLOP/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for threads, block in results["inference"].items():
        matmul = block["matmul_gflops"]
        for quant, run in block["runs"].items():
            print(f"| {quant} | {threads} | {run['pp_tokens_per_s']:,.0f} | "
                  f"{run['gen_tokens_per_s']:,.0f} | {run['gen_wall_tokens_per_s']:,.0f} | "
                  f"{2 * params * run['pp_tokens_per_s'] / 1e9:.1f} | {matmul[shape]:.1f} | "
                  f"{matmul[large]:.1f} |")
    served = results.get("served")
    if served:
        print()
        print("| served (Q8_0, HTTP) | threads | completion tokens/s | tokens | request ms | "
              "server ready s |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for threads, run in served.items():
            if "error" in run:
                print(f"| failed: {run['error'][:120]} | {threads} |  |  |  |  |")
                continue
            print(f"| `complete`, temperature 0 | {threads} | {run['tokens_per_s']:,.0f} | "
                  f"{run['completion_tokens']} | {run['latency_s'] * 1e3:.0f} | "
                  f"{run['ready_s']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke mode: fewer rows, 1 epoch, 1 repeat, shorter texts")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="llama.cpp thread counts; training uses the largest")
    parser.add_argument("--json", type=Path, default=None, help="write the raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--no-serve", action="store_true", help="skip the served path")
    parser.add_argument("--train-rows", type=int, default=320)
    parser.add_argument("--val-rows", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pretrain-steps", type=int, default=None,
                        help="the tiny base's warm-up steps (default: the project's)")
    args = parser.parse_args()
    if args.quick:
        args.train_rows, args.val_rows, args.epochs, args.repeat = 48, 8, 1, 1
        args.pretrain_steps = 10 if args.pretrain_steps is None else args.pretrain_steps
        args.prompt_tokens, args.gen_tokens = 128, 32

    import llama_cpp
    import torch

    logging_quiet()
    results = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
               "load_before": load_avg(), "cpu_count": os.cpu_count(),
               "versions": {"torch": torch.__version__, "llama_cpp": llama_cpp.__version__,
                            "python": platform.python_version()}}
    started = time.perf_counter()
    whole = OtherLoad()
    work = Path(tempfile.mkdtemp(prefix="afs-bench-train-deploy-"))
    try:
        timed_phase(results, "training", bench_training, work, args)
        timed_phase(results, "conversion", bench_conversion, work, results["training"], args)
        timed_phase(results, "inference", bench_inference, results["conversion"],
                    results["training"], args)
        if not args.no_serve:
            timed_phase(results, "served", bench_served, results["conversion"], args)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = time.perf_counter() - started
    results["load_after"] = load_avg()
    results["other_cores"]["all"] = whole.cores()
    print_tables(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")


def logging_quiet() -> None:
    import logging
    import warnings

    from transformers.utils import logging as transformers_logging

    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore")
    transformers_logging.disable_progress_bar()


if __name__ == "__main__":
    main()
