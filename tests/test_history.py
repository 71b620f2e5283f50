"""Saved conversations: search (full-text and LIKE), old chat files, and the `rag history` commands."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.cli import cli
from rag.loaders import load_document
from rag.models import Answer, AnswerSentence, Citation
from tui.store import MATCH_END, MATCH_START, STORE_FILENAME, ChatStore, Turn, plain_snippet

DOCUMENT = "# Bakery notes\n\nOur oven runs at 230 degrees.\nThe sourdough starter is fed twice a day.\n"

# The file format of the chat store before search existed: no full-text table.
OLD_SCHEMA = """
CREATE TABLE conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, created TEXT NOT NULL,
    updated TEXT NOT NULL);
CREATE TABLE turns (id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE, question TEXT NOT NULL,
    answer_text TEXT NOT NULL, abstained INTEGER NOT NULL, answer_json TEXT NOT NULL, asked_at TEXT NOT NULL);
CREATE INDEX turns_by_conversation ON turns(conversation_id, id);
"""


def at(minute: int) -> datetime:
    return datetime(2025, 3, 4, 10, minute, tzinfo=timezone.utc)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "bakery.md").write_text(DOCUMENT, encoding="utf-8")
    return folder


def answer(corpus: Path, question: str, sentence: str) -> Answer:
    document = load_document(corpus / "bakery.md", corpus, 10**6)
    found = document.text.index(sentence)
    citation = Citation(number=1, doc_id="bakery.md", title=document.title, text=document.text, start=0,
                        end=len(document.text), score=0.9, sentence=sentence, sentence_start=found,
                        sentence_end=found + len(sentence), supporting=((found, found + len(sentence)),))
    other = citation.model_copy(update={"number": 2, "sentence": None, "sentence_start": None, "sentence_end": None,
                                        "supporting": ()})
    return Answer(question=question, text=f"{sentence} [1]", citations=[citation], sources=[citation, other],
                  sentences=[AnswerSentence(text=sentence, citations=(1,), supported=True)], backend="extractive")


@pytest.fixture
def store(tmp_path: Path, corpus: Path) -> ChatStore:
    store = ChatStore.in_index_dir(tmp_path / "index")
    oven = store.new_conversation("How hot is the oven?")
    store.add_turn(oven, Turn("How hot is the oven?", answer(corpus, "How hot is the oven?",
                                                             "Our oven runs at 230 degrees."), at(1)))
    store.add_turn(oven, Turn("And the starter?", answer(corpus, "And the starter?",
                                                         "The sourdough starter is fed twice a day."), at(2)))
    store.new_conversation("Empty")
    return store


def where(hits) -> list[tuple[int, int]]:
    return sorted((hit.conversation_id, hit.position) for hit in hits)


@pytest.mark.parametrize("full_text", [True, False], ids=["fts5", "like"])
def test_search_finds_questions_answers_and_sources(store, full_text) -> None:
    store = ChatStore(store.path, full_text=full_text)
    assert where(store.search("oven")) == [(1, 0)]
    assert where(store.search("sourdough twice")) == [(1, 1)]  # every word, in any order
    assert where(store.search("bakery.md")) == [(1, 0), (1, 1)]  # the cited file
    assert where(store.search("sourdough oven")) == []
    assert store.search("  ?! ") == []
    hit = store.search("starter")[0]
    assert hit.title == "How hot is the oven?" and hit.question == "And the starter?" and hit.asked_at == at(2)
    assert f"{MATCH_START}starter{MATCH_END}" in hit.snippet
    assert "starter" in plain_snippet(hit.snippet) and MATCH_START not in plain_snippet(hit.snippet)


def test_full_text_search_matches_word_starts_and_ranks_better_matches_first(store, corpus) -> None:
    assert where(store.search("sour")) == [(1, 1)]
    third = store.new_conversation("starter again")
    store.add_turn(third, Turn("starter starter starter?", answer(corpus, "starter starter starter?",
                                                                  "The sourdough starter is fed twice a day."), at(3)))
    hits = store.search("starter")
    assert hits[0].conversation_id == third and len(hits) == 2


def test_a_chat_file_from_before_search_is_searched_and_kept_up_to_date(tmp_path, corpus) -> None:
    path = tmp_path / STORE_FILENAME
    with sqlite3.connect(path) as old:
        old.executescript(OLD_SCHEMA)
        old.execute("INSERT INTO conversations (title, created, updated) VALUES ('old', ?, ?)",
                    (at(0).isoformat(), at(0).isoformat()))
        saved = answer(corpus, "Oven?", "Our oven runs at 230 degrees.")
        old.execute("INSERT INTO turns (conversation_id, question, answer_text, abstained, answer_json, asked_at)"
                    " VALUES (1, 'Oven?', ?, 0, ?, ?)", (saved.text, saved.model_dump_json(), at(0).isoformat()))
    store = ChatStore(path)
    assert where(store.search("degrees")) == [(1, 0)]  # the search index is made on the first search
    assert store.turns(1)[0].answer == saved
    # A turn written without updating the search index (by an older version) is found at the next search.
    with sqlite3.connect(path) as old:
        old.execute("INSERT INTO turns (conversation_id, question, answer_text, abstained, answer_json, asked_at)"
                    " VALUES (1, 'Starter?', 'Fed twice a day.', 0, ?, ?)", (saved.model_dump_json(), at(1).isoformat()))
    assert where(store.search("twice")) == [(1, 1)]


def test_searching_a_store_that_does_not_exist_creates_nothing(tmp_path) -> None:
    assert ChatStore.in_index_dir(tmp_path / "index").search("anything") == []
    assert not (tmp_path / "index").exists()


# ---------------------------------------------------------- `rag history`


def history(store: ChatStore, corpus: Path, *args: str):
    return CliRunner().invoke(cli, ["--corpus", str(corpus), "--index", str(store.path.parent), "history", *args])


def test_history_list_and_search(store, corpus) -> None:
    listed = history(store, corpus, "list")
    assert listed.exit_code == 0
    rows = listed.stdout.splitlines()
    assert len(rows) == 2 and rows[0].endswith("Empty")  # most recently used first: made last, by the clock
    assert "2 questions" in rows[1] and rows[1].endswith("How hot is the oven?")

    found = history(store, corpus, "search", "sourdough")
    assert found.exit_code == 0
    assert "   1  How hot is the oven?  (question 2, " in found.stdout
    assert "      Q: And the starter?" in found.stdout
    assert "The sourdough starter is fed twice a day." in found.stdout  # no match marks outside a terminal
    assert MATCH_START not in found.stdout

    nothing = history(store, corpus, "search", "croissant")
    assert nothing.exit_code == 0 and nothing.stdout == "nothing saved matches 'croissant'\n"


def test_history_show_and_export_keep_citations_sources_and_lines(store, corpus, tmp_path) -> None:
    shown = history(store, corpus, "show", "1")
    assert shown.exit_code == 0
    # The cited sentence is on line 3 of bakery.md (the heading is line 1).
    assert "- [1] Bakery notes — `bakery.md`, line 3, characters 0–" in shown.stdout
    assert "- [1] Bakery notes — `bakery.md`, line 4, characters 0–" in shown.stdout
    assert "**Also retrieved, not cited**" in shown.stdout
    assert shown.stdout == history(store, corpus, "export", "1").stdout

    exported = history(store, corpus, "export", "1", "--format", "json")
    data = json.loads(exported.stdout)
    assert data["id"] == 1 and data["title"] == "How hot is the oven?"
    assert [t["question"] for t in data["turns"]] == ["How hot is the oven?", "And the starter?"]
    first = data["turns"][0]["answer"]
    assert (first["citations"][0]["start_line"], first["citations"][0]["end_line"]) == (3, 3)
    assert first["citations"][0]["sentence"] == "Our oven runs at 230 degrees."
    assert len(first["sources"]) == 2 and first["sources"][1]["source_state"] == "found"

    out = tmp_path / "chat.json"
    written = history(store, corpus, "export", "1", "--format", "json", "-o", str(out))
    assert written.exit_code == 0 and json.loads(out.read_text(encoding="utf-8")) == data


def test_history_of_a_conversation_that_does_not_exist_is_one_error_line(store, corpus) -> None:
    for command in ("show", "export"):
        result = history(store, corpus, command, "99")
        assert result.exit_code == 1
        assert result.stderr.startswith("error: no saved conversation 99 in ") and result.stderr.count("\n") == 1


def test_history_lines_say_when_the_file_changed(store, corpus) -> None:
    (corpus / "bakery.md").write_text("# Bakery notes\n\nNew first line.\n\n" + DOCUMENT.split("\n", 2)[2],
                                      encoding="utf-8")
    data = json.loads(history(store, corpus, "export", "1", "--format", "json").stdout)
    citation = data["turns"][0]["answer"]["citations"][0]
    assert citation["source_state"] == "moved" and citation["start_line"] == 5
    assert "changed since it was indexed" in citation["source_note"]


def test_rag_history_imports_no_textual(store, corpus) -> None:
    code = (
        "import sys\n"
        "from rag.cli import cli\n"
        f"cli(['--corpus', {str(corpus)!r}, '--index', {str(store.path.parent)!r}, 'history', 'search', 'oven'],"
        " standalone_mode=False)\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    assert "How hot is the oven?" in result.stdout
