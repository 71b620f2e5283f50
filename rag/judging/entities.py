"""Names in text: finding them, and deciding whether another text names the same one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .base import Case, Check
from .lexicon import (
    LIGHT,
    ALIASES,
    CALENDAR_WORDS,
    CLOSED_CLASSES,
    GENERIC_NAME_WORDS,
    NAME_CONNECTORS,
    ORDINARY_SUFFIX,
    SPEECH_VERBS,
    STOPWORDS,
)
from .text import Sentence, Tok, is_content, stem


@dataclass(frozen=True)
class Entity:
    surface: str
    keys: tuple[str, ...]  # lower-cased identifying words (title words dropped)
    start: int
    end: int  # token positions, end exclusive
    acronym: bool = False
    named: bool = True  # False for a common-noun speaker such as 'critics'


def entities(toks: list[Tok], proper: set[str]) -> list[Entity]:
    """Runs of capitalised words. A capital at the start of a sentence counts only if the same word is written
    with a capital elsewhere (``proper``) or looks like a name on its own (inner capitals, all capitals)."""
    out: list[Entity] = []
    i = 0
    n = len(toks)

    def name_like(t: Tok) -> bool:
        if t.punct or t.number or not t.cap:
            return False
        if not t.start:
            return t.low not in STOPWORDS or t.surf.isupper()
        return (t.low in proper and t.low not in STOPWORDS) or (t.surf.isupper() and len(t.surf) > 1) or any(
            c.isupper() for c in t.surf[1:]
        )

    while i < n:
        if not name_like(toks[i]):
            i += 1
            continue
        j = i + 1
        while j < n:
            if name_like(toks[j]) or (toks[j].cap and not toks[j].punct and not toks[j].start):
                j += 1
            elif toks[j].low in NAME_CONNECTORS and j + 1 < n and name_like(toks[j + 1]):
                j += 2
            else:
                break
        words = toks[i:j]
        keys = tuple(t.low for t in words if t.low not in GENERIC_NAME_WORDS and t.low not in NAME_CONNECTORS)
        acronym = len(words) == 1 and words[0].surf.isupper() and 2 <= len(words[0].surf) <= 5
        if keys:
            out.append(Entity(" ".join(t.surf for t in words), keys, i, j, acronym))
        i = j
    return out


def _initialisms(toks: list[Tok]) -> set[str]:
    letters = [t.low[0] for t in toks if not t.punct and not t.number and t.low not in ("of", "and", "the")]
    found: set[str] = set()
    for size in (2, 3, 4, 5):
        for k in range(len(letters) - size + 1):
            found.add("".join(letters[k : k + size]))
    return found


def word_match(a: str, b: str) -> bool:
    """Same name word, allowing demonyms and plurals ('Japan'/'Japanese', 'China'/'Chinese')."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) < 4:
        return False
    common = 0
    for x, y in zip(short, long_):
        if x != y:
            break
        common += 1
    return common >= 4 and common >= 0.75 * len(short)


class TextIndex:
    """What a name check needs to know about a stretch of text."""

    def __init__(self, toks: list[Tok]) -> None:
        self.lows = {t.low for t in toks if not t.punct}
        self._toks = toks
        self._initials: set[str] | None = None
        self._text_low = " " + " ".join(t.low for t in toks if not t.punct) + " "

    def has_word(self, key: str) -> bool:
        if key in self.lows:
            return True
        return any(word_match(key, w) for w in self.lows if w[:1] == key[:1])

    def has_entity(self, ent: Entity) -> bool:
        if ent.acronym:
            key = ent.keys[0]
            if key in self.lows:
                return True
            if self._initials is None:
                self._initials = _initialisms(self._toks)
            if key in self._initials:
                return True
            return any(f" {alias} " in self._text_low for alias in ALIASES.get(key, ()))
        found = [self.has_word(k) for k in ent.keys]
        if all(found):
            return True
        if found[-1]:
            # 'Clark' for 'Jack Clark' is the same person, unless the text names another one ('John Clark',
            # 'Halden Structures' for 'Kestrel Structures').
            return not self._other_name_ending_in(ent)
        return len(found) >= 2 and sum(found) > len(found) / 2

    def _other_name_ending_in(self, ent: Entity) -> bool:
        last = ent.keys[-1]
        for k, t in enumerate(self._toks):
            if k and word_match(t.low, last):
                prev = self._toks[k - 1]
                if prev.cap and not prev.punct and prev.low not in ent.keys and prev.low not in GENERIC_NAME_WORDS:
                    return True
        return False


_DEMONYM = re.compile(r"(?:ese|ian|ean|ish|ican|ench|tch|ic)$")


def is_modifier(ent: Entity, toks: list[Tok]) -> bool:
    """'Japanese startup', 'American lab': a nationality word in front of a noun describes, it is not a subject."""
    nxt = toks[ent.end] if ent.end < len(toks) else None
    if nxt is None or nxt.punct or nxt.cap or toks[ent.end - 1].surf.endswith("'s"):
        return False  # a possessive ('Anthropic's revenue') owns the noun, it does not describe it
    return len(ent.keys) == 1 and bool(_DEMONYM.search(ent.keys[0])) and is_content(nxt) and nxt.low not in SPEECH_VERBS


def entity_matches(a: Entity, b: Entity) -> bool:
    return any(word_match(x, y) for x in a.keys for y in b.keys)


def opener_names(toks: list[Tok]) -> set[str]:
    """Capitalised sentence-first words taken for names: never written in lower case in these texts, not a
    function word, and without the ending of an ordinary word (-ing, -ly, -tion, plural -s...). 'Anthropic said'
    qualifies, 'Researchers say' and 'However' do not."""
    lower = {t.low for t in toks if not t.cap and not t.punct}
    found: set[str] = set()
    for k, t in enumerate(toks):
        if not (t.start and t.cap) or t.punct or t.number or len(t.low) < 3 or t.low in lower:
            continue
        if k + 1 < len(toks) and toks[k + 1].low in ("the", "a", "an"):
            continue  # 'See the manual', 'Use a': a verb or preposition, a name is not followed by an article
        if ORDINARY_SUFFIX.search(t.low) or any(t.low in lexicon for lexicon in CLOSED_CLASSES):
            continue
        found.add(t.low)
    return found


def check_entities(case: Case) -> list[Check]:
    claim_toks, claim_ents, proper = case.claim_toks, case.claim_ents, case.proper
    checks: list[Check] = []
    if not claim_ents:
        return checks
    everywhere = TextIndex([t for s in case.sentences for t in s.toks])
    ev_index = TextIndex([t for s in case.evidence for t in s.toks])
    nearby = TextIndex([t for s in case.with_preceding(2) for t in s.toks])
    ev_passages = {s.passage for s in case.evidence}
    same_passage = TextIndex([t for s in case.sentences if s.passage in ev_passages for t in s.toks])
    ev_ents = [e for s in case.evidence for e in entities(s.toks, proper)]
    claim_index = TextIndex(claim_toks)
    rivals = [e for e in ev_ents if not claim_index.has_entity(e) and e.keys[-1] not in CALENDAR_WORDS]
    best = case.best or case.evidence[0]
    aside = aside_positions(best.toks)
    best_index = TextIndex([t for k, t in enumerate(best.toks) if k not in aside])  # 'X, an adviser to Y, said'
    ev_subject = subject_of(best, case)
    claim_subject = next((e for e in claim_ents if e.start <= 3 and not is_modifier(e, claim_toks)), None)
    for ent in claim_ents:
        if not everywhere.has_entity(ent):
            checks.append(Check("entity_missing", f"entity '{ent.surface}' not in passage"))
        elif (
            ent is claim_subject
            and ev_subject is not None
            and not best_index.has_entity(ent)
            and not entity_matches(ent, ev_subject)
            and not claim_index.has_entity(ev_subject)
            and not (in_description(ent, claim_toks, case.evidence) and nearby.has_entity(ent))
        ):
            # The closest sentence says the same thing about someone else.
            checks.append(Check("entity_swapped", f"'{ent.surface}' where passage has '{ev_subject.surface}'"))
        elif not ev_index.has_entity(ent):
            if nearby.has_entity(ent):
                continue
            elif rivals:
                checks.append(Check("entity_swapped", f"'{ent.surface}' where passage has '{rivals[0].surface}'"))
            elif not same_passage.has_entity(ent):
                checks.append(Check("entity_elsewhere", f"entity '{ent.surface}' not in the matching passage"))
        else:
            # An owner named in a description ('Anthropic's CEO said') is not who the sentence is about.
            described = in_description(ent, claim_toks, case.evidence)
            rival = None if described else _bound_elsewhere(ent, claim_toks, case.evidence, proper)
            if rival is not None:
                checks.append(Check("entity_swapped", f"passage says this of '{rival.surface}', not '{ent.surface}'"))
    return checks


def in_description(ent: Entity, toks: list[Tok], evidence: list[Sentence]) -> bool:
    """Is the name part of a description of someone else ('Meta's former chief scientist', 'the maker of
    Claude', 'one of Anthropic's co-founders') rather than the one the sentence is about? Not when the evidence
    gives the same possessed thing another owner ('OpenAI's wager' where it says 'Sakana's wager')."""
    owner = [k for k in range(ent.start, ent.end) if toks[k].surf.lower().endswith(("'s", "'"))]
    # 'Meta's former ...', or a title in capitals after the owner ('Anthropic's CEO')
    possessive = bool(owner) and (owner[-1] < ent.end - 1 or (ent.end < len(toks) and not toks[ent.end].punct))
    governed = ent.start >= 2 and toks[ent.start - 1].low == "of" and is_content(toks[ent.start - 2])
    if not (possessive or governed):
        return False
    if possessive and owner[-1] + 1 < len(toks):
        owned = toks[owner[-1] + 1].stem
        for sentence in evidence:
            st = sentence.toks
            for k in range(len(st) - 1):
                if st[k].surf.lower().endswith(("'s", "'")) and st[k + 1].stem == owned and st[k].low not in ent.keys:
                    return False
    return True


# Words that open a phrase put beside a name ('Jones, one of the authors', 'Ha, who worked at Google'), as opposed
# to the verb of the sentence ('Holt, criticised the plan').
_APPOSITION_START = frozenset("a an the one its his her their who whom whose which where".split())


def aside_positions(toks: list[Tok]) -> set[int]:
    """Positions inside an aside set off by commas that describes what stands before it ('Carla Mendes, a former
    adviser to Jonas Holt, criticised the plan'). A comma followed by 'and'/'or' ends a list item instead."""
    found: set[int] = set()
    for c, t in enumerate(toks):
        if t.low != "," or c + 1 >= len(toks) or toks[c + 1].cap or toks[c + 1].low in ("and", "or", "but"):
            continue
        close = next((k for k in range(c + 1, min(len(toks), c + 16)) if toks[k].low in ",.;:!?"), None)
        if close is None or toks[close].low != "," or (close + 1 < len(toks) and toks[close + 1].low in ("and", "or")):
            continue
        found.update(range(c, close + 1))
    return found


def _quoted_positions(toks: list[Tok]) -> set[int]:
    marks = [k for k, t in enumerate(toks) if t.low == '"']
    return {k for a, b in zip(marks[::2], marks[1::2]) for k in range(a, b + 1)}


def name_context(toks: list[Tok], ent: Entity, size: int = 5) -> set[str]:
    """What a name is described by: up to ``size`` content words on each side within its clause ('Jack Clark,
    head of the institute' -> head, institute), other names included, words that suit any name
    ('said') not. To the right two commas may be crossed, for an apposition or a list ('generates, tests, and
    iterates'); to the left a comma closes a phrase about something else ('After six weeks of repairs, the bridge
    reopened'). A name inside an aside ('OpenAI, like Anthropic, is ...', 'X, an adviser to Y, criticised') is
    described by the aside and what is put beside it ('including Jones, one of the authors'), not by the
    sentence's verb; one that ends a list item ('..., and the Darwin Machine, which ...') is not in an aside."""
    found: set[str] = set()
    inside_aside = False
    for step, k in ((-1, ent.start - 1), (1, ent.end)):
        taken, commas = 0, 0
        limit = 0 if step < 0 else 2
        if inside_aside and k + 1 < len(toks) and toks[k + 1].low not in _APPOSITION_START:
            limit = 0
        while 0 <= k < len(toks) and taken < size:
            t = toks[k]
            commas += t.low == ","
            if t.low in (".", ";", ":", "!", "?") or commas > limit:
                inside_aside = (
                    step < 0 and t.low == "," and toks[k + 1].low not in ("and", "or", "but")
                    and ent.end < len(toks) and toks[ent.end].low == ","
                )
                break
            if is_content(t) and t.low not in LIGHT:
                found.add(t.stem)
                taken += 1
            k += step
    return found


def _bound_elsewhere(ent: Entity, claim_toks: list[Tok], evidence: list[Sentence], proper: set[str]) -> Entity | None:
    """The name the evidence attaches the claim's description of ``ent`` to, when that is another name: 'Jack
    Clark, head of the institute' where the passage has 'Marina Favaro, head of the institute, and co-founder Jack
    Clark'. The same test as for numbers: the rival's surroundings must share clearly more with the claim's. A
    rival named in the claim's description, or standing next to ``ent`` in the passage, shares those words for
    that reason and proves nothing; a rival the claim also names must have lost its own description there."""
    context = name_context(claim_toks, ent)
    own = {stem(k) for k in ent.keys}
    claim_names = entities(claim_toks, proper)
    same, rivals = None, []
    for sentence in evidence:
        aside = aside_positions(sentence.toks) | _quoted_positions(sentence.toks)
        for other in entities(sentence.toks, proper):
            around = name_context(sentence.toks, other)
            overlap = len(context & around)
            if same_name(ent, other):
                same = max(same or 0, overlap)
            elif other.keys[-1] in CALENDAR_WORDS or is_modifier(other, sentence.toks) or other.start in aside:
                continue  # 'in March', 'Japanese startup', 'LeCun, former Meta scientist', a quoted title: no rival
            elif {stem(k) for k in other.keys} & context or own & around:
                continue
            elif any(
                same_name(c, other) and len(name_context(claim_toks, c) & around) >= max(2, overlap)
                for c in claim_names
            ):
                continue  # the claim says of the rival what the passage says of it, at least as closely
            else:
                rivals.append((overlap, other))
    if same is None:
        return None  # the name is not in the evidence: the other name checks deal with that
    best = max(rivals, key=lambda r: r[0], default=None)
    if best is not None and best[0] >= 2 and best[0] >= same + 2:
        return best[1]
    return None


def same_name(a: Entity, b: Entity) -> bool:
    """Two mentions of one name: a shared name word ('Clark', 'Jack Clark'), or an acronym and the name it
    shortens ('US' and 'United States')."""
    if entity_matches(a, b):
        return True
    for short, long_ in ((a, b), (b, a)):
        if short.acronym and len(long_.keys) >= 2:
            initials = "".join(k[0] for k in long_.keys)
            if initials == short.keys[0] or " ".join(long_.keys) in ALIASES.get(short.keys[0], ()):
                return True
    return False


def subject_of(sentence: Sentence, case: Case) -> Entity | None:
    """The name a sentence is about: a name among its first words (not a modifier such as 'Japanese'), or for
    'He'/'She' the nearest name in the sentences before it."""
    names = entities(sentence.toks, case.proper)
    subject = next((e for e in names if e.start <= 3 and not is_modifier(e, sentence.toks)), None)
    if subject is not None and len(subject.keys) == 1:
        # 'Fleet owner Carla Mendes': a word before a title is part of the title, the name follows it.
        titled = next((e for e in names if subject.end < e.start <= subject.end + 2 and len(e.keys) >= 2), None)
        if titled is not None and all(not t.cap for t in sentence.toks[subject.end : titled.start]):
            subject = titled
    if subject is not None or not sentence.toks or sentence.toks[0].low not in ("he", "she"):
        return subject
    for earlier in sorted(
        (x for x in case.sentences if x.passage == sentence.passage and sentence.index - 3 <= x.index < sentence.index),
        key=lambda x: -x.index,
    ):
        aside = aside_positions(earlier.toks)
        names = [
            e for e in entities(earlier.toks, case.proper)
            if e.keys[-1] not in CALENDAR_WORDS and not is_modifier(e, earlier.toks) and e.start not in aside
        ]
        names.sort(key=lambda e: len(e.keys) < 2)  # a full name first; a lone word only when there is none
        if names:
            return names[0]
    return None


# Words between two names that make their relation go both ways ('A partnered with B', 'between A and B') or
# turn it round ('B was acquired by A'): their order then proves nothing.
_ORDER_FREE = frozenset("and or with between versus vs against alongside both together by , ;".split())


# A segment ending so attaches the second name to a title or place ('co-founder of Anthropic', 'based in Tokyo'),
# which a text may as well put in front ('Anthropic co-founder Jack Clark', 'Tokyo-based Sakana').
_ATTACHING = frozenset("of in at from for based".split())


def _relating(segment: list[Tok]) -> bool:
    """Words between two names that relate them one way round: a short clause, not a list, a title or a place."""
    return (
        3 <= len(segment) <= 8
        and not any(t.low in _ORDER_FREE or t.cap for t in segment)
        and segment[-1].low not in _ATTACHING
    )


def check_entity_order(case: Case) -> list[Check]:
    """'X made OpenAI a challenger to Anthropic' where the passage says 'turned Anthropic into a challenger to
    OpenAI': the same two names around the same words, the other way round."""
    names = [e for e in case.claim_ents if e.keys[-1] not in CALENDAR_WORDS]
    toks = case.claim_toks
    for a_pos, a in enumerate(names):
        for b in names[a_pos + 1 :]:
            if same_name(a, b):
                continue
            middle = toks[a.end : b.start]
            if not _relating(middle):
                continue
            between = {t.stem for t in middle if is_content(t) and t.low not in LIGHT}
            if not between:
                continue
            for sentence in case.evidence:
                ents = entities(sentence.toks, case.proper)
                for y in (e for e in ents if same_name(e, b)):
                    for x in (e for e in ents if same_name(e, a) and y.end <= e.start <= y.end + 10):
                        gap = sentence.toks[y.end : x.start]
                        if not _relating(gap):
                            continue
                        if between & {t.stem for t in gap if is_content(t)}:
                            return [Check("entity_order", f"passage puts '{b.surface}' and '{a.surface}' the other way round")]
    return []
