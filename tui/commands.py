"""The chat's entries in the command palette (Ctrl+P), and the palette that searches saved conversations."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Callable, NamedTuple

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content, Span

from .store import MATCH_END, MATCH_START

if TYPE_CHECKING:
    from .app import ChatApp


class ChatCommand(NamedTuple):
    title: str
    help: str
    action: str  # a ChatApp action name, so the palette and the key bindings run the same code


CHAT_COMMANDS: tuple[ChatCommand, ...] = (
    ChatCommand("Re-ingest the corpus", "Index new and changed documents, drop removed ones", "reingest"),
    ChatCommand("Switch backend…", "Answer extractively or with an OpenAI-compatible model", "switch_backend"),
    ChatCommand("New conversation", "Start over with an empty conversation", "new_conversation"),
    ChatCommand("Open conversation…", "Reopen a saved conversation", "open_conversation"),
    ChatCommand("Export conversation to Markdown", "Write the questions, answers and sources to a file", "export"),
    ChatCommand("Copy last answer", "Copy the last answer and its sources to the clipboard", "copy_answer"),
    ChatCommand("Search conversations…", "Find a saved question or answer and reopen its conversation",
                "search_history"),
    ChatCommand("Open source in editor", "Open the shown source at the cited line ($VISUAL/$EDITOR)", "open_source"),
    ChatCommand("Copy source", "Copy the shown source (cited sentence, file and lines) to the clipboard",
                "copy_citation"),
)


class ChatCommands(Provider):
    def _callback(self, action: str) -> Callable[[], object]:
        app: ChatApp = self.app  # type: ignore[assignment]
        return lambda: app.run_action(action)

    async def discover(self) -> Hits:
        for command in CHAT_COMMANDS:
            yield DiscoveryHit(command.title, self._callback(command.action), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in CHAT_COMMANDS:
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), self._callback(command.action), help=command.help)


def marked_content(snippet: str, style: str = "bold reverse") -> Content:
    """A search snippet with its matches (between MATCH_START and MATCH_END) styled."""
    text, spans, start = "", [], None
    for char in snippet:
        if char == MATCH_START:
            start = len(text)
        elif char == MATCH_END:
            if start is not None:
                spans.append(Span(start, len(text), style))
            start = None
        else:
            text += char
    return Content(text, spans=spans)


class HistorySearch(Provider):
    """Saved turns matching what is typed; choosing one reopens its conversation at that answer."""

    async def discover(self) -> Hits:
        app: ChatApp = self.app  # type: ignore[assignment]
        store = app.store
        if store is None:
            return
        for summary in (await asyncio.to_thread(store.conversations))[:20]:
            yield DiscoveryHit(summary.title, partial(app.open_conversation, summary.id),
                               help=f"{summary.turns} question{'s' if summary.turns != 1 else ''}"
                                    f" · {summary.updated.astimezone():%Y-%m-%d %H:%M}")

    async def search(self, query: str) -> Hits:
        app: ChatApp = self.app  # type: ignore[assignment]
        store = app.store
        if store is None:
            return
        hits = await asyncio.to_thread(store.search, query, 30)
        for rank, hit in enumerate(hits):
            shown = Content.assemble((hit.title, "bold"), "\n", marked_content(hit.snippet))
            yield Hit(1.0 - rank / (len(hits) + 1), shown,
                      partial(app.open_conversation, hit.conversation_id, hit.position), text=hit.title,
                      help=f"question {hit.position + 1}: {hit.question}")
