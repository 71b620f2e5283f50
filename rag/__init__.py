"""Offline-first question answering over your own documents, with verified citations.

    from rag import Assistant, Settings
    assistant = Assistant(Settings(corpus_dir="corpus"))
    assistant.ingest()
    print(assistant.ask("Who co-founded Sakana AI?").text)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .assistant import Assistant
    from .config import Settings
    from .errors import RagError
    from .models import Answer, AnswerSentence, Citation, IndexStatus, IngestReport, TextDelta

# Names resolve on first use, so that `import rag.cli` (and `rag --help`) does not pay for pydantic.
_HOMES = {
    "Assistant": "assistant", "Settings": "config", "RagError": "errors", "Answer": "models",
    "AnswerSentence": "models", "Citation": "models", "IndexStatus": "models", "IngestReport": "models",
    "TextDelta": "models",
}
__all__ = list(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
