"""Strength and certainty: boosters, quantifiers, hedges that a claim drops."""

from __future__ import annotations

import re

from .base import Case, Check
from .lexicon import BOOSTERS, HEDGES, MODAL_HEDGES, QUANTIFIER_RANK, WILL_EQUIVALENTS
from .text import Tok, is_content, near_stems


def check_strength(case: Case) -> list[Check]:
    claim_toks, ev_toks, evidence = case.claim_toks, case.evidence_toks, case.evidence
    best_sentence = case.best or evidence[0]
    checks: list[Check] = []
    best = best_sentence.toks
    negated_claim = {i + k for i, t in enumerate(claim_toks) if t.neg for k in (1, 2, 3)}
    for i, t in enumerate(claim_toks):
        if t.low not in BOOSTERS or i in negated_claim:
            continue
        # The passage may use the same strong word, but about the same thing: in the closest sentence or
        # next to a word the claim has next to it.
        near = near_stems(claim_toks, i, 3) - {t.stem}
        if any(
            any(u.low == t.low and (s is best_sentence or near & near_stems(s.toks, k, 3)) for k, u in enumerate(s.toks))
            for s in evidence
        ):
            continue
        if t.low == "will" and _future_is_stated(claim_toks, i, best):
            continue
        if t.low == "most" and re.search(r"\bthan (?:any|all)\b", " ".join(u.low for u in ev_toks)):
            continue  # 'the most of anyone' restates 'more than any other'

        if t.low in ("only", "alone", "already", "fully", "most") and _is_soft_booster_ok(claim_toks, i):
            continue
        key = "quantifier" if t.low in QUANTIFIER_RANK else "booster"
        checks.append(Check(key, f"claim says '{t.low}' where the passage is less certain"))
        break
    claim_rank = max((QUANTIFIER_RANK.get(t.low, 0) for t in claim_toks), default=0)
    ev_rank = max((QUANTIFIER_RANK.get(t.low, 0) for t in ev_toks), default=0)
    if not checks and claim_rank >= 3 and 0 < ev_rank < claim_rank:
        checks.append(Check("quantifier", "claim generalises a quantifier"))
    # 'one of the most prominent labs' -> 'the most prominent lab'
    ev_text = " ".join(t.low for t in ev_toks)
    claim_text = " " + " ".join(t.low for t in claim_toks) + " "
    if re.search(r"\bone of (?:the|its|their|his|her|our)\b", ev_text) and " one of " not in claim_text:
        if re.search(r" the (?:most|\w+est|leading|top|only|first|biggest) ", claim_text) or re.search(
            r" (?:is|was) the (?!one)\w+ (?:of|behind|who|that)", claim_text
        ):
            if " among " not in claim_text:
                checks.append(Check("one_of", "claim drops 'one of'"))
    # A modal hedge ('may', 'could') that the claim states as plain fact.
    ev_modal = [t for t in ev_toks if t.low in MODAL_HEDGES and t.low != "can"]
    claim_modal = [t for t in claim_toks if t.low in HEDGES or t.low in ("would", "should", "can")]
    if ev_modal and not claim_modal and not checks:
        checks.append(Check("hedge_dropped", f"passage hedges ('{ev_modal[0].low}'), claim does not"))
    return checks


def _future_is_stated(claim_toks: list[Tok], i: int, best: list[Tok]) -> bool:
    """'will X' is fair when the closest sentence also speaks of the future ('would', 'plans to', 'is going to')
    and does not put a hedge ('may', 'could') on that same X."""
    if not {t.low for t in best} & WILL_EQUIVALENTS:
        return False
    verb = next((t.stem for t in claim_toks[i + 1 :] if is_content(t)), None)
    for k, t in enumerate(best):
        if t.stem == verb and any(u.low in MODAL_HEDGES for u in best[max(0, k - 3) : k]):
            return False
    return True


def _is_soft_booster_ok(toks: list[Tok], i: int) -> bool:
    """'not only', 'if only', and 'only ... if/when' (a condition, which restricts rather than widens)."""
    prev = toks[i - 1].low if i > 0 else ""
    if prev in ("not", "if"):
        return True
    return toks[i].low == "only" and any(t.low in ("if", "when", "once", "after", "unless") for t in toks[i + 1 : i + 6])
