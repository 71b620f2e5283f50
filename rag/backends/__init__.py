"""Answerers: turn a question and numbered sources into answer text with [n] markers.

A backend is one module with a class that satisfies :class:`rag.backends.base.Answerer`, plus one
entry in ``BACKENDS`` below saying how to build it. Nothing else in rag, the CLI, the chat or the
evaluation names backends: they all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..config import Settings
    from ..embeddings import Embedder
    from .base import Answerer


@dataclass(frozen=True)
class Backend:
    name: str
    description: str
    build: Callable[["Settings", Callable[[], "Embedder"]], "Answerer"]  # imports lazily: heavy parts load on use


def _extractive(settings: "Settings", load_embedder: Callable[[], "Embedder"]) -> "Answerer":
    from .extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(load_embedder())


def _openai(settings: "Settings", load_embedder: Callable[[], "Embedder"]) -> "Answerer":
    from .openai_backend import OpenAIAnswerer

    return OpenAIAnswerer(settings)


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("extractive", "Offline: answers by quoting the best-supported sentences of the sources", _extractive),
        Backend("openai", "An OpenAI-compatible model (OpenAI, vLLM, Ollama, llama.cpp server) writes the answer",
                _openai),
    )
}


def backend_names() -> tuple[str, ...]:
    return tuple(BACKENDS)
