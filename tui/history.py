"""`rag history`: the chat's saved conversations from the command line (list, search, show, export).

No Textual is imported here (nor by the store and the export it uses): these commands start as fast as the
rest of the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .store import ChatStore, plain_snippet

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.sources import Locator


def _settings(ctx: click.Context) -> "Settings":
    from rag.cli import _settings as front_door_settings

    return front_door_settings(ctx)


def _store(settings: "Settings") -> ChatStore:
    return ChatStore.in_index_dir(settings.index_dir)


def _locator(settings: "Settings") -> "Locator":
    from rag.sources import Locator

    return Locator.for_settings(settings)


def _turns_or_fail(store: ChatStore, conversation_id: int):
    from rag.errors import RagError

    summary = store.summary(conversation_id)
    if summary is None:
        raise RagError(f"no saved conversation {conversation_id} in {store.path} (see `rag history list`)")
    return summary, store.turns(conversation_id)


@click.group("history")
def history_group() -> None:
    """Saved chat conversations (in the index folder): list, search, show, export."""


@history_group.command("list")
@click.pass_context
def history_list(ctx: click.Context) -> None:
    """Saved conversations, most recently used first."""
    summaries = _store(_settings(ctx)).conversations()
    if not summaries:
        click.echo("no saved conversations yet (ask in `rag chat`)")
    for s in summaries:
        turns = f"{s.turns} question{'s' if s.turns != 1 else ''}"
        click.echo(f"{s.id:>4}  {s.updated.astimezone():%Y-%m-%d %H:%M}  {turns:>12}  {s.title}")


@history_group.command("search")
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="At most this many hits.")
@click.pass_context
def history_search(ctx: click.Context, text: tuple[str, ...], limit: int) -> None:
    """Saved questions and answers holding every word of TEXT (also their sources' titles and files)."""
    query = " ".join(text)
    store = _store(_settings(ctx))
    hits = store.search(query, limit=limit)
    if not hits:
        click.echo(f"nothing saved matches {query!r}")
        return
    bold_on, bold_off = ("\x1b[1m", "\x1b[22m") if click.get_text_stream("stdout").isatty() else ("", "")
    for hit in hits:
        click.secho(f"{hit.conversation_id:>4}  {hit.title}", bold=True, nl=False)
        click.secho(f"  (question {hit.position + 1}, {hit.asked_at.astimezone():%Y-%m-%d %H:%M})", dim=True)
        click.echo(f"      Q: {plain_snippet(hit.question)}")
        click.echo(f"      {plain_snippet(hit.snippet, bold_on, bold_off)}")
    click.secho("`rag history show ID` prints a conversation; `rag chat`, then Ctrl+O, reopens it", dim=True)


@history_group.command("show")
@click.argument("conversation_id", type=int, metavar="ID")
@click.pass_context
def history_show(ctx: click.Context, conversation_id: int) -> None:
    """Print conversation ID: questions, answers, cited sentences with their lines."""
    from .export import conversation_markdown

    settings = _settings(ctx)
    summary, turns = _turns_or_fail(_store(settings), conversation_id)
    click.echo(conversation_markdown(summary.title, turns, _locator(settings)), nl=False)


@history_group.command("export")
@click.argument("conversation_id", type=int, metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
@click.pass_context
def history_export(ctx: click.Context, conversation_id: int, fmt: str, output: Path | None) -> None:
    """Export conversation ID as Markdown or JSON, citations and sources with their file lines."""
    from .export import conversation_json, conversation_markdown

    settings = _settings(ctx)
    summary, turns = _turns_or_fail(_store(settings), conversation_id)
    locator = _locator(settings)
    if fmt == "json":
        text = json.dumps(conversation_json(summary.title, turns, locator, conversation_id), indent=2,
                          ensure_ascii=False) + "\n"
    else:
        text = conversation_markdown(summary.title, turns, locator)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        from rag.errors import RagError

        raise RagError(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(f"exported conversation {conversation_id} to {output}", err=True)

