"""A conversation as a Markdown file: each question, its answer and the passages the answer cites."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Sequence

from rag.models import Answer, Citation

from .store import Turn

EXPORTS_DIRNAME = "exports"


def _quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.strip().splitlines())


def source_line(citation: Citation) -> str:
    return f"[{citation.number}] {citation.title} — `{citation.doc_id}`, characters {citation.start}–{citation.end}"


def answer_markdown(answer: Answer) -> str:
    """The answer followed by its sources, so the [n] markers still mean something outside the app."""
    parts = [answer.text.strip()]
    if answer.abstained:
        parts.append("*The documents did not answer this question.*")
    if answer.unverified:
        unverified = "\n".join(f"- {sentence.text}" for sentence in answer.unverified)
        parts.append(f"**Not verified by the cited sources:**\n\n{unverified}")
    if answer.citations:
        blocks = []
        for citation in answer.citations:
            block = f"- {source_line(citation)}"
            if citation.sentence:
                block += "\n\n" + "\n".join("  " + line for line in _quote(citation.sentence).splitlines())
            blocks.append(block)
        parts.append("**Sources**\n\n" + "\n".join(blocks))
    return "\n\n".join(parts) + "\n"


def conversation_markdown(title: str, turns: Sequence[Turn]) -> str:
    lines = [f"# {title}", ""]
    for turn in turns:
        backend = turn.answer.backend + (f" ({turn.answer.model})" if turn.answer.model else "")
        lines += [f"## {turn.question.strip()}", ""]
        asked = f"Asked {turn.asked_at.astimezone():%Y-%m-%d %H:%M}" + (f", answered by {backend}" if backend else "")
        lines += [f"*{asked}*", ""]
        lines += [answer_markdown(turn.answer)]
    return "\n".join(lines).rstrip() + "\n"


def write_export(index_dir: Path, title: str, turns: Sequence[Turn], now: datetime) -> Path:
    """Write ``<index_dir>/exports/conversation-<time>.md`` (never overwriting) and return its path."""
    folder = Path(index_dir) / EXPORTS_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"conversation-{now:%Y%m%d-%H%M%S}"
    path = folder / f"{stem}.md"
    suffix = 2
    while path.exists():
        path = folder / f"{stem}-{suffix}.md"
        suffix += 1
    path.write_text(conversation_markdown(title, turns), encoding="utf-8")
    return path
