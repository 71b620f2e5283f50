"""Polarity: which words a text denies and which it affirms; opposite words."""

from __future__ import annotations

from .base import Case, Check
from .lexicon import ANTONYM_PAIRS, CONTROL_WORDS, JUST, LIGHT, NEG_PREFIX_EXEMPT, NOT_REALLY_NEGATION, UN_WORDS
from .text import SCOPE_SKIP, SCOPE_STOP, Tok, is_adverb, is_content, near_stems, stem


def polarity(toks: list[Tok], other_stems: set[str]) -> tuple[set[str], set[str], int]:
    """(negated stems, affirmed stems, negations whose scope has no content word). A negator governs the next
    content word before a clause boundary, adverbs skipped ('no proof', 'has not yet been reached', 'nobody has
    shown'); 'not just X' negates the 'just'.
    'un-' words count as negated roots when the root occurs in the other text ('unclear' vs 'clear')."""
    negated: set[str] = set()
    in_scope: set[int] = set()
    unanchored = 0
    for i, t in enumerate(toks):
        if t.punct:
            continue
        root = UN_WORDS.get(t.low)
        if root is None and len(t.low) > 6 and not NEG_PREFIX_EXEMPT.match(t.low):
            for prefix in ("un", "in", "im", "dis", "non"):
                if t.low.startswith(prefix) and stem(t.low[len(prefix) :]) in other_stems:
                    root = t.low[len(prefix) :]
                    break
        if root is not None:
            negated.add(stem(root))
            in_scope.add(i)
            continue
        contrast = t.low in ("rather", "instead") and i + 1 < len(toks) and toks[i + 1].low in ("than", "of")
        if not t.neg and not contrast:
            continue
        following = [u.low for u in toks[i + (2 if contrast else 1) : i + 4]]
        if following[:1] == ["longer"]:
            following = following[1:]
        if following[:1] and following[0] in NOT_REALLY_NEGATION:
            # 'not just coding helpers' denies 'just', not 'coding helpers'
            negated.add(JUST)
            continue
        for k in range(i + (2 if contrast else 1), min(len(toks), i + 8)):
            u = toks[k]
            if u.low in SCOPE_STOP:
                unanchored += 1
                break
            if is_content(u) and u.low not in SCOPE_SKIP and not is_adverb(u.low):
                negated.add(u.stem)
                in_scope.add(k)
                nxt = k + 1
                if u.low in CONTROL_WORDS:
                    # 'not able to redesign', 'not prepared to handle': the action is denied too.
                    window = range(k + 1, min(len(toks), k + 5))
                    nxt = next((m for m in window if is_content(toks[m]) and not is_adverb(toks[m].low)), len(toks))
                    if nxt < len(toks) and toks[k + 1].low in ("to", "of"):
                        negated.add(toks[nxt].stem)
                        in_scope.add(nxt)
                elif (contrast or t.low in ("no", "without")) and nxt < len(toks) and is_content(toks[nxt]):
                    # 'without human intervention', 'rather than full instances': a noun phrase, not one word.
                    if not is_adverb(toks[nxt].low):
                        negated.add(toks[nxt].stem)
                        in_scope.add(nxt)
                break
        else:
            unanchored += 1
    # Affirmed: said somewhere outside any negation, so a word both denied and affirmed is in both sets.
    affirmed = {t.stem for k, t in enumerate(toks) if is_content(t) and k not in in_scope}
    if any(t.low in NOT_REALLY_NEGATION - {"necessarily"} for t in toks) and JUST not in negated:
        affirmed.add(JUST)
    return negated, affirmed, unanchored


ANTONYM_STEMS = tuple(
    sorted({(x, y) for a, b in ANTONYM_PAIRS for x, y in ((stem(a), stem(b)), (stem(b), stem(a))) if x != y})
)


def check_negation(case: Case) -> list[Check]:
    claim_toks, ev_toks = case.claim_toks, case.evidence_toks
    claim_stems = {t.stem for t in claim_toks if is_content(t)}
    ev_stems = {t.stem for t in ev_toks if is_content(t)}
    c_neg, c_pos, c_loose = polarity(claim_toks, ev_stems)
    e_neg, e_pos, _ = polarity(ev_toks, claim_stems)
    shared = c_neg & e_neg

    def beside_shared_denial(word: str) -> bool:
        # Next to something both texts deny, a difference is more likely scope noise than a flipped fact.
        spots = [i for i, t in enumerate(claim_toks) if t.stem == word]
        near = {claim_toks[k].stem for i in spots for k in range(max(0, i - 3), min(len(claim_toks), i + 4)) if k != i}
        return bool(near & shared)

    for word in sorted(c_neg - {JUST}):
        if word in e_pos and word not in e_neg and not beside_shared_denial(word):
            return [Check("negation", f"negation mismatch: claim denies '{word}'")]
    for word in sorted(c_pos):
        if word in e_neg and word not in e_pos and word not in LIGHT and not beside_shared_denial(word):
            shown = "just" if word == JUST else word
            return [Check("negation", f"negation mismatch: passage denies '{shown}'")]
    checks: list[Check] = []
    if c_loose and not any(t.neg for t in ev_toks) and not e_neg:
        checks.append(Check("negation_unanchored", "claim has a negation the passage lacks"))
    return checks


def check_antonyms(case: Case) -> list[Check]:
    """'harder' for 'easier', 'publicly' for 'confidentially': where the evidence uses the opposite word about
    the same thing (it shares a neighbouring word) and never the claim's own word about it."""
    claim_toks, evidence = case.claim_toks, case.evidence
    opposites: dict[str, set[str]] = {}
    for x, y in ANTONYM_STEMS:
        opposites.setdefault(x, set()).add(y)
    for i, t in enumerate(claim_toks):
        if t.stem not in opposites:
            continue
        near = near_stems(claim_toks, i, 3) - {t.stem}
        for sentence in evidence:
            toks = sentence.toks
            about = [k for k in range(len(toks)) if near & (near_stems(toks, k, 3) - {toks[k].stem})]
            if any(toks[k].stem == t.stem for k in about):
                continue
            rival = next((toks[k] for k in about if toks[k].stem in opposites[t.stem]), None)
            if rival is not None:
                return [Check("antonym", f"claim says '{t.low}' where passage says '{rival.low}'")]
    return []
