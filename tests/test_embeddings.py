"""The answer path's embedding cache gives the model's own vectors and asks the model only for new texts."""

from __future__ import annotations

import numpy as np

from corpus_index import shared_embedder
from rag.embeddings import SMALL_BATCH, CachedEmbedder


class Counting:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.model_id, self.max_tokens, self.asked = inner, inner.model_id, inner.max_tokens, []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts):
        self.asked.extend(texts)
        return self.inner.embed(texts)


def test_cached_vectors_are_the_models_and_only_new_texts_are_embedded() -> None:
    model = shared_embedder()
    counting = Counting(model)
    cache = CachedEmbedder(counting, max_items=3)
    texts = ["Sakana means fish.", "Claude writes most merged code.", "Tokyo is in Japan."]
    first = cache.embed(texts)
    again = cache.embed([texts[2], texts[0], texts[2]])
    np.testing.assert_allclose(first, model.embed(texts), atol=1e-5)
    np.testing.assert_allclose(again, first[[2, 0, 2]], atol=1e-6)
    assert counting.asked == texts  # the second call was answered from the cache
    cache.embed(["A fourth sentence pushes out the oldest one."])
    cache.embed([texts[1]])  # least recently used: evicted, so embedded again
    assert counting.asked[-1] == texts[1] and cache.embed([]).shape == (0, model.dimension)


def test_small_and_large_batches_give_the_same_vectors() -> None:
    model = shared_embedder()
    texts = [f"Sentence number {i} about self-improving systems." for i in range(SMALL_BATCH + 6)]
    np.testing.assert_allclose(model.embed(texts)[:5], model.embed(texts[:5]), atol=1e-5)


def test_a_question_runs_on_the_calling_thread_and_an_ingest_batch_on_every_core() -> None:
    # A question is one onnxruntime run on one thread (intra-op threads cost more than they give on a few
    # texts); a batch of long chunks is cut into like-length groups run in parallel, or ingest runs on one core.
    import threading

    from rag.learned.runtime import cpu_threads

    model = shared_embedder()
    seen: list[tuple[str, int]] = []
    run = model._run

    def spy(texts):
        seen.append((threading.current_thread().name, len(texts)))
        return run(texts)

    model._run = spy
    try:
        model.embed(["Who co-founded Sakana AI?"])
        chunk = "Recursive self-improvement means a system improves the way it improves. " * 12
        batch = [f"{i} {chunk}" for i in range(40)]
        vectors = model.embed(batch)
    finally:
        del model._run
    assert seen[0] == (threading.current_thread().name, 1)
    groups = seen[1:]
    assert sum(n for _, n in groups) == 40 and len(groups) >= 2
    if cpu_threads() > 1:
        assert all(name.startswith("rag-onnx") for name, _ in groups)
    np.testing.assert_allclose(vectors[[0, 17, 39]], model.embed([batch[0], batch[17], batch[39]]), atol=1e-5)
