"""Metric functions: plain inputs in, numbers out; nothing here touches an index, a model or a file.

Judgements of support are passed in as a callable (``supports(claim, passages) -> bool``) so that the
functions stay pure and can be tested with a hand-written oracle.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

# supports(claim, passages): do these passages, taken together, support the claim?
Supports = Callable[[str, Sequence[str]], bool]

_MARKER = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")
_WHITESPACE = re.compile(r"\s+")


def strip_markers(text: str) -> str:
    """The answer text without its [n] / [1, 2] citation markers."""
    return _MARKER.sub("", text)


def normalize_space(text: str) -> str:
    """Case-folded, Unicode-normalised, with every run of whitespace a single space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


# ---------------------------------------------------------------------------------------------
# Retrieval


def evidence_rank(passages: Sequence[str], evidence: Iterable[str]) -> int | None:
    """1-based rank of the first passage that contains any evidence string, or None.

    Containment is tested after whitespace normalisation and case folding, because chunking may
    re-flow line breaks that the evidence string was copied with.
    """
    needles = [normalize_space(e) for e in evidence if e.strip()]
    if not needles:
        return None
    for rank, passage in enumerate(passages, start=1):
        haystack = normalize_space(passage)
        if any(needle in haystack for needle in needles):
            return rank
    return None


def hit_at_k(rank: int | None, k: int | None = None) -> float:
    """1.0 when some evidence was found (within the first k passages, if k is given)."""
    return 1.0 if rank is not None and (k is None or rank <= k) else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / rank


# ---------------------------------------------------------------------------------------------
# Answer content


def item_satisfied(text: str, item: str | Sequence[str]) -> bool:
    """A must_include item is satisfied when any of its alternatives occurs in the text (case-insensitive)."""
    haystack = normalize_space(strip_markers(text))
    alternatives = [item] if isinstance(item, str) else list(item)
    return any(normalize_space(alt) in haystack for alt in alternatives)


def must_include_coverage(text: str, items: Sequence[str | Sequence[str]]) -> float | None:
    """Share of must_include items satisfied; None when there are no items to check."""
    if not items:
        return None
    return sum(item_satisfied(text, item) for item in items) / len(items)


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def squad_normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token F1 between an answer (markers removed) and the reference answer."""
    predicted = squad_normalize(strip_markers(prediction)).split()
    expected = squad_normalize(reference).split()
    if not predicted or not expected:
        # Both empty counts as agreement; one empty cannot overlap.
        return float(predicted == expected)
    common = Counter(predicted) & Counter(expected)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(predicted)
    recall = overlap / len(expected)
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------------------------------------
# Faithfulness (RAGAS-style)


def faithfulness(claims: Sequence[str], passages: Sequence[str], supports: Supports) -> float | None:
    """Share of the answer's claims that the passages support; None when there is no claim to check.

    ``passages`` is the union of everything the answer cites: faithfulness asks whether the answer
    says only what its sources say, whichever [n] a claim happens to sit next to; attribution of
    each sentence to its own citations is what citation recall measures.
    """
    if not claims:
        return None
    return sum(bool(supports(claim, passages)) for claim in claims) / len(claims)


# ---------------------------------------------------------------------------------------------
# ALCE citation recall and precision (Gao et al., 2023, "Enabling LLMs to generate text with citations")


@dataclass(frozen=True)
class CitedSentence:
    """An answer sentence and the texts of the passages it cites, in citation order.

    ``dangling`` marks a sentence citing a number with no such source; ALCE scores it 0 for recall
    and leaves its citations out of the precision denominator.
    """

    text: str
    passages: tuple[str, ...] = ()
    dangling: bool = False


@dataclass(frozen=True)
class CitationScores:
    recall: float | None
    precision: float | None
    sentences: int
    supported_sentences: int
    citations: int
    relevant_citations: int
    overcitations: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "citation_recall": self.recall,
            "citation_precision": self.precision,
            "sentences": self.sentences,
            "supported_sentences": self.supported_sentences,
            "citations": self.citations,
            "relevant_citations": self.relevant_citations,
            "overcitations": self.overcitations,
        }


def alce_citation_scores(sentences: Sequence[CitedSentence], supports: Supports) -> CitationScores:
    """ALCE citation recall and precision for one answer, as ALCE's ``compute_autoais`` defines them.

    Recall: a sentence scores 1 when it has citations and their concatenation supports it; the
    denominator is every sentence, uncited ones included.

    Precision: each citation of a sentence is relevant unless (a) on its own it does not support the
    sentence and (b) the sentence's other citations still support it without it. The leave-one-out
    test runs only for supported sentences with more than one citation; a lone citation is relevant
    exactly when it supports its sentence, and the citations of an unsupported sentence are all
    irrelevant. Precision = relevant citations / all citations, and an answer whose sentences cite
    nothing scores 0 (ALCE's convention), not "undefined".

    Both are None for an answer with no sentences (nothing was said, nothing to attribute).
    """
    if not sentences:
        return CitationScores(None, None, 0, 0, 0, 0, 0)
    supported = relevant = total = overcited = 0
    for sentence in sentences:
        cited = list(sentence.passages)
        if not cited or sentence.dangling:
            continue  # recall 0; no citation counted
        total += len(cited)
        joint = bool(supports(sentence.text, cited))
        supported += joint
        if not joint:
            continue  # its citations are all irrelevant
        if len(cited) == 1:
            relevant += 1
            continue
        for index, passage in enumerate(cited):
            if supports(sentence.text, [passage]):
                relevant += 1
                continue
            others = cited[:index] + cited[index + 1 :]
            if supports(sentence.text, others):
                overcited += 1  # not needed: the rest already support the sentence
            else:
                relevant += 1  # needed jointly with the others
    return CitationScores(
        recall=supported / len(sentences),
        precision=relevant / total if total else 0.0,
        sentences=len(sentences),
        supported_sentences=supported,
        citations=total,
        relevant_citations=relevant,
        overcitations=overcited,
    )


# ---------------------------------------------------------------------------------------------
# Aggregation


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the defined values; None when none is defined."""
    defined = [float(v) for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between order statistics (numpy's default)."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rate(flags: Iterable[bool]) -> float | None:
    """Share of true flags; None when there are none."""
    flags = list(flags)
    return sum(flags) / len(flags) if flags else None


# ---------------------------------------------------------------------------------------------
# Judge agreement with labels


@dataclass(frozen=True)
class LabelScores:
    precision: float | None
    recall: float | None
    support: int


def binary_label_scores(gold: Sequence[bool], predicted: Sequence[bool]) -> dict[str, object]:
    """Balanced accuracy and per-label precision/recall for supported (True) vs unsupported (False)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must have the same length")
    per_label: dict[str, LabelScores] = {}
    for name, positive in (("supported", True), ("unsupported", False)):
        tp = sum(g == positive and p == positive for g, p in zip(gold, predicted))
        predicted_positive = sum(p == positive for p in predicted)
        actual_positive = sum(g == positive for g in gold)
        per_label[name] = LabelScores(
            precision=tp / predicted_positive if predicted_positive else None,
            recall=tp / actual_positive if actual_positive else None,
            support=actual_positive,
        )
    balanced = mean(scores.recall for scores in per_label.values())
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else None
    return {"balanced_accuracy": balanced, "accuracy": accuracy, "per_label": per_label}


def evidence_in_sentences(sentences: Sequence[str], evidence: Sequence[str]) -> bool:
    """Whether one of ``sentences`` is (part of) an evidence string, or holds one (whitespace and case folded)."""
    ev = [" ".join(e.lower().split()) for e in evidence]
    for sentence in sentences:
        s = " ".join(sentence.lower().split()).rstrip(".!?:;")
        if len(s) >= 12 and any(s in e or e.rstrip(".!?:;") in s for e in ev):
            return True
    return False


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """95% Wilson score interval of a proportion (sound for small n and for 0 or n successes)."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def balanced_accuracy_interval(gold: Sequence[bool], predicted: Sequence[bool], *, resamples: int = 2000,
                               seed: int = 0) -> tuple[float, float] | None:
    """95% bootstrap interval of balanced accuracy: claims resampled within each label (so both recalls exist)."""
    import random

    pos = [p for g, p in zip(gold, predicted) if g]
    neg = [not p for g, p in zip(gold, predicted) if not g]
    if not pos or not neg:
        return None
    rng = random.Random(seed)
    values = []
    for _ in range(resamples):
        rp = sum(rng.choice(pos) for _ in pos) / len(pos)
        rn = sum(rng.choice(neg) for _ in neg) / len(neg)
        values.append((rp + rn) / 2)
    values.sort()
    return (values[int(0.025 * resamples)], values[int(0.975 * resamples) - 1])


def agreement(a: Sequence[bool], b: Sequence[bool]) -> dict[str, float | None]:
    """Share of items two judges decide alike, and Cohen's kappa (agreement beyond chance)."""
    n = len(a)
    if not n or n != len(b):
        return {"agreement": None, "kappa": None}
    observed = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    kappa = (observed - expected) / (1 - expected) if expected < 1 else None
    return {"agreement": observed, "kappa": kappa}
