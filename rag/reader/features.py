"""Typed, named features of each candidate sentence; the ranker's model weighs them.

Nothing here decides: each feature measures one thing, and the weights that combine them are fitted on
training data (``train/reader.py``). ``FEATURES`` fixes the column order of the model file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..guard import looks_like_instruction
from ..nlp import STOPWORDS, date_tokens, number_tokens, stem, words
from .candidates import Candidate
from .question import Question

FEATURES: tuple[str, ...] = (
    "cross_encoder",  # the fine-tuned cross-encoder's logit for (question, sentence)
    "cross_encoder_gap",  # that logit minus the best candidate's: how far behind the leader
    "cosine",  # MiniLM cosine of question and sentence
    "cosine_gap",
    "cosine_context",  # the best cosine of the sentence's neighbours
    "bm25",  # BM25 of the question's words over the candidate sentences, scaled to the best
    "term_overlap",  # share of the question's content words (stemmed) that the sentence has
    "context_overlap",  # the same over the sentence, its neighbours and its passage title
    "name_overlap",  # share of the question's names and code tokens ('-a', 'sorted()') in that context
    "novelty",  # share of the sentence's content words that the question does not use: a sentence that only
                # restates the question ('Readers ask how much code Claude writes') adds nothing
    "kind_match",  # the sentence holds the kind of thing asked for (a number, a date, a name, a reason...)
    "source_rank",  # 1 / (1 + retrieval rank of its passage)
    "position",  # 1 / (1 + index of the sentence in its passage)
    "length",  # log(1 + words)
    "heading",  # a short line without final punctuation
    "code",  # share of characters that are neither letters nor spaces
    "instruction",  # reads like an order to the assistant (see rag.guard)
)

_REASON = re.compile(r"\b(?:because|since|so that|in order to|due to|as a result|therefore|thus|hence|"
                     r"the reason|so as to|allows?|avoid|prevent|otherwise|to ensure|to make)\b", re.I)
_DEFINITION = re.compile(r"\b(?:is|are|was|were) (?:a|an|the|one|used|called)\b|\bmeans?\b|\brefers? to\b|"
                         r"\bdefined as\b|\bstands? for\b|\bis (?:simply|basically)\b", re.I)
_HOWTO = re.compile(r"\b(?:use|run|call|pass|set|add|specify|type|invoke|create|install|enable)\b|--?\w|\w\(\)|"
                    r"\bby (?:using|calling|passing|setting|adding)\b", re.I)
_DOES = re.compile(r"\b(?:causes?|makes?|returns?|prints?|shows?|displays?|writes?|reads?|creates?|removes?|"
                   r"deletes?|sets?|changes?|lists?|enables?|disables?|controls?|specif(?:y|ies)|allows?|lets?|"
                   r"provides?|sends?|uses?|ignores?|forces?|tells?)\b", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+|\b\w+\(\)|(?<!\w)--?\w[\w-]*")


def kind_match(kind: str, text: str) -> float:
    if kind == "number":
        return float(bool(number_tokens(text)))
    if kind == "date":
        return float(bool(date_tokens(text)))
    if kind == "name":
        return float(bool(_NAME.search(text)))
    if kind == "reason":
        return float(bool(_REASON.search(text)))
    if kind == "definition":
        return float(bool(_DEFINITION.search(text)))
    if kind == "howto":
        return float(bool(_HOWTO.search(text)))
    if kind == "what_does":
        return float(bool(_DOES.search(text)))
    if kind == "list":
        return float(text.count(",") >= 2 or bool(re.match(r"^\s*(?:[-*•]|\d+[.)])\s", text)) or text.endswith(":"))
    return 0.5


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)}


def _novelty(question_terms: set[str], text: str) -> float:
    content = {stem(w) for w in words(text) if w.lower() not in STOPWORDS}
    return len(content - question_terms) / len(content) if content else 0.0


@dataclass(frozen=True)
class Signals:
    """What the models said of the candidates, computed by the ranker in batches."""

    cross_encoder: np.ndarray
    cosine: np.ndarray  # of each candidate
    cosine_previous: np.ndarray
    cosine_following: np.ndarray


def _bm25(question_terms: set[str], docs: list[set[str]], lengths: list[int]) -> np.ndarray:
    n = len(docs)
    if not n or not question_terms:
        return np.zeros(n)
    avg = max(1.0, sum(lengths) / n)
    out = np.zeros(n)
    for term in question_terms:
        df = sum(term in d for d in docs)
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, d in enumerate(docs):
            if term in d:
                out[i] += idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * lengths[i] / avg))
    top = out.max()
    return out / top if top > 0 else out


def featurize(question: Question, cands: Sequence[Candidate], signals: Signals) -> np.ndarray:
    """One row per candidate, columns in ``FEATURES`` order."""
    n = len(cands)
    X = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if not n:
        return X
    q_terms = set(question.terms)
    sent_stems = [_stems(c.text) for c in cands]
    bm25 = _bm25(q_terms, sent_stems, [len(words(c.text)) for c in cands])
    ce = signals.cross_encoder.astype(np.float64)
    cos = signals.cosine.astype(np.float64)
    for i, c in enumerate(cands):
        context = sent_stems[i] | _stems(c.previous) | _stems(c.following) | _stems(c.title)
        low_context = f"{c.previous} {c.text} {c.following} {c.title}".lower()
        names = question.names
        n_words = len(c.text.split())
        X[i] = (
            ce[i], ce[i] - ce.max(), cos[i], cos[i] - cos.max(),
            max(signals.cosine_previous[i], signals.cosine_following[i]), bm25[i],
            len(q_terms & sent_stems[i]) / len(q_terms) if q_terms else 0.0,
            len(q_terms & context) / len(q_terms) if q_terms else 0.0,
            (sum(1 for nm in names if nm in context or nm in low_context) / len(names)) if names else 1.0,
            _novelty(q_terms, c.text),
            kind_match(question.kind, c.text), 1.0 / (1 + c.rank), 1.0 / (1 + c.position), math.log1p(n_words),
            float(n_words < 8 and not re.search(r"[.!?:;]$", c.text)),
            sum(1 for ch in c.text if not (ch.isalpha() or ch.isspace())) / max(1, len(c.text)),
            float(looks_like_instruction(c.text)),
        )
    return X
