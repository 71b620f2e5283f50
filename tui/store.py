"""Saved conversations: one SQLite file in the index folder, read and written with the standard library.

Each call opens its own short-lived connection, so the store can be used from the UI thread and
from worker threads alike (sqlite3 connections must not cross threads). The file is created on the
first write only: opening the chat on an empty index folder must not put anything in it.
"""

from __future__ import annotations

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


def title_for(question: str) -> str:
    """A conversation is named after its first question, shortened to fit a list row."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ChatStore:
    """Conversations and their turns in ``<index_dir>/chats.sqlite3``."""

    def __init__(self, path: Path) -> None:
        self.path = path

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
