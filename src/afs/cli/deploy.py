"""`afs deploy convert|serve|chat`: turn an adapter into a GGUF file, serve it, talk to it.

Each command calls one function of ``afs.deployment`` (imported inside the command body, so
`afs --help` never imports torch or llama.cpp).
"""

from __future__ import annotations

from pathlib import Path

import click

from afs.cli.group import AfsGroup
from afs.cli.options import UserPath, echo_summary

QUANTIZATION_CHOICES = ("F32", "F16", "Q8_0", "Q4_K_M", "Q5_K_M")


@click.group(cls=AfsGroup)
def deploy() -> None:
    """Export GGUF models and serve them over an OpenAI-compatible API."""


@deploy.command("convert")
@click.option("--lora", "lora_path", type=UserPath(), required=True,
              help="LoRA adapter folder (peft), e.g. data/06_models/lora_adapter.")
@click.option("--base-model", default="tiny", show_default=True,
              help="The adapter's base model: `tiny`, a local folder or a hub id.")
@click.option("--output", "output_path", type=UserPath(), required=True,
              help="GGUF file to write (atomically).")
@click.option("--quantization", type=click.Choice(QUANTIZATION_CHOICES, case_sensitive=False),
              default="Q8_0", show_default=True,
              help="llama.cpp quantization. Q8_0, the deployment pipeline's default, suits the "
                   "tiny and other small models; Q4_K_M is the usual pick for 7B models.")
@click.option("--device", default="auto", show_default=True,
              help="Where the merge runs: auto, cpu, cuda or mps.")
def convert(lora_path: Path, base_model: str, output_path: Path, quantization: str,
            device: str) -> None:
    """Merge a LoRA adapter into its base model and write one quantized GGUF file."""
    from afs.deployment import convert_lora_to_gguf

    output = convert_lora_to_gguf(lora_path, output_path, base_model,
                                  quantization=quantization.upper(), device=device)
    echo_summary(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB, "
                 f"{quantization.upper()})")


@deploy.command("serve")
@click.argument("model", type=UserPath())
@click.option("--port", type=int, default=8000, show_default=True, help="TCP port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the model to the network).")
@click.option("--n-ctx", type=int, default=None,
              help="Context size, tokens [default: the model's own context (from the GGUF), "
                   "at most 2048].")
@click.option("--threads", type=int, default=None,
              help="CPU threads for llama.cpp [default: llama.cpp's choice].")
@click.option("--alias", default=None,
              help="Model id clients ask for [default: the file name without .gguf].")
@click.option("--gpu-layers", type=int, default=0, show_default=True,
              help="Layers to offload to a GPU (-1: all), when llama.cpp was built with one.")
def serve(model: Path, port: int, host: str, n_ctx: int | None, threads: int | None,
          alias: str | None, gpu_layers: int) -> None:
    """Serve MODEL (a .gguf file) with llama-cpp-python's OpenAI-compatible server until
    Ctrl-C. Clients use http://HOST:PORT/v1, e.g. `afs deploy chat --port PORT "…"`, the
    `openai` package, or LMStudioClient(port=PORT)."""
    from afs.deployment.server import serve_gguf

    def announce() -> None:  # only once the port is held and the model loaded
        click.echo(f"serving {model} as {alias or model.stem} on http://{host}:{port}/v1 "
                   "(Ctrl-C stops)", err=True)

    serve_gguf(model, host=host, port=port, n_ctx=n_ctx, n_threads=threads,
               model_alias=alias, n_gpu_layers=gpu_layers, on_ready=announce)


@deploy.command("chat")
@click.argument("prompt")
@click.option("--url", default=None,
              help="Server root or API root, e.g. http://127.0.0.1:8000 [default: --host/--port].")
@click.option("--port", type=int, default=8000, show_default=True,
              help="Port of the server (used when --url is not given).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Host of the server (used when --url is not given).")
@click.option("--model", default=None, help="Model id [default: the server's first model].")
@click.option("--system", default=None, help="A system message sent before the prompt.")
@click.option("--temperature", type=float, default=0.7, show_default=True,
              help="Sampling temperature: 0 for the most likely answer, higher for variety.")
@click.option("--max-tokens", type=int, default=512, show_default=True,
              help="The longest answer, in tokens.")
@click.option("--no-stream", is_flag=True, help="Print the answer at the end, not as it comes.")
def chat(prompt: str, url: str | None, port: int, host: str, model: str | None,
         system: str | None, temperature: float, max_tokens: int, no_stream: bool) -> None:
    """Send PROMPT to an OpenAI-compatible server (afs deploy serve, LM Studio, llama.cpp,
    Ollama) and print the answer."""
    from afs.deployment.client import LMStudioClient

    client = (LMStudioClient.from_url(url, model=model) if url
              else LMStudioClient(port=port, host=host, model=model))
    answer = client.chat(prompt, temperature=temperature, max_tokens=max_tokens, system=system,
                         stream=not no_stream)
    if isinstance(answer, str):
        click.echo(answer)
        return
    for piece in answer:
        click.echo(piece, nl=False)
    click.echo()
