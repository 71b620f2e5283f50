"""`rag ingest --watch`: follow the corpus folder and re-ingest what changes.

The folder is watched with watchfiles (inotify and its kin, or polling where the platform has nothing better:
WATCHFILES_FORCE_POLLING=1 on network or container mounts). Changes are grouped until the folder has been quiet
for a moment (at most ``debounce_ms`` apart), so a burst - a checkout, an unpacked archive, a thousand files -
is a few ingests, not one per file. Each ingest is the ordinary incremental one (``Assistant.ingest``): it takes
the writer lock, skips what is unchanged and never duplicates, so watching adds no way of writing the index.
Changes made while an ingest runs are collected meanwhile and make the next one.

What the watcher says, per file, comes from what the ingest recorded of each file before and after
(rag.ingest.FileRecord): what changed in the index, not which events the file system sent.

Bad input:
- another process holds the writer lock: the watcher says so once and tries again every ``retry_seconds``;
- the corpus folder disappears: the watcher stops, raising CorpusError (watching the parent for it to come back
  would follow a folder that may be put back as something else; starting again is one command);
- no readable document left: said in one line, and the watch goes on (the index keeps what it had);
- a file deleted (or renamed) while it is read: that ingest keeps what was indexed of it, and the deletion,
  seen as a change, makes the next ingest remove it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal

from pydantic import BaseModel, ConfigDict

from .errors import CorpusError, IndexBusyError

if TYPE_CHECKING:
    from .assistant import Assistant
    from .models import IngestReport

ChangeKind = Literal["added", "changed", "unchanged", "removed", "skipped", "failed"]


class FileChange(BaseModel):
    """What an ingest made of one file that changed (or that the file system said changed)."""

    model_config = ConfigDict(frozen=True)

    kind: ChangeKind
    doc_id: str
    chunks: int = 0
    reason: str | None = None

    def line(self) -> str:
        if self.kind in ("added", "changed"):
            return f"{self.kind}: {self.doc_id} ({self.chunks} chunk{'' if self.chunks == 1 else 's'})"
        if self.kind == "unchanged":
            return f"unchanged: {self.doc_id} (same text)"
        if self.kind == "removed":
            return f"removed: {self.doc_id}"
        return f"{self.kind}: {self.doc_id} ({self.reason})"


def file_changes(before: dict[str, dict], after: dict[str, dict], touched: set[str]) -> list[FileChange]:
    """What changed between two ingests' file records, and what became of the ``touched`` files, by name."""
    out: list[FileChange] = []
    for doc_id in sorted(set(before) | set(after)):
        old, new = before.get(doc_id), after.get(doc_id)
        if new is None:
            out.append(FileChange(kind="removed", doc_id=doc_id))
            continue
        if old == new and doc_id not in touched:
            continue
        state = new.get("state")
        if state == "indexed":
            chunks = int(new.get("chunks") or 0)
            if old is not None and old.get("hash") == new.get("hash"):
                out.append(FileChange(kind="unchanged", doc_id=doc_id, chunks=chunks))
            elif old is None or old.get("hash") is None:
                out.append(FileChange(kind="added", doc_id=doc_id, chunks=chunks))
            else:
                out.append(FileChange(kind="changed", doc_id=doc_id, chunks=chunks))
        elif state in ("skipped", "failed"):
            out.append(FileChange(kind=state, doc_id=doc_id, chunks=int(new.get("chunks") or 0),
                                  reason=new.get("reason")))
    return out


def _gone(corpus: Path) -> CorpusError:
    return CorpusError(f"the corpus folder {corpus} is gone: stopped watching (the index keeps what it had); "
                       "run `rag ingest --watch` again once the folder is back")


def watch(
    assistant: "Assistant", *, on_change: Callable[[FileChange], None],
    on_notice: Callable[[str], None] = lambda message: None,
    on_ingest: "Callable[[IngestReport], None] | None" = None,
    stop: threading.Event | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    debounce_ms: int = 2000, quiet_ms: int = 300, retry_seconds: float = 2.0,
) -> int:
    """Ingest, then re-ingest whenever the corpus folder changes, until ``stop`` is set; returns the number of
    ingests made. ``on_change`` hears of each file an ingest added, changed, removed or skipped (and of files the
    file system reported that stayed the same); ``on_notice`` of everything else, one line each. A folder that
    disappears raises CorpusError; Ctrl+C raises KeyboardInterrupt (an ingest it cuts short is completed by the
    next one: ingest is crash-safe).

    Changes are yielded once none came for ``quiet_ms``, or at the latest ``debounce_ms`` after the first."""
    import watchfiles

    from .ingest import read_state

    settings = assistant.settings
    corpus = Path(settings.corpus_dir)
    if not corpus.is_dir():
        raise CorpusError(f"the corpus folder {corpus} does not exist: create it or set RAG_CORPUS_DIR / --corpus")
    root = corpus.resolve()
    index_dir = Path(settings.index_dir).resolve()
    stop = stop if stop is not None else threading.Event()

    def wanted(change: object, path: str) -> bool:
        # As rag.loaders.discover sees the folder: nothing hidden; and never the index's own files, should the
        # index folder be inside the corpus (our writes must not wake us).
        p = Path(path)
        if p == index_dir or index_dir in p.parents:
            return False
        try:
            rel = p.relative_to(root)
        except ValueError:
            return False
        return not any(part.startswith(".") for part in rel.parts)

    def doc_id(path: str) -> str | None:
        from .loaders import document_id

        try:
            return document_id(Path(path), root)
        except ValueError:
            return None

    touched: set[str] = set()
    last_reported: set[str] = set()
    waiting = False  # told that the index is busy, and not yet that it is free
    ingests = 0

    def attempt() -> bool:
        """One ingest; False when it must be tried again (the index is busy)."""
        nonlocal waiting, ingests
        before = read_state(settings.index_dir)
        try:
            report = assistant.ingest(progress, warn=None)
        except IndexBusyError:
            if not waiting:
                on_notice(f"waiting: another `rag ingest` is writing the index in {settings.index_dir}; "
                          f"trying again every {retry_seconds:g} s")
                waiting = True
            return False
        except CorpusError as exc:
            if not root.is_dir():
                raise _gone(corpus) from None
            on_notice(f"nothing ingested: {' '.join(str(exc).split())}")
            touched.clear()
            waiting = False
            return True
        if waiting:
            on_notice("the index is free again")
            waiting = False
        ingests += 1
        after = read_state(settings.index_dir)
        if ingests == 1:
            on_notice(f"ingested {corpus}: {report.summary()}")
        reported: set[str] = set()
        if "files" in before:  # a state file of an older version recorded no files: nothing to compare
            # A file written while the last ingest ran may have been indexed by it already: its event arrives
            # now, and a line for it, unchanged since, would repeat (or contradict) the one just printed.
            for change in file_changes(before.get("files") or {}, after.get("files") or {}, touched - last_reported):
                on_change(change)
                reported.add(change.doc_id)
        last_reported.clear()
        last_reported.update(reported)
        touched.clear()
        if on_ingest is not None:
            on_ingest(report)
        return True

    on_notice(f"ingesting {corpus}…")
    due = not attempt()
    # yield_on_timeout wakes the loop every retry_seconds with nothing: the moment to try a busy index again.
    changes = watchfiles.watch(root, watch_filter=wanted, debounce=debounce_ms, step=quiet_ms, stop_event=stop,
                               rust_timeout=max(int(retry_seconds * 1000), 1), yield_on_timeout=True)
    first = True
    for batch in changes:
        if stop.is_set():
            break
        if not root.is_dir():
            raise _gone(corpus)
        if first:
            # The watcher runs from here on. What changed between the first ingest and now was not seen as an
            # event: one more ingest finds it (one stat per file when nothing did).
            first, due = False, True
            on_notice(f"watching {corpus} for changes (Ctrl+C stops)")
        found = {doc_id(path) for _, path in batch}
        touched |= {d for d in found if d is not None and d != "."}
        if due or batch:
            due = not attempt()
    return ingests
