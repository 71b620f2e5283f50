"""Compare two runs: per-metric before/after/delta, and which questions got better or worse."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from rag.errors import RagError

from .records import QuestionMetrics, QuestionSummary, RunReport
from .report import REPORT_JSON
from .scoring import METRICS

# Per-question numbers compared between runs (all higher-is-better).
QUESTION_FIELDS = ("hit", "reciprocal_rank", "coverage", "token_f1", "faithfulness", "citation_recall", "citation_precision")
_EPSILON = 1e-9


class ReportError(RagError):
    """A run directory or report.json that cannot be read."""


def load_report(path: str | Path) -> RunReport:
    """A run's report from its directory or from the report.json itself."""
    path = Path(path)
    file = path / REPORT_JSON if path.is_dir() else path
    try:
        return RunReport.model_validate_json(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{file}: not found; give a folder written by `rag eval run --out` or its report.json") from None
    except OSError as exc:
        raise ReportError(f"{file}: cannot read it ({exc.strerror or exc})") from None
    except ValidationError as exc:
        raise ReportError(f"{file}: not a report written by `rag eval run` ({exc.error_count()} problems)") from None


@dataclass(frozen=True)
class MetricChange:
    name: str
    before: float | None
    after: float | None
    higher_is_better: bool

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'same' (or 'n/a' when either side is undefined)."""
        delta = self.delta
        if delta is None:
            return "n/a"
        if abs(delta) <= _EPSILON:
            return "same"
        return "better" if (delta > 0) == self.higher_is_better else "worse"


@dataclass(frozen=True)
class QuestionChange:
    id: str
    type: str
    verdict: str  # 'better' | 'worse' | 'mixed'
    correct_before: bool
    correct_after: bool
    changes: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunDiff:
    metrics: list[MetricChange]
    questions: list[QuestionChange]
    only_before: list[str]
    only_after: list[str]

    @property
    def better(self) -> list[QuestionChange]:
        return [q for q in self.questions if q.verdict == "better"]

    @property
    def worse(self) -> list[QuestionChange]:
        return [q for q in self.questions if q.verdict == "worse"]

    def as_dict(self) -> dict[str, object]:
        return {
            "metrics": [
                {"name": c.name, "before": c.before, "after": c.after, "delta": c.delta, "verdict": c.verdict}
                for c in self.metrics
            ],
            "questions": [
                {
                    "id": q.id, "type": q.type, "verdict": q.verdict,
                    "correct_before": q.correct_before, "correct_after": q.correct_after,
                    "changes": {k: {"before": b, "after": a} for k, (b, a) in q.changes.items()},
                }
                for q in self.questions
            ],
            "only_before": self.only_before,
            "only_after": self.only_after,
        }


def _question_change(before: QuestionSummary, after: QuestionSummary) -> QuestionChange | None:
    """How one question moved; None when nothing moved."""
    a: QuestionMetrics = before.metrics
    b: QuestionMetrics = after.metrics
    changes: dict[str, tuple[float | None, float | None]] = {}
    score = 0.0
    for name in QUESTION_FIELDS:
        old, new = getattr(a, name), getattr(b, name)
        if old == new or (old is not None and new is not None and abs(new - old) <= _EPSILON):
            continue
        changes[name] = (old, new)
        score += (new or 0.0) - (old or 0.0)
    if a.correct != b.correct:
        changes["correct"] = (float(a.correct), float(b.correct))
    if before.abstained != after.abstained:
        changes["abstained"] = (float(before.abstained), float(after.abstained))
    if not changes:
        return None
    # Correctness decides; when it did not move, the net change of the scores does.
    if a.correct != b.correct:
        verdict = "better" if b.correct else "worse"
    elif score > _EPSILON:
        verdict = "better"
    elif score < -_EPSILON:
        verdict = "worse"
    else:
        verdict = "mixed"
    return QuestionChange(after.id, after.type, verdict, a.correct, b.correct, changes)


def diff_reports(before: RunReport, after: RunReport) -> RunDiff:
    metrics = [
        MetricChange(name, before.summary.get(name), after.summary.get(name), higher)  # type: ignore[arg-type]
        for name, (_, higher) in METRICS.items()
    ]
    old = {q.id: q for q in before.questions}
    new = {q.id: q for q in after.questions}
    changes = [c for qid in new if qid in old and (c := _question_change(old[qid], new[qid])) is not None]
    order = {"worse": 0, "mixed": 1, "better": 2}
    changes.sort(key=lambda c: (order[c.verdict], c.id))
    return RunDiff(
        metrics=metrics,
        questions=changes,
        only_before=[q for q in old if q not in new],
        only_after=[q for q in new if q not in old],
    )
