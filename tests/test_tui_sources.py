"""The chat's keys for sources and history, driven by Textual's pilot: copy (OSC 52, read back from the app's
clipboard), open the shown source in the editor at its line, search saved conversations and reopen one."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from rag import Assistant, Settings
from rag.models import Answer
from rag.sources import Locator
from tui.app import ChatApp
from tui.conversation import AnswerView
from tui.sources import SourcesPanel
from tui.store import ChatStore, Turn

from corpus_index import CORPUS, bundled_settings, shared_embedder
from test_sources import fake_editor
from test_tui import wait_for

pytestmark = pytest.mark.timeout(300)

QUESTION = "What share of the code merged into Anthropic's codebase does Claude write?"
SIZE = (120, 36)


@lru_cache(maxsize=1)
def assistant() -> Assistant:
    return Assistant(bundled_settings(), embedder=shared_embedder())


@lru_cache(maxsize=1)
def real_answer() -> Answer:
    answer = assistant().ask(QUESTION)
    assert answer.citations, "the bundled corpus answers this with citations"
    return answer


def at(minute: int) -> datetime:
    return datetime(2025, 5, 6, 9, minute, tzinfo=timezone.utc)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Answers come from the bundled index; the chats are saved in a folder of this test's own.
    return Settings(corpus_dir=CORPUS, index_dir=tmp_path / "index")


@pytest.fixture
def editor_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def set_env(**values: str) -> None:
        for name in ("VISUAL", "EDITOR", "PAGER"):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def make_app(settings: Settings) -> ChatApp:
    return ChatApp(settings, assistant_factory=assistant, cursor_blink=False)


def save(settings: Settings, *questions: str) -> int:
    store = ChatStore.in_index_dir(settings.index_dir)
    conversation = store.new_conversation(questions[0])
    for minute, question in enumerate(questions):
        store.add_turn(conversation, Turn(question, real_answer(), at(minute)))
    return conversation


async def opened(pilot: Pilot, conversation: int) -> ChatApp:
    app: ChatApp = pilot.app  # type: ignore[assignment]
    await wait_for(pilot, lambda: app.assistant is not None or app.load_error is not None)
    await app.open_conversation(conversation)
    await pilot.pause()
    return app


def notifications(app: ChatApp, severity: str) -> list[str]:
    return [n.message for n in app._notifications if n.severity == severity]


async def test_copy_the_last_answer_and_the_shown_source(settings) -> None:
    answer = real_answer()
    citation = answer.citations[0]
    location = Locator(CORPUS).locate(citation)
    conversation = save(settings, QUESTION)
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, conversation)
        await pilot.press("ctrl+y")
        copied = app.clipboard
        assert copied.startswith(answer.text.strip())
        assert f"- [1] {citation.title} — `{citation.doc_id}`, {location.lines_label()}, characters" in copied
        assert citation.sentence and citation.sentence in copied

        await pilot.press("c")  # typed into the question box: nothing copied
        assert app.clipboard == copied and app.query_one("#question").value == "c"  # type: ignore[attr-defined]

        await pilot.press("escape", "1")  # to the sources panel, show [1]: its keys are in the footer
        keys = {key: binding.description for key, (_, binding, enabled, _) in app.active_bindings.items() if enabled}
        assert keys.get("e") == "Editor" and keys.get("c") == "Copy src"
        await pilot.press("c")
        assert app.clipboard.startswith(f"[1] {citation.title} — `{citation.doc_id}`, {location.lines_label()}")
        assert f"> {citation.sentence}" in app.clipboard and citation.text.strip() in app.clipboard


async def test_e_opens_the_shown_source_in_the_editor_at_the_cited_line(settings, editor_env, tmp_path) -> None:
    script, record = fake_editor(tmp_path / "bin")
    editor_env(VISUAL=str(script))
    citation = real_answer().citations[0]
    location = Locator(CORPUS).locate(citation)
    assert location.openable
    conversation = save(settings, QUESTION)
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, conversation)
        await pilot.press("escape", "e")
        assert not record.exists()  # no source shown yet: nothing to open
        assert any("Choose a source first" in m for m in notifications(app, "warning"))
        await pilot.press("1", "e")
        await pilot.pause()
    assert json.loads(record.read_text()) == [f"+{location.line}", str(CORPUS / citation.doc_id)]


async def test_without_an_editor_the_passage_lines_are_shown_and_a_missing_editor_is_an_error(
        settings, editor_env) -> None:
    citation = real_answer().citations[0]
    location = Locator(CORPUS).locate(citation)
    conversation = save(settings, QUESTION)
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, conversation)
        editor_env()
        await pilot.press("escape", "1", "e")
        shown = str(app.query_one("#passage", Static).content)
        assert shown.startswith(f"[1] lines of {citation.doc_id}")
        assert f"{location.line} │ " in shown  # the cited line, with its number in the file
        assert not notifications(app, "error")

        editor_env(EDITOR="no-such-editor-rag")
        await pilot.press("1", "e")
        assert notifications(app, "error") == [
            "the editor 'no-such-editor-rag' (from $EDITOR) is not installed or not on PATH; "
            "showing the passage's lines instead."]
        assert str(app.query_one("#passage", Static).content).startswith(f"[1] lines of {citation.doc_id}")


async def test_search_saved_conversations_from_the_palette_and_reopen_at_the_match(settings) -> None:
    target = save(settings, QUESTION, "And what about the giraffe enclosure?")
    other = save(settings, "Something about zebras")
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.assistant is not None)
        await pilot.press("ctrl+p", *"searchconv")
        await pilot.pause(0.3)
        await pilot.press("enter")  # "Search conversations…": a palette over the saved ones
        await pilot.pause(0.3)
        await pilot.press(*"giraffe")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.conversation_id is not None)
        assert app.conversation_id == target != other
        views = list(app.query(AnswerView))
        assert len(views) == 2 and views[1].selected and not views[0].selected  # the matching turn
        assert app.query_one(SourcesPanel).answer == real_answer()
