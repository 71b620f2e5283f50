"""Candidate sentences: every sentence of the retrieved passages, with its neighbours and passage title."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..models import Citation
from ..nlp import sentence_spans


@dataclass(frozen=True)
class Candidate:
    source: int  # index into the sources (0-based): the answer cites it as [source + 1]
    start: int  # span of the sentence in the passage text
    end: int
    text: str  # the sentence, inner whitespace folded
    previous: str  # the sentences around it in its passage ('' at an edge)
    following: str
    title: str
    position: int  # index of the sentence in its passage
    rank: int  # rank of its passage in retrieval (0 = best)


def _fold(text: str) -> str:
    return " ".join(text.split())


def candidates(sources: Sequence[Citation]) -> list[Candidate]:
    """The sentences of ``sources`` in retrieval order. A sentence that an earlier passage already holds
    (chunks overlap) is left out: the better-ranked copy stands for both."""
    out: list[Candidate] = []
    seen: set[str] = set()
    for s, source in enumerate(sources):
        spans = sentence_spans(source.text)
        texts = [_fold(source.text[a:b]) for a, b in spans]
        for k, ((a, b), text) in enumerate(zip(spans, texts)):
            key = text.lower()
            if key in seen or sum(ch.isalpha() for ch in text) < 8:
                continue
            seen.add(key)
            out.append(Candidate(
                source=s, start=a, end=b, text=text, previous=texts[k - 1] if k else "",
                following=texts[k + 1] if k + 1 < len(texts) else "", title=source.title, position=k, rank=s,
            ))
    return out
