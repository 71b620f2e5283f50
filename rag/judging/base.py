"""The verdict and the interface every support judge offers; what the heuristic checks share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Sequence

if TYPE_CHECKING:
    from .entities import Entity
    from .text import Sentence, Tok


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float  # in [0, 1], higher = more supported
    reason: str  # short: "number 90 not in passage", "negation mismatch ('reach')", ...


class Judge(Protocol):
    name: str

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict: ...

    def judge_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Verdict]: ...


@dataclass(frozen=True)
class Check:
    """One check the claim failed: its kind (the heuristic judge weighs each kind) and a short reason."""

    key: str
    reason: str


@dataclass
class Case:
    """One (claim, passages) question while the heuristic judge works on it; what every check reads."""

    claim: str
    passages: list[str]
    sentences: list["Sentence"] = field(default_factory=list)
    claim_toks: list["Tok"] = field(default_factory=list)
    evidence: list["Sentence"] = field(default_factory=list)
    best: "Sentence | None" = None  # the single closest sentence
    evidence_text: str = ""
    evidence_toks: list["Tok"] = field(default_factory=list)  # the evidence sentences, each closed by a '.'
    missing_words: list[str] = field(default_factory=list)  # claim words whose stem the evidence lacks
    proper: set[str] = field(default_factory=set)  # lower-cased words taken for parts of names
    claim_ents: list["Entity"] = field(default_factory=list)
    verdict: Verdict | None = None
    # What the decision rested on, kept for the combined judge's features.
    checks: list[Check] = field(default_factory=list)
    cosine: float = 0.0
    coverage: float = 0.0

    def with_preceding(self, n: int) -> list["Sentence"]:
        """The evidence sentences and the ``n`` sentences before each (where a pronoun's name is)."""
        wanted = {(s.passage, s.index - k) for s in self.evidence for k in range(0, n + 1)}
        return [s for s in self.sentences if (s.passage, s.index) in wanted]
