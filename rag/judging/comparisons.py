"""Comparisons: 'A is easier to hide than B' where the passage says 'B is easier to hide than A'."""

from __future__ import annotations

from .base import Case, Check
from .lexicon import LIGHT
from .text import SCOPE_STOP, Tok, is_content

_CLAUSE_END = frozenset(".;:!?")
_DEGREE = frozenset("more less fewer".split())


def _sides(toks: list[Tok]) -> list[tuple[set[str], set[str], set[str]]]:
    """For each 'than' in ``toks``: the content stems of its clause before it, the stems after it to the clause's
    end, and the comparative itself ('easier'; 'efficient' in 'more efficient')."""
    out = []
    for k, t in enumerate(toks):
        if t.low != "than" or k == 0:
            continue
        if toks[k - 1].low in ("rather", "other") or (k + 1 < len(toks) and toks[k + 1].number):
            continue  # 'rather than', 'other than', 'more than 80'
        start = k
        while start > 0 and toks[start - 1].low not in _CLAUSE_END and toks[start - 1].low not in ("but", "while", "whereas", "although", "though"):
            start -= 1
        end = k + 1
        while end < len(toks) and toks[end].low not in _CLAUSE_END and toks[end].low not in SCOPE_STOP - {"and", "or"}:
            end += 1
        comparative: set[str] = set()
        for m in range(start, k):
            if toks[m].low in _DEGREE and m + 1 < k and is_content(toks[m + 1]):
                comparative.add(toks[m + 1].stem)
            elif toks[m].low.endswith(("er", "ier")) and is_content(toks[m]):
                comparative.add(toks[m].stem)

        def stems(span: list[Tok]) -> set[str]:
            return {u.stem for u in span if is_content(u) and u.low not in LIGHT and u.low not in _DEGREE}

        left, right = stems(toks[start:k]) - comparative, stems(toks[k + 1 : end])
        if comparative and left and right:
            out.append((left, right, comparative))
    return out


def check_comparison_order(case: Case) -> list[Check]:
    """The same comparison with its two sides swapped: what the claim puts before 'than' the passage puts after
    it, and the other way round."""
    claimed = _sides(case.claim_toks)
    if not claimed:
        return []
    for sentence in case.evidence:
        for e_left, e_right, e_comp in _sides(sentence.toks):
            for c_left, c_right, c_comp in claimed:
                if not c_comp & e_comp:
                    continue  # another comparative ('harder' for 'easier'): the antonym check's business
                cross = len(c_left & e_right) + len(c_right & e_left)
                straight = len(c_left & e_left) + len(c_right & e_right)
                if c_left & e_right and c_right & e_left and cross > straight:
                    return [Check("comparison_order", "passage compares the two the other way round")]
    return []
