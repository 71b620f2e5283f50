"""Small text utilities shared by retrieval, answering and judging: sentences, terms, stems."""

from __future__ import annotations

import re
from functools import lru_cache

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves also s t ll d ve re m o y ain aren couldn
didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn weren won wouldn
""".split())

QUESTION_WORDS = frozenset("what which who whom whose when where why how does did do is are was were can could "
                           "tell explain describe say said according please list name".split())

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-\.]*[A-Za-z0-9]|[A-Za-z0-9]")
_SENTENCE_END = re.compile(r'(?<=[.!?])["”’)\]]*\s+(?=["“‘(\[]?[A-Z0-9])|\n+')
_ABBREVIATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "St.", "vs.", "e.g.", "i.e.", "Inc.", "Co.", "U.S.", "U.K.", "No.", "Jr.")


def words(text: str) -> list[str]:
    out = []
    for w in _WORD.findall(text):
        w = w.replace("’", "'").strip(".'-")
        if w.endswith("'s"):
            w = w[:-2]
        if w:
            out.append(w)
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'founded'/'founders'/'co-founded', cheap and predictable."""
    w = word.lower()
    if "-" in w:
        w = w.rsplit("-", 1)[-1] or w
    if len(w) <= 3 or w.isdigit():
        return w
    for suffix, keep in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ers", ""), ("er", ""), ("ed", ""), ("es", ""),
                         ("ly", ""), ("ment", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + keep
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]  # 'planned' -> 'plann' -> 'plan'
    return w


def terms(text: str) -> list[str]:
    """Stemmed content words, in order, stopwords dropped."""
    return [stem(w) for w in words(text) if w.lower() not in STOPWORDS]


def content_terms(question: str) -> set[str]:
    return {stem(w) for w in words(question) if w.lower() not in STOPWORDS and w.lower() not in QUESTION_WORDS}


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; paragraphs and line breaks always end a sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        candidate = text[start:end].rstrip()
        if candidate.endswith(_ABBREVIATIONS) and "\n" not in match.group(0):
            continue
        if candidate.strip():
            spans.append(_trim(text, start, end))
        start = match.end()
    if text[start:].strip():
        spans.append(_trim(text, start, len(text)))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]
