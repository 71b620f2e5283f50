"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by reciprocal rank. One query, no LLM rewriting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from .models import Citation

if TYPE_CHECKING:
    import numpy as np

    from .embeddings import Embedder
    from .lexical import LexicalIndex
    from .store import VectorStore

RRF_K = 60  # the constant from Cormack et al.; damps the weight of top ranks
Mode = Literal["hybrid", "dense", "lexical"]  # the single-sided modes exist for comparison (bench, tests)


def embed_query(embedder: "Embedder", text: str) -> "np.ndarray":
    """One question's vector (the local embedder runs a batch this small on one thread)."""
    return embedder.embed([text])[0]


class HybridRetriever:
    def __init__(
        self, store: "VectorStore", lexical: "LexicalIndex | None", embedder: "Embedder",
        *, allowed: "frozenset[str] | None" = None,
    ) -> None:
        """``allowed``: when set, only these chunk ids are answered from (the last complete ingest's)."""
        self.store = store
        self.lexical = lexical
        self.embedder = embedder
        self.allowed = allowed

    def retrieve(self, question: str, top_k: int, mode: Mode = "hybrid") -> list[Citation]:
        """The ``top_k`` best passages, numbered 1..k in rank order."""
        n_candidates = max(20, 4 * top_k)
        fused: dict[str, float] = {}
        found: dict[str, tuple[str, dict]] = {}
        if mode != "lexical":
            vector = embed_query(self.embedder, question)
            hits = self.store.query(vector, n_candidates)
            if self.allowed is not None:
                hits = [hit for hit in hits if hit[0] in self.allowed]
            for rank, (cid, text, meta, _similarity) in enumerate(hits):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
                found[cid] = (text, meta)
        if mode != "dense" and self.lexical is not None:
            for rank, (cid, _score) in enumerate(self.lexical.search(question, n_candidates)):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)

        out: list[Citation] = []
        position = 0
        # BM25 ids come without text; fetch only what is needed. A chunk that BM25 knows but Chroma no longer
        # has (an ingest ran since the keyword index was loaded) is skipped and the next one takes its place.
        while len(out) < top_k and position < len(ranked):
            window = ranked[position : position + top_k - len(out)]
            position += len(window)
            found.update(self.store.get([cid for cid in window if cid not in found]))
            for cid in window:
                if cid not in found:
                    continue
                text, meta = found[cid]
                out.append(Citation(
                    number=len(out) + 1, doc_id=meta["doc_id"], title=meta.get("title", meta["doc_id"]), text=text,
                    start=int(meta["start"]), end=int(meta["end"]), score=round(fused[cid], 6), chunk_id=cid,
                ))
        return out
