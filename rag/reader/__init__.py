"""The evidence reader: which sentences of the retrieved passages answer the question, or none.

One job per module: ``question`` (what kind of answer is asked for, and about what), ``candidates`` (the
sentences of the passages, with their neighbours and the passage title), ``features`` (typed, named
features of each candidate), ``ranker`` (the learned model: features -> probability, and the calibrated
abstention threshold) and ``assemble`` (the answer text with its [n] markers). ``ReaderAnswerer`` is the
offline answering backend; ``Reader.rank`` also chooses the evidence a generative model is shown.
"""

from __future__ import annotations

from .ranker import RankedSentence, Reader
from .question import Question, analyse

__all__ = ["Question", "RankedSentence", "Reader", "analyse"]
