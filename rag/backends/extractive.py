"""The offline answerer: quotes the retrieved sentences that the learned reader ranks as answering, each
with its [n], or says the documents do not answer.

It writes nothing of its own: every sentence is a verbatim quote (whitespace folded) of a passage it cites.
Which sentences, and whether any, is the reader's decision (``rag.reader``): a cross-encoder fine-tuned for
the job plus named features, combined by a fitted model, and an abstention threshold calibrated on held-out
questions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator, Sequence

from ..guard import strip_instructions
from ..models import Citation
from ..reader.assemble import choose, render
from ..reader.question import analyse

if TYPE_CHECKING:
    from ..reader import Reader

# "What X, and why Y?", "Who founded it? When?": answered part by part, so up to three sentences.
_PARTS = re.compile(r"\?.*\?|,\s*and\s+(?:what|why|how|who|when|where|which)\b", re.I)


class ExtractiveAnswerer:
    name = "extractive"
    model = "reader"

    def __init__(self, reader: "Reader") -> None:
        self.reader = reader

    def stream(self, question: str, sources: Sequence[Citation]) -> Iterator[str]:
        yield self.answer(question, sources)

    def answer(self, question: str, sources: Sequence[Citation]) -> str:
        text = strip_instructions(question) or question
        q = analyse(text)
        ranked = self.reader.rank(q, sources)
        answerable = self.reader.answerable(q, ranked)
        return render(choose(q, ranked, self.reader.threshold, multi_part=bool(_PARTS.search(text)),
                             answerable=answerable))
