"""The status line: which backend answers, what the index holds, when the last answer came."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from rag.models import IndexStatus


class StatusBar(Static):
    """Renders from its attributes; the app sets them."""

    backend: reactive[str] = reactive("")
    model: reactive[str] = reactive("")
    index: reactive[IndexStatus | None] = reactive(None)
    # Shown instead of the index counts while there are none to show ("Loading index…", "No index").
    note: reactive[str] = reactive("Loading index…")
    # True while the models load in the background after the index opened.
    loading_model: reactive[bool] = reactive(False)
    last_answer_at: reactive[datetime | None] = reactive(None)
    last_answer_seconds: reactive[float | None] = reactive(None)

    def render(self) -> Content:
        backend = self.backend + (f" ({self.model})" if self.model else "")
        if self.index is not None and not self.note:
            index = f"{self.index.documents} documents · {self.index.chunks} chunks"
        else:
            index = self.note
        if self.loading_model:
            index += " · loading the model…"
        if self.last_answer_at is None:
            last = "no answer yet"
        else:
            last = f"last answer {self.last_answer_at.astimezone():%H:%M:%S}"
            if self.last_answer_seconds is not None:
                last += f" in {self.last_answer_seconds:.1f} s"
        return Content.assemble(("backend ", "dim"), backend, ("  │  ", "dim"), index, ("  │  ", "dim"), last)
