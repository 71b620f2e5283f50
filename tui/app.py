"""``rag chat``: ask questions about the indexed documents, read the passages each answer cites.

Everything slow (opening the index, loading the models, retrieving, answering, ingesting) runs in thread
workers and talks back to the UI with ``call_from_thread``; the first frame never waits for a model. The models
load in the background as soon as the index is open, so a question typed after that is answered at once; one
typed sooner is taken and shows "Loading the model…" until its answer starts.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Label, LoadingIndicator, OptionList, ProgressBar

from rag.backends import BACKENDS
from rag.errors import NoIndexError, RagError
from rag.models import Answer, IndexStatus, IngestReport, TextDelta

from .chat_input import ChatInput
from .commands import ChatCommands, HistorySearch
from .conversation import AnswerView, Conversation
from .export import answer_markdown, citation_markdown, write_export
from .sources import SourcesPanel
from .status import StatusBar
from .store import ChatStore, ConversationSummary, Turn, title_for

if TYPE_CHECKING:
    from rag import Assistant, Settings
    from rag.sources import Locator

NO_INDEX_NOTE = "No index: run `rag ingest` (or Ctrl+R)"
EMPTY_INDEX_MESSAGE = "The index is empty: run `rag ingest`, or press Ctrl+R to ingest the corpus from here."


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ChatApp(App[None]):
    """The chat. Give it ``settings`` (the Assistant is built from them) or an ``assistant_factory``."""

    CSS_PATH = "app.tcss"
    TITLE = "rag chat"
    COMMANDS = App.COMMANDS | {ChatCommands}
    BINDINGS = [
        Binding("ctrl+n", "new_conversation", "New"),
        Binding("ctrl+o", "open_conversation", "Open"),
        Binding("ctrl+s", "export", "Export"),
        Binding("ctrl+y", "copy_answer", "Copy"),
        Binding("ctrl+b", "switch_backend", "Backend"),
        Binding("ctrl+r", "reingest", "Re-ingest"),
        Binding("escape", "toggle_focus", "Input/Sources"),
        Binding("1", "show_source(1)", "Source", key_display="1-9"),
        *[Binding(str(n), f"show_source({n})", f"Source {n}", show=False) for n in range(2, 10)],
        Binding("left_square_bracket", "select_answer(-1)", "Prev answer", key_display="[", show=False),
        Binding("right_square_bracket", "select_answer(1)", "Next answer", key_display="]", show=False),
    ]

    def __init__(
        self,
        settings: "Settings | None" = None,
        *,
        assistant_factory: "Callable[[], Assistant] | None" = None,
        clock: Callable[[], datetime] = _utcnow,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        if settings is None and assistant_factory is None:
            from rag import Settings

            settings = Settings()
        self._settings = settings
        self._assistant_factory = assistant_factory
        self._clock = clock
        self._cursor_blink = cursor_blink
        self.assistant: "Assistant | None" = None
        self.load_error: str | None = None
        self.backend: str = settings.llm if settings is not None else "extractive"
        self.turns: list[Turn] = []
        self.conversation_id: int | None = None
        self.last_export: Path | None = None
        self.last_ingest: IngestReport | None = None
        # What a worker is doing ("answering", "ingesting"); one at a time keeps the index consistent.
        self.busy: str | None = None
        # The background load of the models (Assistant.warm) has finished, or failed (then a question loads them).
        self.models_ready = False
        # The index as the status line last showed it (Assistant.index_stamp): another process's ingest
        # (`rag ingest --watch`) changes it, and the status line follows.
        self.index_stamp: int | None = None

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="chat"):
                with Vertical(id="loading"):
                    yield LoadingIndicator()
                    yield Label("Loading index…", id="loading-label")
                yield Conversation(id="conversation")
                with Horizontal(id="ingest"):
                    yield Label("Ingesting…", id="ingest-label")
                    yield ProgressBar(id="ingest-progress", show_eta=False)
                yield ChatInput(id="question", cursor_blink=self._cursor_blink)
            yield SourcesPanel(id="sources")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        status = self.query_one(StatusBar)
        status.backend = self.backend
        status.model = self._model_for(self.backend)
        self.query_one(ChatInput).focus()
        self._load_assistant()

    @property
    def settings(self) -> "Settings | None":
        if self._settings is None and self.assistant is not None:
            return self.assistant.settings
        return self._settings

    @property
    def store(self) -> ChatStore | None:
        settings = self.settings
        return None if settings is None else ChatStore.in_index_dir(settings.index_dir)

    def _model_for(self, backend: str) -> str:
        settings = self.settings
        return settings.openai_model if backend == "openai" and settings is not None else ""

    # ------------------------------------------------------ opening the index

    def _build_assistant(self) -> "Assistant":
        if self._assistant_factory is not None:
            return self._assistant_factory()
        from rag import Assistant

        return Assistant(self._settings)

    @work(thread=True, group="load", exit_on_error=False)
    def _load_assistant(self) -> None:
        # Building the Assistant and its first status() open Chroma and load the embedding model: seconds.
        try:
            assistant = self._build_assistant()
        except RagError as error:
            self.call_from_thread(self._load_failed, str(error))
            return
        except Exception as error:  # a bug or a broken install: say so instead of dying
            self.call_from_thread(self._load_failed, f"Could not open the index: {type(error).__name__}: {error}")
            return
        self.call_from_thread(self._loaded, assistant, *self._read_status(assistant))

    @staticmethod
    def _read_status(assistant: "Assistant") -> tuple[IndexStatus | None, str | None, str]:
        """The index status; or, when it cannot be used, a message saying what to do and a short note."""
        try:
            status = assistant.status()
        except NoIndexError as error:
            return None, str(error), NO_INDEX_NOTE
        except RagError as error:
            return None, str(error), "Index unavailable"
        except Exception as error:  # a corrupt store, a broken install: report it, keep the app alive
            return None, f"Could not read the index: {type(error).__name__}: {error}", "Index unavailable"
        if status.chunks == 0:
            return status, EMPTY_INDEX_MESSAGE, NO_INDEX_NOTE
        return status, None, ""

    def _show_status(self, status: IndexStatus | None, problem: str | None, note: str) -> None:
        bar = self.query_one(StatusBar)
        bar.index = status
        bar.note = note
        if problem is not None:
            self.notify(problem, title="Index not ready", severity="error", markup=False, timeout=10)

    def _loaded(self, assistant: "Assistant", status: IndexStatus | None, problem: str | None, note: str) -> None:
        self.assistant = assistant
        if self._settings is None:  # built by a factory: its settings say which backend answers
            self.backend = assistant.settings.llm
        self.query_one("#loading").display = False
        bar = self.query_one(StatusBar)
        bar.backend = self.backend
        bar.model = self._model_for(self.backend)
        self._show_status(status, problem, note)
        bar.loading_model = True
        self._warm(assistant, quiet=problem is not None)
        self.index_stamp = assistant.index_stamp()
        self.set_interval(self.INDEX_CHECK_SECONDS, self._check_index)

    # One stat of the index's state file; the status is read again (in a thread) only when it changed.
    INDEX_CHECK_SECONDS = 2.0

    def _check_index(self) -> None:
        assistant = self.assistant
        if assistant is None or self.busy is not None:  # our own ingest reports itself when it finishes
            return
        stamp = assistant.index_stamp()
        if stamp != self.index_stamp:
            self.index_stamp = stamp
            self._reread_index(assistant)

    @work(thread=True, group="index-check", exclusive=True, exit_on_error=False)
    def _reread_index(self, assistant: "Assistant") -> None:
        from rag.ingest import ingest_activity

        if ingest_activity(assistant.settings.index_dir).running:  # told once it has finished, not twice
            self.call_from_thread(setattr, self, "index_stamp", None)
            return
        self.call_from_thread(self._index_changed, *self._read_status(assistant))

    def _index_changed(self, status: IndexStatus | None, problem: str | None, note: str) -> None:
        shown = self.query_one(StatusBar).index
        self._show_status(status, problem, note)
        if status is not None and problem is None and status != shown:  # files touched, no text changed: quiet
            self.notify(f"{status.documents} documents · {status.chunks} chunks", title="The index was updated",
                        markup=False)

    @work(thread=True, group="warm", exit_on_error=False)
    def _warm(self, assistant: "Assistant", quiet: bool) -> None:
        try:
            assistant.warm()
        except Exception as error:  # the index problem was reported already when ``quiet``; a question retries
            message = None if quiet else f"Could not load the model: {type(error).__name__}: {error}"
            self.call_from_thread(self._models_loaded, message)
            return
        self.call_from_thread(self._models_loaded, None)

    def _models_loaded(self, problem: str | None) -> None:
        self.models_ready = True
        self.query_one(StatusBar).loading_model = False
        for view in self.query(AnswerView):
            view.loading_model = False
        if problem is not None:
            self.notify(problem, title="Model not loaded", severity="warning", markup=False, timeout=10)

    def _load_failed(self, message: str) -> None:
        self.load_error = message
        self.query_one("#loading").display = False
        self.query_one(StatusBar).note = "Not ready"
        self.notify(message, title="Could not open the index", severity="error", markup=False, timeout=15)

    def _require_assistant(self) -> "Assistant | None":
        if self.assistant is None:
            if self.load_error is not None:
                self.notify(self.load_error, title="Not ready", severity="error", markup=False)
            else:
                self.notify("Still loading the index; try again in a moment.", severity="warning")
        return self.assistant

    def _require_idle(self, *conflicts: str) -> bool:
        """False (and a notice) while a worker does one of ``conflicts`` (any work, when none are given)."""
        if self.busy is not None and (not conflicts or self.busy in conflicts):
            self.notify(f"Wait: still {self.busy}.", severity="warning")
            return False
        return True

    # --------------------------------------------------------------- asking

    @on(ChatInput.Submitted, "#question")
    async def _question_submitted(self, event: ChatInput.Submitted) -> None:
        question = event.value.strip()
        if not question:
            self.notify("Type a question first, then press Enter.", title="Empty question", severity="error")
            return
        assistant = self._require_assistant()
        if assistant is None or not self._require_idle():
            return
        self.busy = "answering"
        question_box = self.query_one(ChatInput)
        question_box.remember(question)
        question_box.value = ""
        view = await self.query_one(Conversation).add_turn(question)
        view.loading_model = not self.models_ready
        self._ask(assistant, question, view, self.backend, self.conversation_id)

    @work(thread=True, group="ask", exit_on_error=False)
    def _ask(
        self, assistant: "Assistant", question: str, view: AnswerView, backend: str, conversation_id: int | None
    ) -> None:
        answer: Answer | None = None
        try:
            for event in assistant.stream(question, backend=backend):
                if isinstance(event, TextDelta):
                    self.call_from_thread(view.append_text, event.text)
                elif isinstance(event, Answer):
                    answer = event
            if answer is None:
                raise RuntimeError("the answer stream ended without an answer")
        except RagError as error:
            self.call_from_thread(self._answer_failed, view, str(error))
            return
        except Exception as error:
            self.call_from_thread(self._answer_failed, view, f"Unexpected error: {type(error).__name__}: {error}")
            return
        turn = Turn(question=question, answer=answer, asked_at=self._clock())
        saved_id, save_error = self._save_turn(turn, conversation_id)
        self.call_from_thread(self._answer_finished, view, turn, saved_id, save_error)

    def _save_turn(self, turn: Turn, conversation_id: int | None) -> tuple[int | None, str | None]:
        """Runs in the worker: SQLite may wait on a lock, the UI should not."""
        store = self.store
        if store is None:
            return conversation_id, None
        try:
            if conversation_id is None:
                conversation_id = store.new_conversation(title_for(turn.question))
            store.add_turn(conversation_id, turn)
        except Exception as error:  # sqlite3.Error, OSError: the answer is still worth showing
            return conversation_id, f"Could not save the conversation: {error}"
        return conversation_id, None

    async def _answer_finished(
        self, view: AnswerView, turn: Turn, conversation_id: int | None, save_error: str | None
    ) -> None:
        self.busy = None
        await view.finish(turn.answer)
        self.turns.append(turn)
        self.conversation_id = conversation_id
        if save_error:
            self.notify(save_error, severity="warning", markup=False)
        bar = self.query_one(StatusBar)
        bar.last_answer_at = turn.asked_at
        bar.last_answer_seconds = turn.answer.seconds
        if turn.answer.model:
            bar.model = turn.answer.model
        self._select(view)

    async def _answer_failed(self, view: AnswerView, message: str) -> None:
        self.busy = None
        await view.fail(message)
        self.notify(message, title="Could not answer", severity="error", markup=False, timeout=10)

    # ------------------------------------------------------------- sources

    def _select(self, view: AnswerView) -> None:
        for answer_view in self.query(AnswerView):
            answer_view.selected = answer_view is view
        self.query_one(SourcesPanel).answer = view.answer

    @on(AnswerView.Selected)
    def _answer_selected(self, event: AnswerView.Selected) -> None:
        self._select(event.view)

    def action_show_source(self, number: int) -> None:
        panel = self.query_one(SourcesPanel)
        if panel.answer is None:
            self.notify("No answer selected yet.", severity="warning")
        elif not panel.show(number):
            self.notify(f"The selected answer has no source [{number}].", severity="warning")

    def action_select_answer(self, step: int) -> None:
        views = [view for view in self.query(AnswerView) if view.answer is not None]
        if not views:
            return
        current = next((i for i, view in enumerate(views) if view.selected), len(views) - 1)
        target = views[max(0, min(len(views) - 1, current + step))]
        target.focus()
        target.scroll_visible()

    def action_toggle_focus(self) -> None:
        question_box = self.query_one(ChatInput)
        if question_box.has_focus:
            self.query_one("#passages", OptionList).focus()
        else:
            question_box.focus()

    # ------------------------------------------------------------- ingest

    def action_reingest(self) -> None:
        assistant = self._require_assistant()
        if assistant is None or not self._require_idle():
            return
        self.busy = "ingesting"
        self.query_one("#ingest").display = True
        self.query_one("#ingest-label", Label).update("Ingesting…")
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one(StatusBar).note = "Ingesting…"
        self._ingest(assistant)

    @work(thread=True, group="ingest", exit_on_error=False)
    def _ingest(self, assistant: "Assistant") -> None:
        def progress(done: int, total: int, message: str) -> None:
            self.call_from_thread(self._ingest_progress, done, total, message)

        try:
            report = assistant.ingest(progress=progress)
        except RagError as error:
            self.call_from_thread(self._ingest_failed, assistant, str(error))
            return
        except Exception as error:
            self.call_from_thread(self._ingest_failed, assistant, f"Unexpected error: {type(error).__name__}: {error}")
            return
        self.call_from_thread(self._ingest_finished, report, *self._read_status(assistant))

    def _ingest_progress(self, done: int, total: int, message: str) -> None:
        # A stage with nothing to do (0 of 0) is a finished stage, not an empty bar.
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done if total > 0 else 1)
        label = message or "Ingesting…"
        if total > 1:
            label += f" ({done}/{total})"
        self.query_one("#ingest-label", Label).update(label)

    def _ingest_finished(
        self, report: IngestReport, status: IndexStatus | None, problem: str | None, note: str
    ) -> None:
        self.busy = None
        self.last_ingest = report
        if self.assistant is not None:
            self.index_stamp = self.assistant.index_stamp()
        self.query_one("#ingest").display = False
        self._show_status(status, problem, note)
        self.notify(report.summary(), title="Ingest finished", markup=False)
        if report.skipped:
            self.notify("\n".join(report.skipped), title="Skipped files", severity="warning", markup=False, timeout=15)

    def _ingest_failed(self, assistant: "Assistant", message: str) -> None:
        self.busy = None
        self.index_stamp = assistant.index_stamp()
        self.query_one("#ingest").display = False
        self.notify(message, title="Ingest failed", severity="error", markup=False, timeout=15)
        status, _, note = self._read_status(assistant)
        bar = self.query_one(StatusBar)
        bar.index = status
        bar.note = note

    # ------------------------------------------------------------- backend

    def action_switch_backend(self) -> None:
        self.search_commands(
            [
                (name, partial(self.set_backend, name), b.description + (" (current)" if name == self.backend else ""))
                for name, b in BACKENDS.items()
            ],
            placeholder="Answer with…",
        )

    def set_backend(self, name: str) -> None:
        self.backend = name
        bar = self.query_one(StatusBar)
        bar.backend = name
        bar.model = self._model_for(name)
        self.notify(f"Answering with the {name} backend.")

    # -------------------------------------------------------- conversations

    async def action_new_conversation(self) -> None:
        if not self._require_idle("answering"):
            return
        await self.query_one(Conversation).clear()
        self.turns = []
        self.conversation_id = None
        self.query_one(SourcesPanel).answer = None
        bar = self.query_one(StatusBar)
        bar.last_answer_at = bar.last_answer_seconds = None
        self.query_one(ChatInput).focus()

    def action_open_conversation(self) -> None:
        store = self.store
        if store is None:
            self.notify("Still loading the index; try again in a moment.", severity="warning")
            return
        try:
            summaries = store.conversations()
        except Exception as error:
            self.notify(f"Could not read saved conversations: {error}", severity="error", markup=False)
            return
        if not summaries:
            self.notify("No saved conversations yet.", severity="warning")
            return
        def describe(summary: ConversationSummary) -> str:
            questions = f"{summary.turns} question{'s' if summary.turns != 1 else ''}"
            return f"{questions} · {summary.updated.astimezone():%Y-%m-%d %H:%M}"

        self.search_commands(
            [(s.title, partial(self.open_conversation, s.id), describe(s)) for s in summaries],
            placeholder="Open a conversation…",
        )

    def action_search_history(self) -> None:
        from textual.command import CommandPalette

        if self.store is None:
            self.notify("Still loading the index; try again in a moment.", severity="warning")
            return
        self.push_screen(CommandPalette(providers=[HistorySearch], placeholder="Search saved conversations…"))

    async def open_conversation(self, conversation_id: int, position: int | None = None) -> None:
        """Show a saved conversation; ``position`` selects that turn's answer (else the last)."""
        store = self.store
        if store is None or not self._require_idle("answering"):
            return
        try:
            turns = store.turns(conversation_id)
        except Exception as error:
            self.notify(f"Could not open the conversation: {error}", severity="error", markup=False)
            return
        conversation = self.query_one(Conversation)
        await conversation.clear()
        question_box = self.query_one(ChatInput)
        view: AnswerView | None = None
        for turn in turns:
            view = await conversation.add_turn(turn.question, turn.answer)
            question_box.remember(turn.question)
        self.turns = list(turns)
        self.conversation_id = conversation_id
        bar = self.query_one(StatusBar)
        views = conversation.answers
        if position is not None and 0 <= position < len(views):
            view = views[position]
        if view is not None:
            self._select(view)
            bar.last_answer_at = turns[-1].asked_at
            bar.last_answer_seconds = turns[-1].answer.seconds
        else:
            self.query_one(SourcesPanel).answer = None
            bar.last_answer_at = bar.last_answer_seconds = None
        if position is not None and view is not None:
            view.scroll_visible(animate=False)
        else:
            conversation.scroll_end(animate=False)
        question_box.focus()

    def _conversation_title(self) -> str:
        store = self.store
        if store is not None and self.conversation_id is not None:
            try:
                title = store.title(self.conversation_id)
            except Exception:
                title = None
            if title:
                return title
        return title_for(self.turns[0].question) if self.turns else "Conversation"

    def action_export(self) -> None:
        settings = self.settings
        if not self.turns:
            self.notify("Nothing to export yet: ask a question first.", severity="warning")
            return
        if settings is None:
            self.notify("Still loading the index; try again in a moment.", severity="warning")
            return
        try:
            path = write_export(settings.index_dir, self._conversation_title(), self.turns, self._clock(),
                                self._locator())
        except OSError as error:
            self.notify(f"Could not write the export: {error}", severity="error", markup=False)
            return
        self.last_export = path
        self.notify(f"Exported to {path}", title="Conversation exported", markup=False)

    def action_copy_answer(self) -> None:
        if not self.turns:
            self.notify("No answer to copy yet.", severity="warning")
            return
        self.copy_to_clipboard(answer_markdown(self.turns[-1].answer, self._locator()))
        self.notify("Copied the last answer and its sources.")

    # ------------------------------------------------- a source in its file

    def _locator(self) -> "Locator | None":
        from rag.sources import Locator

        settings = self.settings
        return None if settings is None else Locator.for_settings(settings)

    def _shown_source(self):
        citation = self.query_one(SourcesPanel).shown
        if citation is None:
            self.notify("Choose a source first: press 1–9, or Esc and pick one.", severity="warning")
        return citation

    def action_copy_citation(self) -> None:
        citation = self._shown_source()
        if citation is not None:
            self.copy_to_clipboard(citation_markdown(citation, self._locator()))
            self.notify(f"Copied source [{citation.number}].")

    def action_open_source(self) -> None:
        """The shown source in $VISUAL/$EDITOR/$PAGER at the cited line; else its lines in the sources panel."""
        from textual.app import SuspendNotSupported

        from rag.sources import EditorError, editor_command, open_in_editor

        citation, locator = self._shown_source(), self._locator()
        if citation is None or locator is None:
            return
        location = locator.locate(citation)
        panel = self.query_one(SourcesPanel)
        if location.note:
            self.notify(location.note, severity="warning", markup=False, timeout=8)
        try:
            if location.openable and editor_command() is not None:
                try:
                    with self.suspend():
                        status = open_in_editor(location.path, location.line)  # type: ignore[arg-type]
                except SuspendNotSupported:
                    if not self.is_headless:  # an editor drawn over the app would garble both
                        raise EditorError("this terminal cannot hand the screen to an editor") from None
                    status = open_in_editor(location.path, location.line)  # type: ignore[arg-type]
                if status:
                    self.notify(f"The editor exited with status {status}.", severity="warning")
                return
        except EditorError as error:
            self.notify(f"{error}; showing the passage's lines instead.", severity="error", markup=False)
        panel.show_excerpt(location)


def run_chat(settings: "Settings | None" = None) -> None:
    """Entry point for ``rag chat``."""
    ChatApp(settings).run()


if __name__ == "__main__":
    run_chat()
