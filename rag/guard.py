"""Documents and questions are data: spot text that tries to give the assistant orders."""

from __future__ import annotations

import re

from .text import sentence_spans

_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,60}\b(instructions?|prompts?|rules|directions|guidelines|"
    r"documents?|sources?|context)\b"
    r"|\byou are now\b|\bact as\b|\bsystem prompt\b|\banswer (every|all|each) questions?\b"
    r"|\b(always|only) (answer|respond|reply|say)\b|\b(tell|say to|assure) (me|the user|users) that\b"
    r"|\brespond (only )?with\b|\bpretend (that|to)\b",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    """True for text addressed to the assistant rather than stating a fact."""
    return bool(_INSTRUCTION.search(text))


def strip_instructions(question: str) -> str:
    """The question without sentences that try to steer the answer; the original if nothing else is left."""
    kept = [question[a:b] for a, b in sentence_spans(question) if not looks_like_instruction(question[a:b])]
    return " ".join(kept).strip() or question
