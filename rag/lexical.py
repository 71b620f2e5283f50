"""The BM25 half of hybrid retrieval, persisted beside the vector index and rebuilt by each ingest."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Sequence

from .text import terms


class LexicalIndex:
    def __init__(self, retriever, ids: list[str]) -> None:
        self._retriever = retriever
        self.ids = ids

    @staticmethod
    def path(index_dir: Path) -> Path:
        return index_dir / "bm25"

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> "LexicalIndex":
        import bm25s

        retriever = bm25s.BM25()
        if texts:
            retriever.index([terms(t) or ["\x00empty"] for t in texts], show_progress=False)
        return cls(retriever, list(ids))

    def save(self, index_dir: Path) -> None:
        """Write to a fresh folder, then swap it in, so a crash never leaves half an index."""
        final = self.path(index_dir)
        tmp = final.with_name("bm25.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self._retriever.save(str(tmp))
        (tmp / "ids.json").write_text(json.dumps(self.ids))
        old = final.with_name("bm25.old")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, index_dir: Path) -> "LexicalIndex | None":
        import bm25s

        path = cls.path(index_dir)
        try:
            ids = json.loads((path / "ids.json").read_text())
            retriever = bm25s.BM25.load(str(path), mmap=False) if ids else None
        except (OSError, ValueError):
            return None
        return cls(retriever, ids)

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) pairs, best first; empty when no query term is in the index."""
        if not self.ids or self._retriever is None:
            return []
        vocab = self._retriever.vocab_dict
        tokens = [t for t in terms(query) if t in vocab]
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
