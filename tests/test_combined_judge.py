"""The combined judge (the default) on made-up passages: paraphrases pass, the usual mistakes do not."""

from __future__ import annotations

import pytest

from rag.judging.combined import CombinedJudge

pytestmark = pytest.mark.timeout(180)

PASSAGE = (
    "The Varnholm lighthouse was first lit in 1871, after two ferries ran aground in the same winter. "
    "Its lamp was converted to electricity in 1934 because paraffin deliveries were unreliable in storms. "
    "The tool quern deletes its input files after writing a summary unless the --keep option is given."
)


@pytest.fixture(scope="module")
def judge():
    from rag import Assistant, Settings

    found = Assistant(Settings()).judge
    assert isinstance(found, CombinedJudge)  # the default everywhere
    return found


_HARD = pytest.mark.xfail(reason="known miss: the combined judge rejects some supported paraphrases "
                                  "(balanced accuracy 0.67-0.76 on blind sets)", strict=False)


@pytest.mark.parametrize("claim", [
    "The lighthouse at Varnholm was first lit in 1871.",
    "Unreliable paraffin supplies during storms led to the lamp being electrified in 1934.",
    pytest.param("The Varnholm lighthouse began operating in 1871.", marks=_HARD),
    pytest.param("Passing --keep stops quern from removing its input files.", marks=_HARD),
])
def test_supported_paraphrases(judge, claim):
    assert judge.judge(claim, [PASSAGE]).supported


@pytest.mark.parametrize("claim", [
    "The Varnholm lighthouse was first lit in 1881.",  # number
    "The lamp was converted to electricity because of a lack of funding.",  # cause
    "The quern tool never deletes its input files.",  # negation
    "Three ferries ran aground before the lighthouse was built.",  # number word
])
def test_unsupported_claims(judge, claim):
    assert not judge.judge(claim, [PASSAGE]).supported


def test_verdicts_are_cached_and_explained(judge):
    first = judge.judge("The Varnholm lighthouse was first lit in 1881.", [PASSAGE])
    again = judge.judge("The Varnholm lighthouse was first lit in 1881.", [PASSAGE])
    assert first is again
    assert "p=" in first.reason


def test_no_passage_and_empty_claim_are_unsupported(judge):
    assert not judge.judge("Something happened.", []).supported
    assert not judge.judge("   ", [PASSAGE]).supported
