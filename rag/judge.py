"""Support judges: the public names, kept here for existing callers. The code lives in ``rag.judging``."""

from __future__ import annotations

from .judging import (
    DEFAULT_THRESHOLD,
    HeuristicJudge,
    Judge,
    LLMJudge,
    Verdict,
    clean_text,
    make_judge,
    parse_claims,
    parse_verdict,
    split_claims,
    split_sentences,
    stem,
)

__all__ = [
    "DEFAULT_THRESHOLD", "HeuristicJudge", "Judge", "LLMJudge", "Verdict", "clean_text", "make_judge",
    "parse_claims", "parse_verdict", "split_claims", "split_sentences", "stem",
]
