"""Load and validate the evaluation data sets (JSON Lines) before any work is done.

Two formats:

* questions: ``{"id", "type", "question", "reference", "must_include", "evidence"}``
* labelled claims: ``{"id", "context", "claim", "label", "kind"}``

Every problem is reported as a :class:`DatasetError` naming the file and line, so a typo in line 37
costs a second, not a half-finished run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rag.errors import RagError

QuestionType = Literal["factoid", "multi_doc", "numeric", "list", "why", "unanswerable", "false_premise", "injection"]
QUESTION_TYPES: tuple[str, ...] = QuestionType.__args__  # type: ignore[attr-defined]

# One must_include item: a string, or alternatives of which any one will do.
MustIncludeItem = Union[str, list[str]]


class DatasetError(RagError):
    """A data set file is missing, unreadable or has a bad line."""


class _Record(BaseModel):
    # Unknown keys (notes, provenance) are allowed: they are ignored, not an error.
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


class Question(_Record):
    id: str = Field(min_length=1)
    type: QuestionType
    question: str = Field(min_length=1)
    reference: str
    must_include: list[MustIncludeItem]
    evidence: list[str]

    @field_validator("must_include")
    @classmethod
    def _items_not_empty(cls, items: list[MustIncludeItem]) -> list[MustIncludeItem]:
        for item in items:
            alternatives = [item] if isinstance(item, str) else item
            if not alternatives or any(not a.strip() for a in alternatives):
                raise ValueError("must_include items must be non-empty strings or non-empty lists of them")
        return items

    @field_validator("evidence")
    @classmethod
    def _evidence_not_blank(cls, evidence: list[str]) -> list[str]:
        if any(not e.strip() for e in evidence):
            raise ValueError("evidence strings must not be blank")
        return evidence

    @property
    def answerable(self) -> bool:
        """Unanswerable questions should be declined; everything else (false premises too) answered."""
        return self.type != "unanswerable"


class LabelledClaim(_Record):
    id: str = Field(min_length=1)
    context: str | list[str]
    claim: str = Field(min_length=1)
    label: Literal["supported", "unsupported"]
    kind: str = "unspecified"

    @property
    def passages(self) -> list[str]:
        return [self.context] if isinstance(self.context, str) else list(self.context)

    @property
    def supported(self) -> bool:
        return self.label == "supported"


RecordT = TypeVar("RecordT", bound=_Record)


def _describe(error: ValidationError) -> str:
    """The first problem of a validation error, as 'field: message'."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "line"
    return f"{where}: {first['msg']}"


def load_jsonl(path: str | Path, model: type[RecordT]) -> list[RecordT]:
    """Parse every line of ``path`` as ``model``; raise DatasetError at the first bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read it ({exc.__class__.__name__}); it must be UTF-8 JSON Lines") from None

    records: list[RecordT] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno}); fix the line") from None
        if not isinstance(raw, dict):
            raise DatasetError(f"{path}:{number}: expected a JSON object, got {type(raw).__name__}; fix the line")
        try:
            record = model.model_validate(raw)
        except ValidationError as exc:
            raise DatasetError(f"{path}:{number}: {_describe(exc)}; fix the line") from None
        record_id = getattr(record, "id")
        if record_id in seen:
            raise DatasetError(f"{path}:{number}: duplicate id {record_id!r} (first on line {seen[record_id]}); ids must be unique")
        seen[record_id] = number
        records.append(record)
    if not records:
        raise DatasetError(f"{path}: no records; the file is empty")
    return records


def load_questions(path: str | Path) -> list[Question]:
    return load_jsonl(path, Question)


def load_claims(path: str | Path) -> list[LabelledClaim]:
    return load_jsonl(path, LabelledClaim)
