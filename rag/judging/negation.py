"""Polarity: which words a text denies and which it affirms; opposite words."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Case, Check
from .lexicon import ANTONYM_PAIRS, CONTROL_WORDS, JUST, LIGHT, NEG_PREFIX_EXEMPT, NOT_REALLY_NEGATION, UN_WORDS
from .text import SCOPE_SKIP, SCOPE_STOP, Tok, is_adverb, is_content, near_stems, stem


@dataclass
class Polarity:
    negated: set[str]  # stems a negation governs
    affirmed: set[str]  # stems said somewhere outside any negation (a word may be in both)
    open: set[str]  # stems of a clause left open by a denial ('no proof that X'): neither affirmed nor denied
    unanchored: int  # negations whose scope holds no content word


def polarity(toks: list[Tok], other_stems: set[str]) -> Polarity:
    """Which words a text denies, affirms, or leaves open.

    A negator governs the next content word of its clause, adverbs and a parenthesis skipped ('no proof', 'has
    not yet been reached', 'cannot, without help, redesign'); from there the denial reaches verbs joined to it
    ('not redesigning X and creating Y'), the action of 'not able to X', and a clause that the denied word
    introduces ('no proof that X can offset Y': X's words are left open). 'unless X' is 'if not X';
    'not ... without X' and 'not ... unless X' state a condition ('only with X') and deny nothing; 'not just X'
    denies the 'just'. 'un-'/'in-'/'dis-' words count as negated roots when the root occurs in the other text
    ('unclear' vs 'clear')."""
    negated: set[str] = set()
    in_scope: set[int] = set()
    open_: set[str] = set()
    unanchored = 0
    conditions = _conditions(toks, other_stems)

    def deny(k: int) -> None:
        negated.add(toks[k].stem)
        in_scope.add(k)

    for i, t in enumerate(toks):
        if t.punct or i in conditions:
            continue
        root = _negated_root(t.low, other_stems)
        if root is not None:
            negated.add(stem(root))
            in_scope.add(i)
            for m in _complement(toks, i):  # 'it is unclear whether X', 'unproven that X'
                in_scope.add(m)
                open_.add(toks[m].stem)
            continue
        contrast = t.low in ("rather", "instead") and i + 1 < len(toks) and toks[i + 1].low in ("than", "of")
        unlike = t.low == "unlike"  # 'Unlike the standard Queue, this one …' says it of this one, not that
        if t.low == "without" and i <= 3 and any(u.low == "," for u in toks[i + 1 : i + 8]):
            continue  # 'Called without an argument, it …': a condition, not a denial
        if not (t.neg or contrast or unlike or t.low == "unless"):
            continue
        first = i + (2 if contrast else 1)
        following = [u.low for u in toks[first : first + 3]]
        if following[:1] == ["longer"]:
            following = following[1:]
        if following[:1] and following[0] in NOT_REALLY_NEGATION:
            # 'not just coding helpers' denies 'just', not 'coding helpers'
            negated.add(JUST)
            continue
        k = _clause_verb(toks, first) if t.low == "unless" else _scope_head(toks, first)
        if k is None:
            unanchored += 1
            continue
        while toks[k].hyphen and k + 1 < len(toks) and is_content(toks[k + 1]):
            k += 1  # 'no long-standing agreement': the compound's last part, not 'long', is what is denied
        deny(k)
        u = toks[k]
        nxt = k + 1
        if u.low in CONTROL_WORDS:
            # 'not able to redesign', 'not prepared to handle': the action is denied too.
            window = range(k + 1, min(len(toks), k + 5))
            nxt = next((m for m in window if is_content(toks[m]) and not is_adverb(toks[m].low)), len(toks))
            if nxt < len(toks) and toks[k + 1].low in ("to", "of"):
                deny(nxt)
                k = nxt
        elif (contrast or t.low in ("no", "without")) and nxt < len(toks) and is_content(toks[nxt]):
            # 'without human intervention', 'rather than full instances': a noun phrase, not one word.
            if not is_adverb(toks[nxt].low):
                deny(nxt)
        for m in _joined_verbs(toks, k):
            deny(m)
        for m in _complement(toks, k):
            in_scope.add(m)
            open_.add(toks[m].stem)
    # Affirmed: said somewhere outside any negation, so a word both denied and affirmed is in both sets.
    affirmed = {t.stem for k, t in enumerate(toks) if is_content(t) and k not in in_scope}
    restrictive = conditions or any(t.low in NOT_REALLY_NEGATION - {"necessarily"} for t in toks)
    if restrictive and JUST not in negated:
        affirmed.add(JUST)
    return Polarity(negated, affirmed, open_ - affirmed - negated, unanchored)


_CLAUSE_END = frozenset(".;:!?")
# Adjectives take 'in-'/'im-' ('insufficient', 'impossible'); verbs that merely begin so ('improve', 'impress',
# 'inform') do not negate anything.
_PARTICIPLE_END = ("ed", "en", "wn", "ful", "ing", "ly", "y")
_ADJECTIVE_END = ("able", "ible", "ent", "ant", "ate", "ive", "al", "ous", "ete", "ect", "ure", "ite", "ic", "ar")


def _negated_root(word: str, other_stems: set[str]) -> str | None:
    """'unclear' -> 'clear'; 'informal' -> 'formal' when the other text says 'formal'."""
    root = UN_WORDS.get(word)
    if root is not None or len(word) <= 6 or NEG_PREFIX_EXEMPT.match(word):
        return root
    for prefix in ("un", "in", "im", "dis", "non"):
        rest = word[len(prefix) :]
        # 'uncontrollable' against 'control': the root may stand without its '-able'
        bare = rest[:-4] if rest.endswith(("able", "ible")) and len(rest) > 7 else rest
        if len(bare) > 3 and bare[-1] == bare[-2] and bare[-1] not in "aeiou":
            bare = bare[:-1]  # 'controll(able)'
        if not word.startswith(prefix) or not {stem(rest), stem(bare)} & other_stems:
            continue
        if prefix in ("in", "im") and not rest.endswith(_ADJECTIVE_END):
            continue
        if prefix == "un" and not rest.endswith(_ADJECTIVE_END + _PARTICIPLE_END):
            continue  # 'unpickle', 'unpack', 'unlock' undo an action; they deny nothing
        return rest
    return None


def _conditions(toks: list[Tok], other_stems: set[str]) -> set[int]:
    """Positions of a denial and a later 'without', 'unless' or 'if not' in its clause ('cannot sail without a
    pilot', 'impossible to control unless managed', 'uncontrollable if not managed'): together they say 'only
    with', 'only if', and deny nothing."""
    found: set[int] = set()
    for i, t in enumerate(toks):
        if t.low in ("without", "no", "none", "nothing", "nobody", "unless"):
            continue
        if not (t.neg or _negated_root(t.low, other_stems) is not None):
            continue
        for j in range(i + 1, len(toks)):
            if toks[j].low in _CLAUSE_END or toks[j].low in ("but", "however", "although", "though"):
                break
            if toks[j].low in ("without", "unless"):
                found |= {i, j}
                break
            if toks[j].low == "if" and j + 1 < len(toks) and toks[j + 1].neg:
                found |= {i, j, j + 1}
                break
            if _negated_root(toks[j].low, other_stems) is not None:
                found |= {i, j}  # 'cannot compare unhashable items' is 'compares only hashable ones'
                break
    return found


def _scope_head(toks: list[Tok], start: int) -> int | None:
    """The first content word a negation at ``start`` can govern, or None at the end of its clause. A comma
    that opens a parenthesis closed within a few words is stepped over ('cannot, without help, redesign')."""
    k = start
    while k < min(len(toks), start + 12):
        u = toks[k]
        if u.low == ",":
            close = next((m for m in range(k + 1, min(len(toks), k + 7)) if toks[m].low == ","), None)
            if close is None:
                return None
            k = close + 1
            continue
        if u.low in SCOPE_STOP:
            return None
        if is_content(u) and u.low not in SCOPE_SKIP and not is_adverb(u.low):
            return k
        k += 1
    return None


_AUXILIARIES = frozenset(
    "is are was were be been has have had do does did will would can could may might should must".split()
)


def _clause_verb(toks: list[Tok], start: int) -> int | None:
    """The verb of the clause that starts at ``start`` ('unless inspectors approved the repairs' -> approved): the
    word after an auxiliary if there is one, else the second content word when the first is its subject."""
    end = next((k for k in range(start, len(toks)) if toks[k].low in SCOPE_STOP), len(toks))
    aux = next((k for k in range(start, end) if toks[k].low in _AUXILIARIES), None)
    if aux is not None:
        return _scope_head(toks[:end], aux + 1)
    words = [k for k in range(start, end) if is_content(toks[k]) and not is_adverb(toks[k].low)]
    if len(words) >= 2 and words[1] == words[0] + 1:
        return words[1]
    return words[0] if words else None


def _joined_verbs(toks: list[Tok], head: int) -> list[int]:
    """Verbs joined to a denied verb by 'and'/'or' later in its clause: 'not redesigning their architecture and
    creating successors'. Recognised by the same ending (-ing, -ed), which a noun in between seldom has."""
    found = []
    if head + 2 < len(toks) and toks[head + 1].low == "or" and is_content(toks[head + 2]):
        found.append(head + 2)  # 'not stall or slow': neither one
    ending = next((e for e in ("ing", "ed") if toks[head].low.endswith(e) and len(toks[head].low) > len(e) + 2), None)
    if ending is None:
        return found
    for m in range(head + 1, min(len(toks), head + 12)):
        if toks[m].low in _CLAUSE_END or toks[m].low in ("but", "however", "although", "though", "because"):
            break
        if toks[m - 1].low in ("and", "or") and toks[m].low.endswith(ending) and is_content(toks[m]) and m not in found:
            found.append(m)
    return found


def _complement(toks: list[Tok], head: int) -> list[int]:
    """The content words of a clause introduced by a denied word ('there is no proof that X can offset Y'):
    the text neither affirms nor denies them."""
    k = head + 1
    while k < len(toks) and (is_adverb(toks[k].low) or toks[k].low in SCOPE_SKIP):
        k += 1
    if k >= len(toks) or toks[k].low not in ("that", "whether"):
        return []
    found = []
    for m in range(k + 1, min(len(toks), k + 15)):
        if toks[m].low in _CLAUSE_END or toks[m].low in ("but", "however", "although", "though"):
            break
        if is_content(toks[m]):
            found.append(m)
    return found


ANTONYM_STEMS = tuple(
    sorted({(x, y) for a, b in ANTONYM_PAIRS for x, y in ((stem(a), stem(b)), (stem(b), stem(a))) if x != y})
)


def check_negation(case: Case) -> list[Check]:
    claim_toks, ev_toks = case.claim_toks, case.evidence_toks
    claim_stems = {t.stem for t in claim_toks if is_content(t)}
    ev_stems = {t.stem for t in ev_toks if is_content(t)}
    claim = polarity(claim_toks, ev_stems)
    ev = polarity(ev_toks, claim_stems)
    shared = claim.negated & ev.negated
    light = {t.stem for t in claim_toks if t.low in LIGHT}  # by the word: 'formal' is not 'form'

    def beside_shared_denial(word: str) -> bool:
        # Next to something both texts deny, a difference is more likely scope noise than a flipped fact.
        spots = [i for i, t in enumerate(claim_toks) if t.stem == word]
        near = {claim_toks[k].stem for i in spots for k in range(max(0, i - 3), min(len(claim_toks), i + 4)) if k != i}
        return bool(near & shared)

    for word in sorted(claim.negated - {JUST}):
        if word in ev.affirmed and word not in ev.negated and not beside_shared_denial(word):
            return [Check("negation", f"negation mismatch: claim denies '{word}'")]
    for word in sorted(claim.affirmed):
        if word in ev.negated and word not in ev.affirmed and word not in light and not beside_shared_denial(word):
            shown = "just" if word == JUST else word
            return [Check("negation", f"negation mismatch: passage denies '{shown}'")]
    # What the passage leaves open ('no one has shown that X'), a plainly positive claim asserts ('X has been
    # shown'); a claim with a denial of its own ('X has not been demonstrated') keeps its subject's words outside
    # the denial, so this cannot be read off it.
    asserted = sorted((claim.affirmed & ev.open) - light - claim.open)
    if len(asserted) >= 2 and not claim.negated and not any(t.neg for t in claim_toks):
        return [Check("negation", f"claim asserts what the passage leaves open ('{asserted[0]}')")]
    checks: list[Check] = []
    if claim.unanchored and not any(t.neg for t in ev_toks) and not ev.negated:
        checks.append(Check("negation_unanchored", "claim has a negation the passage lacks"))
    return checks


def check_antonyms(case: Case) -> list[Check]:
    """'harder' for 'easier', 'publicly' for 'confidentially': where the evidence uses the opposite word about
    the same thing (it shares a neighbouring word) and never the claim's own word about it."""
    claim_toks, evidence = case.claim_toks, case.evidence
    opposites: dict[str, set[str]] = {}
    for x, y in ANTONYM_STEMS:
        opposites.setdefault(x, set()).add(y)
    ev_stems = {u.stem for s in evidence for u in s.toks}
    for i, t in enumerate(claim_toks):
        if t.stem not in opposites or t.stem in ev_stems:
            continue  # a passage that has the claim's own word too is not contradicting it by the opposite
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
