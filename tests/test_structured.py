"""Constrained (JSON-schema) answers read as they stream: rag.backends.structured."""

from __future__ import annotations

import json

import pytest

from rag.backends.base import ABSTAIN_TEXT
from rag.backends.structured import MAX_SENTENCES, SentenceStream, answer_schema, render

REPLY = json.dumps({"sentences": [
    {"text": "Sakana AI raised 20 billion yen.", "sources": [2]},
    {"text": "It is based in Tokyo [1]", "sources": [1, 1]},
], "not_in_documents": False})


def feed_in_pieces(reply: str, size: int) -> tuple[list[list[str]], list[str]]:
    stream = SentenceStream()
    steps = [stream.feed(reply[i:i + size]) for i in range(0, len(reply), size)]
    return steps, stream.finish()


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
def test_each_sentence_comes_out_once_complete_whatever_the_chunking(size):
    steps, tail = feed_in_pieces(REPLY, size)
    out = [piece for step in steps for piece in step] + tail
    assert "".join(out).strip() == "Sakana AI raised 20 billion yen [2]. It is based in Tokyo [1]."
    # The first sentence is out before the reply has finished arriving.
    first = next(i for i, step in enumerate(steps) if step)
    assert first * size < REPLY.index("It is based")


def test_a_declined_answer_is_the_plain_abstention():
    _, tail = feed_in_pieces('{"sentences": [], "not_in_documents": true}', 5)
    assert tail == [ABSTAIN_TEXT]


def test_a_reply_that_is_not_json_passes_through_as_text():
    text = "Sakana AI is in Tokyo [1]. It raised money [2]."
    steps, tail = feed_in_pieces(text, 4)
    assert "".join(p for step in steps for p in step) + "".join(tail) == text


def test_a_fenced_reply_is_read_and_a_cut_off_one_keeps_its_complete_sentences():
    steps, tail = feed_in_pieces("```json\n" + REPLY + "\n```", 6)
    assert "".join(p for s in steps for p in s).count("[") == 2
    cut = REPLY[: REPLY.index("It is based") + 5]  # max_tokens reached inside the second sentence
    steps, tail = feed_in_pieces(cut, 6)
    assert "".join(p for s in steps for p in s).strip() == "Sakana AI raised 20 billion yen [2]."
    assert tail == []


def test_sentences_without_text_or_with_odd_sources_are_not_invented():
    reply = json.dumps({"sentences": [{"text": "  ", "sources": [1]}, {"text": "Plain.", "sources": ["1", True]},
                                      {"sources": [1]}], "not_in_documents": False})
    _, tail = feed_in_pieces(reply, 1000)
    assert tail == []  # nothing complete came out: the one real sentence cites nothing and was given out bare
    steps, _ = feed_in_pieces(reply, 1000)
    assert [p for s in steps for p in s] == ["Plain. "]


def test_a_run_on_answer_is_capped():
    many = json.dumps({"sentences": [{"text": f"Fact {i}.", "sources": [1]} for i in range(20)],
                       "not_in_documents": False})
    steps, _ = feed_in_pieces(many, 50)
    assert len([p for s in steps for p in s]) == MAX_SENTENCES


def test_render_and_schema():
    assert render("Paris is big [3].", [1, 2, 1]) == "Paris is big [1][2]."
    assert render("No stop", [4]) == "No stop [4]."
    schema = answer_schema([3, 1, 3])
    assert schema["properties"]["sentences"]["items"]["properties"]["sources"]["items"]["enum"] == [1, 3]
    assert schema["required"] == ["sentences", "not_in_documents"]
