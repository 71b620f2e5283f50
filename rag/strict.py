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
        singles = [(i, n) for i, (_, nums) in enumerate(parts) for n in nums]
        verdicts = self.judge.judge_many([(parts[i][0], [self.sources[n - 1].text]) for i, n in singles]) if singles else []
        alone: dict[int, list[int]] = {}
        reasons: dict[int, str] = {}
        for (i, n), verdict in zip(singles, verdicts):
            if verdict.supported:
                alone.setdefault(i, []).append(n)
            else:
                reasons.setdefault(i, verdict.reason)
        shown: list[str] = []
        whole = True  # every sentence kept with every citation: the text is shown as the model wrote it
        for i, (sentence, nums) in enumerate(parts):
            if not nums:
                if is_abstention(sentence):
                    continue  # the model declining is no claim; the fallback decides what is shown
                self.withheld.append(AnswerSentence(text=sentence, supported=False, reason="cites no source"))
                continue
            keep = alone.get(i)
            if not keep and len(nums) > 1:  # supported only by its passages together (a fact from each)
                together = self.judge.judge_many([(sentence, [self.sources[n - 1].text for n in nums])])[0]
                keep = list(nums) if together.supported else None
                reasons[i] = together.reason
            if not keep:
                self.withheld.append(AnswerSentence(
                    text=sentence, citations=nums, supported=False,
                    reason=f"not supported by {_numbers(nums)}: {reasons.get(i) or 'no match'}"))
                continue
            kept = AnswerSentence(text=sentence, citations=tuple(keep), supported=True)
            self.kept.append(kept)
            shown.append(_render(kept))
        whole = whole and len(self.kept) - kept_before == len(parts) and all(
            k.citations == nums for k, (_, nums) in zip(self.kept[kept_before:], parts))
        if whole and parts:
            shown = [cleaned.strip()]
        # Joined, the pieces shown are exactly the answer's text: a space goes before each but the first.
        shown = [piece.strip() for piece in shown]
        shown = [(" " if self._shown or k else "") + piece for k, piece in enumerate(shown)]
        self._shown.extend(shown)
        return shown


def _render(sentence: AnswerSentence) -> str:
    markers = "".join(f"[{n}]" for n in sentence.citations)
    text = sentence.text
    if text[-1:] in ".!?":  # "… yen [1]." as the prompt asks, rather than "… yen. [1]"
        return f"{text[:-1]} {markers}{text[-1]}"
    return f"{text} {markers}"


def _numbers(nums: Sequence[int]) -> str:
    return " ".join(f"[{n}]" for n in nums)
