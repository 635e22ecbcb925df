"""Is a file a whole GGUF model? The magic bytes, then every tensor's data inside the file (a
truncated copy or an interrupted download is caught before llama.cpp reads it)."""

from __future__ import annotations

from pathlib import Path

from afs.errors import ConfigError

GGUF_MAGIC = b"GGUF"


def check_gguf_file(path: str | Path) -> Path:
    """``path`` as a Path, or a ConfigError when it is missing or not a GGUF file."""
    model = Path(path).expanduser()
    if not model.is_file():
        raise ConfigError(f"{model}: no such GGUF file")
    with model.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise ConfigError(f"{model}: not a GGUF file (starts with {magic!r}, expected "
                          f"{GGUF_MAGIC!r}); convert a model with convert_lora_to_gguf")
    problem = gguf_damage(model)
    if problem:
        raise ConfigError(f"{model}: incomplete or damaged GGUF file ({problem}); convert or "
                          "copy it again")
    return model


def gguf_damage(path: Path) -> str | None:
    """What is wrong with a GGUF file's header or tensor layout (a truncated copy, an
    interrupted download), or None when every tensor's data lies inside the file."""
    from gguf import GGUFReader

    try:
        reader = GGUFReader(str(path))
    except Exception as exc:  # noqa: BLE001 - a cut header fails in numpy with many types
        return f"unreadable header: {exc}"
    size = path.stat().st_size
    end = max((int(t.data_offset) + int(t.n_bytes) for t in reader.tensors), default=0)
    if end > size:
        return f"its tensors need {end} bytes, the file has {size}"
    return None
