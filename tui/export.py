"""A conversation as a Markdown file (or JSON): each question, its answer and the passages the answer cites,
with the lines of the cited sentences in their files when a Locator is given. No Textual here: `rag history`
uses it too."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from rag.models import Answer, Citation

from .store import Turn

if TYPE_CHECKING:
    from rag.sources import Locator

EXPORTS_DIRNAME = "exports"


def _quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.strip().splitlines())


def source_line(citation: Citation, locator: "Locator | None" = None) -> str:
    """'[n] Title — `file`, lines a–b, characters x–y' (the lines of the cited sentence, when they are known)."""
    lines = locator.locate(citation).lines_label() if locator is not None else None
    return (f"[{citation.number}] {citation.title} — `{citation.doc_id}`" + (f", {lines}" if lines else "")
            + f", characters {citation.start}–{citation.end}")


def citation_markdown(citation: Citation, locator: "Locator | None" = None) -> str:
    """One source on its own (to copy): where it is, the cited sentence quoted, then the whole passage."""
    parts = [source_line(citation, locator)]
    if citation.sentence:
        parts.append(_quote(citation.sentence))
    parts.append(citation.text.strip())
    return "\n\n".join(parts) + "\n"


def answer_markdown(answer: Answer, locator: "Locator | None" = None) -> str:
    """The answer followed by its sources, so the [n] markers still mean something outside the app; then the
    passages that were retrieved but not cited."""
    parts = [answer.text.strip()]
    if answer.abstained:
        parts.append("*The documents did not answer this question.*")
    if answer.unverified:
        unverified = "\n".join(f"- {sentence.text}" for sentence in answer.unverified)
        parts.append(f"**Not verified by the cited sources:**\n\n{unverified}")
    if answer.citations:
        blocks = []
        for citation in answer.citations:
            block = f"- {source_line(citation, locator)}"
            if citation.sentence:
                block += "\n\n" + "\n".join("  " + line for line in _quote(citation.sentence).splitlines())
            blocks.append(block)
        parts.append("**Sources**\n\n" + "\n".join(blocks))
    cited = {citation.number for citation in answer.citations}
    others = [source for source in answer.sources if source.number not in cited]
    if others:
        heading = "**Also retrieved, not cited**" if cited else "**Retrieved**"
        parts.append(heading + "\n\n" + "\n".join(f"- {source_line(s, locator)}" for s in others))
    return "\n\n".join(parts) + "\n"


def conversation_json(title: str, turns: Sequence[Turn], locator: "Locator | None" = None,
                      conversation_id: int | None = None) -> dict[str, Any]:
    """The conversation as JSON-ready data: each turn's whole Answer, its citations and sources with their
    file lines (``start_line``, ``end_line``…) when a Locator is given."""
    from rag.sources import answer_json

    return {
        "id": conversation_id, "title": title,
        "turns": [{"question": turn.question, "asked_at": turn.asked_at.isoformat(),
                   "answer": answer_json(turn.answer, locator)} for turn in turns],
    }


def conversation_markdown(title: str, turns: Sequence[Turn], locator: "Locator | None" = None) -> str:
    lines = [f"# {title}", ""]
    for turn in turns:
        backend = turn.answer.backend + (f" ({turn.answer.model})" if turn.answer.model else "")
        lines += [f"## {turn.question.strip()}", ""]
        asked = f"Asked {turn.asked_at.astimezone():%Y-%m-%d %H:%M}" + (f", answered by {backend}" if backend else "")
        lines += [f"*{asked}*", ""]
        lines += [answer_markdown(turn.answer, locator)]
    return "\n".join(lines).rstrip() + "\n"


def write_export(index_dir: Path, title: str, turns: Sequence[Turn], now: datetime,
                 locator: "Locator | None" = None) -> Path:
    """Write ``<index_dir>/exports/conversation-<time>.md`` (never overwriting) and return its path."""
    folder = Path(index_dir) / EXPORTS_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"conversation-{now:%Y%m%d-%H%M%S}"
    path = folder / f"{stem}.md"
    suffix = 2
    while path.exists():
        path = folder / f"{stem}-{suffix}.md"
        suffix += 1
    path.write_text(conversation_markdown(title, turns, locator), encoding="utf-8")
    return path
