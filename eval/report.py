"""Write a run to disk: report.md, report.json, answers.jsonl and two PNG charts."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rag.errors import RagError

from .records import QuestionRecord, RunReport
from .scoring import METRICS

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
ANSWERS_JSONL = "answers.jsonl"
METRICS_CHART = "metrics_by_type.png"
LATENCY_CHART = "latency.png"

# The per-type table and chart: the metrics that say most about each kind of question.
TYPE_COLUMNS = (
    "accuracy", "hit_at_k", "mrr", "coverage", "token_f1", "faithfulness",
    "citation_recall", "citation_precision", "abstention_rate", "latency_p50",
)
CHART_METRICS = ("accuracy", "hit_at_k", "coverage", "faithfulness", "citation_recall", "citation_precision")
LABELS = {
    "hit_at_k": "hit@k",
    "mrr": "MRR",
    "token_f1": "token F1",
    "citation_recall": "citation recall",
    "citation_precision": "citation precision",
    "abstention_rate": "abstention",
    "false_abstention_rate": "false abstention",
    "injection_pass_rate": "injection pass",
    "error_rate": "errors",
    "latency_p50": "latency p50",
    "latency_p95": "latency p95",
}


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def format_value(name: str, value: object) -> str:
    """Seconds for latencies, three decimals for scores, plain integers for counts, '–' when undefined."""
    if value is None:
        return "–"
    if name.startswith("latency"):
        return f"{float(value):.3f}s"  # type: ignore[arg-type]
    if isinstance(value, bool) or isinstance(value, int):
        return str(int(value))
    return f"{float(value):.3f}"  # type: ignore[arg-type]


def worst(records: Sequence[QuestionRecord], n: int = 5) -> list[QuestionRecord]:
    """The n weakest answers: failures and wrong answers first, then by coverage, F1 and citation support."""

    def key(r: QuestionRecord) -> tuple:
        mm = r.metrics
        return (
            r.error is None,
            mm.correct,
            mm.coverage if mm.coverage is not None else 1.0,
            mm.citation_recall if mm.citation_recall is not None else 1.0,
            mm.faithfulness if mm.faithfulness is not None else 1.0,
            mm.token_f1 if mm.token_f1 is not None else 1.0,
        )

    return sorted(records, key=key)[:n]


def _quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in (text or "(empty)").splitlines())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: RunReport, records: Sequence[QuestionRecord], charts: Sequence[str]) -> str:
    meta = report.meta
    lines = [
        "# Evaluation report",
        "",
        f"- dataset: `{meta.dataset}` ({meta.questions} questions)",
        f"- answerer: {meta.backend}" + (f" ({meta.model})" if meta.model else ""),
        f"- judge: {meta.judge}; top_k: {meta.top_k}",
        f"- started {meta.started}, took {meta.seconds:.1f}s",
        "",
        "## Summary",
        "",
        "| metric | value | meaning |",
        "| --- | ---: | --- |",
    ]
    for name, (meaning, higher) in METRICS.items():
        arrow = "↑" if higher else "↓"
        lines.append(f"| {label(name)} {arrow} | {format_value(name, report.summary.get(name))} | {meaning} |")
    counts = ", ".join(
        f"{k.replace('_', ' ')}: {report.summary.get(k)}"
        for k in ("questions", "answered", "abstained", "errors", "faithfulness_excluded", "judge_errors", "judge_unparsed")
    )
    lines += ["", f"Counts — {counts}.", ""]

    lines += ["## By question type", ""]
    lines.append("| type | n | " + " | ".join(label(c) for c in TYPE_COLUMNS) + " |")
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in TYPE_COLUMNS) + " |")
    for kind, summary in report.by_type.items():
        cells = " | ".join(format_value(c, summary.get(c)) for c in TYPE_COLUMNS)
        lines.append(f"| {kind} | {summary.get('questions')} | {cells} |")
    lines.append("")

    if charts:
        lines += ["## Charts", ""]
        lines += [f"![{Path(c).stem.replace('_', ' ')}]({c})" for c in charts]
        lines.append("")

    lines += ["## Worst answers", ""]
    for record in worst(records):
        mm = record.metrics
        verdict = "error" if record.error else ("correct" if mm.correct else "wrong")
        facts = ", ".join(
            f"{label(name)} {format_value(name, getattr(mm, name))}"
            for name in ("coverage", "token_f1", "faithfulness", "citation_recall", "citation_precision")
        )
        lines += [
            f"### {_cell(record.id)} ({record.type}) — {verdict}",
            "",
            f"{facts}; evidence rank {mm.evidence_rank if mm.evidence_rank is not None else '–'}; "
            f"{record.latency:.2f}s" + ("; declined" if record.abstained else ""),
            "",
            f"**Question:** {record.question}",
            "",
            f"**Reference:** {record.reference or '–'}",
            "",
            "**Answer:**",
            "",
            _quote(record.error or record.answer),
            "",
        ]
        unsupported = [s.text for s in record.sentences if s.judged_supported is False]
        if unsupported:
            lines += ["**Sentences its citations do not support:**", ""]
            lines += [f"- {s}" for s in unsupported]
            lines.append("")
        if record.sources:
            lines += ["**Sources shown to the answerer:**", ""]
            for source in record.sources:
                snippet = " ".join(source.text.split())
                snippet = snippet[:300] + ("…" if len(snippet) > 300 else "")
                lines.append(f"{source.number}. `{source.doc_id}` (score {source.score:.3f}) — {snippet}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _nan(value: object) -> float:
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def chart_metrics_by_type(report: RunReport, path: Path) -> None:
    from matplotlib.figure import Figure  # Figure without pyplot: the Agg canvas, no global state

    kinds = list(report.by_type)
    figure = Figure(figsize=(max(6.0, 1.4 * len(kinds) + 2), 4.2), dpi=110)
    axes = figure.subplots()
    width = 0.8 / len(CHART_METRICS)
    for i, name in enumerate(CHART_METRICS):
        values = [_nan(report.by_type[k].get(name)) for k in kinds]
        positions = [j + (i - (len(CHART_METRICS) - 1) / 2) * width for j in range(len(kinds))]
        axes.bar(positions, values, width=width, label=label(name))
    axes.set_xticks(range(len(kinds)))
    axes.set_xticklabels([f"{k}\n(n={report.by_type[k].get('questions')})" for k in kinds], fontsize=8)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("score")
    axes.set_title("Metrics by question type (missing bar: not defined for that type)")
    axes.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)


def chart_latency(records: Sequence[QuestionRecord], report: RunReport, path: Path) -> None:
    from matplotlib.figure import Figure

    latencies = [r.latency for r in records if r.error is None]
    figure = Figure(figsize=(6.4, 3.8), dpi=110)
    axes = figure.subplots()
    if latencies:
        from matplotlib.ticker import MaxNLocator

        axes.hist(latencies, bins=min(30, max(5, len(latencies) // 2)), color="#4C72B0", edgecolor="white")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        for name, style in (("latency_p50", "--"), ("latency_p95", ":")):
            value = report.summary.get(name)
            if value is not None:
                axes.axvline(float(value), color="black", linestyle=style, label=f"{label(name)} {float(value):.3f}s")
        axes.legend(fontsize=8)
    else:
        axes.text(0.5, 0.5, "no answered question", ha="center", va="center", transform=axes.transAxes)
    axes.set_xlabel("seconds per question")
    axes.set_ylabel("questions")
    axes.set_title("Latency distribution")
    figure.tight_layout()
    figure.savefig(path)


def write_run(out_dir: str | Path, report: RunReport, records: Sequence[QuestionRecord]) -> list[Path]:
    """Write every artefact of a run into ``out_dir`` (created if needed); return their paths."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with (out / ANSWERS_JSONL).open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(record.model_dump_json() + "\n")
        (out / REPORT_JSON).write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
        charts: list[str] = []
        if records:
            chart_metrics_by_type(report, out / METRICS_CHART)
            chart_latency(records, report, out / LATENCY_CHART)
            charts = [METRICS_CHART, LATENCY_CHART]
        (out / REPORT_MD).write_text(render_markdown(report, records, charts), encoding="utf-8")
    except OSError as exc:
        raise RagError(f"cannot write the report to {out}: {exc.strerror or exc}; choose another --out folder") from None
    return [out / name for name in (REPORT_MD, REPORT_JSON, ANSWERS_JSONL, *charts)]
