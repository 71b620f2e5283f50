"""Support judges: do these passages, taken together, back this claim?

Three judges share one interface. ``CombinedJudge`` (the default) weighs the heuristic's checks and the
project's own cross-encoder with a fitted model (``combined``). ``HeuristicJudge`` runs offline with nothing but the local embedder: it finds
the passage sentences that best match the claim (embedding cosine plus overlap of stemmed content words), then
runs explicit checks for what similarity misses -- a swapped number or name, a flipped negation, a hedge turned
into a certainty, a statement put in the wrong mouth, a detail the passage never gives. ``LLMJudge`` asks any
OpenAI-compatible endpoint for a JSON verdict and never raises.

Both serve citation verification (each answer sentence against the passages it cites) and the evaluation
harness (faithfulness, citation precision and recall).

The modules: ``text`` (cleaning, splitting, stemming, tokens), ``lexicon`` (closed-class word lists), one per
kind of check -- ``numbers``, ``entities`` (names, and what is said of each), ``speakers`` (who says what, and
quotations), ``negation``, ``modality`` (certainty, scope, what may happen stated as done), ``causes`` --
``heuristic`` (the offline judge that runs them) and ``llm``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .base import Judge, Verdict
from .heuristic import DEFAULT_THRESHOLD, HeuristicJudge
from .llm import LLMJudge, parse_claims, parse_verdict
from .text import clean_text, split_claims, split_sentences, stem

if TYPE_CHECKING:
    from ..config import Settings

__all__ = [
    "DEFAULT_THRESHOLD", "HeuristicJudge", "Judge", "LLMJudge", "Verdict", "clean_text", "make_judge",
    "parse_claims", "parse_verdict", "split_claims", "split_sentences", "stem",
]


def make_judge(settings: "Settings", embedder: Any, load_cross_encoder: Callable[[], Any] | None = None) -> Judge:
    """The judge the settings ask for: 'combined' (offline: the heuristic's checks and the project's own
    cross-encoder, weighed by a fitted model; the default), 'heuristic' (checks and similarity only) or 'llm'."""
    kind = getattr(settings, "judge", "combined")
    if kind == "llm":
        return LLMJudge(settings)
    if kind == "combined":
        from .combined import CombinedJudge

        if load_cross_encoder is None:
            from ..learned.cross_encoder import CrossEncoder

            load_cross_encoder = CrossEncoder
        return CombinedJudge(HeuristicJudge(embedder), load_cross_encoder())
    return HeuristicJudge(embedder)
