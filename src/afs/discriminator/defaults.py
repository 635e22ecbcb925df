"""The discriminator's defaults, light (no torch) so that `afs discriminator --help` shows them
without loading the model code."""

from __future__ import annotations

DEFAULT_EPOCHS = 20       # the most: training stops earlier on validation ROC AUC
DEFAULT_PATIENCE = 3      # epochs without a better validation ROC AUC before stopping
DEFAULT_BATCH_SIZE = 64
DEFAULT_LEARNING_RATE = 2e-3
DEFAULT_LAYERS = 2
DEFAULT_HIDDEN = 128
DEFAULT_MAX_LENGTH = 512  # tokens per scored text
