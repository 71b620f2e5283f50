"""The chat's entries in the command palette (Ctrl+P)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, NamedTuple

from textual.command import DiscoveryHit, Hit, Hits, Provider

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
