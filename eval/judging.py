"""How well a support judge agrees with hand-labelled claims."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from . import metrics as m
from .data import LabelledClaim
from .support import failure_verdict, verdict_failed, verdict_unparsed


@dataclass(frozen=True)
class Prediction:
    id: str
    kind: str
    gold: bool
    supported: bool
    score: float
    reason: str

    def as_line(self) -> dict[str, object]:
        """One line of predictions.jsonl."""
        return {"id": self.id, "score": self.score, "supported": self.supported, "reason": self.reason}


@dataclass(frozen=True)
class JudgeEvaluation:
    judge: str
    predictions: list[Prediction]
    seconds: float

    def summary(self) -> dict[str, Any]:
        gold = [p.gold for p in self.predictions]
        predicted = [p.supported for p in self.predictions]
        scores = m.binary_label_scores(gold, predicted)
        per_kind: dict[str, list[Prediction]] = defaultdict(list)
        for p in self.predictions:
            per_kind[p.kind].append(p)
        interval = m.balanced_accuracy_interval(gold, predicted)
        return {
            "judge": self.judge,
            "claims": len(self.predictions),
            "balanced_accuracy": scores["balanced_accuracy"],
            "balanced_accuracy_ci95": list(interval) if interval else None,
            "accuracy": scores["accuracy"],
            "per_label": {
                name: {"precision": s.precision, "recall": s.recall, "support": s.support}
                for name, s in scores["per_label"].items()  # type: ignore[union-attr]
            },
            "per_kind": {
                kind: {"claims": len(items), "label": _label_of(items),
                       "accuracy": m.rate(p.gold == p.supported for p in items),
                       "accuracy_ci95": list(m.wilson_interval(sum(p.gold == p.supported for p in items), len(items)) or [])}
                for kind, items in sorted(per_kind.items())
            },
            "errors": sum(p.reason.lower().startswith("error") for p in self.predictions),
            "unparsed": sum(p.reason.lower().startswith("unparsed") for p in self.predictions),
            "seconds": round(self.seconds, 3),
            "claims_per_second": round(len(self.predictions) / self.seconds, 1) if self.seconds > 0 else None,
        }


def _label_of(items: Sequence[Prediction]) -> str:
    labels = {p.gold for p in items}
    return "mixed" if len(labels) > 1 else ("supported" if labels == {True} else "unsupported")


def compare(evaluations: Sequence[JudgeEvaluation]) -> list[dict[str, Any]]:
    """Agreement between each pair of judges on the same claims."""
    out = []
    for i, a in enumerate(evaluations):
        for b in evaluations[i + 1 :]:
            scores = m.agreement([p.supported for p in a.predictions], [p.supported for p in b.predictions])
            out.append({"judges": [a.judge, b.judge], **scores})
    return out


def judge_claims(
    judge: Any,
    claims: Sequence[LabelledClaim],
    *,
    name: str = "",
    batch_size: int = 16,
    on_progress: Callable[[int, int], None] | None = None,
) -> JudgeEvaluation:
    """Run the judge over every labelled claim (in batches, so progress can be shown)."""
    started = time.perf_counter()
    predictions: list[Prediction] = []
    for start in range(0, len(claims), batch_size):
        batch = claims[start : start + batch_size]
        try:
            verdicts = list(judge.judge_many([(c.claim, c.passages) for c in batch]))
        except Exception as exc:  # noqa: BLE001 - a judge that raises is reported per item, the run completes
            verdicts = [failure_verdict(exc)] * len(batch)
        for claim, verdict in zip(batch, verdicts):
            reason = str(getattr(verdict, "reason", ""))
            failed = verdict_failed(verdict) or verdict_unparsed(verdict)
            predictions.append(
                Prediction(
                    id=claim.id,
                    kind=claim.kind,
                    gold=claim.supported,
                    supported=bool(verdict.supported) and not failed,
                    score=float(getattr(verdict, "score", 0.0) or 0.0),
                    reason=reason,
                )
            )
        if on_progress is not None:
            on_progress(len(predictions), len(claims))
    return JudgeEvaluation(judge=name or type(judge).__name__, predictions=predictions, seconds=time.perf_counter() - started)
