"""Run a question set through an Assistant and score every answer as it comes."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from rag.errors import NoIndexError, RagError

from .data import Question
from .records import QuestionRecord, QuestionSummary, RunMeta, RunReport
from .scoring import error_record, score_answer, summarize, summarize_by_type
from .support import SupportJudge

if TYPE_CHECKING:
    from rag import Assistant
    from rag.config import Settings

# on_result(done, total, record): called after each question, for progress display.
OnResult = Callable[[int, int, QuestionRecord], None]


def run_settings(settings: "Settings", backend: str | None, judge: str | None, top_k: int | None) -> "Settings":
    """The settings with the run's overrides applied (each already checked by the command line)."""
    update: dict[str, Any] = {}
    if backend:
        update["llm"] = backend
    if judge:
        update["judge"] = judge
    if top_k:
        update["top_k"] = top_k
    return settings.model_copy(update=update)


def make_judge_for(settings: "Settings") -> Any:
    """A fresh judge of the kind the settings name."""
    from rag.judge import make_judge

    embedder = None
    if settings.judge in ("combined", "heuristic"):
        # The heuristic judge's thresholds were set with the local model, whatever embeds the index.
        from rag.embeddings import LocalEmbedder

        embedder = LocalEmbedder()
    return make_judge(settings, embedder)


def open_judge(assistant: "Assistant", settings: "Settings") -> SupportJudge:
    """The assistant's own judge (built from the same settings) when it exposes one; else a new one."""
    judge = getattr(assistant, "judge", None)
    if judge is None or getattr(judge, "name", settings.judge) != settings.judge:
        judge = make_judge_for(settings)
    return SupportJudge(judge, name=settings.judge)


def run_questions(
    assistant: "Assistant",
    questions: Sequence[Question],
    support: SupportJudge,
    *,
    backend: str | None = None,
    top_k: int | None = None,
    on_result: OnResult | None = None,
) -> list[QuestionRecord]:
    """Ask every question, in order; a failed question becomes an error record and the run goes on."""
    records: list[QuestionRecord] = []
    for done, question in enumerate(questions, start=1):
        started = time.perf_counter()
        try:
            answer = assistant.ask(question.question, backend=backend, top_k=top_k)
        except RagError as exc:
            record = error_record(question, str(exc), time.perf_counter() - started)
        else:
            # Latency is the assistant's work only; judging belongs to the evaluation, not the product.
            latency = time.perf_counter() - started
            record = score_answer(question, answer, latency, support, _top_sentences(assistant, question, answer))
        records.append(record)
        if on_result is not None:
            on_result(done, len(questions), record)
    return records


def _top_sentences(assistant: "Assistant", question: Question, answer: Any) -> list[str] | None:
    """The reader's three best sentences of the answer's sources (scores are cached: this costs little)."""
    reader = getattr(assistant, "reader", None) if question.answerable and question.evidence else None
    if reader is None or not answer.sources:
        return None
    try:
        return [r.candidate.text for r in reader.rank(question.question, answer.sources)[:3]]
    except RagError:
        return None


def build_report(
    records: Sequence[QuestionRecord],
    *,
    dataset: str | Path,
    settings: "Settings",
    started: datetime,
    seconds: float,
) -> RunReport:
    models = sorted({r.model for r in records if r.model})
    meta = RunMeta(
        dataset=str(dataset),
        questions=len(records),
        backend=settings.llm,
        model=", ".join(models),
        judge=settings.judge,
        top_k=settings.top_k,
        started=started.isoformat(timespec="seconds"),
        seconds=round(seconds, 3),
        settings=settings.masked(),
    )
    return RunReport(
        meta=meta,
        summary=summarize(records),
        by_type=summarize_by_type(records),
        questions=[
            QuestionSummary(id=r.id, type=r.type, abstained=r.abstained, error=r.error, latency=r.latency, metrics=r.metrics)
            for r in records
        ],
    )


def evaluate(
    settings: "Settings",
    questions: Sequence[Question],
    *,
    dataset: str | Path,
    on_start: Callable[[int], None] | None = None,
    on_result: OnResult | None = None,
    ablate: Sequence[str] = (),
) -> tuple[RunReport, list[QuestionRecord]]:
    """Open an Assistant on ``settings`` (its llm, judge and top_k already set) and run the questions.
    ``ablate`` names reader features to switch off (held at their training mean) for this run."""
    from rag import Assistant

    started_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    assistant = Assistant(settings)
    # An index that is missing or empty would turn every question into the same error: stop here instead.
    status = assistant.status()
    if not status.chunks:
        raise NoIndexError(f"the index in {settings.index_dir} is empty; run `rag ingest` first, then rerun the evaluation")
    support = open_judge(assistant, settings)
    if ablate:
        assistant.reader.disabled = frozenset(ablate)
    if on_start is not None:
        on_start(len(questions))
    records = run_questions(
        assistant, questions, support, backend=settings.llm, top_k=settings.top_k, on_result=on_result
    )
    report = build_report(
        records, dataset=dataset, settings=settings, started=started_at, seconds=time.perf_counter() - started
    )
    return report, records

