"""The offline answerer: quotes the retrieved sentences that answer the question, each with its [n].

It needs no model beyond the embedder. It abstains when no sentence answers the question, which is
judged by meaning (embedding similarity) and by words: the names the question asks about must be in
the sentence's passage, and some of what it asks must be in the sentence itself. Similar-sounding
sentences about another subject (Anthropic's revenue for a question about Sakana's) do not qualify.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

from ..guard import looks_like_instruction, strip_instructions
from ..models import Citation
from ..text import QUESTION_WORDS, STOPWORDS, content_terms, sentence_spans, stem, terms, words
from .base import ABSTAIN_TEXT

if TYPE_CHECKING:
    from ..embeddings import Embedder

MAX_SENTENCES = 3
MIN_SIMILARITY = 0.30  # cosine below which a sentence is not about the question at all
MIN_SCORE = 0.42


@dataclass(frozen=True)
class _Candidate:
    source: int  # the [n]
    text: str
    terms: frozenset[str]
    context: frozenset[str]  # terms of the whole passage and its title


def question_entities(question: str) -> set[str]:
    """Stems of the names a question asks about: capitalised words, acronyms and numbers."""
    out = set()
    tokens = words(question)
    for i, w in enumerate(tokens):
        lower = w.lower()
        if lower in QUESTION_WORDS or lower in STOPWORDS:
            continue
        if w[0].isupper() and (i > 0 or w.isupper() or lower not in QUESTION_WORDS) or any(ch.isdigit() for ch in w):
            out.add(stem(w))
    return out


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: "Embedder") -> None:
        self.embedder = embedder
        self.model = embedder.model_id

    def stream(self, question: str, sources: Sequence[Citation]) -> Iterator[str]:
        yield self.answer(question, sources)

    def answer(self, question: str, sources: Sequence[Citation]) -> str:
        question = strip_instructions(question)
        candidates = self._candidates(sources)
        if not candidates:
            return ABSTAIN_TEXT
        vectors = self.embedder.embed([question] + [c.text for c in candidates])
        similarity = vectors[1:] @ vectors[0]
        asked = content_terms(question)
        names = question_entities(question)
        everywhere = frozenset().union(*(c.context for c in candidates))
        # A name that no source mentions (a false premise, a typo) cannot be required of any sentence.
        names_required = {n for n in names if n in everywhere}
        plain = asked - names
        scored = []
        for i, cand in enumerate(candidates):
            if not names_required <= cand.context:
                continue
            lexical = len(asked & cand.terms) / len(asked) if asked else 0.0
            if plain and not (plain & cand.terms) and similarity[i] < 0.55:
                continue
            rank_bonus = 0.03 / cand.source
            score = 0.65 * float(similarity[i]) + 0.35 * lexical + rank_bonus
            if similarity[i] >= MIN_SIMILARITY and score >= MIN_SCORE:
                scored.append((score, i))
        if not scored:
            return ABSTAIN_TEXT
        scored.sort(reverse=True)
        best = scored[0][0]
        chosen: list[int] = []
        covered: set[str] = set()
        for score, i in scored:
            if len(chosen) == MAX_SENTENCES or score < 0.85 * best:
                break
            cand = candidates[i]
            if chosen and (max(float(vectors[1 + i] @ vectors[1 + j]) for j in chosen) > 0.9 or
                           not ((cand.terms & asked) - covered) and score < 0.95 * best):
                continue  # a near-repeat, or adds nothing the chosen sentences lack
            chosen.append(i)
            covered |= cand.terms & asked
        return " ".join(f"{_as_sentence(candidates[i].text)} [{candidates[i].source}]" for i in chosen)

    def _candidates(self, sources: Sequence[Citation]) -> list[_Candidate]:
        out = []
        for source in sources:
            context = frozenset(terms(source.text) + terms(source.title))
            for a, b in sentence_spans(source.text):
                text = source.text[a:b].strip()
                if len(text.split()) < 5 or not re.search(r"[.!?\"')]$", text) or looks_like_instruction(text):
                    continue  # headings, fragments, and text that addresses the assistant
                out.append(_Candidate(source.number, text, frozenset(terms(text)), context))
        return out


def _as_sentence(text: str) -> str:
    return " ".join(text.split())
