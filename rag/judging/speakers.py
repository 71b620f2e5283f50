"""Who says what, and in which words: the speaker of each reported statement, and quotations."""

from __future__ import annotations

from .base import Case, Check
from .entities import Entity, TextIndex, entities, entity_matches, in_description
from .lexicon import CALENDAR_WORDS, LIGHT, PARTICIPLE_NEXT, PLACEHOLDER_SUBJECTS, SPEECH_VERBS
from .text import Tok, is_adverb, is_content


UNRESOLVED = "~unresolved"  # the key of a speaker the text refers to but never names


def speakers(toks: list[Tok], ents: list[Entity], fallback: list[Entity]) -> list[Entity]:
    """Who says what: names between the clause start and a speech verb, names after 'according to'; a pronoun
    or 'the company' subject resolves to ``fallback`` (names from the sentences before)."""
    found: list[Entity] = []
    clause_start = 0
    for i, t in enumerate(toks):
        if t.low in (";", ":", '"') or (t.punct and t.low in ".!?"):
            clause_start = i + 1
            continue
        if t.low == "according" and i + 1 < len(toks) and toks[i + 1].low == "to":
            found.extend(e for e in ents if i + 2 <= e.start <= i + 5)
            continue
        if t.low not in SPEECH_VERBS:
            continue
        if t.low.startswith("call") and i + 1 < len(toks) and toks[i + 1].low not in ("for", "on"):
            continue  # 'call' speaks in 'call for', 'call on'; in 'what researchers call RSI' it names
        if 0 < i < len(toks) - 1 and toks[i + 1].low in PARTICIPLE_NEXT and t.low.endswith(("ed", "id", "ld", "wn")):
            prev = toks[i - 1]
            if prev.low in ("is", "was", "are", "were", "be", "been") or (is_content(prev) and not prev.cap):
                continue  # 'the architecture described in that paper', 'is said to be': no one speaking here
        commas = [k for k in range(clause_start, i) if toks[k].low == ","]
        aside = range(0)
        if len(commas) >= 2 and not toks[commas[0] + 1].cap:
            # 'David Sacks, an adviser to Donald Trump, accused', 'The company, which makes Claude, said': the aside
            # describes the speaker and names no one who speaks ('Sacks, Trump and Musk said' is a list of names).
            aside = range(commas[0], commas[-1] + 1)
        before = [
            e for e in ents
            if clause_start <= e.start and e.end <= i and i - e.end <= 25 and e.start not in aside
        ]
        subject = [u for k, u in enumerate(toks[clause_start:i], clause_start) if not u.punct and k not in aside]
        if before:
            found.extend(before)
        elif not subject:
            # '"...," said a spokesperson for Sakana AI': the speaker follows the verb.
            found.extend(e for e in ents if i < e.start <= i + 6)
        elif any(u.low in PLACEHOLDER_SUBJECTS for u in subject):
            # 'the company said': whoever the text named before, or, with no name there, someone unknown.
            found.extend(fallback or [Entity(subject[-1].surf, (UNRESOLVED,), i, i, named=False)])
        else:
            # A common-noun speaker ('critics say', 'experts caution'): it names no one, but it is not the claim's name.
            heads = [u for u in subject if is_content(u) and u.low not in LIGHT and not is_adverb(u.low)]
            if heads:
                found.append(Entity(heads[-1].surf, (heads[-1].low,), i, i, named=False))
        clause_start = i + 1
    return found


def check_speaker(case: Case) -> list[Check]:
    claim_toks, claim_ents, proper = case.claim_toks, case.claim_ents, case.proper
    claim_speakers = speakers(claim_toks, claim_ents, [])
    if not claim_speakers:
        return []
    # The closest sentence's speaker decides; the other evidence sentences only when it names none.
    best = case.best or case.evidence[0]
    evidence_speakers: list[Entity] = []
    for s in [best] + [x for x in case.evidence if x is not best]:
        earlier = [x for x in case.sentences if x.passage == s.passage and s.index - 3 <= x.index < s.index]
        fallback: list[Entity] = []
        for x in reversed(earlier):
            names = [e for e in entities(x.toks, proper) if e.keys[-1] not in CALENDAR_WORDS]
            if names:
                fallback = speakers(x.toks, names, []) or names[:1]
                break
        evidence_speakers = speakers(s.toks, entities(s.toks, proper), fallback)
        if evidence_speakers:
            break
    if not evidence_speakers:
        return []
    described = TextIndex([t for s in case.evidence for t in s.toks])
    if all(c.named and in_description(c, claim_toks, case.evidence) and described.has_entity(c) for c in claim_speakers):
        return []  # "Meta's former chief scientist said" names the speaker by a description the passage gives
    unresolved = [e for e in claim_speakers + evidence_speakers if UNRESOLVED in e.keys]
    if any(e in claim_speakers for e in unresolved) or (unresolved and not any(e.named for e in evidence_speakers)):
        return []  # 'the company said' with no name before it: it may be anyone
    full_names = [c for c in claim_speakers if c.named and len(c.keys) >= 2]
    other_full = [e for e in evidence_speakers if e.named and len(e.keys) >= 2]
    if full_names and other_full and not any(entity_matches(c, e) for c in full_names for e in other_full):
        # 'Transport minister Elena Marsh warned' vs 'Transport minister Priya Nair warned': the title matches,
        # the person does not.
        return [Check("speaker", f"passage attributes this to '{other_full[0].surface}', not '{full_names[0].surface}'")]
    if any(entity_matches(c, e) for c in claim_speakers for e in evidence_speakers):
        return []
    if not any(e.named for e in claim_speakers + evidence_speakers):
        return []  # 'researchers say' vs 'scientists say': wording, not a different speaker
    return [
        Check(
            "speaker",
            f"passage attributes this to '{evidence_speakers[0].surface}', not '{claim_speakers[0].surface}'",
        )
    ]


def check_quotes(case: Case) -> list[Check]:
    """Words a claim puts in quotation marks are someone's exact words (or a name's): every content word of the
    quotation must be in the passages, not merely a synonym of one ('means "bird"' where they say "fish")."""
    toks = case.claim_toks
    marks = [i for i, t in enumerate(toks) if t.low == '"']
    passage_stems = set().union(*(s.stems for s in case.sentences))
    for open_, close in zip(marks[::2], marks[1::2]):
        quoted = [t for t in toks[open_ + 1 : close] if is_content(t)]
        missing = [t for t in quoted if t.stem not in passage_stems]
        if missing:
            return [Check("misquote", f"quoted '{missing[0].surf}' not in passage")]
    return []
