"""ELECTRA discriminator scoring throughput on this machine, against its own fp32 GEMM rate.

    python benchmarks/scoring.py [--tokens 128 512] [--samples 256] [--batch-size 32] [--repeat 3]

The model is the default training size (`afs discriminator train` defaults, read from
afs.discriminator.train; shipped ASMTokenizer vocabulary) with random weights: throughput does
not depend on the weights. Texts are corpus code lines (comments removed and hex digits
normalized, as the model's encode does) repeated and cut so that each encodes to exactly N tokens (BOS included). Scoring goes through `ElectraDiscriminator.score_texts` (tokenize, sort,
dynamic padding, inference_mode) so tokenization is included.

The floor is the same machine's fp32 GEMM rate, measured in the same run with torch.matmul on
square matrices (1024, 2048) and on the model's own shapes (batch x tokens rows, hidden x 4
hidden), best of --repeat. The model's FLOPs per sample are 2 x (non-embedding parameters) x
tokens + attention (4 x tokens^2 x hidden per layer); "of GEMM" is achieved model FLOP/s over
the best GEMM FLOP/s. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def gemm_flops(repeat: int, shapes: list[tuple[int, int, int]]) -> dict[str, float]:
    """Best FLOP/s of torch.matmul (m x k) @ (k x n) for each shape."""
    import torch

    rates = {}
    for m, k, n in shapes:
        a, b = torch.randn(m, k), torch.randn(k, n)
        torch.matmul(a, b)
        runs = max(1, int(2e9 // (2 * m * k * n)))
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(runs):
                torch.matmul(a, b)
            best = min(best, (time.perf_counter() - start) / runs)
        rates[f"{m}x{k}x{n}"] = 2 * m * k * n / best
    return rates


def texts_of_length(discriminator, tokens: int, count: int) -> list[str]:
    """``count`` different texts that encode to exactly ``tokens`` ids (BOS included)."""
    from afs.asm.source import strip_comment
    from afs.discriminator.model import number_shapes

    # code as the discriminator reads it (no comments; hex digits as number_shapes gives
    # them), so that encode leaves the token count as cut here
    lines = [number_shapes(code) for f in sorted((ROOT / "data" / "01_raw" / "asm").rglob("*.asm"))
             for line in f.read_text(encoding="utf-8").splitlines()
             if (code := strip_comment(line).rstrip()).strip()]
    tokenizer = discriminator.tokenizer
    texts = []
    for i in range(count):
        text = "\n".join(lines[(i * 7 + j) % len(lines)] for j in range(tokens))
        ids = tokenizer.encode(text)[:tokens - 1]
        texts.append(tokenizer.decode(ids))
    return texts


def model_flops(model, tokens: int) -> float:
    config = model.config
    embedding = {"electra.embeddings.word_embeddings.weight",
                 "electra.embeddings.position_embeddings.weight",
                 "electra.embeddings.token_type_embeddings.weight"}
    dense = sum(p.numel() for name, p in model.named_parameters()
                if name not in embedding and p.dim() > 1)
    attention = 4 * tokens * tokens * config.hidden_size * config.num_hidden_layers
    return 2 * dense * tokens + attention


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import torch

    from afs.discriminator.model import ElectraDiscriminator
    from afs.discriminator.train import DEFAULT_HIDDEN, DEFAULT_LAYERS

    model = ElectraDiscriminator.create(layers=DEFAULT_LAYERS, hidden=DEFAULT_HIDDEN, device="cpu")
    hidden = DEFAULT_HIDDEN
    shapes = [(1024, 1024, 1024), (2048, 2048, 2048)]
    shapes += [(args.batch_size * t, hidden, 4 * hidden) for t in args.tokens]
    gemm = gemm_flops(args.repeat, shapes)
    peak = max(gemm.values())
    params = sum(p.numel() for p in model.model.parameters())
    print(f"machine: {os.cpu_count()} CPU cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; model: {DEFAULT_LAYERS} layers, hidden {hidden}, "
          f"{params / 1e6:.2f}M parameters")
    print()
    print("| GEMM (m x k x n) | GFLOP/s |")
    print("| --- | ---: |")
    for shape, rate in gemm.items():
        print(f"| {shape} | {rate / 1e9:.1f} |")
    print()
    print("| tokens | batch | samples/s | model GFLOP/sample | achieved GFLOP/s | of best GEMM |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for tokens in args.tokens:
        texts = texts_of_length(model, tokens, args.samples)
        model.score_texts(texts[:args.batch_size], args.batch_size)  # warm-up
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            model.score_texts(texts, args.batch_size)
            best = min(best, time.perf_counter() - start)
        rate = args.samples / best
        flops = model_flops(model.model, tokens)
        print(f"| {tokens} | {args.batch_size} | {rate:,.0f} | {flops / 1e9:.3f} | "
              f"{rate * flops / 1e9:.1f} | {rate * flops / peak:.0%} |")


if __name__ == "__main__":
    main()
