"""Quantities in text: numbers, amounts, percentages, years, durations, and what they are attached to."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Case, Check
from .lexicon import (
    CURRENCY,
    DAYS,
    DENOMINATORS,
    DETERMINERS,
    FRACTIONS,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    PERCENT_WORDS,
    QUALIFIERS,
    QUANTITY_WORDS,
    SCALES,
    TIME_SPAN_OPENERS,
    TIME_UNITS,
)
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
        elif t.low in ("decade", "decades", "century", "centuries") and i > 0 and toks[i - 1].low in TIME_SPAN_OPENERS:
            out.append(_Quantity(DAYS[TIME_UNITS[t.low]], "duration", i, "", f"{toks[i - 1].surf} {t.surf}"))
            i += 1
            continue
        if value is None:
            i += 1
            continue
        start, j = i, i + 1
        surface = t.surf
        if kind == "count" and value and j < len(toks) and toks[j].low in DENOMINATORS and not (
            toks[j].low in ORDINAL_WORDS and value >= DENOMINATORS[toks[j].low]
        ):
            # 'four fifths' is 80 percent ('one third' too; 'five fifth' is no fraction)
            value, kind = 100.0 * value / DENOMINATORS[toks[j].low], "percent"
            surface, j = f"{t.surf} {toks[j].surf}", j + 1
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


# Which qualifiers in the passage bear out the claim's: 'about $1 trillion' follows from 'nearly $1 trillion' or
# from a bare '$1 trillion'; 'over 80%' only from another lower bound.
_ENTAILS = {
    "approx": frozenset({"approx", "near", "exact", ""}),
    "near": frozenset({"near"}),
    "below": frozenset({"below", "near"}),
    "above": frozenset({"above"}),
    "exact": frozenset({"exact", ""}),
}


def paired_elsewhere(q: _Quantity, claim_toks: list[Tok], evidence: list[Sentence]) -> str:
    """'$50 billion at the end of 2025' when the evidence has '$50 billion by the end of the month, up from
    $9 billion at the end of 2025': both numbers are there, but 2025 sits next to another amount."""
    claimed = quantities(claim_toks)
    for r in claimed:
        if r is q or same_quantity(q, r) or abs(r.index - q.index) > 8:
            continue
        # Only if the claim itself pairs them: in '$9 billion at the end of 2025, ... about $50 billion' the year
        # belongs to the nearer amount.
        nearest = min((x for x in claimed if x.kind == q.kind), key=lambda x: abs(x.index - r.index))
        if nearest.index != q.index:
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


def check_numbers(case: Case) -> list[Check]:
    claim_toks = case.claim_toks
    checks: list[Check] = []
    ev_quantities = [(s, q) for s in case.evidence for q in quantities(s.toks)]
    all_quantities = [q for s in case.sentences for q in quantities(s.toks)]
    for q in quantities(claim_toks):
        matches = [(s, r) for s, r in ev_quantities if same_quantity(q, r)]
        if not matches and q.kind == "ordinal" and q.value == 1 and not any(r.kind == "ordinal" for _, r in ev_quantities):
            continue  # 'the first item' for 'a[0]', 'initially', 'at the start': no other rank to contradict it
        if not matches and q.qualifier == "above" and q.kind == "count" and q.value <= 3 and any(
            _names_listed(s, case.proper) >= q.value for s in case.evidence
        ):
            continue  # 'at least two of its founders' where the passage names them: 'including A and B'
        if not matches:
            if not any(same_quantity(q, r) for r in all_quantities):
                checks.append(Check("number_missing", f"number {q.surface} not in passage"))
            else:
                checks.append(Check("number_swapped", f"number {q.surface} belongs to another statement"))
            continue
        # Is the number attached to the same thing? Compare the words around it with the words around every
        # number in the evidence; a different number sitting in the claim's context means a swap.
        context = number_context(claim_toks, q.index)
        best_same = max(len(context & number_context(s.toks, r.index)) for s, r in matches)
        for s, r in ev_quantities:
            if same_quantity(q, r) or (r.kind != q.kind and "count" not in (r.kind, q.kind)):
                continue
            other = len(context & number_context(s.toks, r.index))
            if other >= 2 and other >= best_same + 2:
                checks.append(Check("number_swapped", f"number {q.surface} where passage has {r.surface}"))
                break
        swapped = paired_elsewhere(q, claim_toks, case.evidence)
        if swapped:
            checks.append(Check("number_swapped", swapped))
        if q.qualifier and not any(r.qualifier in _ENTAILS[q.qualifier] for _, r in matches):
            checks.append(Check("number_qualifier", f"'{q.qualifier}' {q.surface} not what passage says"))
    return checks


def _names_listed(sentence: Sentence, proper: set[str]) -> int:
    """How many names a list introduced by 'including' or 'such as' gives ('including Ann Lee, ... and Bo Ha')."""
    from .entities import entities  # entities does not import this module's checks; deferred to keep it so

    toks = sentence.toks
    lows = [t.low for t in toks]
    for k, low in enumerate(lows):
        if low == "including" or (low == "such" and k + 1 < len(lows) and lows[k + 1] == "as"):
            start = k + (2 if low == "such" else 1)
            listed = toks[start:]
            return sum(1 for e in entities(listed, proper) if e.start == 0 or listed[e.start - 1].low in (",", "and"))
    return 0


def check_units(case: Case) -> list[Check]:
    """Units of time are quantities too: 'in hours' is not 'in days or weeks'."""
    claim_toks = case.claim_toks
    ev_units = {TIME_UNITS.get(t.low) for s in case.evidence for t in s.toks}
    for i, t in enumerate(claim_toks):
        counted = i > 0 and (claim_toks[i - 1].number or claim_toks[i - 1].low in NUMBER_WORDS
                             or claim_toks[i - 1].low in ("a", "an", "one"))
        if t.low in TIME_UNITS and not counted and TIME_UNITS[t.low] not in ev_units:
            return [Check("unit", f"'{t.low}' not in passage")]
    return []
