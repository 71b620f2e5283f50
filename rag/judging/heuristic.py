"""The offline judge: embedding similarity finds the evidence, explicit checks test it."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..embeddings import cached
from .base import Case, Check, Verdict
from .causes import check_causal
from .comparisons import check_comparison_order
from .entities import Entity, check_entities, check_entity_order, entities, opener_names, word_match
from .lexicon import BOOSTERS, FUNCTION_WORDS, GAP_IGNORED, HEDGES, LIGHT, QUANTITY_WORDS, STOPWORDS
from .modality import check_former, check_modality, check_strength
from .negation import check_antonyms, check_negation
from .numbers import check_numbers, check_units
from .speakers import check_quotes, check_speaker
from .text import Sentence, Tok, clean_text, is_adverb, is_content, split_sentences, tokenize

if TYPE_CHECKING:
    import numpy as np


DEFAULT_THRESHOLD = 0.45  # middle of the plateau (0.40-0.55) of balanced accuracy on claims_dev and claims_seeds

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
    "misquote": 0.3,
    "negation": 0.3,
    "negation_unanchored": 0.6,
    "antonym": 0.4,
    "booster": 0.4,
    "quantifier": 0.4,
    "one_of": 0.4,
    "modality": 0.35,
    "causal": 0.4,
    "entity_order": 0.35,
    "comparison_order": 0.35,
    "former": 0.4,
    "novel_term": 0.9,
    "added_word": 0.7,
    "added_detail": 0.35,
}




_NEGATING_PREFIXES = ("dis", "un", "in", "im", "non", "non-")

# How much closer to the evidence a claim must come without some words for them to count as an added detail.
_ABLATION_MARGIN = 0.02

# In this order: a check's reason is shown when it is the worst, the first of equals.
_CHECKS = (
    check_numbers, check_units, check_entities, check_speaker, check_quotes, check_negation, check_antonyms,
    check_strength, check_modality, check_causal, check_entity_order, check_former,
    check_comparison_order,
)


class HeuristicJudge:
    """Offline judge: embedding similarity to find the evidence, explicit checks to test it."""

    name = "heuristic"

    def __init__(self, embedder: Any, threshold: float | None = None) -> None:
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        self._vectors = cached(embedder)  # shared with the answer path when the assistant passes its own
        self._sentence_cache: OrderedDict[str, list[str]] = OrderedDict()

    # -- public API

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict:
        return self.judge_many([(claim, passages)])[0]

    def judge_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Verdict]:
        return [c.verdict for c in self.analyse_many(items)]  # type: ignore[misc]

    def analyse_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Case]:
        """Each claim's case as decided: the verdict, the evidence sentences, the failed checks, similarity and
        coverage (what the combined judge reads as features)."""
        cases = [self._prepare(claim, passages) for claim, passages in items]
        live = [c for c in cases if c.verdict is None]
        # Pass 1: sentence embeddings for every claim and candidate evidence sentence, in one batch.
        self._vectors.embed([c.claim for c in live] + [s.text for c in live for s in c.sentences])
        for case in live:
            self._select_evidence(case)
        # Pass 2: the evidence as one text, and single words for synonym matching, in one batch.
        texts: list[str] = []
        for case in live:
            texts.append(case.evidence_text)
            texts.extend(case.missing_words)
            texts.extend(self._evidence_words(case))
        self._vectors.embed(texts)
        for case in live:
            case.verdict = self._decide(case)
        return cases

    # -- preparation

    def _split(self, passage: str) -> list[str]:
        cached = self._sentence_cache.get(passage)
        if cached is None:
            cached = split_sentences(passage)
            self._sentence_cache[passage] = cached
            if len(self._sentence_cache) > 5_000:
                self._sentence_cache.popitem(last=False)
        return cached

    def _prepare(self, claim: str, passages: Sequence[str]) -> Case:
        text = re.sub(r"\s+", " ", clean_text(claim)).strip()
        case = Case(text, [p for p in passages if p and p.strip()])
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

    def _claim_keys(self, case: Case) -> set[str]:
        return {
            t.stem for t in case.claim_toks if is_content(t) and t.low not in BOOSTERS and t.low not in HEDGES
        } | {
            t.low for t in case.claim_toks if t.number
        }

    def _select_evidence(self, case: Case) -> None:
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

    def _evidence_words(self, case: Case) -> list[str]:
        if not case.missing_words:
            return []
        return sorted({t.low for s in case.evidence for t in s.toks if is_content(t)})

    # -- decision

    def _decide(self, case: Case) -> Verdict:
        claim_toks = case.claim_toks
        evidence = case.evidence
        case.evidence_toks = [t for s in evidence for t in s.toks + [Tok(".", ".", ".", False, False, True, False)]]
        all_toks = [t for s in case.sentences for t in s.toks]
        case.proper = {t.low for t in claim_toks + all_toks if t.cap and not t.start and not t.punct}
        case.proper |= opener_names(claim_toks + all_toks)
        case.claim_ents = entities(claim_toks, case.proper)

        cosine = max(
            [self._vectors.cos(case.claim, s.text) for s in evidence]
            + [self._vectors.cos(case.claim, case.evidence_text)]
        )
        checks: list[Check] = []
        for check in _CHECKS:
            checks += check(case)
        coverage, detail_checks = self._coverage(case, case.claim_ents)
        checks += detail_checks
        case.checks, case.cosine, case.coverage = checks, float(cosine), float(coverage)

        sim = min(1.0, max(0.0, (cosine - 0.35) / 0.45))
        score = 0.45 * sim + 0.55 * coverage
        for check in checks:
            score *= _PENALTY[check.key]
        score = float(min(1.0, max(0.0, score)))
        supported = score >= self.threshold
        if checks:
            worst = min(checks, key=lambda c: _PENALTY[c.key])
            reason = worst.reason
        else:
            reason = f"supported (similarity {cosine:.2f}, coverage {coverage:.2f})"
        if not checks and not supported:
            reason = f"weak match (similarity {cosine:.2f}, coverage {coverage:.2f})"
        return Verdict(supported, score, reason)

    def _coverage(self, case: Case, claim_ents: list[Entity]) -> tuple[float, list[Check]]:
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
            elif len(t.stem) >= 4 and any(p + t.stem in ev_stems for p in _NEGATING_PREFIXES):
                soft = 0.9  # 'no agreement' for 'disagreed': the negation checks weigh the polarity
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

        checks: list[Check] = []
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
                    kind = "added_detail" if phrase or _modifies(run[-1][0], case.claim_toks, ev_stems) else "added_word"
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
                if not self._adds_meaning(case, [i for i, _ in run]):
                    run = []
                    continue
                checks.append(Check(kind, f"'{words}' not in passage"))
            run = []
        checks.sort(key=lambda c: _PENALTY[c.key])
        return (covered / total if total else 1.0), checks[:2]

    def _adds_meaning(self, case: Case, positions: list[int]) -> bool:
        """Whether the claim words at ``positions`` say something the evidence does not.

        Leave them out and compare: words that restate the evidence in other terms carry part of what the claim
        shares with it, so dropping them brings the claim no closer to the evidence; a detail the evidence lacks
        pulls the claim away from it, so dropping it brings the claim closer."""
        drop = set(positions)
        full = " ".join(t.surf for t in case.claim_toks)
        rest = " ".join(t.surf for k, t in enumerate(case.claim_toks) if k not in drop)
        gain = self._vectors.cos(rest, case.evidence_text) - self._vectors.cos(full, case.evidence_text)
        return gain >= _ABLATION_MARGIN


def _modifies(i: int, toks: list[Tok], ev_stems: set[str]) -> bool:
    """Is the claim word at ``i`` put in front of a noun the evidence has ('elderly patients', 'electricity
    prices'), narrowing what the evidence says of it? Verb forms ('funded', 'rising') are not taken for that."""
    word, nxt = toks[i], toks[i + 1] if i + 1 < len(toks) else None
    if nxt is None or not is_content(nxt) or nxt.stem not in ev_stems or (nxt.cap and not nxt.start):
        return False
    if nxt.low in LIGHT or nxt.low in FUNCTION_WORDS or nxt.low in QUANTITY_WORDS or nxt.low in ("less", "fewer"):
        return False  # 'depend less', 'worked more': not a noun
    if is_adverb(word.low) and nxt.low.endswith(("ed", "ing")):
        return False  # 'formally announced': how it was done, said of a verb
    return not (word.cap and not word.start) and not word.low.endswith(("ed", "ing"))


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


