"""Strength and certainty: boosters, quantifiers, hedges that a claim drops, and what may happen stated as done."""

from __future__ import annotations

import re

from ..nlp.stemming import IRREGULAR
from .base import Case, Check
from .numbers import quantities
from .lexicon import BOOSTER_GROUPS, BOOSTERS, MODAL_HEDGES, QUANTIFIER_RANK, WILL_EQUIVALENTS
from .text import SCOPE_STOP, Tok, is_adverb, is_content, near_stems


def check_strength(case: Case) -> list[Check]:
    claim_toks, ev_toks, evidence = case.claim_toks, case.evidence_toks, case.evidence
    best_sentence = case.best or evidence[0]
    checks: list[Check] = []
    best = best_sentence.toks
    negated_claim = _denied_positions(claim_toks)
    for i, t in enumerate(claim_toks):
        if t.low not in BOOSTERS or i in negated_claim:
            continue
        if t.low == "all" and _floats_over_list(claim_toks, i):
            continue  # 'X, Y and Z are all open': every one of the named things, not a generalisation
        # The passage may use the same strong word, but about the same thing: in the closest sentence or
        # next to a word the claim has next to it.
        near = near_stems(claim_toks, i, 3) - {t.stem}
        # The same strong word, or one as strong in other terms ('simply' for 'only', 'fully' for 'entirely').
        alike = {t.low}.union(*(group for group in BOOSTER_GROUPS if t.low in group))
        if any(u.low in alike - {t.low} for u in ev_toks):
            continue  # as strong in other words, anywhere in the evidence
        if any(
            any(u.low in alike and (s is best_sentence or near & near_stems(s.toks, k, 3)) for k, u in enumerate(s.toks))
            for s in evidence
        ):
            continue
        if t.low in ("most", "majority") and any(q.kind == "percent" and q.value > 50 for q in quantities(ev_toks)):
            continue  # 'over 80 percent' is most of them
        if t.low == "will" and _future_is_stated(claim_toks, i, best):
            continue
        if t.low == "must" and _necessity_is_stated(ev_toks):
            continue  # 'have to be present', 'is required' state the same obligation as 'must'
        if any(u.low == "whether" for u in claim_toks[max(0, i - 8) : i]):
            continue  # 'whether it must be closed varies': asked, not asserted
        if t.low == "most" and re.search(r"\bthan (?:any|all)\b", " ".join(u.low for u in ev_toks)):
            continue  # 'the most of anyone' restates 'more than any other'

        if t.low in ("only", "alone", "already", "fully", "most") and _is_soft_booster_ok(claim_toks, i):
            continue
        if t.low in ("only", "alone") and _sets_against_alternative(best):
            continue  # 'days or weeks instead of years' backs 'only days or weeks'
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
    return checks


def _denied_positions(toks: list[Tok]) -> set[int]:
    """Positions a denial reaches, to the end of its clause: 'without claiming it is inevitable'."""
    found: set[int] = set()
    for i, t in enumerate(toks):
        if t.neg:
            found |= _clause_after(toks, i, SCOPE_STOP)
    return found


def _clause_after(toks: list[Tok], i: int, stops: frozenset[str]) -> set[int]:
    """Positions after ``i`` up to the first stop word, at most nine: what a word at ``i`` governs."""
    found: set[int] = set()
    for k in range(i + 1, min(len(toks), i + 10)):
        if toks[k].low in stops:
            break
        found.add(k)
    return found


def _floats_over_list(toks: list[Tok], i: int) -> bool:
    """'all' after the verb of a listed subject ('who decides, when and how are all unclear')."""
    return i > 0 and toks[i - 1].low in ("are", "were", "have", "had", "remain") and any(
        t.low == "and" for t in toks[:i]
    )


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


_NECESSITY_WORDS = frozenset("required requires require necessary mandatory obliged obligated compulsory".split())


def _necessity_is_stated(toks: list[Tok]) -> bool:
    """An obligation in other words than 'must': 'has to', 'have to', 'needs to', 'is required', 'necessary'."""
    for k, t in enumerate(toks):
        if t.low in _NECESSITY and k + 1 < len(toks) and toks[k + 1].low == "to" and not t.neg:
            return True
        if t.low in _NECESSITY_WORDS or t.low == "ought":
            return True
    return False


def _sets_against_alternative(toks: list[Tok]) -> bool:
    """Does the sentence contrast what it says with something else ('instead of', 'rather than', 'less', 'not X
    but Y') or state a condition ('not without Y')? Then it states the exclusion that an 'only' in the claim makes."""
    lows = [t.low for t in toks]
    pairs = set(zip(lows, lows[1:]))
    if {("instead", "of"), ("rather", "than")} & pairs or {"less", "fewer"} & set(lows):
        return True
    # 'not X but Y'; 'cannot sail without a pilot', a condition, is 'can only sail with a pilot'
    denial = next((k for k, t in enumerate(toks) if t.neg and t.low != "without"), None)
    return denial is not None and bool({"but", "without", "unless"} & set(lows[denial + 1 :]))


def _is_soft_booster_ok(toks: list[Tok], i: int) -> bool:
    """'not only', 'if only', and 'only ... if/when' (a condition, which restricts rather than widens)."""
    prev = toks[i - 1].low if i > 0 else ""
    if prev in ("not", "if"):
        return True
    return toks[i].low == "only" and any(t.low in ("if", "when", "once", "after", "unless") for t in toks[i + 1 : i + 6])


# Modal verbs that leave an event unrealised ('could ban', 'should pause', 'would convene'); 'can' states an
# ability, which is close enough to fact.
_MODALS = frozenset("may might could would should must will shall ought".split())
# 'has to be loaded', 'need to be governed': necessity, like 'must'
_NECESSITY = frozenset("has have had need needs needed".split())
_CONDITIONALS = frozenset("if unless whether".split())
# Verbs before 'to' after which the action did happen ('managed to', 'began to'), unlike 'plans to', 'aims to',
# 'is expected to', 'the option to'.
_IMPLICATIVE = frozenset("""
manage managed manages managing begin began begun begins beginning start started starts starting continue continued
continues continuing proceed proceeded proceeds go went gone used help helped helps able
""".split())
_AUXILIARIES = frozenset("has have had is are was were been being be".split())
_PREPOSITIONS = frozenset("of for with to by on in at from about into over under than".split())
_ACTUAL_ADVERBS = frozenset("now already currently today".split())
_OPEN_END = frozenset(",;.:!?\"") | frozenset("that which who because but while whereas although though".split())


def unrealised(toks: list[Tok]) -> set[int]:
    """Positions of words that a text does not state as happening: after a modal verb, an infinitive's 'to' (not
    after 'managed', 'began'...), or 'if'/'unless'/'whether', to the end of that clause ('could ban open-source
    models', 'the option to slow or even pause development', 'if systems move closer')."""
    found: set[int] = set()
    for i, t in enumerate(toks):
        opens = (t.low in _MODALS and not (t.cap and not t.start)) or t.low in _CONDITIONALS  # not 'in May'
        opens = opens or (t.low in _NECESSITY and i + 1 < len(toks) and toks[i + 1].low == "to")
        if t.low == "to" and i + 1 < len(toks):
            nxt = toks[i + 1]
            before = toks[i - 1].low if i else ""
            opens = (
                is_content(nxt) and not nxt.cap and not nxt.low.endswith(("ing", "s")) and before not in _IMPLICATIVE
            ) or nxt.low.endswith("ly")
        if opens:
            found |= _clause_after(toks, i, _OPEN_END)
    return found


def _stated_as_done(toks: list[Tok], k: int, open_: set[int]) -> bool:
    """Does the claim state the verb at ``k`` as happening or done: 'has been paused', 'banned', 'now happen'?
    Nouns ('a pause'), adjectives ('are likely') and unrealised uses ('could ban') do not count."""
    if k in open_ or not is_content(toks[k]):
        return False
    word = toks[k].low
    participle = word.endswith(("ed", "en", "ing")) or word in IRREGULAR
    j, actual = k - 1, False
    while j >= 0 and (toks[j].low in _ACTUAL_ADVERBS or is_adverb(toks[j].low) or toks[j].low in ("not", "yet")):
        actual = actual or toks[j].low in _ACTUAL_ADVERBS
        j -= 1
    prev = toks[j].low if j >= 0 else ""
    if prev in _AUXILIARIES:
        return participle  # 'has banned', 'is happening'; not 'are likely'
    if prev in _PREPOSITIONS:
        return False  # 'oversight of advanced systems': a participle describing a noun
    if actual:
        return True  # 'improvements now happen'
    return word.endswith("ed") and len(word) > 4 and prev not in ("the", "a", "an", "its", "their", "this", "that")


def check_modality(case: Case) -> list[Check]:
    """A claim that states as done what the passage only says may, would or should happen: 'has banned' for
    'could ban', 'has been paused' for 'the option to pause', 'has reached' for 'is expected to reach'."""
    ev_open: dict[str, bool] = {}  # stem -> every use of it in the evidence is unrealised
    for s in case.evidence:
        open_ = unrealised(s.toks)
        for k, t in enumerate(s.toks):
            if is_content(t):
                ev_open[t.stem] = ev_open.get(t.stem, True) and k in open_
    toks = case.claim_toks
    claim_open = unrealised(toks)
    for k, t in enumerate(toks):
        if ev_open.get(t.stem) and _stated_as_done(toks, k, claim_open):
            return [Check("modality", f"claim states '{t.low}' as fact; the passage says it may or would happen")]
    return []


# A role the passage puts in the past ('former chief scientist', 'ex-minister'); words with which a claim keeps it
# there ('used to be', 'previously', 'until').
_PAST_ROLE = frozenset("former ex previous onetime erstwhile outgoing".split())
_PAST_MARKERS = _PAST_ROLE | frozenset("formerly previously once used until left earlier ago past was were had".split())


def check_former(case: Case) -> list[Check]:
    """'LeCun, who is still Meta's chief scientist' where the passage says 'former chief scientist at Meta': the
    claim gives as current a role the passage says was left."""
    past_roles: set[str] = set()
    for s in case.evidence:
        toks = s.toks
        for k, t in enumerate(toks):
            if t.low in _PAST_ROLE:
                past_roles |= {u.stem for u in toks[k + 1 : k + 4] if is_content(u) and not u.cap}
    if not past_roles:
        return []
    claim = case.claim_toks
    if any(t.low in _PAST_MARKERS for t in claim):
        return []
    for t in claim:
        if t.stem in past_roles and is_content(t):
            return [Check("former", f"claim gives '{t.low}' as a current role; the passage says former")]
    return []
