"""The text toolkit: every part of rag that cuts text into sentences or words does it here.

``sentences`` owns the one sentence splitter (spans into the original text); ``stemming`` the stemmer; ``words``
word splitting, stop words, the light stemmer of the keyword index, and the number and date readers. Retrieval (BM25), the reader, citations,
the guard against instructions and the judge use these; the judge adds its own token view on top
(``rag.judging.text``) but takes its sentences and stems from here.
"""

from __future__ import annotations

from .sentences import sentence_spans, sentences
from .stemming import stem
from .words import QUESTION_WORDS, STOPWORDS, date_tokens, is_year, light_stem, number_tokens, terms, words

__all__ = [
    "QUESTION_WORDS", "STOPWORDS", "date_tokens", "is_year", "light_stem", "number_tokens", "sentence_spans",
    "sentences", "stem", "terms", "words",
]
