"""The chat UI, driven by Textual's pilot against the real Assistant on the bundled corpus."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path
import threading
from typing import Callable, Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import Label, Markdown, OptionList, ProgressBar, Static

from fake_openai import FakeOpenAI, Reply
from rag import Assistant, Settings
from rag.models import Answer
from tui.app import ChatApp
from tui.conversation import AnswerView, QuestionView
from tui.sources import SourcesPanel, passage_content, sentence_span
from tui.status import StatusBar
from tui.store import ChatStore, Turn

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
QUESTION = "What share of the code merged into Anthropic's codebase does Claude write?"
EXPECTED = "more than 80 percent"
SIZE = (120, 36)


def closed_port() -> int:
    """A loopback port nothing listens on: bind it, note it, let it go."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeOpenAI]:
    """The one allowed fake: an OpenAI-compatible server on loopback, for the openai backend."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory: pytest.TempPathFactory, fake_llm: FakeOpenAI) -> Settings:
    return Settings(
        corpus_dir=CORPUS,
        index_dir=tmp_path_factory.mktemp("tui") / "index",
        llm="extractive",
        openai_base_url=fake_llm.base_url,
        openai_api_key="test",
        openai_max_retries=0,
        openai_timeout=20,
    )


@pytest.fixture(scope="session")
def assistant(index_settings: Settings) -> Assistant:
    """One real Assistant (embedding model, Chroma) over the bundled corpus, indexed once per session."""
    built = Assistant(index_settings)
    built.ingest()
    return built


@pytest.fixture
def make_app(assistant: Assistant, index_settings: Settings) -> Callable[..., ChatApp]:
    def make(**settings_changes: object) -> ChatApp:
        settings = index_settings.model_copy(update=settings_changes) if settings_changes else index_settings
        return ChatApp(settings, assistant_factory=lambda: assistant, cursor_blink=False)

    return make


def notifications(app: ChatApp, severity: str | None = None) -> list[str]:
    # Textual keeps the live notifications here; a toast disappears from it when it times out.
    return [n.message for n in app._notifications if severity is None or n.severity == severity]


async def wait_for(pilot: Pilot, condition: Callable[[], bool], seconds: float = 60.0) -> None:
    """Let the app run until ``condition`` holds; fail the test if it never does."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never reached the expected state")


async def wait_loaded(pilot: Pilot) -> None:
    """Until the index is open and the models have loaded in the background (or loading failed)."""
    app: ChatApp = pilot.app  # type: ignore[assignment]
    await wait_for(pilot, lambda: (app.assistant is not None and app.models_ready) or app.load_error is not None)
    await pilot.pause()


async def ask(pilot: Pilot, question: str) -> AnswerView:
    app: ChatApp = pilot.app  # type: ignore[assignment]
    before = len(app.query(AnswerView))
    await pilot.click("#question")
    app.query_one("#question").value = question  # type: ignore[attr-defined]
    await pilot.press("enter")
    await wait_for(pilot, lambda: len(app.query(AnswerView)) > before and app.busy is None)
    await pilot.pause()
    return app.query(AnswerView).last()


# ---------------------------------------------------------------- asking


async def test_answer_streams_in_with_citations_and_key_1_shows_the_passage(make_app, index_settings) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        view = await ask(pilot, QUESTION)

        assert view.answer is not None and view.error is None
        answer = view.answer
        assert not answer.abstained
        assert answer.citations, "the answer should cite the bundled corpus"
        assert any(EXPECTED in c.text for c in answer.citations)
        # What streamed in is what the widget shows, and the final text replaced it if they differed.
        assert view.streamed_text.strip()
        assert view.query_one(Markdown).source == answer.text
        assert [q.question for q in app.query(QuestionView)] == [QUESTION]

        # The new answer is selected: its cited passages are listed.
        panel = app.query_one(SourcesPanel)
        assert panel.answer == answer
        assert app.query_one("#passages", OptionList).option_count == len(answer.citations)

        # 1 shows passage [1] (digits are text while typing, so leave the question box first).
        await pilot.press("escape", "1")
        first = answer.citations[0]
        assert panel.shown == first
        shown = str(app.query_one("#passage", Static).content)
        assert first.doc_id in shown and first.title in shown
        assert f"characters {first.start}–{first.end}" in shown

        # The status bar knows when the last answer came.
        assert app.query_one(StatusBar).last_answer_at is not None

    # The conversation was saved and can be read back.
    saved = ChatStore.in_index_dir(index_settings.index_dir).turns(app.conversation_id)
    assert [t.question for t in saved] == [QUESTION]
    assert saved[0].answer == answer


async def test_cited_sentence_is_highlighted_inside_its_passage(assistant) -> None:
    answer = assistant.ask(QUESTION)
    cited = [c for c in answer.citations if c.sentence]
    assert cited
    for citation in cited:
        span = sentence_span(citation)
        assert span is not None
        begin, end = span
        assert citation.text[begin:end].strip() == citation.sentence.strip()
        content = passage_content(citation)
        highlighted = [str(content)[s.start : s.end] for s in content.spans if "reverse" in str(s.style)]
        assert citation.sentence.strip() in highlighted


async def test_follow_up_questions_and_history(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await ask(pilot, QUESTION)
        second = await ask(pilot, "What is Sakana AI?")
        assert second.answer is not None
        assert len(app.turns) == 2
        # The newest answer is the selected one.
        assert app.query_one(SourcesPanel).answer == second.answer

        await pilot.click("#question")
        await pilot.press("up")
        assert app.query_one("#question").value == "What is Sakana AI?"  # type: ignore[attr-defined]
        await pilot.press("up")
        assert app.query_one("#question").value == QUESTION  # type: ignore[attr-defined]
        await pilot.press("down", "down")
        assert app.query_one("#question").value == ""  # type: ignore[attr-defined]

        # [ selects the previous answer, and the sources panel follows.
        await pilot.press("escape", "left_square_bracket")
        first = app.query(AnswerView).first()
        assert first.selected and app.query_one(SourcesPanel).answer == first.answer


async def test_abstention_looks_different_and_lists_what_was_retrieved(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        view = await ask(pilot, "What is the capital of Peru?")
        assert view.answer is not None and view.answer.abstained
        assert view.has_class("-abstained") and view.border_title == "Not in the documents"
        panel = app.query_one(SourcesPanel)
        assert panel.answer == view.answer
        assert "none cited" in str(panel.border_title)
        assert app.query_one("#passages", OptionList).option_count == len(view.answer.sources)


async def test_first_frame_shows_loading_while_the_index_opens(assistant, index_settings) -> None:
    release = threading.Event()

    def slow_factory() -> Assistant:
        release.wait(30)
        return assistant

    app = ChatApp(index_settings, assistant_factory=slow_factory, cursor_blink=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.query_one("#loading").display
            assert app.query_one(StatusBar).note == "Loading index…"
            # The UI answers while the index opens: typing works, asking says to wait and keeps the question.
            await pilot.press(*"hello", "enter")
            assert any("loading" in m.lower() for m in notifications(app, "warning"))
            assert app.query_one("#question").value == "hello"  # type: ignore[attr-defined]
            assert not app.query(AnswerView)
            release.set()
            await wait_loaded(pilot)
            assert not app.query_one("#loading").display
            assert app.query_one(StatusBar).index is not None
    finally:
        release.set()


async def test_models_load_at_start_up_and_an_early_question_says_loading_the_model(assistant, index_settings) -> None:
    # A fresh Assistant (nothing loaded yet; the shared one built the index) whose background load and answer
    # wait for the test's say-so.
    release = threading.Event()
    fresh = Assistant(index_settings)
    warm, stream = fresh.warm, fresh.stream

    def gated_warm() -> None:
        release.wait(30)
        warm()

    def gated_stream(*args, **kwargs):
        release.wait(30)
        yield from stream(*args, **kwargs)

    fresh.warm, fresh.stream = gated_warm, gated_stream  # type: ignore[method-assign]
    app = ChatApp(index_settings, assistant_factory=lambda: fresh, cursor_blink=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.assistant is not None)
            await pilot.pause()
            bar = app.query_one(StatusBar)
            assert not app.models_ready and bar.loading_model
            assert "loading the model" in str(bar.render())
            # Asked before the models are in: the question is taken, and its answer says what it waits for.
            await pilot.click("#question")
            app.query_one("#question").value = QUESTION  # type: ignore[attr-defined]
            await pilot.press("enter")
            view = app.query(AnswerView).last()
            assert "Loading the model" in str(view.query_one(".placeholder", Static).render())
            release.set()
            # The answer is on the view once it has finished (app.busy is cleared a moment before).
            await wait_for(pilot, lambda: (view.answer is not None or view.error is not None) and app.models_ready)
            assert view.error is None, view.error
            await pilot.pause()
            assert EXPECTED in view.answer.text  # type: ignore[union-attr]
            assert not bar.loading_model and "loading the model" not in str(bar.render())
    finally:
        release.set()


async def test_a_question_after_the_models_loaded_is_answered_without_waiting_on_them(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert app.models_ready and not app.query_one(StatusBar).loading_model
        await pilot.click("#question")
        app.query_one("#question").value = QUESTION  # type: ignore[attr-defined]
        await pilot.press("enter")
        view = app.query(AnswerView).last()
        assert "Searching the documents" in str(view.query_one(".placeholder", Static).render())
        await wait_for(pilot, lambda: view.answer is not None)
        assert EXPECTED in view.answer.text  # type: ignore[union-attr]


async def test_empty_question_is_not_asked(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.click("#question")
        await pilot.press("space", "space", "enter")
        await pilot.pause()
        assert any("question" in m.lower() for m in notifications(app, "error"))
        assert not app.query(AnswerView)
        assert app.busy is None


# ---------------------------------------------------------------- failures


async def test_missing_index_is_a_notification_not_a_crash(tmp_path) -> None:
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path / "empty-index")
    app = ChatApp(settings, cursor_blink=False)  # builds its own Assistant, as `rag chat` does
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await wait_for(pilot, lambda: any("rag ingest" in m for m in notifications(app, "error")))
        app.clear_notifications()

        await pilot.click("#question")
        app.query_one("#question").value = QUESTION  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(notifications(app, "error")) and app.busy is None)
        assert any("rag ingest" in m for m in notifications(app, "error"))
        assert app.is_running
    assert app.return_code in (None, 0)


async def test_endpoint_down_is_an_error_notification(assistant, index_settings) -> None:
    # (`assistant` builds the index this test reads.)
    settings = Settings(
        corpus_dir=CORPUS, index_dir=index_settings.index_dir, llm="openai",
        openai_base_url=f"http://127.0.0.1:{closed_port()}/v1", openai_api_key="x", openai_max_retries=0,
        openai_timeout=2,
    )
    app = ChatApp(settings, cursor_blink=False)  # its own Assistant, so its openai client sees the closed port
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert app.backend == "openai"
        view = await ask(pilot, QUESTION)
        assert view.answer is None and view.error
        assert view.error in notifications(app, "error")
        assert "127.0.0.1" in view.error and "Unexpected" not in view.error  # rag's own message, with the fix
        assert view.has_class("-failed")
        assert app.is_running
        assert not app.turns  # a failed answer is not saved


async def test_openai_answer_streams_in_verified_sentences_and_withholds_the_rest(make_app, fake_llm) -> None:
    gate = threading.Event()
    supported = "Claude now writes more than 80 percent of the code that gets merged into Anthropic's codebase [1]."
    unsupported = "Penguins run the company cafeteria on Tuesdays [1]."
    fake_llm.script(Reply.text(f"{supported} {unsupported} And more.", pieces=6, gate=gate, gate_after=4,
                               gate_timeout=30))
    app = make_app(llm="openai")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.click("#question")
        app.query_one("#question").value = QUESTION  # type: ignore[attr-defined]
        await pilot.press("enter")
        # The server holds the rest of the answer: the first sentence is complete, verified and on screen.
        await wait_for(pilot, lambda: bool(app.query(AnswerView)) and bool(app.query_one(AnswerView).streamed_text))
        view = app.query_one(AnswerView)
        assert view.answer is None and view.has_class("-pending")
        assert view.streamed_text.startswith("Claude now writes more than 80 percent")
        gate.set()

        marked = view.query_one(".unverified", Static)
        await wait_for(pilot, lambda: app.busy is None and view.answer is not None and marked.display)
        answer = view.answer
        assert answer is not None and answer.backend == "openai"
        assert "Penguins" not in answer.text and "Penguins" not in view.query_one(Markdown).source
        assert [s.text for s in answer.withheld] == ["Penguins run the company cafeteria on Tuesdays.", "And more."]
        assert answer.unverified == [] and all(s.supported for s in answer.sentences)
        assert "Withheld" in str(marked.content) and "Penguins" in str(marked.content)


async def test_switch_backend_from_the_palette(make_app, fake_llm) -> None:
    fake_llm.script(Reply.text("Claude writes more than 80 percent of the merged code [1]."))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert app.backend == "extractive"
        await pilot.press("ctrl+p")
        await pilot.press(*"switch backend")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        await pilot.press(*"openai")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.backend == "openai")
        assert app.query_one(StatusBar).backend == "openai"
        view = await ask(pilot, QUESTION)
        assert view.answer is not None and view.answer.backend == "openai"
        assert "80 percent" in view.answer.text


# ---------------------------------------------------------------- palette actions


async def test_reingest_from_the_palette_reports_progress(make_app, assistant) -> None:
    documents = assistant.status().documents
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"re-ingest")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.last_ingest is not None and app.busy is None)
        report = app.last_ingest
        assert report is not None
        assert report.unchanged == documents and report.added == 0 and report.embedded == 0
        assert any(report.summary() == m for m in notifications(app))
        # Progress reached the app: the label shows the ingest's own messages, the bar ended full.
        assert str(app.query_one("#ingest-label", Label).content) != "Ingesting…"
        bar = app.query_one(ProgressBar)
        assert bar.total is not None and bar.progress == bar.total
        assert app.query_one(StatusBar).index.documents == documents  # type: ignore[union-attr]


async def test_export_writes_markdown_with_answer_and_sources(assistant, index_settings) -> None:
    app = ChatApp(assistant_factory=lambda: assistant, cursor_blink=False)  # settings come from the assistant
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        view = await ask(pilot, QUESTION)
        await pilot.press("ctrl+s")
        await pilot.pause()
    path = app.last_export
    assert path is not None and path.parent == index_settings.index_dir / "exports"
    text = path.read_text(encoding="utf-8")
    assert QUESTION in text
    assert view.answer is not None and view.answer.text in text
    assert "Sources" in text
    for citation in view.answer.citations:
        assert f"[{citation.number}] {citation.title}" in text and citation.doc_id in text


async def test_copy_and_new_conversation(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        view = await ask(pilot, QUESTION)
        await pilot.press("ctrl+y")
        assert view.answer is not None and view.answer.text in app.clipboard
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not app.query(AnswerView) and not app.turns and app.conversation_id is None
        assert app.query_one(SourcesPanel).answer is None


async def test_reopen_a_saved_conversation(make_app) -> None:
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        asked = await ask(pilot, QUESTION)
    conversation_id = first.conversation_id
    assert conversation_id is not None

    second = make_app()
    async with second.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("ctrl+o")  # the palette lists saved conversations, newest first
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(second.turns))
        assert second.conversation_id == conversation_id
        reopened = second.query_one(AnswerView)
        assert reopened.answer == asked.answer
        assert second.query_one(SourcesPanel).answer == asked.answer
        # Asking again continues the same conversation.
        await ask(pilot, "Who founded Sakana AI?")
        assert second.conversation_id == conversation_id
        assert len(second.turns) == 2


def test_importing_the_ui_loads_no_heavy_modules() -> None:
    code = (
        "import sys, tui.app\n"
        "heavy = [m for m in ('torch', 'chromadb', 'llama_index', 'sentence_transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


# ---------------------------------------------------------------- snapshots


def test_snapshot_empty_chat(snap_compare, make_app) -> None:
    async def loaded(pilot: Pilot) -> None:
        await wait_loaded(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=loaded)


def test_snapshot_answer_with_sources(snap_compare, make_app, assistant, index_settings) -> None:
    # A stored conversation with a fixed time and duration, so the picture does not depend on the clock.
    answer: Answer = assistant.ask(QUESTION).model_copy(update={"seconds": 0.5})
    store = ChatStore.in_index_dir(index_settings.index_dir)
    conversation_id = store.new_conversation("snapshot")
    store.add_turn(conversation_id, Turn(QUESTION, answer, datetime(2025, 1, 2, 12, 0).astimezone()))

    async def open_and_show_first_source(pilot: Pilot) -> None:
        await wait_loaded(pilot)
        await pilot.app.open_conversation(conversation_id)  # type: ignore[attr-defined]
        await pilot.press("escape", "1")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=open_and_show_first_source)
