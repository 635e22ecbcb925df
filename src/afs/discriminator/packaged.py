"""The discriminator shipped with the package (``afs/discriminator/pretrained``), light: no
torch, so that the quality stage can find it before deciding to load it.

It was trained by ``scripts/train_shipped_discriminator.sh`` on permissively licensed public
asar codebases (sources, licenses, commits and figures: ``docs/discriminator.md`` and the
NOTICE file in the folder)."""

from __future__ import annotations

from pathlib import Path

from afs.errors import ConfigError

PACKAGED_DIR = Path(__file__).resolve().parent / "pretrained"


def packaged_model_path() -> Path:
    """The folder of the shipped discriminator (load it with ``ElectraDiscriminator.load``);
    an error that says so when this installation has none."""
    if not (PACKAGED_DIR / "config.json").is_file():
        raise ConfigError(f"{PACKAGED_DIR}: no packaged discriminator in this installation "
                          "(train one with `afs discriminator train`)")
    return PACKAGED_DIR
