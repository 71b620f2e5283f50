"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by reciprocal rank. One query, no LLM rewriting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Citation

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .lexical import LexicalIndex
    from .store import VectorStore

RRF_K = 60  # the constant from Cormack et al.; damps the weight of top ranks


class HybridRetriever:
    def __init__(self, store: "VectorStore", lexical: "LexicalIndex | None", embedder: "Embedder") -> None:
        self.store = store
        self.lexical = lexical
        self.embedder = embedder

    def retrieve(self, question: str, top_k: int) -> list[Citation]:
        n_candidates = max(20, 4 * top_k)
        vector = self.embedder.embed([question])[0]
        dense = self.store.query(vector, n_candidates)
        fused: dict[str, float] = {}
        found: dict[str, tuple[str, dict]] = {}
        for rank, (cid, text, meta, _similarity) in enumerate(dense):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
            found[cid] = (text, meta)
        if self.lexical is not None:
            for rank, (cid, _score) in enumerate(self.lexical.search(question, n_candidates)):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:top_k]
        missing = [cid for cid in best if cid not in found]
        found.update(self.store.get(missing))
        out = []
        for cid in best:
            if cid not in found:  # BM25 knew a chunk that Chroma no longer has (index mid-update)
                continue
            text, meta = found[cid]
            out.append(Citation(
                number=len(out) + 1, doc_id=meta["doc_id"], title=meta.get("title", meta["doc_id"]), text=text,
                start=int(meta["start"]), end=int(meta["end"]), score=round(fused[cid], 6), chunk_id=cid,
            ))
        return out
