"""The question box: a one-line input that remembers what was asked (up/down walk the history)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class ChatInput(Input):
    BINDINGS = [
        Binding("up", "history_previous", "Previous question", show=False),
        Binding("down", "history_next", "Next question", show=False),
    ]

    def __init__(self, *, cursor_blink: bool = True, **kwargs: object) -> None:
        super().__init__(placeholder="Ask a question about your documents…", **kwargs)  # type: ignore[arg-type]
        self.cursor_blink = cursor_blink
        self._history: list[str] = []
        # Where up/down currently point; len(history) means "the line being typed".
        self._position = 0
        self._draft = ""

    @property
    def history(self) -> tuple[str, ...]:
        return tuple(self._history)

    def remember(self, question: str) -> None:
        question = question.strip()
        if question and (not self._history or self._history[-1] != question):
            self._history.append(question)
        self._position = len(self._history)
        self._draft = ""

    def _show(self, text: str) -> None:
        self.value = text
        self.cursor_position = len(text)

    def action_history_previous(self) -> None:
        if self._position == 0:
            return
        if self._position == len(self._history):
            self._draft = self.value
        self._position -= 1
        self._show(self._history[self._position])

    def action_history_next(self) -> None:
        if self._position >= len(self._history):
            return
        self._position += 1
        self._show(self._draft if self._position == len(self._history) else self._history[self._position])
