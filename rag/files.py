"""What became of each file of the corpus: `rag status --files` and ``Assistant.file_status()``.

Read from what the last ingest recorded (state.json) and one stat per file of the folder, so it answers at once:
no file is read, no model loaded, the store not opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .config import Settings

FileState = Literal["indexed", "changed", "new", "removed", "skipped", "failed"]


class FileStatus(BaseModel):
    """One file of the corpus folder (or of the last ingest) and where it stands."""

    model_config = ConfigDict(frozen=True)

    doc_id: str = Field(description="Path relative to the corpus folder.")
    state: FileState = Field(description=(
        "'indexed': in the index, unchanged since the last ingest; 'changed': modified on disk since the last "
        "ingest; 'new': not there at the last ingest; 'removed': deleted since the last ingest, its chunks are "
        "still in the index; 'skipped': not a usable document; 'failed': could not be read at the last ingest, "
        "what was indexed before is kept."))
    chunks: int | None = Field(None, description="Chunks of it in the index now (None: not recorded).")
    since: str | None = Field(None, description="When the indexed text was indexed (UTC, ISO 8601).")
    reason: str | None = Field(None, description="Why it was skipped or failed (for 'changed' and 'removed': what "
                                                 "the last ingest made of it).")

    def line(self, width: int = 0) -> str:
        """One line for a terminal: the state, the name (padded to ``width``), the detail."""
        return f"{self.state:8} {self.doc_id:{width}}  {self.detail()}".rstrip()

    def detail(self) -> str:
        def chunk_count() -> str:
            if self.chunks is None:
                return "chunks not recorded"
            return f"{self.chunks} chunk{'' if self.chunks == 1 else 's'}"

        if self.state == "indexed":
            return chunk_count() + (f", since {self.since}" if self.since else "")
        if self.state == "changed":
            return f"modified since the last ingest ({self.reason or chunk_count() + ' indexed'})"
        if self.state == "new":
            return "not indexed yet"
        if self.state == "removed":
            kept = f": {chunk_count()} still indexed" if self.chunks else ""
            return f"deleted since the last ingest{kept}"
        if self.state == "failed":
            return f"{self.reason}" + (f" ({chunk_count()} kept from before)" if self.chunks else "")
        return self.reason or ""


class FileStatusReport(BaseModel):
    """Every file of the corpus folder, and every file the last ingest recorded, with its state."""

    model_config = ConfigDict(frozen=True)

    corpus: str = Field(description="The corpus folder looked at.")
    corpus_found: bool = Field(description="False when that folder does not exist (every recorded file is 'removed').")
    last_ingest: str | None = None
    files: list[FileStatus] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.state] = out.get(f.state, 0) + 1
        return out

    def summary(self) -> str:
        parts = [f"{n} {state}" for state, n in sorted(self.counts().items(), key=lambda kv: _ORDER.index(kv[0]))]
        return f"{len(self.files)} files: " + (", ".join(parts) if parts else "none")


_ORDER: tuple[str, ...] = ("indexed", "changed", "new", "removed", "skipped", "failed")


def _corpus_of(settings: "Settings", state: dict) -> Path:
    """The folder asked for; when none was (the default ./corpus), the folder the index was built from."""
    if "corpus_dir" in settings.model_fields_set or not state.get("corpus_dir"):
        return Path(settings.corpus_dir)
    return Path(state["corpus_dir"])


def _legacy_records(state: dict) -> dict[str, dict]:
    """Records for a state file of a version that kept none: what its fingerprint and warnings tell."""
    records: dict[str, dict] = {}
    reasons: dict[str, str] = {}
    for message in state.get("skipped") or []:
        name, _, reason = str(message).removeprefix("skipped ").partition(": ")
        reasons[name] = reason
    for doc_id in state.get("fingerprint") or {}:
        if doc_id in reasons:
            transient = reasons[doc_id].endswith("; keeping what was indexed before")
            records[doc_id] = {"state": "failed" if transient else "skipped", "reason": reasons[doc_id], "chunks": None}
        else:
            records[doc_id] = {"state": "indexed", "chunks": None}
    return records


def file_status(settings: "Settings") -> FileStatusReport:
    from .ingest import corpus_fingerprint, read_state

    state = read_state(settings.index_dir)
    corpus = _corpus_of(settings, state)
    found = corpus.is_dir()
    now = corpus_fingerprint(corpus) if found else {}
    recorded: dict[str, list[int]] = state.get("fingerprint") or {}
    records: dict[str, dict] = state["files"] if "files" in state else _legacy_records(state)
    files: list[FileStatus] = []
    for doc_id in sorted(set(now) | set(records) | set(recorded)):
        record = records.get(doc_id)
        if record is None:
            # Not recorded: new, or (present in an unfinished ingest's fingerprint only) not yet known either.
            if doc_id in now:
                files.append(FileStatus(doc_id=doc_id, state="new", chunks=0))
            continue
        indexed = record.get("state") != "skipped"
        chunks = record.get("chunks") if indexed else 0
        was = None if record.get("state") == "indexed" else f"was {record.get('state')}: {record.get('reason')}"
        common = {"doc_id": doc_id, "chunks": chunks, "since": record.get("since")}
        if doc_id not in now:
            files.append(FileStatus(state="removed", reason=was, **common))
        elif doc_id in recorded and now[doc_id] != recorded[doc_id]:
            files.append(FileStatus(state="changed", reason=was, **common))
        else:
            files.append(FileStatus(state=record.get("state", "indexed"), reason=record.get("reason"), **common))
    return FileStatusReport(corpus=str(corpus), corpus_found=found, last_ingest=state.get("last_ingest"), files=files)
