"""The text toolkit: one sentence splitter for every part of rag, spans that point into the text given."""

from __future__ import annotations

import pytest

from rag.judging import split_sentences
from rag.nlp import sentence_spans, sentences, stem


def test_spans_point_into_the_original_text():
    text = "First line of prose that is wrapped\nonto the next line. Second sentence!\n\nA new paragraph."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "First line of prose that is wrapped\nonto the next line.", "Second sentence!", "A new paragraph.",
    ]


@pytest.mark.parametrize("text, expected", [
    ("Dr. Smith met Mr. J. Doe in the U.S. on Monday. They talked.", 2),
    ("Use e.g. the -v option. It helps.", 2),
    ("Key Functions\nBoth list.sort() and sorted() take a key parameter.", 2),  # a heading stands alone
    ("Options:\n- fast mode\n- slow mode", 3),  # list items are sentences of their own
    ("The value is 3.5 percent. Next one.", 2),
])
def test_sentence_ends(text, expected):
    assert len(sentences(text)) == expected


def test_a_man_page_option_and_its_wrapped_description_are_one_sentence():
    text = "     -a, --all\n            do not ignore entries starting with . and list\n            hidden files too."
    assert sentences(text) == ["-a, --all do not ignore entries starting with . and list hidden files too."]


def test_the_judge_splits_like_everyone_else():
    text = "The tool was written in 1994\nby a small team. It is still maintained."
    assert split_sentences(text) == sentences(text)


def test_word_families_share_a_stem():
    assert stem("improvement") == stem("improves") == stem("improved")
    assert stem("wrote") == stem("written") == stem("write")
