"""Answer assembly: the ranked sentences that answer, quoted verbatim with their [n], or an abstention."""

from __future__ import annotations

from typing import Sequence

from ..backends.base import ABSTAIN_TEXT
from ..citations import protect_literal_markers
from .features import FEATURES
from .question import Question
from .ranker import RankedSentence

# Kinds whose answer often takes more than one sentence (the items, the claim and its reason).
_MULTI = {"list", "reason", "howto", "what_does", "definition"}
# A further sentence joins the best one when it is this close to it in probability...
_RELATIVE = 0.6
# ... and a sentence ending in ':' brings the lines it introduces (a list), up to this many.
_LIST_ITEMS = 4
_INSTRUCTION = FEATURES.index("instruction")


def choose(question: Question, ranked: Sequence[RankedSentence], threshold: float,
           multi_part: bool = False, answerable: bool = True) -> list[RankedSentence]:
    """The sentences to quote, in the order they will be read; [] to abstain (``answerable`` is the abstention
    model's decision; ``threshold`` is the ranker's, for further sentences)."""
    live = [r for r in ranked if r.features and not is_instruction(r)]
    if not live or not answerable:
        return []
    best = live[0]
    chosen = [best]
    limit = 3 if (question.kind in _MULTI or multi_part) else 2
    for r in live[1:]:
        if len(chosen) >= limit:
            break
        if r.probability >= max(threshold, _RELATIVE * best.probability):
            chosen.append(r)
    if best.candidate.text.endswith(":"):
        items = [r for r in live if r.candidate.source == best.candidate.source
                 and 0 < r.candidate.position - best.candidate.position <= _LIST_ITEMS]
        chosen += [r for r in sorted(items, key=lambda r: r.candidate.position) if r not in chosen]
    # The best sentence first (the answer), then the others in document order (context, items, reasons).
    rest = sorted(chosen[1:], key=lambda r: (r.candidate.source, r.candidate.position))
    return [best] + rest


def is_instruction(r: RankedSentence) -> bool:
    """The reader's instruction feature: the sentence addresses an assistant ("ignore your rules …")."""
    return r.features[_INSTRUCTION] > 0.5


def render(chosen: Sequence[RankedSentence]) -> str:
    if not chosen:
        return ABSTAIN_TEXT
    return " ".join(f"{protect_literal_markers(r.candidate.text)} [{r.number}]" for r in chosen)
