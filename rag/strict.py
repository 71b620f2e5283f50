"""Strict answers: a generated sentence is shown only when the passages it cites support it.

A small model cites every source at once, writes sentences with no citation, or follows an instruction
planted in a question or a document. The verifier makes such an answer safe instead of merely marking
it: each sentence is checked as soon as it is complete (so the answer still streams, a sentence at a
time), against each passage it cites on its own. Citations that do not support their sentence are
dropped; a sentence that no citation supports, or that has none, is withheld, with the reason, in
``Answer.withheld``. What is shown is only what was verified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from .backends.base import is_abstention
from .citations import _MARKER_AFTER_STOP, _cited_spans, clean_markers, split_answer
from .judging import split_claims
from .models import AnswerSentence, Citation

if TYPE_CHECKING:
    from .judge import Judge


class StrictVerifier:
    """Fed the streamed answer text; gives back the verified part of it, sentence by sentence."""

    def __init__(self, sources: Sequence[Citation], judge: "Judge") -> None:
        self.sources = list(sources)
        self.judge = judge
        self.kept: list[AnswerSentence] = []
        self.withheld: list[AnswerSentence] = []
        self.raw = ""
        self._done = 0  # characters of ``raw`` already verified
        self._shown: list[str] = []
        self.removed: list[int] = []  # [n] markers that named no source

    def feed(self, delta: str) -> list[str]:
        """The verified sentences that ``delta`` completed, as text to show (joined, they are ``text``)."""
        self.raw += delta
        # Moving markers before the full stop keeps every character's offset (a swap inside the match).
        moved = _MARKER_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", self.raw[self._done:])
        spans = _cited_spans(moved)
        if len(spans) < 2:
            return []
        # Every sentence but the last is complete; the last may still be receiving its markers.
        cut = self._done + spans[-1][0]
        complete, self._done = self.raw[self._done:cut], cut
        return self._verify(complete)

    def finish(self) -> list[str]:
        rest, self._done = self.raw[self._done:], len(self.raw)
        return self._verify(rest) if rest.strip() else []

    @property
    def text(self) -> str:
        return "".join(self._shown).strip()

    def _verify(self, text: str) -> list[str]:
        kept_before = len(self.kept)
        cleaned, removed = clean_markers(text, len(self.sources))
        self.removed = sorted(set(self.removed) | set(removed))
        parts = split_answer(cleaned)
        # A sentence is checked claim by claim ("X did A, and Y did B" is two claims): the judge reading a
        # compound sentence whole can pass it on the strength of one half.
        claims = {i: (split_claims(sentence) or [sentence]) for i, (sentence, nums) in enumerate(parts) if nums}
        support, reasons = self._support(parts, claims)
        shown: list[str] = []
        for i, (sentence, nums) in enumerate(parts):
            if not nums:
                if is_abstention(sentence):
                    continue  # the model declining is no claim; the fallback decides what is shown
                self.withheld.append(AnswerSentence(text=sentence, supported=False, reason="cites no source"))
                continue
            held = [j for j in range(len(claims[i])) if not support.get((i, j))]
            if len(held) == len(claims[i]):  # nothing of it holds
                j = held[0]
                self.withheld.append(AnswerSentence(
                    text=sentence, citations=nums, supported=False,
                    reason=f"not supported by {_numbers(nums)}: {reasons.get((i, j)) or 'no match'}"))
                continue
            if not held:  # every claim holds: the sentence as written, with the citations that support it
                cited = [n for n in nums if any(n in support[(i, j)] for j in range(len(claims[i])))]
                kept = AnswerSentence(text=sentence, citations=tuple(cited), supported=True)
                self.kept.append(kept)
                shown.append(_render(kept))
                continue
            # Only some claims hold: those are shown, each as its own sentence; the rest are withheld.
            for j, claim in enumerate(claims[i]):
                if j in held:
                    self.withheld.append(AnswerSentence(
                        text=claim, citations=nums, supported=False,
                        reason=f"not supported by {_numbers(nums)}: {reasons.get((i, j)) or 'no match'}"))
                else:
                    kept = AnswerSentence(text=claim, citations=tuple(support[(i, j)]), supported=True)
                    self.kept.append(kept)
                    shown.append(_render(kept))
        whole = len(self.kept) - kept_before == len(parts) and all(
            k.text == sentence and k.citations == nums for k, (sentence, nums) in zip(self.kept[kept_before:], parts))
        if whole and parts:
            shown = [cleaned.strip()]
        # Joined, the pieces shown are exactly the answer's text: a space goes before each but the first.
        shown = [piece.strip() for piece in shown]
        shown = [(" " if self._shown or k else "") + piece for k, piece in enumerate(shown)]
        self._shown.extend(shown)
        return shown

    def _support(
        self, parts: list[tuple[str, tuple[int, ...]]], claims: dict[int, list[str]],
    ) -> tuple[dict[tuple[int, int], list[int]], dict[tuple[int, int], str]]:
        """For each (sentence, claim): the cited sources that support it (each alone, else all together), and
        the judge's reason when none does."""
        singles = [(i, j, n) for i, found in claims.items() for j in range(len(found)) for n in parts[i][1]]
        verdicts = self.judge.judge_many([(claims[i][j], [self.sources[n - 1].text]) for i, j, n in singles])
        support: dict[tuple[int, int], list[int]] = {}
        reasons: dict[tuple[int, int], str] = {}
        for (i, j, n), verdict in zip(singles, verdicts):
            if verdict.supported:
                support.setdefault((i, j), []).append(n)
            else:
                reasons.setdefault((i, j), verdict.reason)
        # A claim no single passage supports may combine a fact from each of the passages it cites.
        pending = [(i, j) for i, found in claims.items() for j in range(len(found))
                   if (i, j) not in support and len(parts[i][1]) > 1]
        if pending:
            together = self.judge.judge_many(
                [(claims[i][j], [self.sources[n - 1].text for n in parts[i][1]]) for i, j in pending])
            for (i, j), verdict in zip(pending, together):
                if verdict.supported:
                    support[(i, j)] = list(parts[i][1])
                else:
                    reasons[(i, j)] = verdict.reason
        return support, reasons


def _render(sentence: AnswerSentence) -> str:
    markers = "".join(f"[{n}]" for n in sentence.citations)
    text = sentence.text
    if text[-1:] in ".!?":  # "… yen [1]." as the prompt asks, rather than "… yen. [1]"
        return f"{text[:-1]} {markers}{text[-1]}"
    return f"{text} {markers}"


def _numbers(nums: Sequence[int]) -> str:
    return " ".join(f"[{n}]" for n in nums)
