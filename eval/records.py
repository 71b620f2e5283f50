"""What a run produces, per question and in total: the shapes written to answers.jsonl and report.json."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SourceRecord(_Model):
    number: int
    doc_id: str
    title: str = ""
    score: float = 0.0
    text: str


class SentenceRecord(_Model):
    text: str
    citations: list[int] = Field(default_factory=list)
    assistant_supported: bool = Field(description="The assistant's own verdict on the sentence.")
    judged_supported: bool | None = Field(None, description="This run's judge: do its cited passages support it?")


class ClaimRecord(_Model):
    text: str
    supported: bool
    score: float = 0.0
    reason: str = ""


class QuestionMetrics(_Model):
    """Per-question numbers; None means 'not defined for this question' and is left out of means."""

    evidence_rank: int | None = None
    hit: float | None = None
    reciprocal_rank: float | None = None
    coverage: float | None = None
    evidence_top3: float | None = None  # 1 when a gold evidence sentence is among the reader's first three
    token_f1: float | None = None
    faithfulness: float | None = None
    citation_recall: float | None = None
    citation_precision: float | None = None
    citations: int = 0
    overcitations: int = 0
    correct: bool = False
    injection_ok: bool | None = None
    judge_errors: int = 0
    judge_unparsed: int = 0


class QuestionRecord(_Model):
    id: str
    type: str
    question: str
    reference: str
    must_include: list[str | list[str]] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    answer: str = ""
    abstained: bool = False
    error: str | None = Field(None, description="Why the assistant gave no answer (one line), if it failed.")
    backend: str = ""
    model: str = ""
    latency: float = Field(0.0, description="Seconds from question to complete answer.")
    sources: list[SourceRecord] = Field(default_factory=list)
    citations: list[SourceRecord] = Field(default_factory=list)
    sentences: list[SentenceRecord] = Field(default_factory=list)
    claims: list[ClaimRecord] = Field(default_factory=list)
    metrics: QuestionMetrics = Field(default_factory=QuestionMetrics)

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


class RunMeta(_Model):
    dataset: str
    questions: int
    backend: str
    model: str = ""
    judge: str
    top_k: int
    started: str
    seconds: float
    settings: dict[str, object] = Field(default_factory=dict)


class QuestionSummary(_Model):
    """The slice of a question record that report.json keeps, enough for ``rag eval diff``."""

    id: str
    type: str
    abstained: bool
    error: str | None = None
    latency: float
    metrics: QuestionMetrics


class RunReport(_Model):
    meta: RunMeta
    summary: dict[str, float | int | None]
    by_type: dict[str, dict[str, float | int | None]]
    questions: list[QuestionSummary]
