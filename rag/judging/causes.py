"""Cause and effect: a claim that says one thing happened because of another needs a passage that says so, the
same way round."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Case, Check
from .text import Sentence, Tok, is_content

# Connectives followed by the cause ('X because Y', 'X due to Y'), with the words that complete them.
_CAUSE_AFTER = {"because": (), "since": (), "due": ("to",), "owing": ("to",), "thanks": ("to",)}
# Connectives followed by the effect ('X; therefore Y', 'This is why Y', 'The result is Y').
_EFFECT_AFTER = frozenset("therefore thus hence consequently why result results".split())
# Verbs whose subject causes their object ('X led to Y', 'X forced Y', 'X, driving up Y'). A verb links an agent to
# an outcome that passages put in many other words ('could ban' for 'could lead to a ban'), so for verbs only
# the direction is checked.
_CAUSING = frozenset("""
cause causes caused causing lead leads led leading force forces forced forcing drive drives drove driving driven
prompt prompts prompted prompting trigger triggers triggered triggering spark sparks sparked sparking fuel fuels
fuelled fueled fuelling fueling resulted resulting
""".split())
_SENTENCE_END = frozenset(".;!?")
# After 'result' when it links: 'the result of', 'the result is', 'as a result,', 'results in'.
_RESULT_NEXT = frozenset("of is was would will could may might , in".split())
_BE = frozenset("is are was were be been being".split())


@dataclass(frozen=True)
class Link:
    cause: frozenset[str]
    effect: frozenset[str]
    connective: bool  # 'because', 'therefore'... rather than a verb such as 'led to'


def causal_links(toks: list[Tok], before: list[Tok] | None = None) -> list[Link]:
    """The causal links a text states, each side as the content stems on its side of the connective within the
    sentence. A side that is empty or only 'this'/'that' ('This is why ...', 'The result is ...') is the sentence
    ``before``."""
    links: list[Link] = []
    for i, t in enumerate(toks):
        low, nxt = t.low, (toks[i + 1].low if i + 1 < len(toks) else "")
        if low in _CAUSE_AFTER:
            rest = _CAUSE_AFTER[low]
            if [u.low for u in toks[i + 1 : i + 1 + len(rest)]] != list(rest):
                continue
            if low == "since" and not _causal_since(toks, i):
                continue
            effect_first, connective = True, True
        elif low in _EFFECT_AFTER:
            if low in ("result", "results") and nxt not in _RESULT_NEXT:
                continue  # 'evaluates the result': a noun, no link
            effect_first, connective = nxt == "of", True  # 'the result of Y' names the cause after it
        elif low in _CAUSING:
            if low in ("lead", "leads", "led", "leading") and nxt != "to":
                continue  # 'led by', 'the lead'
            passive = i > 0 and toks[i - 1].low in _BE
            if passive and nxt != "by":
                continue  # 'would be triggered if ...' names no cause
            effect_first, connective = passive, False  # 'driven by rising costs': the cause follows
        elif low == "reason" and i >= 2 and toks[i - 1].low in _POINTERS and toks[i - 2].low == "for":
            effect_first, connective = False, True  # 'For that reason, Y': the cause is the sentence before
        elif low == "as" and i > 0 and toks[i - 1].low == "," and nxt in _SUBJECTS:
            effect_first, connective = True, True  # 'heaps suit this, as they are fast': the cause follows
        elif low == "reason" and nxt in ("is", ",") and not (i > 0 and toks[i - 1].low == "for"):
            effect_first, connective = True, True  # 'and the reason is, X': the cause follows, the effect before
        elif low == "so" and i > 0 and toks[i - 1].low == "," and nxt not in ("far", "much", "many"):
            effect_first, connective = False, True
        else:
            continue
        left, right = _side(toks, i, -1), _side(toks, i, 1)
        if effect_first and not left:
            # 'Because it can rewrite its code, it becomes a target, ...': the effect is the clause after the comma.
            commas = [k for k in range(i + 1, len(toks)) if toks[k].low == ","] + [len(toks)]
            if len(commas) > 1:
                left, right = _side(toks[: commas[1]], commas[0], 1), _side(toks[: commas[0]], i, 1)
        cause, effect = (right, left) if effect_first else (left, right)
        if not cause and before:
            cause = {u.stem for u in before if is_content(u)}
        links.append(Link(frozenset(cause), frozenset(effect), connective))
    return links


def _causal_since(toks: list[Tok], i: int) -> bool:
    """'since' gives a reason when a clause follows it, not a date ('since 2023', 'ever since it was founded',
    'since its founding')."""
    if i > 0 and toks[i - 1].low == "ever":
        return False
    following = toks[i + 1 : i + 4]
    if any(u.number for u in following) or (following and following[0].low in ("then", "its", "their", "the")):
        return False
    return i == 0 or toks[i - 1].low in (",", "and") or toks[i].start


_POINTERS = frozenset("this that it these those".split())
# Words that open a clause after a causal 'as' ('..., as they are fast'), unlike 'as well', 'as a result', 'as X as'.
_SUBJECTS = frozenset("i you he she it we they this that these those there the its their his her our".split())


def _side(toks: list[Tok], i: int, step: int) -> set[str]:
    found: set[str] = set()
    k = i + step
    while 0 <= k < len(toks) and toks[k].low not in _SENTENCE_END:
        u = toks[k]
        if is_content(u) and u.low not in _POINTERS and u.low not in _CAUSING and u.low not in _EFFECT_AFTER:
            found.add(u.stem)
        k += step
    return found


def _stated(case: Case) -> list[Link]:
    links: list[Link] = []
    for s in case.evidence:
        before = next((x.toks for x in case.sentences if x.passage == s.passage and x.index == s.index - 1), [])
        links += causal_links(s.toks, before)
    return links


def _side_by_side(cause: frozenset[str], effect: frozenset[str], evidence: list[Sentence]) -> bool:
    """One evidence sentence holds the cause and most of the effect: 'a system that can rewrite its own code
    becomes a target' carries 'because it can rewrite its code, it becomes a target'."""
    return any(5 * len(cause & s.stems) >= 4 * len(cause) and 2 * len(effect & s.stems) >= len(effect) for s in evidence)


def check_causal(case: Case) -> list[Check]:
    """'X because Y' needs a passage that gives Y as a cause (sharing a word with it) or states Y along with X
    in one sentence; and in no case the other way round ('rising costs forced firms to build clusters' is not
    'firms built clusters, driving up costs')."""
    claimed = causal_links(case.claim_toks)
    if not claimed:
        return []
    stated = _stated(case)
    passage_stems = set().union(*(s.stems for s in case.sentences))
    for link in claimed:
        along = max((len(link.cause & s.cause) + len(link.effect & s.effect) for s in stated), default=0)
        turned = max((len(link.cause & s.effect) + len(link.effect & s.cause) for s in stated), default=0)
        if turned >= along + 2:
            return [Check("causal", "claim turns the passage's cause and effect around")]
        if not link.connective or not link.cause:
            continue
        if not link.cause & passage_stems and any(link.effect & s.effect for s in stated):
            # The passage gives a cause for this effect, and the claim words it in words of its own ('fewer pupils
            # signing up' for 'enrolment had fallen'): whether they mean the same is for the word checks to judge.
            continue
        if not any(link.cause & s.cause for s in stated) and not _side_by_side(link.cause, link.effect, case.evidence):
            return [Check("causal", "the passage does not give the claim's cause as a cause")]
    return []
