"""Words: splitting, stop words, a light stemmer, and the numbers and dates a text states."""

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
def light_stem(word: str) -> str:
    """A light suffix stripper: enough to match 'founded'/'founders'/'co-founded', cheap and predictable.

    It makes the tokens of the persisted keyword index (``rag.lexical``): changing it means re-indexing. Everything
    else matches words with ``rag.nlp.stemming.stem``."""
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
    return [light_stem(w) for w in words(text) if w.lower() not in STOPWORDS]


# -- answer kinds: numbers and dates in a sentence ---------------------------------------------------------

_NUMBER_WORDS = frozenset("two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
                          "sixty seventy eighty ninety hundred hundreds thousand thousands million millions billion "
                          "billions trillion trillions dozen dozens half quarter percent".split())
_MONTHS = ("january february march april june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_YEAR = re.compile(r"^(1[5-9]|20)\d\d$")
_RELATIVE_DATE = re.compile(r"\b(yesterday|today|tomorrow|(?:this|last|next) (?:week|month|year|quarter|decade)|"
                            r"\d+ (?:days|weeks|months|years) ago|ago)\b", re.IGNORECASE)


def is_year(token: str) -> bool:
    return bool(_YEAR.match(token))


def number_tokens(text: str) -> list[str]:
    """Quantities a sentence states, lower case: '80', 'four', 'trillion', '%'. Years are dates, not quantities."""
    out = []
    for w in re.findall(r"\d[\d,\.]*\d|\d|%|[A-Za-z]+", text):
        lower = w.lower()
        if w[0].isdigit():
            if not is_year(w):
                out.append(w.replace(",", ""))
        elif lower in _NUMBER_WORDS or w == "%":
            out.append(lower)
    return out


def date_tokens(text: str) -> list[str]:
    """Dates a sentence states, lower case: years, months, weekdays and relative dates ('last year')."""
    out = [w for w in re.findall(r"\b\d{4}\b", text) if is_year(w)]
    for w in re.findall(r"[A-Za-z]+", text):
        lower = w.lower()
        # Capitalised only: 'may' and 'march' are verbs, 'May' and 'March' are months.
        if w[0].isupper() and lower in _MONTHS or lower in _WEEKDAYS:
            out.append(lower)
    out.extend(m.group(0).lower() for m in _RELATIVE_DATE.finditer(text))
    return out
