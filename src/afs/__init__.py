"""AFS: turn a 65816 assembly codebase and its context into a fine-tuned model."""

__version__ = "0.1.0"
