"""The `rag` command: the one front door. Library work is in rag; `chat` opens tui, `eval` runs eval.

Imports stay light here so that `rag --help` is instant; each command loads what it needs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .backends import backend_names

if TYPE_CHECKING:
    from .config import Settings


def _settings(ctx: click.Context, **overrides) -> "Settings":
    from pydantic import ValidationError

    from .config import Settings
    from .errors import ConfigError

    # An option left unset on the command must not hide the same option given to the group (`rag --corpus X ingest`).
    given = {k: v for k, v in overrides.items() if v is not None}
    values = {k: v for k, v in {**ctx.obj.get("overrides", {}), **given}.items() if v is not None}
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        field = ".".join(str(p) for p in first["loc"])
        if not field:  # a rule across fields, e.g. chunk_overlap < chunk_size
            raise ConfigError(f"bad settings: {message} (check your RAG_* variables and .env)") from None
        raise ConfigError(f"bad setting {field}: {message} (check RAG_{field.upper()} and .env)") from None


class _Group(click.Group):
    """Turns library errors into one line on stderr and an exit code; no tracebacks for bad input."""

    def invoke(self, ctx: click.Context):
        from .errors import RagError

        try:
            return super().invoke(ctx)
        except RagError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:  # `rag ask ... | head`: the reader has gone, nothing to say
            sys.stderr.close()
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # usage errors and --help: click reports them itself
        except Exception as exc:  # a bug or an environment problem we did not foresee: still one line
            if os.environ.get("RAG_DEBUG"):
                raise
            detail = " ".join(str(exc).split())[:300] or "no details"
            _fail(f"unexpected {exc.__class__.__name__}: {detail} (set RAG_DEBUG=1 to see the traceback, "
                  "and please report it)")


def _fail(message: str) -> None:
    click.secho(f"error: {' '.join(message.split())}", fg="red", err=True)
    sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder (RAG_CORPUS_DIR; default ./corpus).")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder (RAG_INDEX_DIR; default ./.rag).")
@click.version_option(package_name="rag-assistant")
@click.pass_context
def cli(ctx: click.Context, corpus_dir: Path | None, index_dir: Path | None) -> None:
    """Ask questions of your own documents and get answers with verified citations, offline.

    \b
    Quick start:
      rag ingest                 index ./corpus into ./.rag
      rag ask "your question"    answer with [n] citations and the sources
      rag chat                   the terminal chat UI
      rag eval run --dataset eval/datasets/dev.jsonl --out runs/dev

    Settings come from options, then RAG_* environment variables, then .env (see `rag config`).
    """
    ctx.ensure_object(dict)
    ctx.obj["overrides"] = {"corpus_dir": corpus_dir, "index_dir": index_dir}


@cli.command()
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder to index.")
@click.option("--rebuild", is_flag=True, help="Drop the index and build it again from scratch.")
@click.option("--watch", is_flag=True, help="Then follow the corpus folder and re-ingest what changes, until Ctrl+C.")
@click.pass_context
def ingest(ctx: click.Context, corpus_dir: Path | None, rebuild: bool, watch: bool) -> None:
    """Index the corpus; only new or changed documents are embedded."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .assistant import Assistant

    settings = _settings(ctx, corpus_dir=corpus_dir)
    if watch:
        if rebuild:
            raise click.UsageError("--watch does not rebuild: run `rag ingest --rebuild` first, then --watch")
        _watch(Assistant(settings))
        return
    err = Console(stderr=True)
    assistant = Assistant(settings)
    if not err.is_terminal:
        # Piped or logged: no progress display (it would leave stray blank lines) and each warning on one
        # line, however long, so that a log can be read and grepped line by line.
        def note(message: str) -> None:
            click.echo(f"warning: {' '.join(message.split())}", err=True)

        report = assistant.ingest(rebuild=rebuild, warn=note)
        click.echo(f"ingested {settings.corpus_dir}: {report.summary()}")
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        # The model loads inside ingest, after the quick checks (lock, corpus folder), under this display.
        task = bar.add_task("reading the corpus", total=None)

        def progress(done: int, total: int, message: str) -> None:
            bar.update(task, completed=done, total=total or None, description=message)

        def warn(message: str) -> None:
            # A file name is not markup: '[draft] notes.txt' must not lose its '[draft]'.
            bar.console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)

        report = assistant.ingest(progress, rebuild=rebuild, warn=warn)
    click.echo(f"ingested {settings.corpus_dir}: {report.summary()}")


def _watch(assistant) -> None:
    """`rag ingest --watch`: a line per changed file on stdout, everything else on stderr; Ctrl+C ends it (exit 0)."""
    try:
        assistant.watch(lambda change: click.echo(change.line()), on_notice=lambda line: click.echo(line, err=True))
    except KeyboardInterrupt:
        # An ingest cut short is crash-safe: the next one completes it.
        click.echo("stopped watching", err=True)


@cli.command()
@click.argument("question", nargs=-1, required=True)
@click.option("--backend", type=click.Choice(backend_names()), help="Answerer (default: RAG_LLM, extractive).")
@click.option("--top-k", type=click.IntRange(1, 50), help="Passages shown to the answerer.")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON (citations with their file lines).")
@click.option("--open", "open_number", type=click.IntRange(1), metavar="N",
              help="Then open source [N] in $VISUAL/$EDITOR/$PAGER at the cited line (or print the passage).")
@click.pass_context
def ask(ctx: click.Context, question: tuple[str, ...], backend: str | None, top_k: int | None, as_json: bool,
        open_number: int | None) -> None:
    """Answer QUESTION from the corpus, with [n] citations and the cited sentences."""
    from .assistant import Assistant
    from .models import Answer, TextDelta
    from .sources import Locator

    if as_json and open_number is not None:
        raise click.UsageError("--open cannot be combined with --json")
    settings = _settings(ctx)
    assistant = Assistant(settings)
    text = " ".join(question)
    live = sys.stdout.isatty() and not as_json
    answer: Answer | None = None
    for event in assistant.stream(text, backend=backend, top_k=top_k):
        if isinstance(event, TextDelta):
            if live:
                click.echo(event.text, nl=False)
        else:
            answer = event
    assert answer is not None
    locator = Locator.for_settings(settings)
    if as_json:
        from .sources import answer_json

        click.echo(json.dumps(answer_json(answer, locator), indent=2, ensure_ascii=False))
        return
    if live:
        click.echo("\n")
    else:
        click.echo(answer.text + "\n")
    _print_sources(answer, locator)
    if open_number is not None:
        _open_source(answer, open_number, locator)


def _open_source(answer, number: int, locator) -> None:
    """`rag ask --open N`: the editor at the cited line, else the passage printed with its line numbers."""
    from .sources import EditorError, editor_command, format_excerpt, open_in_editor

    cited = {c.number: c for c in answer.citations}
    if number not in cited:
        have = ", ".join(f"[{n}]" for n in cited)
        _fail(f"--open {number}: the answer cites no source [{number}]" + (f" (it cites {have})" if have else
                                                                            " (it cites nothing)"))
    location = locator.locate(cited[number])
    if location.note:
        click.secho(f"note: {location.note}", fg="yellow", err=True)
    if location.openable:
        try:
            if editor_command() is not None:
                status = open_in_editor(location.path, location.line)  # type: ignore[arg-type]
                if status:
                    click.secho(f"the editor exited with status {status}", fg="yellow", err=True)
                return
        except EditorError as error:
            click.secho(f"error: {error}; printing the passage instead", fg="red", err=True)
    click.echo(format_excerpt(location))


def _print_sources(answer, locator=None) -> None:
    if answer.notice:
        click.secho(f"note: {answer.notice}", fg="yellow")
    if answer.abstained:
        click.secho("The documents do not answer this; nothing is cited.", dim=True)
        return
    for c in answer.citations:
        spans = c.supporting or ((c.sentence_start, c.sentence_end),)
        lines = locator.locate(c).lines_label() if locator is not None else None
        click.secho(f"[{c.number}] {c.title} ", bold=True, nl=False)
        click.secho(f"({c.doc_id}, chars {', '.join(f'{a}-{b}' for a, b in spans)}{', ' + lines if lines else ''})",
                    dim=True)
        for a, b in spans:  # every sentence of the passage the answer rests on, not only the first
            click.echo(f"    \"{c.text[a - c.start : b - c.start] if a is not None else c.sentence}\"")
    for s in answer.unverified:
        click.secho(f"unverified: {s.text}", fg="yellow")
    for s in answer.withheld:
        click.secho(f"withheld ({s.reason}): {s.text}", dim=True)
    if answer.removed_citations:
        click.secho(f"removed citations with no source: {answer.removed_citations}", fg="yellow")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--files", "per_file", is_flag=True, help="Every file of the corpus: indexed, changed, new, skipped and why.")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path),
              help="With --files: the corpus folder (default: the one the index was built from).")
@click.pass_context
def status(ctx: click.Context, as_json: bool, per_file: bool, corpus_dir: Path | None) -> None:
    """Where the index is, what it holds, and when it was last updated."""
    from .assistant import Assistant

    settings = _settings(ctx, corpus_dir=corpus_dir)
    if per_file:
        assistant = Assistant(settings)
        report = assistant.file_status()
        if as_json:
            click.echo(report.model_dump_json(indent=2))
            return
        width = min(max((len(f.doc_id) for f in report.files), default=0), 48)
        for f in report.files:
            click.echo(f.line(width))
        if not report.corpus_found:
            click.echo(f"the corpus folder {report.corpus} does not exist", err=True)
        click.echo(f"{report.corpus}: {report.summary()}" + (
            f"; last ingest {report.last_ingest}" if report.last_ingest else "; never ingested: run `rag ingest`"))
        if notice := assistant.index_notice():  # the states are those of the last ingest that finished
            click.echo(notice)
        return
    st = Assistant(settings).status()
    if as_json:
        click.echo(st.model_dump_json(indent=2))
        return
    from .ingest import read_state

    for key, value in st.model_dump().items():
        click.echo(f"{key:16} {value if value is not None else '-'}")
    if not st.chunks:
        click.echo("the index is empty: run `rag ingest`")
    else:
        from .ingest import ingest_activity

        state = read_state(settings.index_dir)
        notice = ingest_activity(settings.index_dir, state).notice(state.get("last_ingest"))
        if notice:
            click.echo(notice)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def config(ctx: click.Context, as_json: bool) -> None:
    """Print the effective settings (secrets masked)."""
    settings = _settings(ctx)
    values = settings.masked()
    from .embeddings import WINDOW_TOKENS

    # Chunks never exceed the embedding model's window (rag.chunking.Chunker): show what will be used.
    size = min(settings.chunk_size, WINDOW_TOKENS[settings.embedding_backend])
    overlap = min(settings.chunk_overlap, size // 2)
    notes: dict[str, str] = {}
    for key, used in (("chunk_size", size), ("chunk_overlap", overlap)):
        if values[key] != used:
            notes[key] = f"(asked {values[key]}; capped by the embedding model's window)"
            values[key] = used
    if as_json:
        click.echo(json.dumps(values, indent=2))
        return
    for key, value in values.items():
        click.echo(f"RAG_{key.upper():24} {value}" + (f" {notes[key]}" if key in notes else ""))


@cli.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """Open the terminal chat UI on the index (run `rag ingest` first).

    \b
    Keys: Enter asks · Up/Down question history · 1-9 show a cited source ·
    [ ] previous/next answer · Esc input/sources · Ctrl+P command palette ·
    Ctrl+R re-ingest · Ctrl+B switch backend · Ctrl+N new · Ctrl+O open ·
    Ctrl+S export to Markdown · Ctrl+Y copy answer · Ctrl+Q quit.
    In the sources panel: e open the source in $EDITOR at its line · c copy it.
    Conversations are saved in the index folder (chats.sqlite3) and can be reopened
    or searched (Ctrl+P, Search conversations; `rag history`).
    """
    from tui.app import run_chat

    run_chat(_settings(ctx))


@cli.group("llm")
def llm_group() -> None:
    """Small local chat models (llama.cpp, from PyPI wheels) to use with the openai backend."""


@llm_group.command("list")
def llm_list() -> None:
    """The models that can be served, and whether their parts are installed."""
    from .local_llm import MODELS, cache_dir

    for model in MODELS.values():
        ready = (cache_dir() / f"{model.name}.gguf").is_file()
        click.echo(f"{model.name:22} {model.description}" + ("  [joined]" if ready else ""))
        click.secho(f"{'':22} {model.install}", dim=True)


@llm_group.command("serve")
@click.option("--model", "name", default=None, help="A name from `rag llm list` (default: the smallest).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=None, type=int, help="CPU threads (default: all cores).")
def llm_serve(name: str | None, host: str, port: int, threads: int | None) -> None:
    """Serve a model on an OpenAI-compatible API until Ctrl+C."""
    import time

    from .local_llm import DEFAULT_MODEL, serve

    name = name or DEFAULT_MODEL
    click.echo(f"loading {name}…", err=True)
    server = serve(name, host=host, port=port, threads=threads)  # noqa: F841 - serves while referenced
    click.echo(f"serving {name}: RAG_LLM=openai RAG_OPENAI_BASE_URL=http://{host}:{port}/v1 RAG_OPENAI_MODEL={name}",
               err=True)
    click.echo("ready", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


class _LazyGroup(click.Group):
    """A command group whose commands live in a face (eval, tui), imported only when one of them is used."""

    def __init__(self, *args: Any, target: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._target = target  # "module:attribute" of the real group

    def _group(self) -> click.Group:
        import importlib

        module, attribute = self._target.split(":")
        return getattr(importlib.import_module(module), attribute)

    def get_command(self, ctx, name):
        return self._group().get_command(ctx, name)

    def list_commands(self, ctx):
        return self._group().list_commands(ctx)


@cli.group("eval", cls=_LazyGroup, target="eval.cli:eval_group")
def eval_command() -> None:
    """Score answer quality offline: faithfulness, citations, retrieval, abstention."""


@cli.group("history", cls=_LazyGroup, target="tui.history:history_group")
def history_command() -> None:
    """Saved chat conversations: list, search TEXT, show ID, export ID [--format md|json]."""


def _fewer_malloc_arenas() -> None:
    """glibc gives threads that allocate at the same time heaps of their own and keeps what each held: the
    model runtime's worker threads made a cold `rag ask` ~35 MB larger (peak RSS 330 -> 295 MB with one heap,
    no slower). Must run before any thread starts."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-8, 1)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to tune
        pass


def main() -> None:
    _fewer_malloc_arenas()
    cli(prog_name="rag")


if __name__ == "__main__":  # `python -m rag.cli`
    main()
