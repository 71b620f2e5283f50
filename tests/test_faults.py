"""Faults a hostile user meets, each with real parts and each bounded so that a regression fails, not hangs:
a Chroma server that stops answering, OpenAI endpoints that trickle, two index folders sharing one server
collection, damaged keyword index and state files, file names that are not text, questions asked while an
ingest runs or after one died, and ingests killed at random moments.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import pytest

from corpus_index import CORPUS, shared_embedder
from rag import Assistant, Settings
from rag.backends.openai_backend import OpenAIAnswerer
from rag.citations import _MARKER, build_answer, protect_literal_markers
from rag.errors import BackendError, IndexBusyError, IndexMismatchError, IndexStateError
from rag.lexical import LexicalIndex
from rag.models import Citation
from test_ingest import (CRASH_OPTIONS, SMALL, assert_one_error_line, assert_same_index, crash_corpus, fresh,
                         ingest_and_kill, rag, running_chroma, small_corpus)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def embedder():
    return shared_embedder()


def ingest(settings: Settings, embedder, **kwargs):
    return Assistant(settings, embedder=embedder).ingest(**kwargs)


def bounded(call: Callable[[], object], seconds: float) -> BaseException | None:
    """Run ``call`` on a thread; the exception it raised (None if none). Fails if it outlives ``seconds``."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still waiting after {seconds} s"
    return outcome[0]


# 1. A Chroma server that stops answering -----------------------------------------------------------

class _HeartbeatOnly(BaseHTTPRequestHandler):
    """Answers its heartbeat, then sleeps on every other request, as a wedged server does."""

    stop: threading.Event

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self) -> None:
        if self.path.endswith("/heartbeat"):
            body = b'{"nanosecond heartbeat": 1}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.stop.wait(120)

    do_GET = do_POST = do_PUT = do_DELETE = _reply


@pytest.fixture
def heartbeat_only() -> Iterator[int]:
    handler = type("Handler", (_HeartbeatOnly,), {"stop": threading.Event()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        handler.stop.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("command", [("status",), ("ingest",)])
def test_a_chroma_server_that_answers_only_its_heartbeat_is_one_line_within_the_timeout(
        tmp_path, heartbeat_only, command) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:1])
    result = rag("--corpus", str(corpus), "--index", str(tmp_path / "index"), *command, cwd=tmp_path, timeout=60,
                 env={"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(heartbeat_only),
                      "RAG_CHROMA_TIMEOUT": "2"})
    assert_one_error_line(result, f"127.0.0.1:{heartbeat_only}", "did not answer within 2 s", "RAG_CHROMA_TIMEOUT")


@pytest.fixture
def chroma_process(tmp_path) -> Iterator[tuple[int, subprocess.Popen]]:
    with running_chroma(tmp_path) as running:
        yield running


def on_server(corpus: Path, index_dir: Path, port: int, **extra) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=index_dir, chroma_host="127.0.0.1", chroma_port=port,
                    chroma_timeout=2, **extra)


def test_a_stopped_chroma_server_ends_every_call_within_the_timeout(tmp_path, embedder, chroma_process) -> None:
    port, server = chroma_process
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    settings = on_server(corpus, tmp_path / "index", port, embedding_batch_size=4)
    ingest(settings, embedder)
    assistant = Assistant(settings, embedder=embedder)
    assert assistant.retrieve("recursive self-improvement", top_k=2)
    server.send_signal(signal.SIGSTOP)  # the process is there, its socket accepts, nothing answers
    try:
        for call in (lambda: assistant.retrieve("recursive self-improvement", top_k=2),
                     lambda: Assistant(settings, embedder=embedder).status(),
                     lambda: ingest(settings, embedder, rebuild=True)):
            error = bounded(call, 60)
            assert isinstance(error, IndexStateError), error
            assert f"127.0.0.1:{port}" in str(error) and "did not answer within 2 s" in str(error)
    finally:
        server.send_signal(signal.SIGCONT)

    # Stopped in the middle of writing: the ingest ends with the same one line.
    (corpus / "extra.md").write_text("# Extra\n\n" + " ".join(f"Note {i} on the heron census." for i in range(80)))

    def stop_server(done: int, total: int, message: str) -> None:
        if message == "embedding" and done > 0:
            server.send_signal(signal.SIGSTOP)

    try:
        error = bounded(lambda: ingest(settings, embedder, progress=stop_server), 90)
        assert isinstance(error, IndexStateError) and "did not answer within 2 s" in str(error), error
    finally:
        server.send_signal(signal.SIGCONT)
    assert ingest(settings, embedder).chunks == Assistant(settings, embedder=embedder).status().chunks


# 2. OpenAI-compatible endpoints that trickle -------------------------------------------------------

class Trickler:
    """A loopback HTTP server that keeps a request alive without ever finishing it.

    'headers': the status line and headers, one byte at a time; 'keepalive': 200 and text/event-stream,
    then an SSE comment forever; 'tokens': a content delta forever, never a finish."""

    def __init__(self, mode: str, every: float = 0.3) -> None:
        self.mode, self.every = mode, every
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        head = (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        chunk = json.dumps({"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                            "choices": [{"index": 0, "delta": {"content": "word "}, "finish_reason": None}]})
        try:
            conn.recv(65536)
            if self.mode == "headers":
                for byte in head * 1000:
                    conn.sendall(bytes([byte]))
                    if self.stop.wait(self.every):
                        return
            conn.sendall(head)
            while not self.stop.wait(self.every):
                event = b": keep-alive\n\n" if self.mode == "keepalive" else f"data: {chunk}\n\n".encode()
                conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


SOURCES = [Citation(number=1, doc_id="a.txt", title="A", text="Sakana AI raised 20 billion yen.", start=0, end=32,
                    score=1.0)]


@pytest.mark.parametrize("mode, timeout, total, bound", [
    ("keepalive", 1.0, 30.0, "no first token within 1s (RAG_OPENAI_TIMEOUT)"),
    ("tokens", 1.0, 3.0, "the whole answer took longer than 3s (RAG_OPENAI_TOTAL_TIMEOUT)"),
    ("headers", 1.0, 3.0, "the whole answer took longer than 3s (RAG_OPENAI_TOTAL_TIMEOUT)"),
])
def test_a_trickling_endpoint_is_given_up_at_the_bound_it_broke(mode, timeout, total, bound) -> None:
    server = Trickler(mode)
    try:
        settings = Settings(openai_base_url=f"http://127.0.0.1:{server.port}/v1", openai_api_key="k",
                            openai_timeout=timeout, openai_total_timeout=total, openai_max_retries=0)
        answerer = OpenAIAnswerer(settings)
        started = time.monotonic()
        error = bounded(lambda: "".join(answerer.stream("How much did Sakana AI raise?", SOURCES)), 60)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert isinstance(error, BackendError), error
    assert bound in str(error) and "\n" not in str(error)
    assert elapsed < total + 10  # the bound, not the server, ended it (10 s of slack for a loaded machine)


# 3. Two index folders and one server collection -----------------------------------------------------

HOLD_CLAIM = """
import sys, time
from pathlib import Path
from rag import Settings
from rag.store import server_writer_lock
settings = Settings(corpus_dir=sys.argv[1], index_dir=sys.argv[2], chroma_host="127.0.0.1", chroma_port=int(sys.argv[3]))
with server_writer_lock(settings):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_server_collection_belongs_to_one_index_and_has_one_writer(tmp_path, embedder, chroma_process) -> None:
    port, _ = chroma_process
    a = on_server(small_corpus(tmp_path / "A", SMALL[:1]), tmp_path / "iA", port)
    b = on_server(small_corpus(tmp_path / "B", SMALL[1:2]), tmp_path / "iB", port)
    ingest(a, embedder)
    chunks_a = Assistant(a, embedder=embedder).status().chunks
    for rebuild in (False, True):
        with pytest.raises(IndexMismatchError) as refused:
            ingest(b, embedder, rebuild=rebuild)
        assert "belongs to another index" in str(refused.value) and str(a.index_dir.resolve()) in str(refused.value)
        assert "RAG_COLLECTION" in str(refused.value)
    # A's index is whole and still answers from A.
    assert Assistant(a, embedder=embedder).status().chunks == chunks_a
    assert {c.doc_id for c in Assistant(a, embedder=embedder).retrieve("the pause warning", top_k=5)} == {SMALL[0]}
    # B in a collection of its own works; and B, having written, may not read A's collection either.
    b_own = b.model_copy(update={"collection": "corpus-b"})
    ingest(b_own, embedder)
    assert {c.doc_id for c in Assistant(b_own, embedder=embedder).retrieve("security risks", top_k=5)} == {SMALL[1]}
    with pytest.raises(IndexMismatchError):
        Assistant(b, embedder=embedder).retrieve("security risks", top_k=5)

    # One writer per collection across processes, even with the same index identity (a copied index folder,
    # as on a second machine): the second is told who holds the collection.
    copy = a.model_copy(update={"index_dir": tmp_path / "iA-copy"})
    shutil.copytree(a.index_dir, copy.index_dir)
    (a.corpus_dir / "new.md").write_text("# New\n\nThe heron census counted forty birds on the lake.\n")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_CLAIM, str(a.corpus_dir), str(a.index_dir), str(port)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusyError) as busy:
            ingest(copy, embedder)
        assert f"pid {holder.pid}" in str(busy.value) and "collection 'corpus'" in str(busy.value)
    finally:
        holder.kill()
        holder.wait()
    # The holder died without letting go: its claim is broken (same machine, process gone) and the ingest runs.
    assert ingest(copy, embedder).added == 1


# 4. and 5. Damaged keyword index and state files ----------------------------------------------------

def test_a_keyword_index_out_of_step_is_rebuilt_by_ask_and_by_ingest(tmp_path, embedder) -> None:
    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index")
    ingest(settings, embedder)
    ids_file = LexicalIndex.path(settings.index_dir) / "ids.json"
    saved = json.loads(ids_file.read_text())
    total = len(saved["ids"])

    # The id list shortened (as the issue did), then shortened with its count and checksum made to agree.
    from rag.lexical import ids_checksum

    shortened = saved | {"ids": saved["ids"][: total // 2]}
    agreeing = shortened | {"count": total // 2, "checksum": ids_checksum(saved["ids"][: total // 2])}
    for damaged in (shortened, agreeing):
        ids_file.write_text(json.dumps(damaged))
        assert not LexicalIndex.is_consistent(settings.index_dir, total)
        answer = Assistant(settings, embedder=embedder).ask("What do the documents say about a pause?")
        assert answer.sources  # no IndexError: the keyword index was rebuilt from the store
        assert LexicalIndex.is_consistent(settings.index_dir, total)

        ids_file.write_text(json.dumps(damaged))
        report = ingest(settings, embedder)
        assert report.chunks == total and LexicalIndex.is_consistent(settings.index_dir, total)


@pytest.mark.parametrize("content", ["null", "[1, 2, 3]", '"text"', '{"ingest_complete": "perhaps", "chunks": []}'])
def test_a_state_file_of_the_wrong_shape_counts_as_missing(tmp_path, embedder, content) -> None:
    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus", SMALL[:1]), index_dir=tmp_path / "index")
    first = ingest(settings, embedder)
    (settings.index_dir / "state.json").write_text(content)
    result = rag("--index", str(settings.index_dir), "status", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr and "unexpected" not in result.stderr
    report = ingest(settings, embedder)
    assert (report.chunks, report.embedded) == (first.chunks, 0)
    assert json.loads((settings.index_dir / "state.json").read_text())["ingest_complete"] is True


# 6. and 9. File names and files that are not what they seem -----------------------------------------

def test_odd_file_names_and_special_files_are_indexed_or_skipped_by_name(tmp_path) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:1])
    (corpus / os.fsdecode(b"bad\xffname.txt")).write_text("The kestrel ledger lists nine falcons.\n")
    (corpus / "new\nline.txt").write_text("The osprey ledger lists four eagles.\n")
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "fake.pdf").write_text("this is not a pdf at all\n")
    index = tmp_path / "index"
    result = rag("--corpus", str(corpus), "--index", str(index), "ingest", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "3 added" in result.stdout
    assert result.stderr.splitlines() == [
        "warning: skipped fake.pdf: unreadable PDF (PdfStreamError)",
        "warning: skipped pipe.txt: not a regular file (a named pipe), which is not read",
    ]
    shown = rag("--corpus", str(corpus), "--index", str(index), "ask", "How many eagles does the osprey ledger list?",
                cwd=tmp_path, timeout=180)
    assert shown.returncode == 0, shown.stderr
    citation_lines = [line for line in shown.stdout.splitlines() if line.startswith("[1] ")]
    assert citation_lines and "new\\x0aline.txt" in citation_lines[0]  # the name stays on its line
    answer = Assistant(Settings(corpus_dir=corpus, index_dir=index)).retrieve("kestrel ledger falcons", top_k=1)[0]
    assert answer.doc_id == "bad\\xffname.txt"


def test_python_dash_m_runs_the_cli_and_config_shows_the_chunk_size_used(tmp_path) -> None:
    for module in ("rag", "rag.cli"):
        result = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and result.stdout.startswith("Usage: rag"), result.stderr
    shown = rag("config", env={"RAG_CHUNK_SIZE": "5000"}, cwd=tmp_path)
    line = next(line for line in shown.stdout.splitlines() if line.startswith("RAG_CHUNK_SIZE"))
    assert line.split()[1] == "254" and "asked 5000" in line
    as_json = json.loads(rag("config", "--json", env={"RAG_CHUNK_SIZE": "5000"}, cwd=tmp_path).stdout)
    assert as_json["chunk_size"] == 254


# 8. Asking while an ingest runs, and after one died -------------------------------------------------

def test_questions_during_an_ingest_are_answered_from_the_last_complete_index(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", embedding_batch_size=2)
    ingest(settings, embedder)
    (corpus / "heron.md").write_text("# Heron census\n\n" + " ".join(
        f"Station {i} of the heron census counted {i + 3} zephyrine herons." for i in range(30)))
    question = "How many zephyrine herons did the heron census count?"

    for rebuild in (False, True):
        paused, resume = threading.Event(), threading.Event()

        def pause(done: int, total: int, message: str) -> None:
            if message == "embedding" and done >= 2 and not paused.is_set():
                paused.set()
                assert resume.wait(120)

        worker = threading.Thread(target=lambda: ingest(settings, embedder, progress=pause, rebuild=rebuild))
        worker.start()
        try:
            assert paused.wait(120)
            answer = Assistant(settings, embedder=embedder).ask(question)
            command = "`rag ingest --rebuild`" if rebuild else "`rag ingest`"
            assert answer.notice and answer.notice.startswith(f"{command} is running"), answer.notice
            # The new document is half written: not answered from until the ingest completes. A rebuild
            # leaves the whole previous index (heron.md included by then) in place until it swaps.
            assert answer.sources and ("heron.md" in {s.doc_id for s in answer.sources}) == rebuild
            status = rag("--index", str(settings.index_dir), "status", cwd=tmp_path)
            assert f"{command} is running" in status.stdout
        finally:
            resume.set()
            worker.join(120)
        assert not worker.is_alive()
        after = Assistant(settings, embedder=embedder).ask(question)
        assert after.notice is None and "heron.md" in {s.doc_id for s in after.sources}

    # Stopped half way (Ctrl+C): answers keep to the last complete index, and say so.
    (corpus / "plover.md").write_text("# Plover notes\n\n" + " ".join(
        f"Plover count {i} found {i + 2} banded plovers." for i in range(30)))

    def interrupt(done: int, total: int, message: str) -> None:
        if message == "embedding" and done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(settings, embedder, progress=interrupt)
    answer = Assistant(settings, embedder=embedder).ask("How many banded plovers were found?")
    assert answer.notice and "did not finish" in answer.notice
    assert "plover.md" not in {s.doc_id for s in answer.sources}


# Killed at random moments ----------------------------------------------------------------------------

def test_ingests_killed_at_random_moments_converge_on_a_clean_index(tmp_path, embedder) -> None:
    options = CRASH_OPTIONS
    before = crash_corpus(tmp_path / "before")
    after = tmp_path / "after"
    shutil.copytree(before, after)
    (after / "doc1.txt").unlink()
    (after / "new.txt").write_text("Late report\n\n" + " ".join(
        f"Site {i} of the quillwort survey lies {i * 3} kilometres upstream." for i in range(30)))
    reference = fresh(Settings(corpus_dir=after, index_dir=tmp_path / "x", **options), embedder, tmp_path / "ref")
    start = Settings(corpus_dir=before, index_dir=tmp_path / "start", **options)
    ingest(start, embedder)

    rng = random.Random(13)  # seeded: a failure repeats
    for run in range(4):
        index_dir = tmp_path / f"run-{run}"
        shutil.copytree(start.index_dir, index_dir)
        mode = rng.choice(["ingest", "rebuild"])
        kill_after = rng.randint(1, 12)  # progress steps
        steps = iter(range(1, 10**6))
        ingest_and_kill(after, index_dir, tmp_path / "child.log", lambda *_: next(steps) >= kill_after, pause=True,
                        rebuild=mode == "rebuild", may_finish=True)
        settings = Settings(corpus_dir=after, index_dir=index_dir, **options)
        # Whatever it left, a question is answered (from the last complete index or the part written) ...
        assert Assistant(settings, embedder=embedder).retrieve("Ledger entry kw0mark1", top_k=3)
        # ... and the next ingest converges on exactly the clean index.
        ingest(settings, embedder)
        assert_same_index(settings, reference, embedder)


# 10. Every [n] of an answer resolves, whatever the text holds ------------------------------------------

def assert_markers_resolve(answer) -> None:
    cited = {c.number for c in answer.citations}
    for group in _MARKER.findall(answer.text):
        for n in map(int, re.findall(r"\d+", group)):
            assert n in cited, (n, answer.text)


def test_bracketed_numbers_in_quoted_sources_are_not_citations() -> None:
    passage = ("To read the first argument use sys.argv[1] in the script. The value of x[2] is the third item.\n"
               ">>> a[1]\n'b'\nSee the footnote [3] for details.")
    source = Citation(number=1, doc_id="howto.html", title="HOWTO", text=passage, start=0, end=len(passage), score=1)
    others = [source.model_copy(update={"number": n, "doc_id": f"o{n}.txt"}) for n in (2, 3)]
    quoted = " ".join(protect_literal_markers(s) + " [1]" for s in (
        "To read the first argument use sys.argv[1] in the script.", "The value of x[2] is the third item.",
        ">>> a[1]", "See the footnote [3] for details."))
    answer = build_answer("q", quoted, [source, *others], None, backend="extractive", model="reader", seconds=0)
    assert_markers_resolve(answer)
    assert [c.number for c in answer.citations] == [1]
    assert all(s.supported for s in answer.sentences)  # each still a verbatim quote of its source

    # A model's answer whose marker sits on a line of its own, or after a code prompt, keeps its citation.
    answer = build_answer("q", "The value of x[2] is the third item.\n>>> [2]", [source, *others], None,
                          backend="openai", model="m", seconds=0)
    assert_markers_resolve(answer)
