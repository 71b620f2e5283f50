"""The conversation pane: questions and their answers, an answer streamed in as Markdown while it arrives."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from rag.models import Answer

WELCOME = (
    "Ask a question about your documents and press Enter.\n"
    "Answers cite their sources as [n]; press 1–9 (outside the question box) to read a cited passage.\n"
    "Esc moves between the question box and the sources; Ctrl+P opens the command palette."
)


class QuestionView(Static):
    """What the user asked, as they typed it."""

    def __init__(self, question: str) -> None:
        super().__init__(Content(question), classes="question")
        self.question = question


def notes_content(answer: Answer) -> Content | None:
    """What the reader must know beside the answer: the index being written, sentences not verified."""
    lines = [f"ℹ {answer.notice}"] if answer.notice else []
    if answer.unverified:
        lines.append("⚠ Not verified by the cited sources:")
        lines += [f"  • {sentence.text}" for sentence in answer.unverified]
    if answer.withheld:  # never part of the answer; listed so that nothing the model said is hidden
        lines.append("Withheld, not supported by the sources:")
        lines += [f"  • {sentence.text} ({sentence.reason})" for sentence in answer.withheld]
    return Content("\n".join(lines)) if lines else None


class AnswerView(Vertical, can_focus=True):
    """One answer. Starts empty and streaming; ``finish`` gives it the checked Answer; ``fail`` an error.

    Focusing it (click, Tab) selects it, which the app answers by showing its sources.
    """

    class Selected(Message):
        def __init__(self, view: "AnswerView") -> None:
            super().__init__()
            self.view = view

    selected: reactive[bool] = reactive(False)
    # Asked before the models finished loading: says so until the answer starts, instead of "Searching…".
    loading_model: reactive[bool] = reactive(False)

    def __init__(self, question: str, answer: Answer | None = None) -> None:
        super().__init__(classes="answer")
        self.question = question
        self.answer: Answer | None = answer
        self.error: str | None = None
        self._stream: MarkdownStream | None = None
        self._streamed: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(self._waiting_text(), classes="placeholder")
        yield Markdown(self.answer.text if self.answer else None)
        yield Static("", classes="unverified")

    def on_mount(self) -> None:
        if self.answer is None:
            self.border_title = "Answering…"
            self.add_class("-pending")
            # The stream batches fragments that arrive faster than the widget can render them.
            self._stream = Markdown.get_stream(self.query_one(Markdown))
        else:
            self._show_final(self.answer)

    @property
    def streamed_text(self) -> str:
        return "".join(self._streamed)

    async def append_text(self, text: str) -> None:
        if self._stream is None:
            return
        if not self._streamed:
            self.query_one(".placeholder").display = False
        self._streamed.append(text)
        await self._stream.write(text)

    async def _stop_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

    async def finish(self, answer: Answer) -> None:
        await self._stop_stream()
        self.answer = answer
        # The checked answer can differ from what streamed (unknown [n] removed, abstention normalised).
        if answer.text != self.streamed_text:
            await self.query_one(Markdown).update(answer.text)
        self._show_final(answer)

    async def fail(self, message: str) -> None:
        await self._stop_stream()
        self.error = message
        self.remove_class("-pending")
        self.add_class("-failed")
        self.border_title = "No answer"
        placeholder = self.query_one(".placeholder", Static)
        placeholder.update(Content(message))
        placeholder.display = True

    def _show_final(self, answer: Answer) -> None:
        self.remove_class("-pending")
        self.set_class(answer.abstained, "-abstained")
        self.query_one(".placeholder").display = False
        self.border_title = "Not in the documents" if answer.abstained else "Answer"
        cited = len(answer.citations)
        who = answer.backend + (f" · {answer.model}" if answer.model else "")
        self.border_subtitle = f"{who} · {cited} cited" if who else f"{cited} cited"
        notes = self.query_one(".unverified", Static)
        content = notes_content(answer)
        if content is not None:
            notes.update(content)
        notes.display = content is not None

    def _waiting_text(self) -> str:
        return "Loading the model…" if self.loading_model else "Searching the documents…"

    def watch_loading_model(self) -> None:
        if self.answer is None and self.error is None and self.is_mounted:
            self.query_one(".placeholder", Static).update(self._waiting_text())

    def watch_selected(self, selected: bool) -> None:
        self.set_class(selected, "-selected")

    def on_focus(self) -> None:
        if self.answer is not None:
            self.post_message(self.Selected(self))


class Conversation(VerticalScroll):
    """The scrolling list of questions and answers; stays pinned to the newest while it is at the bottom."""

    def compose(self) -> ComposeResult:
        yield Static(Content(WELCOME), id="welcome")

    def on_mount(self) -> None:
        self.anchor()

    @property
    def answers(self) -> list[AnswerView]:
        return list(self.query(AnswerView))

    async def add_turn(self, question: str, answer: Answer | None = None) -> AnswerView:
        self.query_one("#welcome").display = False
        view = AnswerView(question, answer)
        await self.mount_all([QuestionView(question), view])
        return view

    async def clear(self) -> None:
        await self.query("QuestionView, AnswerView").remove()
        self.query_one("#welcome").display = True
