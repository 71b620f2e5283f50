"""The verdict and the interface every support judge offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float  # in [0, 1], higher = more supported
    reason: str  # short: "number 90 not in passage", "negation mismatch ('reach')", ...


class Judge(Protocol):
    name: str

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict: ...

    def judge_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Verdict]: ...
