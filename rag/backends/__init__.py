"""Answerers: turn a question and numbered sources into answer text with [n] markers.

A backend is one module with a class that satisfies :class:`rag.backends.base.Answerer`, plus one
entry in ``BACKENDS`` below saying how to build it. Nothing else in rag, the CLI, the chat or the
evaluation names backends: they all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from ..config import Settings
    from ..reader import Reader
    from .base import Answerer


class Parts(Protocol):
    """What a backend may ask the assistant for; each part loads on first use and is shared."""

    @property
    def reader(self) -> "Reader": ...


@dataclass(frozen=True)
class Backend:
    name: str
    description: str
    build: Callable[["Settings", Parts], "Answerer"]  # imports lazily: heavy parts load on use


def _extractive(settings: "Settings", parts: Parts) -> "Answerer":
    from .extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(parts.reader)


def _openai(settings: "Settings", parts: Parts) -> "Answerer":
    from .openai_backend import OpenAIAnswerer

    return OpenAIAnswerer(settings, parts.reader)


def _local(settings: "Settings", parts: Parts) -> "Answerer":
    from pydantic import SecretStr

    from ..local_llm import in_process_url
    from .openai_backend import OpenAIAnswerer

    url = in_process_url(settings.local_model, settings.local_threads)
    answerer = OpenAIAnswerer(settings.model_copy(update={
        "openai_base_url": url, "openai_model": settings.local_model, "openai_api_key": SecretStr("local")}), parts.reader)
    answerer.name = "local"
    return answerer


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("extractive", "Offline: quotes the sentences of the sources that the learned reader ranks as answering", _extractive),
        Backend("openai", "An OpenAI-compatible model (OpenAI, vLLM, Ollama, llama.cpp server) writes the answer",
                _openai),
        Backend("local", "A small GGUF model shipped on PyPI (`rag llm list`) writes the answer, run by llama.cpp "
                "inside this process", _local),
    )
}


def backend_names() -> tuple[str, ...]:
    return tuple(BACKENDS)
