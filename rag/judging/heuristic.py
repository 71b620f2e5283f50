"""The offline judge: embedding similarity finds the evidence, explicit checks test it."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    import numpy as np

from .base import Verdict
from .entities import Entity, TextIndex, entities, entity_matches, is_modifier, opener_names, word_match
from .lexicon import BOOSTERS, CALENDAR_WORDS, GAP_IGNORED, HEDGES, JUST, LIGHT, MODAL_HEDGES, NUMBER_WORDS, QUANTIFIER_RANK, QUANTITY_WORDS, STOPWORDS, TIME_UNITS, WILL_EQUIVALENTS
from .negation import ANTONYM_STEMS, polarity
from .numbers import number_context, paired_elsewhere, quantities, same_quantity
from .speakers import speakers
from .text import Sentence, Tok, clean_text, is_content, near_stems, split_sentences, tokenize


DEFAULT_THRESHOLD = 0.45  # middle of the plateau (0.40-0.50) of balanced accuracy on claims_dev.jsonl

# How much each failed check multiplies the score by. Hard evidence against the claim sits near 0.2.
_PENALTY = {
    "number_missing": 0.2,
    "number_swapped": 0.3,
    "number_qualifier": 0.45,
    "unit": 0.35,
    "entity_missing": 0.2,
    "entity_swapped": 0.3,
    "entity_elsewhere": 0.85,
    "speaker": 0.3,
    "negation": 0.3,
    "negation_unanchored": 0.6,
    "antonym": 0.4,
    "booster": 0.4,
    "quantifier": 0.4,
    "one_of": 0.4,
    "hedge_dropped": 0.85,
    "novel_term": 0.9,
    "added_word": 0.7,
    "added_detail": 0.35,
}


@dataclass
class _Check:
    key: str
    reason: str

    @property
    def factor(self) -> float:
        return _PENALTY[self.key]


class _EmbeddingCache:
    """Embeddings per text, computed in batches, bounded; thread-safe because the answer path may run in threads."""

    def __init__(self, embedder: Any, max_items: int = 50_000) -> None:
        self._embedder = embedder
        self._max = max_items
        self._store: OrderedDict[str, "np.ndarray"] = OrderedDict()
        self._lock = threading.Lock()

    def ensure(self, texts: Iterable[str]) -> None:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._store))
        if not missing:
            return
        vectors = self._embedder.embed(missing)
        with self._lock:
            for text, vector in zip(missing, vectors):
                self._store[text] = vector
            while len(self._store) > self._max:
                self._store.popitem(last=False)

    def get(self, text: str) -> "np.ndarray":
        with self._lock:
            vector = self._store.get(text)
        if vector is None:
            self.ensure([text])
            with self._lock:
                vector = self._store[text]
        return vector

    def cos(self, a: str, b: str) -> float:
        return float(self.get(a) @ self.get(b))


@dataclass
class _Case:
    """One (claim, passages) question while it is being judged."""

    claim: str
    passages: list[str]
    sentences: list[Sentence] = field(default_factory=list)
    claim_toks: list[Tok] = field(default_factory=list)
    evidence: list[Sentence] = field(default_factory=list)
    best: Sentence | None = None  # the single closest sentence
    evidence_text: str = ""
    missing_words: list[str] = field(default_factory=list)  # claim words whose stem the evidence lacks
    verdict: Verdict | None = None


class HeuristicJudge:
    """Offline judge: embedding similarity to find the evidence, explicit checks to test it."""

    name = "heuristic"

    def __init__(self, embedder: Any, threshold: float | None = None) -> None:
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        self._vectors = _EmbeddingCache(embedder)
        self._sentence_cache: OrderedDict[str, list[str]] = OrderedDict()

    # -- public API

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict:
        return self.judge_many([(claim, passages)])[0]

    def judge_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Verdict]:
        cases = [self._prepare(claim, passages) for claim, passages in items]
        live = [c for c in cases if c.verdict is None]
        # Pass 1: sentence embeddings for every claim and candidate evidence sentence, in one batch.
        self._vectors.ensure([c.claim for c in live] + [s.text for c in live for s in c.sentences])
        for case in live:
            self._select_evidence(case)
        # Pass 2: the evidence as one text, and single words for synonym matching, in one batch.
        texts: list[str] = []
        for case in live:
            texts.append(case.evidence_text)
            texts.extend(case.missing_words)
            texts.extend(self._evidence_words(case))
        self._vectors.ensure(texts)
        for case in live:
            case.verdict = self._decide(case)
        return [c.verdict for c in cases]  # type: ignore[misc]

    # -- preparation

    def _split(self, passage: str) -> list[str]:
        cached = self._sentence_cache.get(passage)
        if cached is None:
            cached = split_sentences(passage)
            self._sentence_cache[passage] = cached
            if len(self._sentence_cache) > 5_000:
                self._sentence_cache.popitem(last=False)
        return cached

    def _prepare(self, claim: str, passages: Sequence[str]) -> _Case:
        text = re.sub(r"\s+", " ", clean_text(claim)).strip()
        case = _Case(text, [p for p in passages if p and p.strip()])
        if not any(c.isalnum() for c in text):
            case.verdict = Verdict(False, 0.0, "empty claim")
            return case
        if not case.passages:
            case.verdict = Verdict(False, 0.0, "no passages")
            return case
        case.claim_toks = tokenize(text)
        for p, passage in enumerate(case.passages):
            for k, sentence in enumerate(self._split(passage)):
                case.sentences.append(Sentence(sentence, p, k, tokenize(sentence)))
        if not case.sentences:
            case.verdict = Verdict(False, 0.0, "no passage text")
        return case

    def _claim_keys(self, case: _Case) -> set[str]:
        return {
            t.stem for t in case.claim_toks if is_content(t) and t.low not in BOOSTERS and t.low not in HEDGES
        } | {
            t.low for t in case.claim_toks if t.number
        }

    def _select_evidence(self, case: _Case) -> None:
        """The best sentence by similarity and word overlap, then up to two more that cover claim words the
        first one lacks (a claim may join two facts)."""
        keys = self._claim_keys(case)
        scored = []
        for s in case.sentences:
            overlap = len(keys & (s.stems | s.lows)) / max(1, len(keys))
            cosine = self._vectors.cos(case.claim, s.text)
            scored.append((0.5 * cosine + 0.5 * overlap, cosine, s))
        scored.sort(key=lambda x: -x[0])
        case.best = scored[0][2]
        evidence = [case.best]
        covered = keys & (case.best.stems | case.best.lows)
        top_cosine = scored[0][1]
        for _ in range(2):
            best = None
            for combined, cosine, s in scored:
                if s in evidence:
                    continue
                gain = len((keys - covered) & (s.stems | s.lows))
                # Another sentence joins if it adds claim words, or if it is nearly as close in meaning (its
                # negation or hedge may be the one that matters).
                if gain >= 2 or (gain == 1 and cosine >= 0.3) or cosine >= max(0.5, top_cosine - 0.1):
                    if best is None or (gain, combined) > (best[0], best[1]):
                        best = (gain, combined, s)
            if best is None:
                break
            evidence.append(best[2])
            covered |= keys & (best[2].stems | best[2].lows)
        evidence.sort(key=lambda s: (s.passage, s.index))
        case.evidence = evidence
        case.evidence_text = " ".join(s.text for s in evidence)
        ev_stems = set().union(*(s.stems for s in evidence))
        case.missing_words = [t.low for t in case.claim_toks if is_content(t) and t.stem not in ev_stems]

    def _evidence_words(self, case: _Case) -> list[str]:
        if not case.missing_words:
            return []
        return sorted({t.low for s in case.evidence for t in s.toks if is_content(t)})

    # -- decision

    def _decide(self, case: _Case) -> Verdict:
        claim_toks = case.claim_toks
        evidence = case.evidence
        ev_toks = [t for s in evidence for t in s.toks + [Tok(".", ".", ".", False, False, True, False)]]
        all_toks = [t for s in case.sentences for t in s.toks]
        proper = {t.low for t in claim_toks + all_toks if t.cap and not t.start and not t.punct}
        proper |= opener_names(claim_toks + all_toks)
        checks: list[_Check] = []

        cosine = max(
            [self._vectors.cos(case.claim, s.text) for s in evidence]
            + [self._vectors.cos(case.claim, case.evidence_text)]
        )
        checks += self._check_numbers(claim_toks, case)
        checks += self._check_units(claim_toks, case)
        name_checks, claim_ents = self._check_entities(claim_toks, case, proper)
        checks += name_checks
        checks += self._check_speaker(claim_toks, claim_ents, case, proper)
        checks += self._check_negation(claim_toks, ev_toks)
        checks += self._check_antonyms(claim_toks, evidence)
        checks += self._check_strength(claim_toks, ev_toks, case.best or evidence[0], evidence)
        coverage, detail_checks = self._coverage(case, claim_ents)
        checks += detail_checks

        sim = min(1.0, max(0.0, (cosine - 0.35) / 0.45))
        score = 0.45 * sim + 0.55 * coverage
        for check in checks:
            score *= check.factor
        score = float(min(1.0, max(0.0, score)))
        supported = score >= self.threshold
        if checks:
            worst = min(checks, key=lambda c: c.factor)
            reason = worst.reason
        else:
            reason = f"supported (similarity {cosine:.2f}, coverage {coverage:.2f})"
        if not checks and not supported:
            reason = f"weak match (similarity {cosine:.2f}, coverage {coverage:.2f})"
        return Verdict(supported, score, reason)

    def _check_numbers(self, claim_toks: list[Tok], case: _Case) -> list[_Check]:
        checks: list[_Check] = []
        ev_quantities = [(s, q) for s in case.evidence for q in quantities(s.toks)]
        all_quantities = [q for s in case.sentences for q in quantities(s.toks)]
        for q in quantities(claim_toks):
            matches = [(s, r) for s, r in ev_quantities if same_quantity(q, r)]
            if not matches:
                if not any(same_quantity(q, r) for r in all_quantities):
                    checks.append(_Check("number_missing", f"number {q.surface} not in passage"))
                else:
                    checks.append(_Check("number_swapped", f"number {q.surface} belongs to another statement"))
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
                    checks.append(_Check("number_swapped", f"number {q.surface} where passage has {r.surface}"))
                    break
            swapped = paired_elsewhere(q, claim_toks, case.evidence)
            if swapped:
                checks.append(_Check("number_swapped", swapped))
            qualifiers = {r.qualifier for _, r in matches}
            if q.qualifier and q.qualifier not in qualifiers and not (q.qualifier == "approx" and "" in qualifiers):
                if q.qualifier != "approx" or qualifiers - {"", "approx"}:
                    checks.append(_Check("number_qualifier", f"'{q.qualifier}' {q.surface} not what passage says"))
        return checks

    def _check_units(self, claim_toks: list[Tok], case: _Case) -> list[_Check]:
        """Units of time are quantities too: 'in hours' is not 'in days or weeks'."""
        ev_units = {TIME_UNITS.get(t.low) for s in case.evidence for t in s.toks}
        for i, t in enumerate(claim_toks):
            counted = i > 0 and (claim_toks[i - 1].number or claim_toks[i - 1].low in NUMBER_WORDS
                                 or claim_toks[i - 1].low in ("a", "an", "one"))
            if t.low in TIME_UNITS and not counted and TIME_UNITS[t.low] not in ev_units:
                return [_Check("unit", f"'{t.low}' not in passage")]
        return []

    def _check_entities(self, claim_toks: list[Tok], case: _Case, proper: set[str]) -> tuple[list[_Check], list[Entity]]:
        checks: list[_Check] = []
        claim_ents = entities(claim_toks, proper)
        if not claim_ents:
            return checks, claim_ents
        everywhere = TextIndex([t for s in case.sentences for t in s.toks])
        ev_index = TextIndex([t for s in case.evidence for t in s.toks])
        nearby = TextIndex([t for s in self._with_preceding(case, 2) for t in s.toks])
        ev_passages = {s.passage for s in case.evidence}
        same_passage = TextIndex([t for s in case.sentences if s.passage in ev_passages for t in s.toks])
        ev_ents = [e for s in case.evidence for e in entities(s.toks, proper)]
        claim_index = TextIndex(claim_toks)
        rivals = [e for e in ev_ents if not claim_index.has_entity(e) and e.keys[-1] not in CALENDAR_WORDS]
        best = case.best or case.evidence[0]
        best_index = TextIndex(best.toks)
        ev_subject = self._subject(best, case, proper)
        claim_subject = next((e for e in claim_ents if e.start <= 3 and not is_modifier(e, claim_toks)), None)
        for ent in claim_ents:
            if not everywhere.has_entity(ent):
                checks.append(_Check("entity_missing", f"entity '{ent.surface}' not in passage"))
            elif (
                ent is claim_subject
                and ev_subject is not None
                and not best_index.has_entity(ent)
                and not entity_matches(ent, ev_subject)
                and not claim_index.has_entity(ev_subject)
            ):
                # The closest sentence says the same thing about someone else.
                checks.append(_Check("entity_swapped", f"'{ent.surface}' where passage has '{ev_subject.surface}'"))
            elif not ev_index.has_entity(ent):
                if nearby.has_entity(ent):
                    continue
                elif rivals:
                    checks.append(_Check("entity_swapped", f"'{ent.surface}' where passage has '{rivals[0].surface}'"))
                elif not same_passage.has_entity(ent):
                    checks.append(_Check("entity_elsewhere", f"entity '{ent.surface}' not in the matching passage"))
        return checks, claim_ents

    def _subject(self, sentence: Sentence, case: _Case, proper: set[str]) -> Entity | None:
        """The name a sentence is about: a name among its first words (not a modifier such as 'Japanese'), or for
        'He'/'She' the nearest name in the sentences before it."""
        subject = next(
            (e for e in entities(sentence.toks, proper) if e.start <= 3 and not is_modifier(e, sentence.toks)), None
        )
        if subject is not None or not sentence.toks or sentence.toks[0].low not in ("he", "she"):
            return subject
        for earlier in sorted(
            (x for x in case.sentences if x.passage == sentence.passage and sentence.index - 3 <= x.index < sentence.index),
            key=lambda x: -x.index,
        ):
            names = [
                e for e in entities(earlier.toks, proper)
                if len(e.keys) >= 2 and e.keys[-1] not in CALENDAR_WORDS and not is_modifier(e, earlier.toks)
            ]
            if names:
                return names[0]
        return None

    def _with_preceding(self, case: _Case, n: int) -> list[Sentence]:
        wanted = {(s.passage, s.index - k) for s in case.evidence for k in range(0, n + 1)}
        return [s for s in case.sentences if (s.passage, s.index) in wanted]

    def _check_speaker(
        self, claim_toks: list[Tok], claim_ents: list[Entity], case: _Case, proper: set[str]
    ) -> list[_Check]:
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
        full_names = [c for c in claim_speakers if c.named and len(c.keys) >= 2]
        other_full = [e for e in evidence_speakers if e.named and len(e.keys) >= 2]
        if full_names and other_full and not any(entity_matches(c, e) for c in full_names for e in other_full):
            # 'Transport minister Elena Marsh warned' vs 'Transport minister Priya Nair warned': the title matches,
            # the person does not.
            return [_Check("speaker", f"passage attributes this to '{other_full[0].surface}', not '{full_names[0].surface}'")]
        if any(entity_matches(c, e) for c in claim_speakers for e in evidence_speakers):
            return []
        if not any(e.named for e in claim_speakers + evidence_speakers):
            return []  # 'researchers say' vs 'scientists say': wording, not a different speaker
        return [
            _Check(
                "speaker",
                f"passage attributes this to '{evidence_speakers[0].surface}', not '{claim_speakers[0].surface}'",
            )
        ]

    def _check_negation(self, claim_toks: list[Tok], ev_toks: list[Tok]) -> list[_Check]:
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
                return [_Check("negation", f"negation mismatch: claim denies '{word}'")]
        for word in sorted(c_pos):
            if word in e_neg and word not in e_pos and word not in LIGHT and not beside_shared_denial(word):
                shown = "just" if word == JUST else word
                return [_Check("negation", f"negation mismatch: passage denies '{shown}'")]
        checks: list[_Check] = []
        if c_loose and not any(t.neg for t in ev_toks) and not e_neg:
            checks.append(_Check("negation_unanchored", "claim has a negation the passage lacks"))
        return checks

    def _check_antonyms(self, claim_toks: list[Tok], evidence: list[Sentence]) -> list[_Check]:
        """'harder' for 'easier', 'publicly' for 'confidentially': where the evidence uses the opposite word about
        the same thing (it shares a neighbouring word) and never the claim's own word about it."""
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
                    return [_Check("antonym", f"claim says '{t.low}' where passage says '{rival.low}'")]
        return []

    def _check_strength(
        self, claim_toks: list[Tok], ev_toks: list[Tok], best_sentence: Sentence, evidence: list[Sentence]
    ) -> list[_Check]:
        checks: list[_Check] = []
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
            checks.append(_Check(key, f"claim says '{t.low}' where the passage is less certain"))
            break
        claim_rank = max((QUANTIFIER_RANK.get(t.low, 0) for t in claim_toks), default=0)
        ev_rank = max((QUANTIFIER_RANK.get(t.low, 0) for t in ev_toks), default=0)
        if not checks and claim_rank >= 3 and 0 < ev_rank < claim_rank:
            checks.append(_Check("quantifier", "claim generalises a quantifier"))
        # 'one of the most prominent labs' -> 'the most prominent lab'
        ev_text = " ".join(t.low for t in ev_toks)
        claim_text = " " + " ".join(t.low for t in claim_toks) + " "
        if re.search(r"\bone of (?:the|its|their|his|her|our)\b", ev_text) and " one of " not in claim_text:
            if re.search(r" the (?:most|\w+est|leading|top|only|first|biggest) ", claim_text) or re.search(
                r" (?:is|was) the (?!one)\w+ (?:of|behind|who|that)", claim_text
            ):
                if " among " not in claim_text:
                    checks.append(_Check("one_of", "claim drops 'one of'"))
        # A modal hedge ('may', 'could') that the claim states as plain fact.
        ev_modal = [t for t in ev_toks if t.low in MODAL_HEDGES and t.low != "can"]
        claim_modal = [t for t in claim_toks if t.low in HEDGES or t.low in ("would", "should", "can")]
        if ev_modal and not claim_modal and not checks:
            checks.append(_Check("hedge_dropped", f"passage hedges ('{ev_modal[0].low}'), claim does not"))
        return checks

    def _coverage(self, case: _Case, claim_ents: list[Entity]) -> tuple[float, list[_Check]]:
        """Share of the claim's content words that the evidence accounts for (same stem, a near-identical word, a
        word elsewhere in the passages, or a close synonym by word embedding), and checks for what nothing
        accounts for. Unmatched claim words that replace unmatched evidence words are a paraphrase; unmatched
        claim words slotted in where the evidence has nothing are an added detail."""
        entity_positions = {k for e in claim_ents for k in range(e.start, e.end)}
        ev_words = self._evidence_words(case)
        all_stems = set().union(*(s.stems for s in case.sentences))
        ev_stems = set().union(*(s.stems for s in case.evidence))
        total = covered = 0.0
        marks: list[tuple[int, float] | None] = []  # (token position, coverage) per content word; None = boundary
        for i, t in enumerate(case.claim_toks):
            if t.punct or t.number or i in entity_positions:
                marks.append(None)
                continue
            if not is_content(t):
                continue
            light = t.low in LIGHT or t.low in BOOSTERS or t.low in HEDGES or t.low in QUANTITY_WORDS
            weight = 0.3 if light else 1.0
            total += weight
            if t.stem in ev_stems:
                soft = 1.0
            elif any(len(t.stem) >= 5 and word_match(t.stem, s) for s in ev_stems):
                soft = 0.9
            else:
                similarity = max((self._vectors.cos(t.low, w) for w in ev_words), default=0.0)
                soft = min(1.0, max(0.0, (similarity - 0.4) / 0.3))
                if t.stem in all_stems:
                    soft = max(soft, 0.7)
            covered += weight * soft
            if not light:
                marks.append((i, soft))
        total += len(claim_ents)  # names count as covered here; the name checks judge them
        covered += len(claim_ents)

        checks: list[_Check] = []
        run: list[tuple[int, float]] = []
        claim_stems = {t.stem for t in case.claim_toks}
        for mark in marks + [None]:
            if mark is not None and mark[1] < 0.4:
                run.append(mark)
                continue
            phrase = len({case.claim_toks[i].stem for i, _ in run}) >= 2
            if run:
                words = " ".join(case.claim_toks[i].surf for i, _ in run)
                gap, closed = _evidence_gap([i for i, _ in run], case.claim_toks, case.evidence, claim_stems)
                # A lone word with a half-good synonym counts only when it fills a slot the evidence leaves empty.
                unmatched = phrase or run[0][1] < 0.25
                if gap is not None and not gap:
                    kind = "added_detail" if phrase else "added_word"
                elif not unmatched:
                    run = []
                    continue
                elif gap is None:
                    kind = "novel_term"
                elif phrase and self._vectors.cos(words.lower(), _gap_text(gap)) < (0.15 if closed else 0.3):
                    # Evidence words replaced by something unrelated to them (a trailing clause swapped for a
                    # new one is the common case, hence the higher bar when the gap runs to the sentence end).
                    kind = "added_detail"
                else:
                    kind = "novel_term"
                checks.append(_Check(kind, f"'{words}' not in passage"))
            run = []
        checks.sort(key=lambda c: c.factor)
        return (covered / total if total else 1.0), checks[:2]


def _gap_text(gap: list[str]) -> str:
    """The gap's meaning-bearing words ('also said it would convene' -> 'convene') for comparing with the claim's."""
    content = [w for w in gap if w.lower() not in STOPWORDS and w.lower() not in LIGHT and w.lower() not in HEDGES]
    return " ".join(content or gap).lower()


def _evidence_gap(
    positions: list[int], claim_toks: list[Tok], evidence: list[Sentence], claim_stems: set[str]
) -> tuple[list[str] | None, bool]:
    """What the evidence says where the claim has the words at ``positions``. Anchors are the nearest claim words
    before and after them that an evidence sentence shares; the gap is that sentence's words between the anchors
    that the claim does not use. An empty gap means the claim slotted in something the evidence does not have.
    The sentence with the most anchors is used. None when no sentence holds an anchor in order (the claim
    reorders; nothing can be concluded). The flag says whether the gap is closed on both sides (else it runs to
    the sentence's start or end)."""
    best: tuple[int, list[str]] | None = None
    for sentence in evidence:
        toks = sentence.toks

        def anchor(step: int) -> str | None:
            # The claim's nearest content word on that side, if this sentence has it too.
            k = positions[0] - 1 if step < 0 else positions[-1] + 1
            while 0 <= k < len(claim_toks):
                t = claim_toks[k]
                if is_content(t) and t.low not in LIGHT:
                    return t.stem if t.stem in sentence.stems else None
                k += step
            return None

        left, right = anchor(-1), anchor(1)
        if left is None and right is None:
            continue
        lpos = [k for k, t in enumerate(toks) if t.stem == left]
        rpos = [k for k, t in enumerate(toks) if t.stem == right]
        hi = min(rpos) if rpos else len(toks)
        before = [k for k in lpos if k < hi]
        if lpos and not before:
            continue  # reordered
        lo = max(before) if before else -1
        gap = [t.surf for t in toks[lo + 1 : hi] if not t.punct and t.low not in GAP_IGNORED and t.stem not in claim_stems]
        anchors = (left is not None) + (right is not None)
        if best is None or anchors > best[0]:
            best = (anchors, gap)
    if best is None:
        return None, False
    return best[1], best[0] == 2


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
