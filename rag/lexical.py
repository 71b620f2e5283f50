"""The BM25 half of hybrid retrieval, persisted beside the vector index and rebuilt by each ingest.

Keyword terms are read in any script: 'Zürich' is one term ('zurich'), not 'z' and 'rich'; Japanese and
Chinese, written without spaces, are indexed as overlapping character pairs. The tokenizer's name is
saved with the index, and an index saved with different terms is rebuilt rather than misread.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from .nlp import STOPWORDS, light_stem

if TYPE_CHECKING:
    import numpy as np

    from .store import VectorStore

TOKENIZER = "words-2"  # change it whenever lexical_terms() changes what it returns

# Kana, CJK ideographs and Hangul: scripts written without spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_CJK}]+(?:['’.\-][^\W_{_CJK}]+)*)")


def _fold(word: str) -> str:
    """Lower case without accents: 'Zürich' -> 'zurich', 'Gödel' -> 'godel'."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def lexical_terms(text: str) -> list[str]:
    """The terms BM25 indexes and searches: stemmed words (stopwords dropped) and CJK character pairs."""
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        run = match.group("cjk")
        if run is not None:
            out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
            continue
        word = _fold(match.group("word").replace("’", "'")).strip(".'-")
        if word.endswith("'s"):
            word = word[:-2]
        if word and word not in STOPWORDS:
            out.append(light_stem(word))
    return out


def ids_checksum(ids: Sequence[str]) -> str:
    return hashlib.sha1("\n".join(ids).encode("utf-8", "surrogatepass")).hexdigest()


class _SavedScores:
    """A saved bm25s index read with NumPy alone, for searching: the scores of each term in each chunk were
    computed when it was built, so a query only adds up columns. Importing bm25s pulls in scipy, a third of
    a second of a cold `rag ask`; building and saving still use bm25s."""

    METHODS = ("lucene", "robertson", "atire")  # the ones with no score for absent terms (bm25l, bm25+ have)

    def __init__(self, path: Path) -> None:
        import numpy as np

        params = json.loads((path / "params.index.json").read_text())
        if params.get("method") not in self.METHODS or params.get("backend", "numpy") != "numpy":
            raise ValueError(f"bm25s method {params.get('method')!r}: read with bm25s")
        self.vocab_dict: dict[str, int] = json.loads((path / "vocab.index.json").read_text(encoding="utf-8"))
        self._data = np.load(path / "data.csc.index.npy")
        self._indices = np.load(path / "indices.csc.index.npy")
        self._indptr = np.load(path / "indptr.csc.index.npy")
        self._docs = int(params["num_docs"])
        self._dtype = np.dtype(params.get("dtype", "float32"))

    def get_scores(self, tokens: list[str]) -> "np.ndarray":
        """Every chunk's score for ``tokens`` (terms of the index), as bm25s's get_scores computes it."""
        import numpy as np

        scores = np.zeros(self._docs, dtype=self._dtype)
        for term in tokens:
            t = self.vocab_dict[term]
            lo, hi = self._indptr[t], self._indptr[t + 1]
            np.add.at(scores, self._indices[lo:hi], self._data[lo:hi])
        return scores


def _num_docs(retriever: object) -> int:
    """How many chunks a loaded BM25 index scores (bm25s's own object or the NumPy reader)."""
    if isinstance(retriever, _SavedScores):
        return retriever._docs
    return int(retriever.scores.get("num_docs", -1))  # type: ignore[attr-defined]


class LexicalIndex:
    def __init__(self, retriever, ids: list[str]) -> None:
        self._retriever = retriever
        self.ids = ids

    @staticmethod
    def path(index_dir: Path) -> Path:
        return index_dir / "bm25"

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> "LexicalIndex":
        return cls.build_from([(ids, texts)])

    @classmethod
    def build_from(cls, pages: Iterable[tuple[Sequence[str], Sequence[str]]]) -> "LexicalIndex":
        """The index of chunks given as pages of (ids, texts), e.g. the store's, read a page at a time.

        Each text becomes term numbers at once, and only those are kept: a list of every chunk's terms as
        strings (what bm25s would build from texts) costs several times the text itself.
        """
        import bm25s

        vocab: dict[str, int] = {}
        corpus: list[list[int]] = []  # the ints are the vocabulary's own objects: 8 bytes per term
        all_ids: list[str] = []
        for ids, texts in pages:
            all_ids.extend(ids)
            corpus.extend([vocab.setdefault(term, len(vocab)) for term in lexical_terms(text) or ["\x00empty"]]
                          for text in texts)
        retriever = bm25s.BM25()
        if corpus:
            retriever.index((corpus, vocab), show_progress=False)
        return cls(retriever, all_ids)

    def save(self, index_dir: Path) -> None:
        """Write to a fresh folder, then swap it in, so a crash never leaves half an index."""
        final = self.path(index_dir)
        tmp = final.with_name("bm25.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self._retriever.save(str(tmp))
        (tmp / "ids.json").write_text(json.dumps(
            {"tokenizer": TOKENIZER, "count": len(self.ids), "checksum": ids_checksum(self.ids), "ids": self.ids}))
        old = final.with_name("bm25.old")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, index_dir: Path) -> "LexicalIndex | None":
        """The saved index; None when there is none, it is unreadable or inconsistent (its id list does not
        match its own count and checksum, or the number of documents BM25 scores), or it holds another
        tokenizer's terms. A None makes the caller rebuild it from the store."""
        path = cls.path(index_dir)
        try:
            saved = json.loads((path / "ids.json").read_text())
            if not isinstance(saved, dict) or saved.get("tokenizer") != TOKENIZER:
                return None
            ids = saved["ids"]
            if not isinstance(ids, list) or saved.get("count") != len(ids) or saved.get("checksum") != ids_checksum(ids):
                return None
            retriever = cls._read(path) if ids else None
            if retriever is not None and _num_docs(retriever) != len(ids):
                return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(retriever, ids)

    @staticmethod
    def _read(path: Path):
        try:
            return _SavedScores(path)
        except ValueError:  # a method this reader does not know: bm25s reads its own format
            import bm25s

            return bm25s.BM25.load(str(path), mmap=False)

    @classmethod
    def is_consistent(cls, index_dir: Path, chunks: int) -> bool:
        """Cheap check (no BM25 arrays read) that the saved id list is whole and names ``chunks`` chunks."""
        try:
            saved = json.loads((cls.path(index_dir) / "ids.json").read_text())
            ids = saved["ids"]
            return (saved.get("tokenizer") == TOKENIZER and isinstance(ids, list) and len(ids) == chunks
                    and saved.get("count") == chunks and saved.get("checksum") == ids_checksum(ids))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False

    @classmethod
    def load_or_rebuild(cls, index_dir: Path, store: "VectorStore", *, complete: bool = True) -> "LexicalIndex | None":
        """The saved index, or one rebuilt from the chunks in the store when it is missing, damaged, outdated
        (an index written by an older version) or, after a complete ingest, names another number of chunks
        than the store holds. After an ingest that did not finish it is kept as it is: its ids are the chunks
        of the last complete ingest. None if an ingest holds the index just now: it writes a new one."""
        found = cls.load(index_dir)
        count = store.count()
        if not count or (found is not None and (not complete or len(found.ids) == count)):
            return found
        from .errors import IndexBusyError
        from .ingest import writer_lock

        try:
            with writer_lock(index_dir):
                found = cls.load(index_dir)  # an ingest may have written it while we waited for nothing
                if found is None or len(found.ids) != store.count():
                    found = cls.build_from(store.iter_documents())
                    found.save(index_dir)
        except IndexBusyError:
            return found
        return found

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) pairs, best first; empty when no query term is in the index."""
        if not self.ids or self._retriever is None:
            return []
        vocab = self._retriever.vocab_dict
        tokens = [t for t in lexical_terms(query) if t in vocab]
        if not tokens:
            return []
        import numpy as np

        # Scores for every chunk, then the top n: bm25s's own retrieve() starts a thread pool per call,
        # which cost more than the scoring itself for one query.
        scores = self._retriever.get_scores(tokens)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.lexsort((top, -scores[top]))]  # best first; ties in index order, so runs repeat exactly
        return [(self.ids[int(i)], float(scores[i])) for i in top if scores[i] > 0]
