"""Training samples from asar codebases laid out like Oracle of Secrets."""

from afs.oracle.training_generator import KINDS, OracleTrainingGenerator

__all__ = ["KINDS", "OracleTrainingGenerator"]
