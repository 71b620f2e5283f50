"""`rag ingest --watch` and `rag status --files`: the watcher runs in a thread (or, once, as the real command in a
subprocess) over a small temporary corpus with the session's one embedding model; files are written, changed and
deleted, and the tests wait - polling, with a generous bound - for what the index and the printed lines say."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from corpus_index import CORPUS, shared_embedder
from rag import Assistant, IngestReport, Settings
from rag.errors import CorpusError
from rag.files import FileStatusReport
from rag.ingest import read_state, state_path, writer_lock
from rag.store import VectorStore
from rag.watch import FileChange, file_changes

SMALL = ("anthropic-pause-warning.md", "rsi-security-risks.html")
ROOT = Path(__file__).resolve().parent.parent


def small_corpus(root: Path, names: tuple[str, ...] = SMALL) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(CORPUS / name, root / name)
    return root


def eventually(condition: Callable[[], bool], what: str, seconds: float = 120.0) -> None:
    """Poll until ``condition`` holds; the bound is generous (a loaded 2-core machine), never an assertion."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


class Watcher:
    """The library's watcher in a thread, with what it said collected."""

    def __init__(self, settings: Settings, **options) -> None:
        self.assistant = Assistant(settings, embedder=shared_embedder())
        self.lines: list[str] = []
        self.notices: list[str] = []
        self.reports: list[IngestReport] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.result: int | None = None
        self._thread = threading.Thread(target=self._run, kwargs=options, daemon=True)

    def _run(self, **options) -> None:
        try:
            self.result = self.assistant.watch(
                lambda change: self.lines.append(change.line()), on_notice=self.notices.append,
                on_ingest=self.reports.append, stop=self.stop, retry_seconds=0.2, **options)
        except BaseException as exc:  # handed to the test
            self.error = exc

    def __enter__(self) -> "Watcher":
        self._thread.start()
        eventually(lambda: any(n.startswith("watching ") for n in self.notices) or self.error is not None,
                   "the watcher started")
        assert self.error is None, self.error
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(60)
        assert not self._thread.is_alive()

    def said(self, line: str) -> bool:
        return line in self.lines


def files(settings: Settings) -> dict[str, tuple[str, int | None]]:
    report = Assistant(settings).file_status()
    return {f.doc_id: (f.state, f.chunks) for f in report.files}


def chunks_per_document(settings: Settings) -> dict[str, int]:
    embedder = shared_embedder()
    store = VectorStore(settings, embedder.model_id, embedder.dimension, create=False)
    ids, metas = store.all_metadata()
    assert len(ids) == len(set(ids)) == store.count()  # nothing stored twice
    counts: dict[str, int] = {}
    for meta in metas:
        counts[meta["doc_id"]] = counts.get(meta["doc_id"], 0) + 1
    return counts


def top_doc(settings: Settings, question: str) -> str:
    return Assistant(settings, embedder=shared_embedder()).retrieve(question, top_k=1)[0].doc_id


# The watcher ------------------------------------------------------------------------------------------------

def test_the_watcher_follows_new_changed_deleted_and_unusable_files(tmp_path) -> None:
    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index")
    corpus = settings.corpus_dir
    with Watcher(settings) as watcher:
        assert watcher.notices[0] == f"ingesting {corpus}…"
        assert watcher.notices[1].startswith(f"ingested {corpus}: 2 added,")
        assert watcher.lines == []  # a first index: the summary says it all

        (corpus / "kestrel.txt").write_text("The kestrel ledger lists every falcon ringed at Ouseburn in 1998.")
        eventually(lambda: watcher.said("added: kestrel.txt (1 chunk)"), "kestrel.txt added")
        assert top_doc(settings, "Which falcons are in the kestrel ledger?") == "kestrel.txt"

        (corpus / "kestrel.txt").write_text("The kestrel ledger was lost in the Ouseburn flood of 2003.")
        eventually(lambda: watcher.said("changed: kestrel.txt (1 chunk)"), "kestrel.txt changed")
        hit = Assistant(settings, embedder=shared_embedder()).retrieve("kestrel ledger", top_k=1)[0]
        assert "flood" in hit.text and "ringed" not in hit.text

        (corpus / "rsi-security-risks.html").unlink()
        (corpus / "tool.bin").write_bytes(b"\x7fELF\x02\x01\x00")
        (corpus / ".hidden.txt").write_text("never indexed, never mentioned")
        eventually(lambda: watcher.said("removed: rsi-security-risks.html"), "the deletion")
        eventually(lambda: any(line.startswith("skipped: tool.bin (unsupported file type '.bin'")
                               for line in watcher.lines), "the binary skipped")
        assert not [line for line in watcher.lines if "hidden" in line]
    assert watcher.error is None and watcher.result == len(watcher.reports)
    # One line per change, each file's change said once.
    assert len(watcher.lines) == len(set(watcher.lines)) == 4, watcher.lines

    state = files(settings)
    assert state["kestrel.txt"] == ("indexed", 1) and "rsi-security-risks.html" not in state
    assert state["tool.bin"] == ("skipped", 0)
    stored = chunks_per_document(settings)
    assert stored == {doc: n for doc, (kind, n) in state.items() if kind == "indexed"}
    assert Assistant(settings).status().chunks == sum(stored.values())


def test_a_burst_of_1000_files_is_a_few_ingests_and_each_file_is_said_once(tmp_path) -> None:
    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus", SMALL[:1]), index_dir=tmp_path / "index")
    corpus = settings.corpus_dir
    names = [f"notes/burst-{i:04d}.txt" for i in range(1000)]
    (corpus / "notes").mkdir()
    with Watcher(settings) as watcher:
        before = len(watcher.reports)
        for i, name in enumerate(names):
            (corpus / name).write_text(f"Burst note {i}: the heron count at pond {i % 37} was {i * 7 % 101}.")
        eventually(lambda: sum(line.startswith("added: notes/burst-") for line in watcher.lines) == 1000,
                   "all 1000 files ingested", seconds=300)
        ingests = len(watcher.reports) - before
    assert 1 <= ingests <= 10, ingests  # debounced: a handful of ingests, not one per file
    added = [line for line in watcher.lines if line.startswith("added: ")]
    assert sorted(added) == sorted(f"added: {name} (1 chunk)" for name in names)  # each file said once
    assert Assistant(settings).status().documents == 1001
    assert sum(chunks_per_document(settings).values()) == Assistant(settings).status().chunks


def test_the_watcher_waits_for_another_writer_and_then_ingests(tmp_path) -> None:
    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus", SMALL[:1]), index_dir=tmp_path / "index")
    with Watcher(settings) as watcher:
        with writer_lock(settings.index_dir, "ingest"):  # another `rag ingest` holds the index
            (settings.corpus_dir / "late.md").write_text("# Late\n\nThe plover census closes in March.")
            eventually(lambda: any(n.startswith("waiting: another `rag ingest` is writing the index")
                                   for n in watcher.notices), "the watcher says it waits")
            assert files(settings)["late.md"] == ("new", 0)  # nothing written under someone else's lock
            assert read_state(settings.index_dir)["ingest_complete"] is True
        eventually(lambda: watcher.said("added: late.md (1 chunk)"), "late.md ingested once the lock is free")
        assert "the index is free again" in watcher.notices
    assert sum(n.startswith("waiting:") for n in watcher.notices) == 1  # said once, not at every retry
    assert top_doc(settings, "When does the plover census close?") == "late.md"


def test_the_watcher_stops_with_one_line_when_the_folder_disappears(tmp_path) -> None:
    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index")
    watcher = Watcher(settings)
    with watcher:
        chunks = Assistant(settings).status().chunks
        shutil.rmtree(settings.corpus_dir)
        eventually(lambda: watcher.error is not None, "the watcher stopped")
    assert isinstance(watcher.error, CorpusError)
    message = str(watcher.error)
    assert "\n" not in message and f"the corpus folder {settings.corpus_dir} is gone: stopped watching" in message
    assert Assistant(settings).status().chunks == chunks  # the index keeps what it had


def test_a_file_deleted_while_it_is_being_indexed_leaves_the_index(tmp_path) -> None:
    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus", SMALL[:1]), index_dir=tmp_path / "index")
    doomed = settings.corpus_dir / "doomed.txt"
    armed = threading.Event()

    def delete_while_embedding(done: int, total: int, message: str) -> None:
        if armed.is_set() and message == "embedding":
            armed.clear()
            doomed.unlink()  # read already, its chunks on their way into the store

    with Watcher(settings, progress=delete_while_embedding) as watcher:
        armed.set()
        doomed.write_text("The doomed ledger of grebes lists forty nests.")
        eventually(lambda: watcher.said("removed: doomed.txt"), "the deletion is seen and indexed")
        assert not armed.is_set()  # the file went mid-ingest, as meant
    assert "doomed.txt" not in chunks_per_document(settings) and "doomed.txt" not in files(settings)


def test_file_changes_name_what_an_ingest_did_to_each_file() -> None:
    before = {"a.md": {"state": "indexed", "chunks": 2, "hash": "h1"}, "gone.txt": {"state": "indexed", "hash": "h"},
              "same.txt": {"state": "indexed", "chunks": 1, "hash": "s"}, "x.bin": {"state": "skipped", "reason": "r"}}
    after = {"a.md": {"state": "indexed", "chunks": 3, "hash": "h2"}, "new.txt": {"state": "indexed", "chunks": 1,
             "hash": "n"}, "same.txt": {"state": "indexed", "chunks": 1, "hash": "s"},
             "x.bin": {"state": "skipped", "reason": "r"}, "locked.txt": {"state": "failed", "reason": "permission denied"}}
    lines = [c.line() for c in file_changes(before, after, touched={"same.txt", "x.bin"})]
    assert lines == ["changed: a.md (3 chunks)", "removed: gone.txt", "failed: locked.txt (permission denied)",
                     "added: new.txt (1 chunk)", "unchanged: same.txt (same text)", "skipped: x.bin (r)"]
    assert file_changes(before, before, touched=set()) == []
    assert FileChange(kind="added", doc_id="b.txt", chunks=2).line() == "added: b.txt (2 chunks)"


def test_rag_ingest_watch_prints_a_line_per_change_and_ctrl_c_stops_it(tmp_path) -> None:
    corpus = small_corpus(tmp_path / "docs", SMALL[:1])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(PYTHONPATH=str(ROOT), NO_COLOR="1")
    command = [sys.executable, "-m", "rag", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "ingest",
               "--watch"]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        err: list[str] = []
        for line in process.stderr:  # blocks until the watcher is live
            err.append(line)
            if line.startswith("watching "):
                break
        assert err[-1] == f"watching {corpus} for changes (Ctrl+C stops)\n", err
        (corpus / "zebra.txt").write_text("Zebra crossings were painted on Abbey Road in 1969.")
        assert process.stdout.readline() == "added: zebra.txt (1 chunk)\n"
        process.send_signal(signal.SIGINT)
        out, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert out == "" and rest == "stopped watching\n" and "Traceback" not in rest
    assert err[0] == f"ingesting {corpus}…\n" and err[1].startswith(f"ingested {corpus}: 1 added,")


# `rag status --files` -------------------------------------------------------------------------------------------

def test_file_status_says_what_became_of_every_file_and_what_changed_since(tmp_path) -> None:
    corpus = small_corpus(tmp_path / "corpus")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "tool.bin").write_bytes(b"\x7fELF")
    (corpus / "big.md").write_text("Oversized " * 3000)
    os.mkfifo(corpus / "pipe.txt")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", max_file_mb=0.02)
    assistant = Assistant(settings, embedder=shared_embedder())
    never = assistant.file_status()
    assert len(never.files) == 6 and {f.state for f in never.files} == {"new"} and never.last_ingest is None
    assistant.ingest()
    last = read_state(settings.index_dir)["last_ingest"]

    report = assistant.file_status()
    by_name = {f.doc_id: f for f in report.files}
    stored = chunks_per_document(settings)
    for name in SMALL:
        assert (by_name[name].state, by_name[name].chunks, by_name[name].since) == ("indexed", stored[name], last)
    reasons = {"empty.txt": "empty file", "tool.bin": "unsupported file type '.bin'", "big.md": "too large (30.0 kB",
               "pipe.txt": "not a regular file (a named pipe)"}
    for name, reason in reasons.items():
        assert by_name[name].state == "skipped" and by_name[name].chunks == 0 and reason in by_name[name].reason
    assert report.corpus_found and report.last_ingest == last and len(report.files) == 6

    # Changed, new and deleted since the last ingest: seen by one stat per file, nothing read.
    (corpus / SMALL[0]).write_text((corpus / SMALL[0]).read_text() + "\n\nA coda about cormorants.\n")
    (corpus / SMALL[1]).unlink()
    (corpus / "fresh.txt").write_text("Fresh notes on terns.")
    by_name = {f.doc_id: f for f in assistant.file_status().files}
    assert by_name[SMALL[0]].state == "changed" and by_name[SMALL[0]].chunks == stored[SMALL[0]]
    assert (by_name[SMALL[1]].state, by_name[SMALL[1]].chunks) == ("removed", stored[SMALL[1]])
    assert (by_name["fresh.txt"].state, by_name["fresh.txt"].chunks) == ("new", 0)
    assert "modified since the last ingest" in by_name[SMALL[0]].line()

    (corpus / "fresh.txt").write_text("Fresh notes on terns and skuas.")
    assistant.ingest()
    now = read_state(settings.index_dir)["last_ingest"]
    by_name = {f.doc_id: f for f in assistant.file_status().files}
    assert {f.state for f in by_name.values()} == {"indexed", "skipped"} and SMALL[1] not in by_name
    assert by_name[SMALL[0]].since == now and by_name["fresh.txt"].since == now
    assert by_name[SMALL[0]].chunks == chunks_per_document(settings)[SMALL[0]]


def test_rag_status_files_prints_a_line_per_file_and_json(tmp_path) -> None:
    corpus = small_corpus(tmp_path / "docs", SMALL[:1])
    (corpus / "tool.bin").write_bytes(b"\x7fELF")
    index_dir = tmp_path / "index"
    Assistant(Settings(corpus_dir=corpus, index_dir=index_dir), embedder=shared_embedder()).ingest()
    (corpus / "later.txt").write_text("Written after the ingest.")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))} | {"PYTHONPATH": str(ROOT)}

    def rag(*args: str) -> subprocess.CompletedProcess:
        # No --corpus: the folder the index was built from, whatever the current folder.
        return subprocess.run([sys.executable, "-m", "rag", "--index", str(index_dir), "status", "--files", *args],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    text = rag()
    assert text.returncode == 0 and text.stderr == "", text.stderr
    lines = text.stdout.splitlines()
    width = len(SMALL[0])  # names are padded to the longest
    assert lines[0].startswith(f"indexed  {SMALL[0]}  ") and " chunks, since 20" in lines[0]
    assert lines[1] == f"new      {'later.txt':{width}}  not indexed yet"
    assert lines[2].startswith(f"skipped  {'tool.bin':{width}}  unsupported file type '.bin'")
    assert lines[3].startswith(f"{corpus}: 3 files: 1 indexed, 1 new, 1 skipped; last ingest 20")

    as_json = rag("--json")
    assert as_json.returncode == 0, as_json.stderr
    report = FileStatusReport.model_validate_json(as_json.stdout)
    assert [(f.doc_id, f.state) for f in report.files] == [(SMALL[0], "indexed"), ("later.txt", "new"),
                                                           ("tool.bin", "skipped")]
    assert json.loads(as_json.stdout)["corpus"] == str(corpus)


def test_a_state_file_without_file_records_still_loads_and_the_next_ingest_records_them(tmp_path) -> None:
    corpus = small_corpus(tmp_path / "corpus")
    (corpus / "empty.txt").write_bytes(b"")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    assistant = Assistant(settings, embedder=shared_embedder())
    first = assistant.ingest()
    # What an older version wrote: no "files".
    raw = json.loads(state_path(settings.index_dir).read_text())
    del raw["files"]
    state_path(settings.index_dir).write_text(json.dumps(raw))

    legacy = {f.doc_id: f for f in assistant.file_status().files}
    assert {name: (f.state, f.chunks) for name, f in legacy.items()} == {
        SMALL[0]: ("indexed", None), SMALL[1]: ("indexed", None), "empty.txt": ("skipped", 0)}
    assert legacy["empty.txt"].reason == "empty file" and "chunks not recorded" in legacy[SMALL[0]].line()

    again = assistant.ingest()  # reads the files once (no embedding) to record what became of each
    assert (again.unchanged, again.embedded, again.chunks) == (2, 0, first.chunks)
    recorded = {f.doc_id: (f.state, f.chunks) for f in assistant.file_status().files}
    stored = chunks_per_document(settings)
    assert recorded == {SMALL[0]: ("indexed", stored[SMALL[0]]), SMALL[1]: ("indexed", stored[SMALL[1]]),
                        "empty.txt": ("skipped", 0)}
    assert "files" in read_state(settings.index_dir)


# The chat follows an index that another process updates ---------------------------------------------------------

async def test_the_chat_status_line_follows_an_index_updated_elsewhere(tmp_path) -> None:
    from tui.app import ChatApp
    from tui.status import StatusBar

    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus", SMALL[:1]), index_dir=tmp_path / "index")
    Assistant(settings, embedder=shared_embedder()).ingest()
    chat = Assistant(settings, embedder=shared_embedder())
    app = ChatApp(settings, assistant_factory=lambda: chat, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        bar = app.query_one(StatusBar)

        async def until(condition: Callable[[], bool], what: str) -> None:
            deadline = time.monotonic() + 120
            while not condition():
                assert time.monotonic() < deadline, f"never happened: {what}"
                await pilot.pause(0.05)

        await until(lambda: bar.index is not None, "the index is open")
        assert bar.index.documents == 1
        (settings.corpus_dir / "tern.txt").write_text("Arctic terns fly from pole to pole every year.")
        Assistant(settings, embedder=shared_embedder()).ingest()  # as `rag ingest --watch` would, elsewhere
        await until(lambda: bar.index is not None and bar.index.documents == 2, "the status line shows 2 documents")
        assert any(n.title == "The index was updated" for n in app._notifications)
