"""Data that crosses the library's boundary: what ingest reports and what an answer holds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Citation(_Frozen):
    """A passage shown to the answerer; when cited, ``number`` is the [n] the answer uses."""

    number: int = Field(description="The [n] this passage carries in the answer (1-based).")
    doc_id: str = Field(description="Path of the document relative to the corpus folder.")
    title: str
    text: str = Field(description="The passage (chunk) text.")
    start: int = Field(description="Offset of the passage's first character in the document's extracted text.")
    end: int = Field(description="Offset just past the passage's last character.")
    score: float = Field(description="Retrieval score, higher is better (fused rank score).")
    chunk_id: str = ""
    # The sentence of this passage that supports the answer, when the answer cites it.
    sentence: str | None = None
    sentence_start: int | None = Field(None, description="Document offset of the cited sentence.")
    sentence_end: int | None = None
    # Every sentence of this passage that an answer sentence citing it rests on, as document offsets, in the
    # order the answer cites them; the first is ``sentence_start``/``sentence_end``.
    supporting: tuple[tuple[int, int], ...] = ()


class AnswerSentence(_Frozen):
    """One sentence of an answer, with the sources it cites and whether they support it."""

    text: str = Field(description="The sentence without its [n] markers.")
    citations: tuple[int, ...] = ()
    supported: bool = Field(description="True when the cited passages were judged to support the sentence.")
    score: float = 0.0
    reason: str = Field("", description="Why a withheld sentence was not shown.")


class Answer(_Frozen):
    question: str
    text: str = Field(description="The answer with inline [n] markers.")
    citations: list[Citation] = Field(default_factory=list, description="Only the cited sources, ordered by number.")
    sources: list[Citation] = Field(default_factory=list, description="Every passage shown to the answerer, best first.")
    abstained: bool = False
    sentences: list[AnswerSentence] = Field(default_factory=list)
    removed_citations: list[int] = Field(default_factory=list, description="[n] markers with no such source, removed.")
    backend: str = ""
    model: str = ""
    seconds: float = 0.0
    notice: str | None = Field(None, description="What to know beside the answer: the index being written, "
                               "a model's answer replaced by quotes.")
    withheld: list[AnswerSentence] = Field(
        default_factory=list, description="Generated sentences not shown (strict mode): unsupported or uncited.")

    @property
    def unverified(self) -> list[AnswerSentence]:
        """Sentences whose citations were not judged to support them (shown only when strict is off)."""
        return [s for s in self.sentences if not s.supported]


class TextDelta(_Frozen):
    """A piece of answer text as it arrives while streaming."""

    text: str


class IngestReport(_Frozen):
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = Field(0, description="Chunks in the index after the ingest.")
    embedded: int = Field(0, description="Chunks that had to be embedded this time.")
    skipped: list[str] = Field(default_factory=list, description="One message per file that could not be read.")
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, {self.unchanged} unchanged; "
            f"{self.chunks} chunks ({self.embedded} embedded), {len(self.skipped)} skipped, {self.seconds:.1f}s"
        )


class IndexStatus(_Frozen):
    location: str
    chroma: str
    collection: str
    documents: int
    chunks: int
    embedding_model: str
    dimension: int | None
    last_ingest: str | None
    corpus: str | None = None  # the folder the index was built from
