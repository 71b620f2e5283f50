"""Saved conversations and their Markdown export, without the UI."""

from __future__ import annotations

from datetime import datetime, timezone

from rag.models import Answer, AnswerSentence, Citation
from tui.export import conversation_markdown, write_export
from tui.store import STORE_FILENAME, ChatStore, Turn, title_for

PASSAGE = "Intro. Claude writes more than 80 percent of the merged code. Outro."
SENTENCE = "Claude writes more than 80 percent of the merged code."


def answer(question: str, abstained: bool = False) -> Answer:
    start = PASSAGE.index(SENTENCE)
    citation = Citation(
        number=1, doc_id="notes/anthropic.md", title="Anthropic", text=PASSAGE, start=100, end=100 + len(PASSAGE),
        score=0.9, sentence=SENTENCE, sentence_start=100 + start, sentence_end=100 + start + len(SENTENCE),
    )
    if abstained:
        text = "The documents do not answer this question."
        return Answer(question=question, text=text, sources=[citation], abstained=True)
    return Answer(
        question=question, text=f"{SENTENCE} [1] It also bakes bread [1].", citations=[citation], sources=[citation],
        sentences=[
            AnswerSentence(text=SENTENCE, citations=(1,), supported=True),
            AnswerSentence(text="It also bakes bread.", citations=(1,), supported=False),
        ],
        backend="extractive",
    )


def at(minute: int) -> datetime:
    return datetime(2025, 3, 4, 10, minute, tzinfo=timezone.utc)


def test_reading_an_absent_store_creates_nothing(tmp_path) -> None:
    store = ChatStore.in_index_dir(tmp_path / "index")
    assert store.conversations() == [] and store.turns(1) == [] and store.title(1) is None
    assert not (tmp_path / "index").exists()


def test_turns_round_trip_and_newest_conversation_comes_first(tmp_path) -> None:
    store = ChatStore.in_index_dir(tmp_path)
    older = store.new_conversation("older")
    store.add_turn(older, Turn("q1", answer("q1"), at(1)))
    newer = store.new_conversation("newer")
    store.add_turn(newer, Turn("q2", answer("q2", abstained=True), at(2)))
    store.add_turn(newer, Turn("q3", answer("q3"), at(3)))

    assert (tmp_path / STORE_FILENAME).exists()
    summaries = store.conversations()
    assert [(s.title, s.turns) for s in summaries] == [("newer", 2), ("older", 1)]
    turns = store.turns(newer)
    assert [t.question for t in turns] == ["q2", "q3"]
    assert turns[0].answer == answer("q2", abstained=True) and turns[0].asked_at == at(2)
    assert turns[1].answer.citations[0].sentence == SENTENCE


def test_titles_are_one_short_line() -> None:
    assert title_for("  What is\nRSI?  ") == "What is RSI?"
    long = title_for("why " * 40)
    assert len(long) <= 60 and long.endswith("…")


def test_export_lists_answers_their_sources_and_unverified_sentences(tmp_path) -> None:
    turns = [
        Turn("Who writes the code?", answer("Who writes the code?"), at(5)),
        Turn("Bread?", answer("Bread?", abstained=True), at(6)),
    ]
    path = write_export(tmp_path, "Code", turns, at(7))
    again = write_export(tmp_path, "Code", turns, at(7))
    assert path.parent == tmp_path / "exports" and again != path  # never overwrites

    text = path.read_text(encoding="utf-8")
    assert text == conversation_markdown("Code", turns)
    assert text.startswith("# Code\n")
    assert "## Who writes the code?" in text and "## Bread?" in text
    assert "[1] Anthropic — `notes/anthropic.md`, characters 100–" in text
    assert f"> {SENTENCE}" in text
    assert "Not verified" in text and "It also bakes bread." in text
    assert "did not answer" in text
