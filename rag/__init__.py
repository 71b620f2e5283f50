"""Offline-first question answering over your own documents, with verified citations.

    from rag import Assistant, Settings
    assistant = Assistant(Settings(corpus_dir="corpus"))
    assistant.ingest()
    print(assistant.ask("Who co-founded Sakana AI?").text)
"""

from .assistant import Assistant
from .config import Settings
from .errors import RagError
from .models import Answer, AnswerSentence, Citation, IndexStatus, IngestReport, TextDelta

__all__ = ["Assistant", "Settings", "RagError", "Answer", "AnswerSentence", "Citation", "IndexStatus",
           "IngestReport", "TextDelta"]
