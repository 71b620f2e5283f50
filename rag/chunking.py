"""Sentence-aware chunks sized in the embedding model's own word pieces, with exact document offsets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .loaders import Document


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    number: int  # position within the document, from 0
    start: int  # offsets into Document.text; text == document.text[start:end]
    end: int
    text: str
    chunk_hash: str
    doc_hash: str
    n_chunks: int

    def metadata(self) -> dict[str, str | int]:
        return {
            "doc_id": self.doc_id, "title": self.title, "chunk": self.number, "start": self.start,
            "end": self.end, "chunk_hash": self.chunk_hash, "doc_hash": self.doc_hash, "n_chunks": self.n_chunks,
        }


def chunk_id(doc_id: str, doc_hash: str, number: int) -> str:
    # Deterministic, so re-running an interrupted ingest overwrites instead of duplicating.
    key = hashlib.sha1(f"{doc_id}\x00{doc_hash}".encode()).hexdigest()[:20]
    return f"{key}-{number}"


class Chunker:
    """Wraps llama-index's SentenceSplitter with a tokenizer and a hard cap at the model's window."""

    def __init__(self, chunk_size: int, chunk_overlap: int, tokenize: Callable[[str], list], max_tokens: int) -> None:
        from llama_index.core.node_parser import SentenceSplitter

        self.max_tokens = max_tokens
        size = min(chunk_size, max_tokens)
        self._tokenize = tokenize
        self._splitter = SentenceSplitter(
            chunk_size=size, chunk_overlap=min(chunk_overlap, size // 2), tokenizer=tokenize, paragraph_separator="\n\n"
        )

    def split(self, document: "Document") -> list[Chunk]:
        text = document.text
        spans: list[tuple[int, int]] = []
        cursor = 0
        for piece in self._splitter.split_text(text):
            span = _locate(text, piece, cursor)
            if span is None:
                continue
            for sub in self._cap(text, *span):
                spans.append(sub)
            # Overlap means the next chunk may begin before this one ends.
            cursor = max(cursor, span[0] + 1)
        out = []
        for number, (start, end) in enumerate(spans):
            body = text[start:end]
            out.append(Chunk(
                chunk_id=chunk_id(document.doc_id, document.content_hash, number), doc_id=document.doc_id,
                title=document.title, number=number, start=start, end=end, text=body,
                chunk_hash=hashlib.sha256(body.encode("utf-8")).hexdigest(), doc_hash=document.content_hash,
                n_chunks=len(spans),
            ))
        return out

    def _cap(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Split a span that still exceeds the window (a sentence with no breaks) at word boundaries."""
        if len(self._tokenize(text[start:end])) <= self.max_tokens:
            return [(start, end)]
        out, cut = [], start
        while cut < end:
            lo, hi = cut + 1, end
            while lo < hi:  # longest prefix within the window
                mid = (lo + hi + 1) // 2
                if len(self._tokenize(text[cut:mid])) <= self.max_tokens:
                    lo = mid
                else:
                    hi = mid - 1
            stop = lo
            if stop < end:
                space = text.rfind(" ", cut + 1, stop)
                stop = space if space > cut else stop
            out.append((cut, stop))
            cut = stop
            while cut < end and text[cut].isspace():
                cut += 1
        return out


def _locate(text: str, piece: str, cursor: int) -> tuple[int, int] | None:
    """Where a splitter output sits in the text (the splitter may trim or fold whitespace)."""
    piece = piece.strip()
    if not piece:
        return None
    at = text.find(piece, cursor)
    if at < 0:
        at = text.find(piece)
    if at >= 0:
        return at, at + len(piece)
    head, tail = piece[:40], piece[-40:]
    start = text.find(head, cursor)
    if start < 0:
        return None
    stop = text.find(tail, start)
    return (start, stop + len(tail)) if stop >= 0 else (start, min(len(text), start + len(piece)))
