"""``rag eval``: measure the assistant and its support judge on labelled data sets.

Only click is imported here at module level so that ``rag --help`` stays instant; everything else is
imported by the command that needs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import click

from rag.backends import backend_names

if TYPE_CHECKING:
    from rag import Settings

F = TypeVar("F", bound=Callable[..., Any])

JUDGES = ("combined", "heuristic", "llm")
BACKENDS = backend_names()


def _settings(ctx: click.Context) -> "Settings":
    """The lead's Settings from the context object when there is one; else defaults plus environment."""
    obj = ctx.obj
    settings = obj.get("settings") if isinstance(obj, dict) else getattr(obj, "settings", None)
    if settings is not None:
        return settings
    from pydantic import ValidationError

    from rag.config import Settings

    # `rag --corpus … --index … eval …`: the front door's options come down as overrides.
    overrides = obj.get("overrides", {}) if isinstance(obj, dict) else {}
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "RAG_" + "_".join(str(p) for p in first["loc"]).upper()
        raise click.ClickException(f"bad setting {name}: {first['msg']}; fix the environment or .env") from None


def _rag_errors(function: F) -> F:
    """Show a RagError as one line and exit 1, never a traceback."""
    import functools

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from rag.errors import RagError

        try:
            return function(*args, **kwargs)
        except RagError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def _console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped into a file or a CI log, rich would squeeze the tables into 80 columns and cut the numbers to '0.8…'.
    width = None if stream.isatty() else 160
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


def _progress(console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
        transient=False,
    )


@click.group(name="eval")
def eval_group() -> None:
    """Measure retrieval, answers, citations and the support judge on labelled data sets.

    \b
    rag eval run --dataset eval/datasets/dev.jsonl --out runs/today
    rag eval diff runs/yesterday runs/today
    rag eval judge --labels eval/datasets/claims_dev.jsonl
    """


# ------------------------------------------------------------------------------------------ judge


@eval_group.command("judge")
@click.option("--labels", "labels_paths", required=True, multiple=True, type=click.Path(path_type=Path),
              help="Labelled claims (JSON Lines: id, context, claim, label supported|unsupported, kind); repeatable: "
                   "each set is reported on its own.")
@click.option("--judge", "judge_names", type=click.Choice(JUDGES), multiple=True,
              help="Judge to measure; repeatable: several judges are compared (agreement, Cohen's kappa). "
                   "Default: RAG_JUDGE (combined).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write one prediction per line: {id, score, supported, reason} (one set, one judge).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON instead of tables.")
@click.pass_context
@_rag_errors
def judge_command(ctx: click.Context, labels_paths: tuple[Path, ...], judge_names: tuple[str, ...],
                  out_path: Path | None, as_json: bool) -> None:
    """How well the support judge agrees with labelled claims.

    Prints balanced accuracy with its 95% confidence interval (bootstrap), precision and recall per label,
    accuracy per kind of claim (with a Wilson interval) and claims per second; with several judges, how often
    they agree. Endpoint failures of the llm judge are counted ("errors", "unparsed") and scored as
    "unsupported"; the run always completes.
    """
    from .data import load_claims
    from .judging import compare, judge_claims
    from .runner import make_judge_for

    if out_path is not None and (len(labels_paths) > 1 or len(judge_names) > 1):
        raise click.UsageError("--out writes the predictions of one judge on one set: give one --labels and one --judge")
    sets = [(path, load_claims(path)) for path in labels_paths]  # every file validated before anything slow happens
    base = _settings(ctx)
    names = judge_names or (base.judge,)
    judges = {name: make_judge_for(base.model_copy(update={"judge": name})) for name in names}

    console = _console(stderr=True)
    results = []
    for path, claims in sets:
        evaluations = []
        with _progress(console) as progress:
            for name, judge in judges.items():
                task = progress.add_task(f"judging {path.name} ({name})", total=len(claims), note="")
                evaluations.append(judge_claims(
                    judge, claims, name=name, on_progress=lambda done, total, t=task: progress.update(t, completed=done)
                ))
        summaries = [e.summary() | {"labels": str(path)} for e in evaluations]
        results.append((path, evaluations, summaries, compare(evaluations)))

    if out_path is not None:
        try:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            with out_path.open("w", encoding="utf-8") as handle:
                for prediction in results[0][1][0].predictions:
                    handle.write(json.dumps(prediction.as_line(), ensure_ascii=False) + "\n")
        except OSError as exc:
            raise click.ClickException(f"cannot write {out_path}: {exc.strerror or exc}; choose another --out file") from None

    if as_json:
        if len(results) == 1 and len(names) == 1:
            click.echo(json.dumps(results[0][2][0], indent=2))
        else:
            click.echo(json.dumps([{"labels": str(path), "judges": summaries, "agreement": agreement}
                                   for path, _, summaries, agreement in results], indent=2))
        return
    for path, _, summaries, agreement in results:
        for summary in summaries:
            _print_judge_summary(summary, out_path)
        for row in agreement:
            _console().print(f"agreement {row['judges'][0]} / {row['judges'][1]} on {path.name}: "
                             f"{_fmt(row['agreement'])} (Cohen's kappa {_fmt(row['kappa'])})")


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _interval(bounds: Any) -> str:
    return f"[{bounds[0]:.3f}, {bounds[1]:.3f}]" if bounds else "–"


def _print_judge_summary(summary: dict[str, Any], out_path: Path | None) -> None:
    from rich.table import Table

    console = _console()
    console.print(
        f"[bold]{summary['judge']}[/] judge on {summary['claims']} claims from {summary['labels']}: "
        f"balanced accuracy [bold]{_fmt(summary['balanced_accuracy'])}[/] {_interval(summary['balanced_accuracy_ci95'])}, "
        f"accuracy {_fmt(summary['accuracy'])} ({summary['seconds']:.1f}s, {_fmt(summary['claims_per_second'])} claims/s)"
    )
    labels = Table(title="per label")
    for column in ("label", "precision", "recall", "claims"):
        labels.add_column(column, justify="left" if column == "label" else "right")
    for name, s in summary["per_label"].items():
        labels.add_row(name, _fmt(s["precision"]), _fmt(s["recall"]), str(s["support"]))
    console.print(labels)
    kinds = Table(title="per kind")
    for column in ("kind", "label", "claims", "accuracy", "95% interval"):
        kinds.add_column(column, justify="left" if column in ("kind", "label") else "right")
    for name, s in summary["per_kind"].items():
        kinds.add_row(name, s["label"], str(s["claims"]), _fmt(s["accuracy"]), _interval(s["accuracy_ci95"]))
    console.print(kinds)
    if summary["errors"] or summary["unparsed"]:
        console.print(
            f"[yellow]{summary['errors']} verdicts failed (endpoint error) and {summary['unparsed']} could not be "
            "parsed; they count as 'unsupported'.[/]"
        )
    if out_path is not None:
        console.print(f"predictions: {out_path}")


# -------------------------------------------------------------------------------------------- run


def _parse_bounds(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, float]:
    """'metric=value' pairs; an unknown metric is a usage error (exit 2) that lists the valid names."""
    from .scoring import METRICS

    bounds: dict[str, float] = {}
    for value in values:
        name, sep, number = value.partition("=")
        name = name.strip()
        if not sep:
            raise click.BadParameter(f"{value!r} is not metric=value, e.g. accuracy=0.8", ctx=ctx, param=param)
        if name not in METRICS:
            raise click.BadParameter(
                f"unknown metric {name!r}; valid metrics: {', '.join(METRICS)}", ctx=ctx, param=param
            )
        try:
            bounds[name] = float(number)
        except ValueError:
            raise click.BadParameter(f"{number!r} is not a number (in {value!r})", ctx=ctx, param=param) from None
    return bounds


def _check_features(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    from rag.reader.features import FEATURES

    if "list" in values:
        click.echo("\n".join(FEATURES))
        ctx.exit(0)
    unknown = [v for v in values if v not in FEATURES]
    if unknown:
        raise click.BadParameter(f"unknown reader feature {unknown[0]!r}; valid: {', '.join(FEATURES)}", ctx=ctx, param=param)
    return values


def _metric_help() -> str:
    return (
        "Fail (exit 1) when METRIC is below VALUE; repeatable. Metrics: hit_at_k, mrr, coverage, evidence_top3, token_f1, accuracy, "
        "faithfulness, citation_recall, citation_precision, abstention_rate, false_abstention_rate, "
        "injection_pass_rate, error_rate, latency_p50, latency_p95."
    )


@eval_group.command("run")
@click.option("--dataset", "dataset_path", required=True, type=click.Path(path_type=Path),
              help="Questions (JSON Lines: id, type, question, reference, must_include, evidence).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for report.md, report.json, answers.jsonl and the charts (created if needed).")
@click.option("--backend", type=click.Choice(BACKENDS), default=None, help="Answerer. Default: RAG_LLM (extractive).")
@click.option("--judge", "judge_name", type=click.Choice(JUDGES), default=None,
              help="Support judge for faithfulness and citations. Default: RAG_JUDGE (combined).")
@click.option("--top-k", type=click.IntRange(1, 50), default=None, help="Passages shown to the answerer. Default: RAG_TOP_K.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N questions (for a quick look).")
@click.option("--ablate", multiple=True, metavar="FEATURE", callback=_check_features,
              help="Switch a reader feature off (held at its training mean) to see what carries the ranking; repeatable. "
                   "'--ablate list' prints the features.")
@click.option("--fail-under", "fail_under", multiple=True, metavar="METRIC=VALUE", callback=_parse_bounds,
              help=_metric_help())
@click.option("--fail-over", "fail_over", multiple=True, metavar="METRIC=VALUE", callback=_parse_bounds,
              help="Fail (exit 1) when METRIC is above VALUE (for error_rate, false_abstention_rate, latencies); repeatable.")
@click.pass_context
@_rag_errors
def run_command(
    ctx: click.Context,
    dataset_path: Path,
    out_dir: Path,
    backend: str | None,
    judge_name: str | None,
    top_k: int | None,
    limit: int | None,
    ablate: tuple[str, ...],
    fail_under: dict[str, float],
    fail_over: dict[str, float],
) -> None:
    """Answer every question of a data set and score the answers.

    Scores retrieval (hit@k, MRR), answers (must_include coverage, token F1, accuracy), faithfulness,
    ALCE citation recall and precision, abstention, resistance to injected instructions and latency,
    overall and per question type. Uses the existing index: run `rag ingest` first.
    """
    from .data import load_questions
    from .report import write_run
    from .runner import evaluate, run_settings

    questions = load_questions(dataset_path)  # a bad line fails here, before the index is opened
    if limit:
        questions = questions[:limit]
    settings = run_settings(_settings(ctx), backend, judge_name, top_k)

    err = _console(stderr=True)
    err.print(f"evaluating {len(questions)} questions from {dataset_path} "
              f"(answerer {settings.llm}, judge {settings.judge}, top_k {settings.top_k})")
    with _progress(err) as progress:
        task = progress.add_task("loading", total=len(questions), note="")

        def on_start(total: int) -> None:
            progress.update(task, description="answering")

        def on_result(done: int, total: int, record: Any) -> None:
            state = "error" if record.error else ("ok" if record.metrics.correct else "wrong")
            progress.update(task, completed=done, note=f"{record.id}: {state}")

        report, records = evaluate(settings, questions, dataset=dataset_path, on_start=on_start, on_result=on_result,
                                   ablate=ablate)
    written = write_run(out_dir, report, records)

    _print_run_summary(report)
    click.echo("wrote " + ", ".join(str(p) for p in written))

    missed = _missed_bounds(report.summary, fail_under, fail_over)
    for line in missed:
        click.echo(f"FAIL {line}", err=True)
    if missed:
        ctx.exit(1)


def _missed_bounds(summary: dict[str, Any], under: dict[str, float], over: dict[str, float]) -> list[str]:
    """One line per bound the run misses; a metric that could not be measured misses its bound."""
    missed = []
    for name, bound in under.items():
        value = summary.get(name)
        if value is None:
            missed.append(f"{name} was not measured (no question of that kind), required >= {bound:g}")
        elif value < bound:
            missed.append(f"{name} = {value:.4f} is under the bound {bound:g}")
    for name, bound in over.items():
        value = summary.get(name)
        if value is None:
            missed.append(f"{name} was not measured (no question of that kind), required <= {bound:g}")
        elif value > bound:
            missed.append(f"{name} = {value:.4f} is over the bound {bound:g}")
    return missed


def _print_run_summary(report: Any) -> None:
    from rich.table import Table

    from .report import TYPE_COLUMNS, format_value, label
    from .scoring import METRICS

    console = _console()
    table = Table(title=f"{report.meta.questions} questions, {report.meta.backend} answerer, {report.meta.judge} judge")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, (_, higher) in METRICS.items():
        table.add_row(f"{label(name)} {'↑' if higher else '↓'}", format_value(name, report.summary.get(name)))
    console.print(table)

    by_type = Table(title="by question type")
    by_type.add_column("type")
    by_type.add_column("n", justify="right")
    for column in TYPE_COLUMNS:
        by_type.add_column(label(column), justify="right")
    for kind, summary in report.by_type.items():
        by_type.add_row(kind, str(summary.get("questions")), *(format_value(c, summary.get(c)) for c in TYPE_COLUMNS))
    console.print(by_type)


# ------------------------------------------------------------------------------------------- diff


@eval_group.command("diff")
@click.argument("before", type=click.Path(path_type=Path))
@click.argument("after", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@_rag_errors
def diff_command(before: Path, after: Path, as_json: bool) -> None:
    """Compare two runs (their --out folders or report.json files).

    Shows each metric before and after with the change, then the questions that got better or
    worse (a question's correctness decides; otherwise the net change of its scores).
    """
    from .diff import diff_reports, load_report

    result = diff_reports(load_report(before), load_report(after))
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    _print_diff(result, before, after)


def _print_diff(result: Any, before: Path, after: Path) -> None:
    from rich.table import Table

    from .report import format_value, label

    console = _console()
    styles = {"better": "green", "worse": "red", "same": "dim", "n/a": "dim"}
    table = Table(title=f"{before} → {after}")
    for column in ("metric", "before", "after", "delta", ""):
        table.add_column(column, justify="left" if column in ("metric", "") else "right")
    for change in result.metrics:
        delta = change.delta
        delta_text = "–" if delta is None else (f"{delta:+.3f}s" if change.name.startswith("latency") else f"{delta:+.3f}")
        style = styles[change.verdict]
        table.add_row(
            label(change.name),
            format_value(change.name, change.before),
            format_value(change.name, change.after),
            f"[{style}]{delta_text}[/]",
            f"[{style}]{change.verdict}[/]",
        )
    console.print(table)

    if result.questions:
        questions = Table(title=f"questions: {len(result.better)} better, {len(result.worse)} worse")
        for column in ("question", "type", "", "correct", "changes"):
            questions.add_column(column)
        for q in result.questions:
            changes = ", ".join(
                f"{label(k)} {_fmt(b)}→{_fmt(a)}" for k, (b, a) in q.changes.items() if k not in ("correct",)
            )
            style = styles.get(q.verdict, "yellow")
            questions.add_row(
                q.id, q.type, f"[{style}]{q.verdict}[/]", f"{_yes(q.correct_before)}→{_yes(q.correct_after)}", changes
            )
        console.print(questions)
    else:
        console.print("no question changed")
    if result.only_before:
        console.print(f"only in {before}: {', '.join(result.only_before)}")
    if result.only_after:
        console.print(f"only in {after}: {', '.join(result.only_after)}")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def main() -> None:  # pragma: no cover - for `python -m eval.cli`
    eval_group(prog_name="rag eval")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
