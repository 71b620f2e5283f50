"""Incremental, crash-safe ingest: corpus folder -> chunks -> embeddings -> Chroma (+ BM25).

Chroma itself is the manifest. Chunk ids are derived from (document, content hash, position), so
re-running after a crash overwrites what was half written; stale chunks of a document are deleted
only after its new chunks are in. Whatever moment a process dies, the next ingest converges on
exactly the chunks of the current corpus.

An unchanged corpus costs almost nothing: a complete ingest records each file's size, mtime, ctime and
inode, and when none of them moved (and the settings and the store's chunk count are as recorded) the
next ingest returns at once, without reading a file or loading the model. ctime cannot be set back by a
user or a copying tool, so an edit that restores mtime is still seen.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import CorpusError, IndexBusyError, IndexStateError
from .loaders import EXTRACTOR_VERSION, SkipFile, discover, document_id, load_document
from .models import IngestReport

if TYPE_CHECKING:
    from .chunking import Chunk
    from .config import Settings
    from .embeddings import Embedder
    from .loaders import Document
    from .store import VectorStore

Progress = Callable[[int, int, str], None]


def rebuild_collection(collection: str) -> str:
    """The collection a rebuild fills before it replaces ``collection``."""
    return f"{collection}-rebuild"


def state_path(index_dir: Path) -> Path:
    return index_dir / "state.json"


class FileRecord(BaseModel):
    """What the last ingest made of one file of the corpus, kept so that `rag status --files` and the watcher can
    tell without reading the corpus again."""

    model_config = ConfigDict(extra="ignore")

    state: Literal["indexed", "skipped", "failed"]
    chunks: int = Field(0, description="Chunks of the file in the index ('failed': those kept from before).")
    since: str | None = Field(None, description="When the indexed text was first indexed (None: before records).")
    hash: str | None = Field(None, description="Content hash of the indexed text.")
    reason: str | None = Field(None, description="Why it was skipped or failed, in a few words.")


class IndexState(BaseModel):
    """What state.json records of the last ingest. A file of another shape counts as no file: it is rewritten
    by the next ingest, and nothing reads a field that is not there."""

    model_config = ConfigDict(extra="ignore")

    ingest_complete: bool = False
    last_ingest: str | None = None
    documents: int = 0
    readable: int = 0
    chunks: int | None = None
    embedding_model: str | None = None
    corpus_dir: str | None = None
    fingerprint: dict[str, list[int]] = Field(default_factory=dict)
    signature: str | None = None
    skipped: list[str] = Field(default_factory=list)
    # Per file (document id); absent in state files of older versions, which the next ingest completes.
    files: dict[str, FileRecord] = Field(default_factory=dict)


def read_state(index_dir: Path) -> dict:
    """The recorded state as a dict of the fields present; {} when the file is missing, unreadable or of
    another shape (valid JSON such as ``null`` or ``[1, 2]`` included)."""
    try:
        raw = json.loads(state_path(index_dir).read_text(encoding="utf-8"))
        return IndexState.model_validate(raw).model_dump(exclude_unset=True)
    except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
        return {}


def write_state(index_dir: Path, **values) -> None:
    state = IndexState.model_validate(read_state(index_dir) | values).model_dump(exclude_unset=True)
    tmp = state_path(index_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
    tmp.replace(state_path(index_dir))


def running_path(index_dir: Path) -> Path:
    return index_dir / "ingest.running"


class _WriterLock:
    def __init__(self, index_dir: Path, doing: str | None) -> None:
        from filelock import FileLock

        self.index_dir = index_dir
        self.doing = doing
        self.interrupted: dict | None = None  # the marker of a writer that died holding this lock
        self._lock = FileLock(str(index_dir / "ingest.lock"), timeout=0)

    def __enter__(self) -> "_WriterLock":
        from filelock import Timeout

        try:
            self._lock.acquire()
        except Timeout:
            raise IndexBusyError(
                f"another `rag ingest` is writing the index in {self.index_dir}: wait for it to finish and try again"
            ) from None
        # A marker left under a lock we now hold is a writer that died; a rebuild's leaves a collection behind.
        self.interrupted = _read_marker(self.index_dir)
        if self.doing:
            # Readers cannot test a lock without taking it (and so refusing an ingest that starts just then):
            # they read this marker instead, and a marker whose process is gone tells of an ingest that died.
            marker = {"pid": os.getpid(), "host": socket.gethostname(), "doing": self.doing,
                      "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            running_path(self.index_dir).write_text(json.dumps(marker), encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.doing:
            running_path(self.index_dir).unlink(missing_ok=True)
        self._lock.release()


def _read_marker(index_dir: Path) -> dict | None:
    try:
        marker = json.loads(running_path(index_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def writer_lock(index_dir: Path, doing: str | None = None) -> _WriterLock:
    """An exclusive, non-blocking lock: a second writer is told, not queued or allowed to corrupt.

    ``doing`` ('ingest', 'rebuild') is left in a marker file while the lock is held, for readers to see."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexStateError(f"the index folder {index_dir} is a file: point RAG_INDEX_DIR / --index at a folder "
                              "(it is created if missing)")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexStateError(f"cannot create the index folder {index_dir} ({exc.strerror or exc}): "
                              "point RAG_INDEX_DIR / --index at a folder you can write") from None
    return _WriterLock(index_dir, doing)


@dataclass(frozen=True)
class IngestActivity:
    """Whether an ingest is writing the index now, or the last one stopped before it finished."""

    running: bool
    unfinished: bool
    doing: str = "ingest"

    def notice(self, last_ingest: str | None) -> str | None:
        """One line for a reader of the index, or None when the index is complete and nobody writes it."""
        command = "`rag ingest --rebuild`" if self.doing == "rebuild" else "`rag ingest`"
        if last_ingest is None:  # no ingest ever finished: what there is, is the part written so far
            if self.running:
                return f"{command} is building the index: answers come from the part written so far"
            if self.unfinished:
                return "the first `rag ingest` did not finish: answers come from the part it wrote; run `rag ingest`"
            return None
        if self.running:
            return f"{command} is running: answers come from the index of {last_ingest} until it finishes"
        if self.unfinished:
            return (f"the last `rag ingest` did not finish: answers come from the index of {last_ingest}; "
                    "run `rag ingest` to complete it")
        return None


def ingest_activity(index_dir: Path, state: dict | None = None) -> IngestActivity:
    state = read_state(index_dir) if state is None else state
    running, doing = False, "ingest"
    marker = _read_marker(index_dir)
    try:
        if marker is not None:
            doing = str(marker.get("doing", "ingest"))
            if marker.get("host") != socket.gethostname():
                running = True  # another machine's process: it cannot be checked from here
            else:
                os.kill(int(marker["pid"]), 0)
                running = True
    except ProcessLookupError:
        pass  # the process that wrote the marker is gone
    except PermissionError:
        running = True  # alive, but another user's
    except (OSError, ValueError, KeyError, TypeError):
        pass
    unfinished = bool(state) and state.get("ingest_complete") is not True
    return IngestActivity(running=running, unfinished=unfinished and not running, doing=doing)


# Chunks made, embedded and written at a time. A large document's chunks are never all held at once: its cut
# points are found first (a few bytes each), and its chunks are made from them this many at a time.
WINDOW = 2048


def corpus_fingerprint(corpus_dir: Path) -> dict[str, list[int]]:
    """What the file system says of every candidate file: size, mtime, ctime, inode (through links)."""
    out: dict[str, list[int]] = {}
    for path in discover(corpus_dir):
        try:
            st = path.stat()
            out[document_id(path, corpus_dir)] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        except OSError:
            out[document_id(path, corpus_dir)] = []
    return out


def settings_signature(settings) -> str:
    """The settings (and the version of the loaders) that decide what an ingest produces; a change to any of
    them means a real ingest."""
    keys = ("chunk_size", "chunk_overlap", "max_file_mb", "embedding_backend", "embedding_model", "collection",
            "chroma_host", "chroma_port")
    values = {k: getattr(settings, k) for k in keys} | {"corpus_dir": str(Path(settings.corpus_dir).resolve()),
                                                         "extractor": EXTRACTOR_VERSION}
    return json.dumps(values, sort_keys=True, default=str)


def _unchanged_report(
    settings, state: dict, model_id: str, fingerprint: dict, note: Callable[[str], None], started: float
) -> IngestReport | None:
    """The report of an ingest that has nothing to do, or None when it may have something to do."""
    from .lexical import LexicalIndex
    from .store import VectorStore

    if not fingerprint or not state.get("ingest_complete") or state.get("fingerprint") != fingerprint:
        return None
    if "files" not in state:
        return None  # a state file of an older version: the files are read once to record what became of each
    if state.get("signature") != settings_signature(settings):
        return None
    if not LexicalIndex.is_consistent(settings.index_dir, int(state.get("chunks") or 0)):
        return None  # the keyword index is missing or damaged: the real ingest rebuilds it
    described = VectorStore.describe(settings)
    if described is None or described[0] != state.get("chunks"):
        return None  # someone changed the store behind our back: do the real work
    if described[1].get("embedding_model") != model_id:
        return None  # the real ingest says how to rebuild for another model
    for message in state.get("skipped", []):
        note(message)
    return IngestReport(unchanged=int(state.get("readable", 0)), chunks=described[0],
                        skipped=list(state.get("skipped", [])), seconds=time.perf_counter() - started)


@dataclass
class _Indexed:
    """What ingest needs to know of the chunks already in the store (not their texts or full metadata)."""

    versions: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    n_chunks: dict[str, int] = field(default_factory=dict)  # chunk id -> n_chunks it records
    by_hash: dict[str, str] = field(default_factory=dict)  # chunk text hash -> a chunk id with that text


def _indexed(store: "VectorStore") -> _Indexed:
    """Per document, its indexed versions ('doc_hash/chunker' -> chunk ids); each chunk's n_chunks; a chunk id
    per chunk text. Read a page at a time: the store's full metadata would cost far more than this."""
    out = _Indexed()
    for ids, metas in store.iter_metadata():
        for chunk_id, meta in zip(ids, metas):
            out.n_chunks[chunk_id] = int(meta["n_chunks"])
            # A version is the text and the way it was cut: new chunk settings re-cut every document.
            out.versions[meta["doc_id"]][f"{meta['doc_hash']}/{meta.get('chunker')}"].add(chunk_id)
            out.by_hash.setdefault(meta["chunk_hash"], chunk_id)
    return out


def _file_records(
    previous: dict, documents: list, chunks: dict[str, int], fresh: set[str], skips: dict[str, tuple[str, bool]],
    kept: dict[str, int], now: str,
) -> dict[str, dict]:
    """One FileRecord per file of the corpus after an ingest.

    ``chunks``: chunks per readable document; ``fresh``: documents whose text was (re)indexed now; ``skips``: why
    each other file was not read (reason, transient); ``kept``: chunks still indexed of each file that could not be read this time."""
    records: dict[str, dict] = {}
    for doc in documents:
        before = previous.get(doc.doc_id) or {}
        same = doc.doc_id not in fresh and before.get("hash") == doc.content_hash
        records[doc.doc_id] = FileRecord(state="indexed", chunks=chunks[doc.doc_id], hash=doc.content_hash,
                                         since=now if doc.doc_id in fresh else before.get("since") if same else None
                                         ).model_dump()
    for doc_id, (reason, transient) in skips.items():
        before = previous.get(doc_id) or {}
        if transient:  # what was indexed stays, and so does what we knew of it
            records[doc_id] = FileRecord(state="failed", reason=reason, chunks=kept.get(doc_id, 0),
                                         hash=before.get("hash"), since=before.get("since")).model_dump()
        else:
            records[doc_id] = FileRecord(state="skipped", reason=reason).model_dump()
    return records


def _same_text_report(
    settings, state: dict, model_id: str, documents: list, unreadable: set[str], fingerprint: dict, warnings: list[str],
    skips: dict[str, tuple[str, bool]], started: float,
) -> IngestReport | None:
    """Files were touched (copied, checked out, an upgrade re-reads them) but every text is the one indexed:
    the report of an ingest with nothing to do, found without loading the model; None when there is work.

    Only after a complete ingest with the same settings and model, so each indexed version was cut as it
    would be now; the index must hold exactly the current documents, each in one complete version.
    """
    from .lexical import LexicalIndex
    from .store import VectorStore

    if not state.get("ingest_complete") or state.get("signature") != settings_signature(settings):
        return None
    if not LexicalIndex.is_consistent(settings.index_dir, int(state.get("chunks") or 0)):
        return None
    described = VectorStore.describe(settings)
    if described is None or described[0] != state.get("chunks") or described[1].get("embedding_model") != model_id:
        return None
    try:
        store = VectorStore(settings, model_id, int(described[1]["dimension"]), create=False)
    except (KeyError, TypeError, ValueError):
        return None
    found = _indexed(store)
    existing, n_chunks = found.versions, found.n_chunks
    if set(existing) - ({d.doc_id for d in documents} | unreadable):
        return None  # a document to remove
    for doc in documents:
        versions = existing.get(doc.doc_id, {})
        if len(versions) != 1:
            return None
        (version, ids), = versions.items()
        if not version.startswith(f"{doc.content_hash}/") or len(ids) != n_chunks[next(iter(ids))]:
            return None
    # The index is as it was (last_ingest stays); what is recorded is what the files look like now.
    counts = {doc.doc_id: len(next(iter(existing[doc.doc_id].values()))) for doc in documents}
    kept = {doc_id: len(set().union(*existing[doc_id].values())) for doc_id in unreadable & set(existing)}
    files = _file_records(state.get("files") or {}, documents, counts, set(), skips, kept, "")
    write_state(settings.index_dir, documents=len(documents) + len(unreadable & set(existing)),
                fingerprint=fingerprint, skipped=warnings, readable=len(documents), files=files)
    return IngestReport(unchanged=len(documents), chunks=described[0], skipped=list(warnings),
                        seconds=time.perf_counter() - started)


def _refuse_another_corpus(settings: "Settings", state: dict, fingerprint: dict[str, list[int]]) -> None:
    """Ingesting another folder into an index replaces everything in it; say so instead of doing it.

    The same corpus moved elsewhere (a renamed project folder, a checkout elsewhere) shares file names with
    what is indexed, and goes ahead as an ordinary incremental ingest."""
    before, indexed = state.get("corpus_dir"), set(state.get("fingerprint") or {})
    if not before or not indexed or Path(before).resolve() == Path(settings.corpus_dir).resolve():
        return
    if indexed & set(fingerprint):
        return
    raise IndexStateError(
        f"the index at {settings.index_dir} holds {len(indexed)} documents from {before}, not from "
        f"{settings.corpus_dir}: use --index DIR for a separate index, or `rag ingest --rebuild` to replace it"
    )


def load_corpus(
    corpus_dir: Path, max_bytes: int, warn: Callable[[str], None], skips: dict[str, tuple[str, bool]] | None = None,
) -> tuple[list, set[str]]:
    """Documents that could be read, and ids of files that could not be read this time (their chunks are kept).
    ``skips``, when given, receives why each file that is not a document was left out: (reason, transient).

    A file whose content is unusable (now empty, binary, too large) counts as gone: its old text must not
    keep answering questions. Only a failure to read (permissions, I/O) keeps what was indexed before.
    """
    if not corpus_dir.exists():
        raise CorpusError(f"the corpus folder {corpus_dir} does not exist: create it or set RAG_CORPUS_DIR / --corpus")
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir} is not a folder: point RAG_CORPUS_DIR / --corpus at a folder of documents")
    documents, unreadable = [], set()
    for path in discover(corpus_dir):
        try:
            documents.append(load_document(path, corpus_dir, max_bytes))
        except SkipFile as why:
            doc_id = document_id(path, corpus_dir)
            if skips is not None:  # the words only: the exception's frames would keep the file's bytes alive
                skips[doc_id] = (str(why), why.transient)
            warn(f"skipped {doc_id}: {why}" + ("; keeping what was indexed before" if why.transient else ""))
            if why.transient:
                unreadable.add(doc_id)
    if not documents:
        raise CorpusError(
            f"no readable documents in {corpus_dir}: add .txt, .md, .html, .pdf or .docx files and run `rag ingest` again"
        )
    return documents, unreadable


def ingest(
    settings, load_embedder: Callable[[], "Embedder"], open_store: Callable[["Settings"], "VectorStore"],
    *, model_id: str, rebuild: bool = False, progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> IngestReport:
    """Bring the index in step with the corpus folder, under the writer lock.

    The cheap checks (lock, corpus folder) come before the model loads, so that a mistake is
    reported at once, and before a rebuild drops anything, so that a mistyped folder costs no index.
    """
    from .chunking import Chunker, chunk_id, text_hash
    from .lexical import LexicalIndex
    from .store import VectorStore, server_writer_lock

    started = time.perf_counter()
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        if warn:
            warn(message)

    def tell(done: int, total: int, message: str) -> None:
        if progress:
            progress(done, total, message)

    index_dir = settings.index_dir
    with writer_lock(index_dir, "rebuild" if rebuild else "ingest") as lock, ExitStack() as stack:
        # Taken before any file is read: a file that changes while we read it differs next time.
        fingerprint = corpus_fingerprint(settings.corpus_dir) if Path(settings.corpus_dir).is_dir() else {}
        # Read once: it holds the fingerprint of every file, and the three checks below all consult it.
        state = {} if rebuild else read_state(index_dir)
        if not rebuild:
            _refuse_another_corpus(settings, state, fingerprint)
        # After a rebuild that died, the full path runs even when nothing changed: it drops what that rebuild
        # had filled (the shortcuts below never open the store).
        shortcut = not rebuild and (lock.interrupted or {}).get("doing") != "rebuild"
        quick = _unchanged_report(settings, state, model_id, fingerprint, note, started) if shortcut else None
        if quick is not None:
            tell(len(fingerprint), len(fingerprint), f"checked {len(fingerprint)} files: nothing changed")
            return quick
        skips: dict[str, tuple[str, bool]] = {}
        documents, unreadable = load_corpus(settings.corpus_dir, int(settings.max_file_mb * 1e6), note, skips)
        if shortcut and (same := _same_text_report(
                settings, state, model_id, documents, unreadable, fingerprint, warnings, skips, started)) is not None:
            tell(len(documents), len(documents), f"read {len(documents)} documents: no text changed")
            return same
        VectorStore.refuse_foreign(settings)
        stack.enter_context(server_writer_lock(settings))
        tell(0, 0, "loading model")
        embedder = load_embedder()
        chunker = Chunker(settings.chunk_size, settings.chunk_overlap, embedder.token_counter(), embedder.max_tokens)
        # A rebuild fills a new collection beside the old one and swaps it in at the end, so that questions
        # asked meanwhile are answered from the last complete index. The new one of a stopped rebuild is
        # dropped by the next ingest.
        shadow = settings.model_copy(update={"collection": rebuild_collection(settings.collection)})
        try:
            VectorStore.drop(shadow, collection_only=True)
        except IndexStateError:
            if settings.chroma_host:
                raise
            # An embedded store that cannot be opened: a rebuild replaces it below, an ingest reports it.
        target = settings
        if rebuild:
            tell(0, 0, "starting a new index")
            try:
                store, target = open_store(shadow), shadow
            except IndexStateError:
                if settings.chroma_host:
                    raise  # a server that fails is not a damaged store: nothing of it is dropped
                # The embedded store itself cannot be opened: there is nothing to keep.
                tell(0, 0, "dropping the index")
                state_path(index_dir).unlink(missing_ok=True)
                VectorStore.drop(settings)
                shutil.rmtree(LexicalIndex.path(index_dir), ignore_errors=True)
        if target is settings:
            store = open_store(settings)
        found = _indexed(store)
        existing, n_chunks, by_hash = found.versions, found.n_chunks, found.by_hash
        del found

        # First where each changed document is cut, and how many of its chunks need embedding (a chunk whose
        # text is already embedded somewhere - an unchanged part of an edited or renamed file - does not).
        counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0}
        work: list[tuple[Document, list[tuple[int, int]]]] = []
        changed_docs: list[tuple[str, set[str]]] = []
        doc_chunks: dict[str, int] = {}  # chunks per document once this ingest is done
        total = 0
        for i, doc in enumerate(documents):
            tell(i, len(documents), f"reading {doc.doc_id}")
            versions = existing.get(doc.doc_id, {})
            current = versions.get(f"{doc.content_hash}/{chunker.signature}", set())
            # Unchanged: the only version indexed is this one, and all of its chunks made it in.
            if len(versions) == 1 and current and len(current) == n_chunks[next(iter(current))]:
                counts["unchanged"] += 1
                doc_chunks[doc.doc_id] = len(current)
                continue
            spans = chunker.spans(doc.text)
            doc_chunks[doc.doc_id] = len(spans)
            counts["updated" if versions else "added"] += 1
            old_ids = set().union(*versions.values()) if versions else set()
            if old_ids:
                new_ids = {chunk_id(doc.doc_id, doc.content_hash, n, chunker.signature) for n in range(len(spans))}
                old_ids -= new_ids
            changed_docs.append((doc.doc_id, old_ids))
            work.append((doc, spans))
            total += sum(text_hash(doc.text[a:b]) not in by_hash for a, b in spans) if by_hash else len(spans)

        present = {d.doc_id for d in documents} | unreadable
        removed_docs = [doc_id for doc_id in existing if doc_id not in present]
        counts["removed"] = len(removed_docs)
        anything = bool(changed_docs or removed_docs)
        if anything and target is settings:
            write_state(index_dir, ingest_complete=False)

        # Then the chunks, a window at a time: those whose text is embedded already are written with the stored
        # vector at once; the rest wait until a window's worth is ready, and are written batch by batch as
        # embedded, so progress moves in steps a user can see and a crash loses one batch.
        import numpy as np

        pending: list[Chunk] = []
        embedded = 0

        def embed_pending(everything: bool) -> None:
            nonlocal pending, embedded
            # Batches of chunks of like length: a batch is padded to its longest text, so mixing a short tail
            # chunk with full ones wastes most of the work on padding (sentence-transformers sorts only within a
            # call). Without `everything`, a part batch stays for the next window.
            pending.sort(key=lambda c: len(c.text))
            step = settings.embedding_batch_size
            stop = len(pending) if everything else len(pending) - len(pending) % step
            for start in range(0, stop, step):
                batch = pending[start : start + step]
                tell(embedded, total, "embedding")
                store.upsert(batch, embedder.embed([c.text for c in batch]))
                embedded += len(batch)
            pending = pending[stop:]

        for doc, spans in work:
            for first in range(0, len(spans), WINDOW):
                window = chunker.chunks(doc, spans, first, first + WINDOW)
                reuse = [(by_hash[c.chunk_hash], c) for c in window if c.chunk_hash in by_hash]
                pending.extend(c for c in window if c.chunk_hash not in by_hash)
                if reuse:
                    vectors = store.embeddings([src for src, _ in reuse])
                    ready = [(c, vectors[src]) for src, c in reuse if src in vectors]
                    lost = [c for src, c in reuse if src not in vectors]
                    pending.extend(lost)
                    total += len(lost)
                    if ready:
                        store.upsert([c for c, _ in ready], np.asarray([v for _, v in ready], dtype=np.float32))
                if len(pending) >= WINDOW:
                    embed_pending(everything=False)
        embed_pending(everything=True)
        tell(total, total, "embedding")

        # Only now that the new chunks are in do the old ones go.
        stale = [cid for _, old in changed_docs for cid in old]
        for doc_id in removed_docs:
            stale.extend(set().union(*existing[doc_id].values()))
        store.delete(stale)
        # The texts are all in the store now; the keyword index reads them back from there a page at a time.
        readable = len(documents)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        kept = {doc_id: len(set().union(*existing[doc_id].values())) for doc_id in unreadable & set(existing)}
        files = _file_records(state.get("files") or {}, documents, doc_chunks, {d for d, _ in changed_docs}, skips,
                              kept, now)
        del documents, work, pending, by_hash, n_chunks

        lexical_broken = not LexicalIndex.is_consistent(index_dir, store.count())
        if anything or lexical_broken or target is not settings or not read_state(index_dir).get("ingest_complete", False):
            tell(0, 1, "building keyword index")
            lexical = LexicalIndex.build_from(store.iter_documents())
            if target is not settings:
                tell(0, 1, "swapping in the new index")
                VectorStore.drop(settings, collection_only=True)  # never the store, which holds the new one
                store.rename(settings.collection)
            lexical.save(index_dir)
        chunks_now = store.count()
        write_state(
            index_dir, ingest_complete=True, last_ingest=now,
            documents=readable + len(unreadable & set(existing)), chunks=chunks_now,
            embedding_model=embedder.model_id, corpus_dir=str(Path(settings.corpus_dir).resolve()), fingerprint=fingerprint,
            signature=settings_signature(settings), skipped=warnings, readable=readable, files=files,
        )
    return IngestReport(
        **counts, chunks=chunks_now, embedded=embedded, skipped=warnings, seconds=time.perf_counter() - started
    )

