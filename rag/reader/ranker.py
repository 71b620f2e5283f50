"""The learned ranker: candidates -> features -> probability that the sentence answers the question."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from ..learned import WEIGHTS_DIR
from ..learned.linear import LinearModel
from ..models import Citation
from .candidates import Candidate, candidates
from .features import FEATURES, Signals, _stems, featurize
from .question import Question, analyse

if TYPE_CHECKING:
    from ..embeddings import Embedder
    from ..learned.cross_encoder import CrossEncoder

MODEL_PATH = WEIGHTS_DIR / "reader.json"
# Only this many candidates (the closest by cosine and shared words) go through the cross-encoder: it is the
# costly step, and the rest never rank high (on the training questions the answer sentence was among the
# first 20 by this pre-score for 97% of questions).
CROSS_ENCODED = 20


@dataclass(frozen=True)
class RankedSentence:
    candidate: Candidate
    probability: float
    features: tuple[float, ...]

    @property
    def number(self) -> int:
        """The [n] that cites this sentence's passage."""
        return self.candidate.source + 1


class Reader:
    """Ranks the sentences of retrieved passages by the probability that they answer a question."""

    def __init__(self, embedder: "Embedder", cross_encoder: "CrossEncoder", model: LinearModel | Path | None = None):
        from ..embeddings import cached

        self._vectors = cached(embedder)
        self.cross_encoder = cross_encoder
        # Features held at their training mean on every call (``rag eval run --ablate``): what carries the ranking.
        self.disabled: frozenset[str] = frozenset()
        self._answerable = None
        self.model = model if isinstance(model, LinearModel) else LinearModel.load(model or MODEL_PATH)
        if self.model.features != FEATURES:
            from ..errors import ConfigError

            raise ConfigError("the reader's model file does not match this version's features: retrain (train/reader.py)")

    def answerable(self, question: Question, ranked: Sequence[RankedSentence]) -> bool:
        """Whether the passages answer the question: the abstention model over the whole ranking."""
        from .abstain import answerable_probability, load

        if self._answerable is None:
            self._answerable = load()
        if not ranked:
            return False
        return answerable_probability(self._answerable, question, ranked) >= self._answerable.threshold

    @property
    def threshold(self) -> float:
        """Below this probability for the best sentence, the reader says the documents do not answer."""
        return self.model.threshold

    def signals(self, question: Question, cands: Sequence[Candidate]) -> Signals:
        n = len(cands)
        vectors = self._vectors.embed([question.text] + [c.text for c in cands])
        cosine = (vectors[1:] @ vectors[0]).astype(np.float64) if n else np.zeros(0)
        where = {(c.source, c.position): i for i, c in enumerate(cands)}
        prev = np.array([cosine[where[(c.source, c.position - 1)]] if (c.source, c.position - 1) in where else 0.0
                         for c in cands])
        nxt = np.array([cosine[where[(c.source, c.position + 1)]] if (c.source, c.position + 1) in where else 0.0
                        for c in cands])
        q_terms = set(question.terms)
        overlap = np.array([len(q_terms & _stems(c.text)) / len(q_terms) if q_terms else 0.0 for c in cands])
        order = np.argsort(-(0.5 * cosine + 0.5 * overlap), kind="stable")[:CROSS_ENCODED]
        ce = np.zeros(n)
        if n:
            scored = self.cross_encoder.score("question", [(question.text, cands[i].text) for i in order])
            ce[:] = float(scored.min()) - 2.0
            ce[order] = scored
        return Signals(ce, cosine, prev, nxt)

    def rank(self, question: str | Question, sources: Sequence[Citation], *,
             disabled: Iterable[str] = ()) -> list[RankedSentence]:
        """Every candidate sentence of ``sources``, most likely answer first. ``disabled`` names features to
        hold at their training mean (ablation: what carries the ranking)."""
        q = analyse(question) if isinstance(question, str) else question
        cands = candidates(sources)
        if not cands:
            return []
        X = featurize(q, cands, self.signals(q, cands))
        p = self.model.probability(X, self.disabled | set(disabled))
        order = np.argsort(-p, kind="stable")
        return [RankedSentence(cands[i], float(p[i]), tuple(float(v) for v in X[i])) for i in order]
