"""Saved conversations: one SQLite file in the index folder, read and written with the standard library.

Each call opens its own short-lived connection, so the store can be used from the UI thread and
from worker threads alike (sqlite3 connections must not cross threads). The file is created on the
first write only: opening the chat on an empty index folder must not put anything in it.

Search uses SQLite's full-text index (FTS5) when this Python's sqlite3 has it, else LIKE. The full-text
table is derived from the turns and brought up to date at each search (turns it lacks are added), so chat
files written before it existed, or by a version that does not fill it, work unchanged.

This module imports no Textual: the `rag history` commands use it, and the CLI must start quickly.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rag.models import Answer

STORE_FILENAME = "chats.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer_text TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    answer_json TEXT NOT NULL,
    asked_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns(conversation_id, id);
"""

TITLE_CHARS = 60
SEARCH_TABLE = "turns_search"
# Around each match in a search hit's snippet: characters no text uses (Unicode private use), for each face to
# render its own way (bold in a terminal, highlighted in the chat).
MATCH_START, MATCH_END = "\ue000", "\ue001"
SNIPPET_WORDS = 16


@dataclass(frozen=True)
class Turn:
    """One question and the answer it got."""

    question: str
    answer: Answer
    asked_at: datetime


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    title: str
    updated: datetime
    turns: int


@dataclass(frozen=True)
class SearchHit:
    """A saved turn that matches a search."""

    conversation_id: int
    title: str
    position: int  # of the turn in its conversation, from 0
    question: str
    snippet: str  # where it matched, each match between MATCH_START and MATCH_END
    asked_at: datetime


def plain_snippet(snippet: str, start: str = "", end: str = "") -> str:
    """A hit's snippet with its match marks replaced (by nothing, by default)."""
    return snippet.replace(MATCH_START, start).replace(MATCH_END, end)


def _sources_text(answer_json: str) -> str:
    """What a turn's sources add to the search: the cited titles, files and sentences."""
    try:
        data = json.loads(answer_json)
    except ValueError:
        return ""
    parts = []
    for citation in data.get("citations") or []:
        if isinstance(citation, dict):
            parts += [str(citation.get(key) or "") for key in ("title", "doc_id", "sentence")]
    return "\n".join(p for p in parts if p)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def title_for(question: str) -> str:
    """A conversation is named after its first question, shortened to fit a list row."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ChatStore:
    """Conversations and their turns in ``<index_dir>/chats.sqlite3``."""

    def __init__(self, path: Path, *, full_text: bool = True) -> None:
        self.path = path
        self.full_text = full_text  # False: search with LIKE even where FTS5 is available

    @classmethod
    def in_index_dir(cls, index_dir: Path) -> "ChatStore":
        return cls(Path(index_dir) / STORE_FILENAME)

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if not self.path.exists():
            if not create:
                return None
            self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=5)
        connection.execute("PRAGMA foreign_keys = ON")
        connection.executescript(_SCHEMA)
        return connection

    def new_conversation(self, title: str) -> int:
        now = _now().isoformat()
        connection = self._connect(create=True)
        assert connection is not None
        with closing(connection), connection:
            cursor = connection.execute(
                "INSERT INTO conversations (title, created, updated) VALUES (?, ?, ?)", (title, now, now)
            )
            return int(cursor.lastrowid or 0)

    def add_turn(self, conversation_id: int, turn: Turn) -> None:
        connection = self._connect(create=True)
        assert connection is not None
        with closing(connection), connection:
            connection.execute(
                "INSERT INTO turns (conversation_id, question, answer_text, abstained, answer_json, asked_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    turn.question,
                    turn.answer.text,
                    int(turn.answer.abstained),
                    turn.answer.model_dump_json(),
                    turn.asked_at.isoformat(),
                ),
            )
            connection.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?", (turn.asked_at.isoformat(), conversation_id)
            )

    def conversations(self) -> list[ConversationSummary]:
        """Saved conversations, most recently used first."""
        connection = self._connect(create=False)
        if connection is None:
            return []
        with closing(connection):
            rows = connection.execute(
                "SELECT c.id, c.title, c.updated, COUNT(t.id) FROM conversations c"
                " LEFT JOIN turns t ON t.conversation_id = c.id"
                " GROUP BY c.id ORDER BY c.updated DESC, c.id DESC"
            ).fetchall()
        return [ConversationSummary(int(i), str(t), datetime.fromisoformat(u), int(n)) for i, t, u, n in rows]

    def title(self, conversation_id: int) -> str | None:
        connection = self._connect(create=False)
        if connection is None:
            return None
        with closing(connection):
            row = connection.execute("SELECT title FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return None if row is None else str(row[0])

    def summary(self, conversation_id: int) -> ConversationSummary | None:
        """The conversation's title, last use and number of turns; None when there is no such conversation."""
        return next((s for s in self.conversations() if s.id == conversation_id), None)

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Saved turns whose question, answer or cited sources hold every word of ``text``, best first."""
        words = _words(text)
        if not words:
            return []
        connection = self._connect(create=False)
        if connection is None:
            return []
        with closing(connection):
            if self.full_text and self._sync_search(connection):
                return self._search_fts(connection, words, limit)
            return self._search_like(connection, words, limit)

    @staticmethod
    def _sync_search(connection: sqlite3.Connection) -> bool:
        """Make the full-text table and add the turns it lacks; False when FTS5 cannot be used here."""
        try:
            with connection:
                connection.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5("
                    "question, answer, sources, tokenize = 'unicode61 remove_diacritics 2')"
                )
                rows = connection.execute(
                    f"SELECT id, question, answer_text, answer_json FROM turns"
                    f" WHERE id > (SELECT coalesce(max(rowid), 0) FROM {SEARCH_TABLE}) ORDER BY id"
                ).fetchall()
                connection.executemany(
                    f"INSERT INTO {SEARCH_TABLE} (rowid, question, answer, sources) VALUES (?, ?, ?, ?)",
                    [(i, q, a, _sources_text(j)) for i, q, a, j in rows],
                )
        except sqlite3.OperationalError:  # no FTS5 in this sqlite3, or a read-only file: LIKE still works
            return False
        return True

    @staticmethod
    def _hits(rows: list[tuple]) -> list[SearchHit]:
        return [SearchHit(int(c), str(title), int(p), str(q), " ".join(str(snippet).split()), datetime.fromisoformat(t))
                for c, title, p, q, snippet, t in rows]

    _HIT_COLUMNS = (
        "t.conversation_id, c.title,"
        " (SELECT count(*) FROM turns e WHERE e.conversation_id = t.conversation_id AND e.id < t.id),"
        " t.question, {snippet}, t.asked_at"
    )

    def _search_fts(self, connection: sqlite3.Connection, words: list[str], limit: int) -> list[SearchHit]:
        # Each word quoted (so none is read as FTS syntax) and matched as a prefix: 'bench' finds 'benchmarks'.
        query = " ".join('"' + word.replace('"', '""') + '"*' for word in words)
        snippet = f"snippet({SEARCH_TABLE}, -1, '{MATCH_START}', '{MATCH_END}', '…', {SNIPPET_WORDS})"
        rows = connection.execute(
            f"SELECT {self._HIT_COLUMNS.format(snippet=snippet)} FROM {SEARCH_TABLE} s"
            " JOIN turns t ON t.id = s.rowid JOIN conversations c ON c.id = t.conversation_id"
            f" WHERE {SEARCH_TABLE} MATCH ? ORDER BY s.rank, t.id DESC LIMIT ?",
            (query, limit),
        ).fetchall()
        return self._hits(rows)

    def _search_like(self, connection: sqlite3.Connection, words: list[str], limit: int) -> list[SearchHit]:
        """Without FTS5: the same fields, each word anywhere in them (case-folded), newest first."""
        rows = connection.execute(
            f"SELECT {self._HIT_COLUMNS.format(snippet='t.answer_text')}, t.answer_json FROM turns t"
            " JOIN conversations c ON c.id = t.conversation_id ORDER BY t.id DESC"
        ).fetchall()
        wanted = [word.casefold() for word in words]
        hits = []
        for *columns, answer_json in rows:
            question, answer = str(columns[3]), str(columns[4])
            haystack = "\n".join((question, answer, _sources_text(answer_json))).casefold()
            if all(word in haystack for word in wanted):
                hits.append(tuple(columns[:4]) + (_snippet(question, answer, words),) + (columns[5],))
                if len(hits) >= limit:
                    break
        return self._hits(hits)

    def turns(self, conversation_id: int) -> list[Turn]:
        connection = self._connect(create=False)
        if connection is None:
            return []
        with closing(connection):
            rows = connection.execute(
                "SELECT question, answer_json, asked_at FROM turns WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        return [
            Turn(question=q, answer=Answer.model_validate_json(a), asked_at=datetime.fromisoformat(t))
            for q, a, t in rows
        ]


def _snippet(question: str, answer: str, words: list[str]) -> str:
    """Around the first match (in the answer, else the question), the words matched marked as FTS5 marks them."""
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    text = answer if pattern.search(answer) else question
    found = pattern.search(text)
    tokens = text.split()
    if found is None:
        return " ".join(tokens[:SNIPPET_WORDS])
    at = len(text[: found.start()].split())
    first = max(0, at - SNIPPET_WORDS // 3)
    piece = " ".join(tokens[first : first + SNIPPET_WORDS])
    marked = pattern.sub(lambda m: MATCH_START + m.group() + MATCH_END, piece)
    return ("…" if first else "") + marked + ("…" if first + SNIPPET_WORDS < len(tokens) else "")
