"""Question analysis: the kind of answer asked for, and the words that name what it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..nlp import QUESTION_WORDS, STOPWORDS, stem, words

AnswerKind = Literal["number", "date", "name", "list", "reason", "definition", "yesno", "howto", "what_does", "other"]
ANSWER_KINDS: tuple[str, ...] = ("number", "date", "name", "list", "reason", "definition", "yesno", "howto",
                                 "what_does", "other")

_AUX = r"(?:is|are|was|were|does|do|did|can|could|will|would|should|has|have|had|may|might|must|shall)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"\bhow (?:many|much|long|far|big|large|old|often|fast|high|low)\b|\bwhat (?:percentage|"
                          r"share|proportion|number|amount|size|fraction|version)\b|\bwhich version\b", re.I)),
    ("date", re.compile(r"\bwhen\b|\bwhat (?:year|date|day|month|time)\b|\bin which year\b|\bsince when\b", re.I)),
    ("reason", re.compile(r"\bwhy\b|\bwhat (?:is|was) the (?:reason|purpose|point)\b|\bfor what reason\b|"
                          r"\bwhat (?:causes|caused|led to)\b|\bhow come\b", re.I)),
    ("list", re.compile(r"\bwhat (?:are|were) (?:the|some|all)\b.*\b(?:ways|steps|options|kinds|types|conditions|"
                        r"features|reasons|requirements|differences|advantages|risks|methods|components|modes)\b|"
                        r"\b(?:list|name|enumerate)\b (?:the|all|some)\b|\bwhich .* (?:are|were)\b.*\?$", re.I)),
    ("howto", re.compile(r"\bhow (?:do|can|should|would|could) (?:i|you|we|one|users?)\b|\bhow to\b|"
                         r"\bwhat (?:command|option|flag|function|method|setting) (?:should|do|can|would)\b", re.I)),
    ("what_does", re.compile(r"\bwhat (?:does|do|did|will|would)\b.*\b(?:do|does|mean|return|contain|provide|"
                             r"control|specify|happen)\b|\bwhat happens\b|\bwhat is .* (?:for|used for)\b", re.I)),
    ("definition", re.compile(r"^\s*(?:what|who) (?:is|are|was|were) (?:a |an |the )?[\w .'\-]{1,40}\??\s*$|"
                              r"\bwhat does .* (?:mean|stand for)\b|\bdefine\b|\bmeaning of\b", re.I)),
    ("name", re.compile(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (?:company|person|organi[sz]ation|program|module|"
                        r"function|file|command|tool|project|package|license|licence|section|option)\b|"
                        r"\bwhat (?:is|was) the name\b|\bwhere\b", re.I)),
    ("yesno", re.compile(rf"^\s*(?:{_AUX})\b", re.I)),
)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    terms: frozenset[str]  # stems of the content words, question words left out
    names: frozenset[str]  # stems of capitalised words after the first, and of code-like tokens ('-a', 'sorted()')


def analyse(question: str) -> Question:
    text = " ".join(question.split())
    kind = "other"
    for name, pattern in _PATTERNS:
        if pattern.search(text):
            kind = name
            break
    toks = words(text)
    terms = frozenset(stem(w) for w in toks if w.lower() not in STOPWORDS and w.lower() not in QUESTION_WORDS)
    names = {stem(w) for k, w in enumerate(toks) if k and w[:1].isupper()}
    names |= {t.lower() for t in re.findall(r"(?<!\w)(?:--?[\w-]+|\w+\(\)|\w+\.\w+)", text)}
    return Question(text, kind, terms, frozenset(names))
