"""A thin layer over a ``rag.judge`` judge: memoised verdicts, batch prefetching, error bookkeeping.

The ALCE precision test asks the same (sentence, passages) question several times, and an LLM judge
costs a request per question, so every verdict is cached for the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    from rag.judge import Verdict

Key = tuple[str, tuple[str, ...]]


def verdict_failed(verdict: Any) -> bool:
    """The judge could not reach its endpoint (reason 'error: ...')."""
    return str(getattr(verdict, "reason", "")).lower().startswith("error")


def verdict_unparsed(verdict: Any) -> bool:
    """The judge's endpoint answered something that was not a verdict."""
    return str(getattr(verdict, "reason", "")).lower().startswith("unparsed")


@dataclass(frozen=True)
class FailedVerdict:
    """Stands in for a verdict when the judge itself raised: unsupported, and counted as an error."""

    supported: bool
    score: float
    reason: str


def failure_verdict(exc: BaseException) -> FailedVerdict:
    return FailedVerdict(False, 0.0, f"error: {exc.__class__.__name__}: {exc}".splitlines()[0])


class SupportJudge:
    """Answers 'do these passages support this claim?' once per distinct question."""

    def __init__(self, judge: Any, name: str = "") -> None:
        self.judge = judge
        self.name = name or type(judge).__name__
        self._cache: dict[Key, "Verdict"] = {}

    @staticmethod
    def _key(claim: str, passages: Sequence[str]) -> Key:
        return claim, tuple(passages)

    def prefetch(self, pairs: Iterable[tuple[str, Sequence[str]]]) -> None:
        """Judge the pairs not yet cached in one ``judge_many`` call (an LLM judge may batch them)."""
        todo: list[Key] = []
        for claim, passages in pairs:
            key = self._key(claim, passages)
            if passages and key not in self._cache and key not in todo:
                todo.append(key)
        if not todo:
            return
        try:
            verdicts = list(self.judge.judge_many([(claim, list(passages)) for claim, passages in todo]))
        except Exception:  # noqa: BLE001 - the batch failed as a whole: ask one by one, each failure its own
            return
        for key, verdict in zip(todo, verdicts):
            self._cache[key] = verdict

    def verdict(self, claim: str, passages: Sequence[str]) -> "Verdict | None":
        """None when there is nothing to judge against: no passages support nothing."""
        if not passages:
            return None
        key = self._key(claim, passages)
        if key not in self._cache:
            try:
                self._cache[key] = self.judge.judge(claim, list(passages))
            except Exception as exc:  # noqa: BLE001 - one failed verdict must not end an evaluation run
                self._cache[key] = failure_verdict(exc)
        return self._cache[key]

    def claims(self, answer_text: str) -> list[str]:
        """The answer's atomic claims: the judge's own extractor when it has one (LLM), else sentence splitting."""
        extract = getattr(self.judge, "extract_claims", None)
        if callable(extract):
            try:
                claims = [c for c in extract(answer_text) if str(c).strip()]
                if claims:
                    return claims
            except Exception:  # noqa: BLE001 - a failed extraction falls back, it must not end the run
                pass
        from rag.judge import split_claims

        return [c for c in split_claims(answer_text) if c.strip()]

    def session(self) -> "JudgeSession":
        return JudgeSession(self)


class JudgeSession:
    """The verdicts used while scoring one answer, so that its judge failures can be counted."""

    def __init__(self, support: SupportJudge) -> None:
        self._support = support
        self.used: dict[Key, Any] = {}

    def verdict(self, claim: str, passages: Sequence[str]) -> Any:
        verdict = self._support.verdict(claim, passages)
        if verdict is not None:
            self.used[SupportJudge._key(claim, passages)] = verdict
        return verdict

    def supports(self, claim: str, passages: Sequence[str]) -> bool:
        verdict = self.verdict(claim, passages)
        return bool(verdict is not None and verdict.supported)

    @property
    def errors(self) -> int:
        return sum(verdict_failed(v) for v in self.used.values())

    @property
    def unparsed(self) -> int:
        return sum(verdict_unparsed(v) for v in self.used.values())
