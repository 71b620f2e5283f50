"""Strict verification of generated text, claim by claim, with the real (default) judge."""

from __future__ import annotations

import pytest

from rag import Assistant, Settings
from rag.models import Citation
from rag.strict import StrictVerifier

pytestmark = pytest.mark.timeout(180)

PASSAGES = [
    "The Varnholm lighthouse was first lit in 1871, after two ferries ran aground in the same winter.",
    "Its lamp was converted to electricity in 1934 because paraffin deliveries were unreliable in storms.",
]


@pytest.fixture(scope="module")
def judge():
    return Assistant(Settings()).judge


def verify(judge, text: str, chunk: int = 5) -> StrictVerifier:
    sources = [Citation(number=i + 1, doc_id=f"d{i}.md", title="Varnholm", text=t, start=0, end=len(t), score=1.0)
               for i, t in enumerate(PASSAGES)]
    verifier = StrictVerifier(sources, judge)
    for k in range(0, len(text), chunk):
        verifier.feed(text[k:k + chunk])
    verifier.finish()
    return verifier


def test_a_supported_answer_is_shown_as_written(judge) -> None:
    text = "The Varnholm lighthouse was first lit in 1871 [1]. Its lamp was converted to electricity in 1934 [2]."
    verifier = verify(judge, text)
    assert verifier.text == text and not verifier.withheld


def test_the_invented_half_of_a_compound_sentence_is_withheld_and_the_supported_half_shown(judge) -> None:
    verifier = verify(judge, "The Varnholm lighthouse was first lit in 1871, and it was designed by Gustave Eiffel [1].")
    assert "1871 [1]." in verifier.text and "Eiffel" not in verifier.text
    assert [s.text for s in verifier.withheld] == ["It was designed by Gustave Eiffel."]
    assert "not supported by [1]" in verifier.withheld[0].reason


def test_each_claim_may_rest_on_its_own_citation(judge) -> None:
    verifier = verify(judge, "The Varnholm lighthouse was first lit in 1871, and its lamp was converted to "
                             "electricity in 1934 [1][2].")
    assert not verifier.withheld and verifier.kept and set(verifier.kept[0].citations) == {1, 2}


def test_uncited_and_wrongly_cited_sentences_are_not_shown(judge) -> None:
    verifier = verify(judge, "Lighthouses are lovely. The lamp was converted to electricity in 1934 [1].")
    assert verifier.text == ""
    assert {s.reason.split(":")[0] for s in verifier.withheld} == {"cites no source", "not supported by [1]"}
