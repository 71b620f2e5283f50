"""Quantities in text: numbers, amounts, percentages, years, durations, and what they are attached to."""

from __future__ import annotations

from dataclasses import dataclass

from .lexicon import CURRENCY, DAYS, DETERMINERS, FRACTIONS, NUMBER_WORDS, ORDINAL_WORDS, PERCENT_WORDS, QUALIFIERS, QUANTITY_WORDS, SCALES, TIME_UNITS
from .text import Sentence, Tok, is_content


@dataclass(frozen=True)
class _Quantity:
    value: float
    kind: str  # 'percent' | 'money' | 'year' | 'ordinal' | 'count'
    index: int  # token position
    qualifier: str  # 'above' | 'below' | 'approx' | 'exact' | ''
    surface: str


def quantities(toks: list[Tok]) -> list[_Quantity]:
    out: list[_Quantity] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        value: float | None = None
        kind = "count"
        if t.number:
            value = float(t.surf.replace(",", ""))
        elif t.low in NUMBER_WORDS:
            value = float(NUMBER_WORDS[t.low])
        elif t.low in ("one", "a", "an") and i + 1 < len(toks) and toks[i + 1].low in TIME_UNITS:
            value = 1.0  # 'within a year' is a duration of one year
        elif t.low == "one" and i + 1 < len(toks) and toks[i + 1].low in SCALES:
            value = 1.0
        elif t.low in ("first", "second") and i > 0 and toks[i - 1].low in DETERMINERS:
            value, kind = (1.0 if t.low == "first" else 2.0), "ordinal"  # 'the first time', 'its second lab'
        elif t.low in ORDINAL_WORDS:
            value, kind = float(ORDINAL_WORDS[t.low]), "ordinal"
        elif t.low in FRACTIONS:
            value, kind = FRACTIONS[t.low], "percent"
        if value is None:
            i += 1
            continue
        start, j = i, i + 1
        surface = t.surf
        if j < len(toks) and toks[j].low in SCALES:
            value *= SCALES[toks[j].low]
            surface += " " + toks[j].surf
            j += 1
        elif j + 1 < len(toks) and toks[j].low == "of" and toks[j + 1].low.rstrip("s") in SCALES:
            value *= SCALES[toks[j + 1].low.rstrip("s")]
            surface += " of " + toks[j + 1].surf
            j += 2
        if j < len(toks) and toks[j].low in TIME_UNITS and kind == "count":
            # Durations compare in days: 'twelve months' is 'a year', 'six weeks' is not 'nine weeks'.
            unit = TIME_UNITS[toks[j].low]
            value *= DAYS[unit]
            kind, surface, j = "duration", f"{t.surf} {toks[j].surf}", j + 1
        elif j < len(toks) and toks[j].low in PERCENT_WORDS:
            kind, surface, j = "percent", surface + "%", j + 1
        elif start > 0 and toks[start - 1].low in CURRENCY:
            kind, surface = "money", toks[start - 1].surf + surface
            start -= 1
        elif j < len(toks) and toks[j].low in CURRENCY:
            kind, j = "money", j + 1
        elif kind == "percent":
            surface = t.surf
        elif kind == "count" and t.number and value.is_integer() and 1800 <= value <= 2199 and "," not in t.surf:
            kind = "year"
        out.append(_Quantity(value, kind, i, _qualifier(toks, start), surface))
        i = j
    return out


def _qualifier(toks: list[Tok], start: int) -> str:
    before = [t.low for t in toks[max(0, start - 3) : start]]
    for words, label in QUALIFIERS:
        n = len(words)
        if len(before) >= n and tuple(before[-n:]) == words:
            return label
    return ""


def same_quantity(a: _Quantity, b: _Quantity) -> bool:
    tolerance = 0.02 if "duration" in (a.kind, b.kind) else 1e-9  # a year is 365 days, twelve months 360
    if abs(a.value - b.value) > tolerance * max(1.0, abs(a.value)):
        return False
    if "percent" in (a.kind, b.kind) or "duration" in (a.kind, b.kind):
        return a.kind == b.kind
    return True


def paired_elsewhere(q: _Quantity, claim_toks: list[Tok], evidence: list[Sentence]) -> str:
    """'$50 billion at the end of 2025' when the evidence has '$50 billion by the end of the month, up from
    $9 billion at the end of 2025': both numbers are there, but 2025 sits next to another amount."""
    for r in quantities(claim_toks):
        if r is q or same_quantity(q, r) or abs(r.index - q.index) > 8:
            continue
        for sentence in evidence:
            found = quantities(sentence.toks)
            q_hits = [x for x in found if same_quantity(q, x)]
            r_hits = [x for x in found if same_quantity(r, x)]
            if not q_hits or not r_hits:
                continue
            rivals = [x for x in found if x.kind == q.kind and not same_quantity(q, x) and not same_quantity(r, x)]
            for anchor in r_hits:
                nearest_q = min(abs(x.index - anchor.index) for x in q_hits)
                closer = [x for x in rivals if abs(x.index - anchor.index) < nearest_q]
                if closer:
                    return f"passage pairs {r.surface} with {closer[0].surface}, not {q.surface}"
    return ""


def number_context(toks: list[Tok], index: int, size: int = 3) -> set[str]:
    """The content words a number is about: up to ``size`` on each side, not crossing another number or the end
    of a clause, so that in '$50 billion by the end of the month, up from $9 billion' each keeps its own."""
    found: set[str] = set()
    for step in (-1, 1):
        k, taken = index + step, 0
        while 0 <= k < len(toks) and taken < size:
            t = toks[k]
            if t.number or t.low in (".", ";", ":", "!", "?") or (t.low in NUMBER_WORDS and k != index):
                break
            if is_content(t) and t.low not in QUANTITY_WORDS:
                found.add(t.stem)
                taken += 1
            k += step
    return found
