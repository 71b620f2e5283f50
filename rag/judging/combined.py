"""The combined judge: the heuristic's explicit checks and the cross-encoder's reading, weighed by one fitted
model with a calibrated threshold.

The heuristic judge finds the evidence (the passage sentences closest to the claim) and runs its checks
(numbers, names, negation, quantifiers and modality, who said what, causes, order, added detail); the
cross-encoder reads the claim against that evidence and the sentence before each piece of it (where a
pronoun's name is). Neither decides alone: ``FEATURES`` are the inputs of a logistic model fitted on
labelled claims over real text (``train/judge.py``). Verdicts are kept per (model, claim, passages).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from ..learned import WEIGHTS_DIR
from ..learned.linear import LinearModel
from .base import Case, Verdict

if TYPE_CHECKING:
    from ..learned.cross_encoder import CrossEncoder
    from .heuristic import HeuristicJudge

MODEL_PATH = WEIGHTS_DIR / "judge.json"

# The heuristic's checks, grouped by what they test: one feature per group (did any check of it fail).
CHECK_GROUPS: dict[str, tuple[str, ...]] = {
    "check_number": ("number_missing", "number_swapped", "number_qualifier", "unit"),
    "check_name": ("entity_missing", "entity_swapped", "entity_elsewhere"),
    "check_speaker": ("speaker", "misquote"),
    "check_negation": ("negation", "negation_unanchored", "antonym"),
    "check_strength": ("booster", "quantifier", "one_of", "modality"),
    "check_causal": ("causal",),
    "check_order": ("entity_order", "comparison_order"),
    "check_former": ("former",),
    "check_detail": ("novel_term", "added_word", "added_detail"),
}
FEATURES: tuple[str, ...] = ("cross_encoder", "heuristic_score", "cosine", "coverage", *CHECK_GROUPS, "claim_words")
_MAX_PREMISE_WORDS = 160


def premise(case: Case) -> str:
    """What the cross-encoder reads the claim against: the evidence sentences, each with the one before it."""
    sentences = case.with_preceding(1) if case.evidence else []
    words: list[str] = []
    for s in sentences:
        words += s.text.split()
    return " ".join(words[:_MAX_PREMISE_WORDS])


def features(case: Case, cross_encoder_logit: float) -> list[float]:
    keys = {c.key for c in case.checks}
    score = case.verdict.score if case.verdict is not None else 0.0
    return [cross_encoder_logit, score, case.cosine, case.coverage,
            *(float(bool(keys & set(group))) for group in CHECK_GROUPS.values()),
            float(np.log1p(len(case.claim.split())))]


class CombinedJudge:
    """Offline judge: explicit checks plus the project's own entailment model, weighed by a fitted model."""

    name = "combined"

    def __init__(self, heuristic: "HeuristicJudge", cross_encoder: "CrossEncoder",
                 model: LinearModel | Path | None = None, cache_size: int = 10_000) -> None:
        self.heuristic = heuristic
        self.cross_encoder = cross_encoder
        self.model = model if isinstance(model, LinearModel) else LinearModel.load(model or MODEL_PATH)
        if self.model.features != FEATURES:
            from ..errors import ConfigError

            raise ConfigError("the judge's model file does not match this version's features: retrain (train/judge.py)")
        self.threshold = self.model.threshold
        self._id = f"{cross_encoder.model_id}/{self.model.meta.get('version', '')}"
        self._cache: OrderedDict[str, Verdict] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict:
        return self.judge_many([(claim, passages)])[0]

    def judge_many(self, items: Sequence[tuple[str, Sequence[str]]], *,
                   disabled: Iterable[str] = ()) -> list[Verdict]:
        disabled = tuple(disabled)
        keys = [self._key(claim, passages, disabled) for claim, passages in items]
        out: list[Verdict | None] = []
        with self._lock:
            out = [self._cache.get(k) for k in keys]
        todo = [i for i, v in enumerate(out) if v is None]
        if todo:
            cases = self.heuristic.analyse_many([items[i] for i in todo])
            live = [(i, c) for i, c in zip(todo, cases) if c.evidence]
            for i, c in zip(todo, cases):
                if not c.evidence:  # empty claim, no passages: the heuristic's verdict says why
                    out[i] = c.verdict
            if live:
                logits = self.cross_encoder.score("claim", [(c.claim, premise(c)) for _, c in live])
                X = np.array([features(c, float(z)) for (_, c), z in zip(live, logits)])
                p = self.model.probability(X, disabled)
                for (i, c), prob in zip(live, p):
                    out[i] = _verdict(c, float(prob), self.threshold)
            with self._lock:
                for i in todo:
                    self._cache[keys[i]] = out[i]  # type: ignore[assignment]
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out  # type: ignore[return-value]

    def _key(self, claim: str, passages: Sequence[str], disabled: tuple[str, ...]) -> str:
        h = hashlib.blake2b(digest_size=16)
        for part in (self._id, claim, *passages, *disabled):
            h.update(part.encode())
            h.update(b"\x00")
        return h.hexdigest()


def _verdict(case: Case, probability: float, threshold: float) -> Verdict:
    supported = probability >= threshold
    if supported:
        reason = f"supported (p={probability:.2f})"
    elif case.checks:
        reason = f"{min(case.checks, key=lambda c: _severity(c.key)).reason} (p={probability:.2f})"
    else:
        reason = f"not borne out by the passage (p={probability:.2f})"
    return Verdict(supported, probability, reason)


def _severity(key: str) -> float:
    from .heuristic import _PENALTY

    return _PENALTY.get(key, 1.0)
