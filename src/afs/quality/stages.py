"""Scoring through the executor seam (``afs.executors``): each stage builds its scorer once per
worker, local or on Ray, and scores the batches the seam cuts (both executors cut the same
batches, so give the same scores)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from afs.errors import ConfigError
from afs.executors import ExecutorConfig, map_frame
from afs.executors.batches import BatchRunner, numbered, restore
from afs.quality.config import ScoringConfig
from afs.quality.frame import score_frame, scorer_from_parameters
from afs.quality.scorer import QualityScore, QualityScorer, discriminator_model_dir


class OutputScoring:
    """A stage for ``afs.executors.map_frame``: per worker, a ``QualityScorer`` (the ELECTRA
    model loaded once) turning a batch's ``output`` column into a ``quality`` column (the
    JSON of each ``QualityScore.to_dict()``). ``config`` None: each row is judged by the
    profile of its ``domain`` column (``ProfileChoice``), as the pipeline judges it."""

    def __init__(self, config: ScoringConfig | None, model_path: str | Path | None = None,
                 device: str = "auto", batch_size: int = 32):
        # resolved and checked here, where the command runs: a Ray worker has another
        # environment, and a wrong path should fail before any work
        self.config, self.model_path = config, discriminator_model_dir(model_path)
        self.device, self.batch_size = device, batch_size

    def __call__(self):
        import orjson
        import pandas as pd

        scorer = QualityScorer(self.config, device=self.device, batch_size=self.batch_size,
                               model_path=self.model_path)

        def score(batch: pd.DataFrame) -> pd.DataFrame:
            domains = batch["domain"].tolist() if "domain" in batch else None
            scores = scorer.score_outputs(batch["output"].tolist(), domains)
            return pd.DataFrame({"quality": [orjson.dumps(s.to_dict()).decode() for s in scores]},
                                index=batch.index)

        return score


class ExecutorScorer:
    """``score_outputs`` through an executor: what ``score_jsonl(scorer=...)`` needs, with
    the scoring done by ``OutputScoring`` on ``executor``'s workers (the local executor keeps
    one in-process scorer for every call). Both executors cut the same batches, so give the
    same scores."""

    def __init__(self, stage: OutputScoring, executor: Any = None):
        self.stage = stage
        self.executor = ExecutorConfig.from_params(executor)
        if stage.model_path is not None and not Path(stage.model_path).expanduser().is_dir():
            raise ConfigError(f"{stage.model_path}: no discriminator model directory")
        self._local: Any = None

    def score_outputs(self, outputs: Sequence[str],
                      domains: Sequence[Any] | None = None) -> list[QualityScore]:
        import orjson
        import pandas as pd

        frame = pd.DataFrame({"output": ["" if t is None else str(t) for t in outputs]})
        if domains is not None:
            frame["domain"] = [None if d is None else str(d) for d in domains]
        if self.executor.is_ray or self.executor.work_dir:
            scored = map_frame(frame, self.stage, self.executor, stage="quality_scoring")
        else:
            self._local = self._local or BatchRunner(self.stage)
            scored = restore(self._local(numbered(frame, self.executor.batch_size)), frame)
        return [QualityScore.from_dict(orjson.loads(text)) for text in scored["quality"]]


class DomainScoring:
    """A stage for ``afs.executors.map_frame``: per worker, one scorer of the quality
    parameters (one ELECTRA model, one address database), scoring each row of a batch by
    its domain's profile as ``afs.quality.frame.score_frame_by_domain`` does."""

    def __init__(self, quality: dict[str, Any]):
        self.quality = {key: value for key, value in quality.items() if key != "executor"}

    def __call__(self):
        scorer = scorer_from_parameters(self.quality)
        return lambda batch: score_frame(batch, scorer)


def score_frame_on(frame: Any, quality: dict[str, Any], executor: Any = None, *,
                   output_dir: str | Path | None = None) -> Any:
    """``score_frame_by_domain`` through the executor seam: ``executor`` (an
    ``ExecutorConfig``, its dict, ``"local"``/``"ray"``; default: the parameters'
    ``executor`` block, else local) runs ``DomainScoring`` over the seam's batches.
    ``output_dir`` keeps the shards so that a re-run resumes."""
    import orjson

    executor = executor if executor is not None else quality.get("executor")
    stage = DomainScoring(quality)
    fingerprint = orjson.dumps(stage.quality, option=orjson.OPT_SORT_KEYS, default=str).decode()
    return map_frame(frame, stage, executor, output_dir=output_dir, stage="quality_scoring",
                     fingerprint=fingerprint)
