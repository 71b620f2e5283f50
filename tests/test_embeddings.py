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


def test_an_ingest_batch_uses_every_thread_and_a_question_one() -> None:
    # A question runs on one thread (faster on a busy CPU); a batch of long chunks must not, or ingest
    # runs at half speed on two cores. What torch sees while encoding tells which was used.
    import torch

    model = shared_embedder()
    seen: list[int] = []
    encode = model._model.encode

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return encode(*args, **kwargs)

    model._model.encode = spy
    try:
        default = torch.get_num_threads()
        model.embed(["Who co-founded Sakana AI?"])
        chunk = "Recursive self-improvement means a system improves the way it improves. " * 12
        model.embed([f"{i} {chunk}" for i in range(16)])
    finally:
        del model._model.encode
    assert seen == [1, default]
