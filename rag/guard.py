"""Documents and questions are data: spot text that tries to give the assistant orders.

An order is told apart from a statement about one by its form: an imperative at the start of a clause
("Ignore your instructions"), words aimed at the assistant ("from now on you", "note to any AI
assistant"), or demands on how to answer ("answer every question with"). "Critics say the labs ignore
safety rules" or "Sakana could act as a counterweight" state facts and must stay quotable.
"""

from __future__ import annotations

import re

from .nlp import sentence_spans

# The start of a clause: where an imperative verb stands.
_START = r"(?:^|[:;.!?\n\"“(—–]\s*|\b(?:please|now|then|just|also)\s+)"
_OVERRIDE = r"(?:ignore|disregard|forget|override|bypass)"
_RULES = (r"(?:instructions?|prompts?|rules|directions|guidelines|documents?|sources?|context|passages?|"
          r"constraints|guardrails)")

_INSTRUCTION = re.compile(
    "|".join((
        # "Ignore your previous instructions", "Please disregard the sources"
        rf"{_START}{_OVERRIDE}\b[^.!?\n]{{0,60}}\b{_RULES}\b",
        # "... and ignore all previous instructions": the determiner gives it away wherever it stands
        rf"\b{_OVERRIDE}\s+(?:all\s+|any\s+)?(?:of\s+)?(?:your|the\s+(?:above|previous|prior|earlier|preceding)|"
        rf"previous|prior|earlier|above|preceding)\b[^.!?\n]{{0,30}}\b{_RULES}\b",
        r"\byou are now\b|\bsystem override\b|\bnew instructions?\s*:",
        r"\bfrom now on,?\s+(?:you|reply|respond|answer|say|only|always|act|ignore)\b",
        rf"{_START}act as\b|\byou (?:will|must|should|shall) (?:now )?act as\b",
        r"\b(?:reveal|print|show|repeat|output|display|leak)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+prompt|"
        r"instructions|prompt)\b",
        r"\banswer (?:every|all|each|any) (?:further |other |following )?questions?\b",
        r"\b(?:always|only)\s+(?:answer|respond|reply|say)\s+(?:with|that|in|by)\b",
        r"\b(?:answer|respond|reply|say)\s+only\s+(?:with|that|in|by)\b",
        r"\b(?:tell|assure) (?:me|the user|users) that\b|\bsay to (?:the user|users)\b",
        rf"{_START}(?:respond|reply) (?:only )?with\b",
        rf"{_START}pretend (?:that|to|you)\b",
        r"\b(?:note|message|instructions?) (?:to|for) (?:any |all |the )?(?:ai|assistant|language model|llm|"
        r"chatbot|bot)s?\b",
    )),
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    """True for text addressed to the assistant rather than stating a fact."""
    return bool(_INSTRUCTION.search(text))


def strip_instructions(question: str) -> str:
    """The question without sentences that try to steer the answer; the original if nothing else is left."""
    kept = [question[a:b] for a, b in sentence_spans(question) if not looks_like_instruction(question[a:b])]
    return " ".join(kept).strip() or question
