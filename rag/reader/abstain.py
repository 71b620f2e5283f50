"""Whether the passages answer the question at all: a second small model over the ranked sentences.

The ranker says how likely each sentence is to be the answer; a question the passages do not answer often
still has a sentence that looks likely (same topic, same words). What tells the two apart is read off the
whole ranking: how sure the best sentence is and how far ahead, whether the words the question turns on
appear anywhere in the passages, whether the best sentence holds the kind of answer asked for. These
features go into a logistic model fitted on held-out training questions, with its threshold calibrated
to keep false abstention near 5% (``train/reader.py fit``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..learned import WEIGHTS_DIR
from ..nlp import stem, words
from .features import FEATURES, kind_match
from .question import Question
from .ranker import RankedSentence

MODEL_PATH = WEIGHTS_DIR / "answerable.json"
ANSWERABLE_FEATURES: tuple[str, ...] = (
    "top_probability",  # the ranker's probability for its best sentence
    "margin",  # best minus second best
    "top_cross_encoder",  # the cross-encoder's logit for the best sentence
    "top_context_overlap",  # share of the question's words around the best sentence
    "best_context_overlap",  # the same, best over the first three sentences
    "missing_terms",  # question words (stems) that no passage has at all
    "missing_share",  # the same as a share of the question's words
    "top_kind_match",  # the best sentence holds the kind of answer asked for
    "top_cosine",
)


def answerable_features(question: Question, ranked: Sequence[RankedSentence]) -> list[float]:
    if not ranked:
        return [0.0] * len(ANSWERABLE_FEATURES)
    col = {name: i for i, name in enumerate(FEATURES)}
    top = ranked[0]
    second = ranked[1].probability if len(ranked) > 1 else 0.0
    everywhere: set[str] = set()
    for r in ranked:
        everywhere |= {stem(w) for w in words(f"{r.candidate.text} {r.candidate.title}")}
    terms = set(question.terms)
    missing = len(terms - everywhere)
    return [
        top.probability, top.probability - second, top.features[col["cross_encoder"]],
        top.features[col["context_overlap"]], max(r.features[col["context_overlap"]] for r in ranked[:3]),
        float(missing), missing / len(terms) if terms else 0.0, kind_match(question.kind, top.candidate.text),
        top.features[col["cosine"]],
    ]


def load(path: Path | None = None):
    from ..learned.linear import LinearModel

    model = LinearModel.load(path or MODEL_PATH)
    if model.features != ANSWERABLE_FEATURES:
        from ..errors import ConfigError

        raise ConfigError("the reader's abstention model does not match this version's features: retrain (train/reader.py)")
    return model


def answerable_probability(model, question: Question, ranked: Sequence[RankedSentence]) -> float:
    return float(model.probability(np.array([answerable_features(question, ranked)]))[0])
