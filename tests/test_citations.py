"""Citation handling: [n] markers parsed in every form models write, markers with no source removed and
reported, each citation pinned to its sentence, and every answer sentence verified against what it cites."""

from __future__ import annotations

import pytest

from rag.citations import build_answer, clean_markers, split_answer
from rag.config import Settings
from rag.judge import make_judge
from rag.models import Answer, Citation

from corpus_index import shared_embedder

pytestmark = pytest.mark.timeout(120)

PAUSE = ("Part of the argument comes from inside Anthropic's own engineering process. Claude now writes more than "
         "80 percent of the code that gets merged into Anthropic's codebase. The company also reported that its "
         "models are getting better at research and engineering work.")
SAKANA = "Sakana was founded in 2023. Since then, Sakana's work has centred on AI systems that are evolutionary and adaptive."
FISH = 'What the name means\nThe word "Sakana" is Japanese for "fish".\nThe name is a reference to swarm behaviour.'


def source(number: int, doc_id: str, text: str, start: int) -> Citation:
    return Citation(number=number, doc_id=doc_id, title=doc_id.split(".")[0], text=text, start=start,
                    end=start + len(text), score=round(0.05 / number, 6), chunk_id=f"{doc_id}#{number}")


SOURCES = [source(1, "pause.md", PAUSE, 1200), source(2, "lab.md", SAKANA, 340), source(3, "profile.html", FISH, 0)]


@pytest.fixture(scope="module")
def judge():
    return make_judge(Settings(), shared_embedder())


def answer(text: str, judge=None, sources=SOURCES) -> Answer:
    return build_answer("q", text, sources, judge, backend="test", model="m", seconds=0.0)


# -- parsing ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Claude writes code [1][2].", (1, 2)),
    ("Claude writes code [1, 2].", (1, 2)),
    ("Claude writes code [1,2].", (1, 2)),
    ("Claude writes code [1; 3].", (1, 3)),
    ("Claude writes code [1] [3].", (1, 3)),
    ("Claude writes code [1-3].", (1, 2, 3)),
    ("Claude writes code [1–2].", (1, 2)),
    ("Claude writes code [Source 2].", (2,)),
    ("Claude writes code. [2][1]", (2, 1)),  # after the full stop: still this sentence's
])
def test_marker_forms_are_parsed(text, expected):
    cleaned, removed = clean_markers(text, 3)
    assert removed == []
    [(sentence, numbers)] = split_answer(cleaned)
    assert sentence == "Claude writes code."
    assert numbers == expected


def test_markers_are_assigned_to_their_own_sentences():
    parts = split_answer("Claude writes most code. [1] Sakana dates from 2023 [2]. The name means fish [3][2].")
    assert parts == [("Claude writes most code.", (1,)), ("Sakana dates from 2023.", (2,)),
                     ("The name means fish.", (3, 2))]


def test_markers_with_no_source_are_removed_and_reported():
    cleaned, removed = clean_markers("Claude writes code [1, 7]. Sakana is old [0]. Fish [9][3].", 3)
    assert cleaned == "Claude writes code [1]. Sakana is old. Fish [3]."
    assert removed == [0, 7, 9]


# -- through the Answer -------------------------------------------------------------------------------------------

def test_answer_drops_and_reports_a_citation_with_no_source():
    a = answer("Claude now writes more than 80 percent of the code that gets merged into Anthropic's codebase [1][4].")
    assert a.removed_citations == [4]
    assert [c.number for c in a.citations] == [1]
    assert "[4]" not in a.text and "[1]" in a.text
    assert not a.unverified  # a word-for-word quote of [1] needs no judge


def test_sentence_citing_only_missing_sources_is_unverified():
    a = answer("Sakana was founded in 2023 [5].")
    assert a.removed_citations == [5] and a.citations == [] and not a.abstained
    assert [s.text for s in a.unverified] == ["Sakana was founded in 2023."]


def test_citations_are_only_the_cited_ones_in_number_order():
    a = answer("Sakana was founded in 2023 [2]. "
               "Claude now writes more than 80 percent of the code that gets merged into Anthropic's codebase [1].")
    assert [c.number for c in a.citations] == [1, 2]
    assert a.sources == SOURCES
    assert a.citations[0].text == PAUSE and a.citations[1].text == SAKANA


def test_each_citation_points_at_the_sentence_it_supports():
    a = answer('Sakana is Japanese for "fish" [3]. '
               "Claude now writes more than 80 percent of the code that gets merged into Anthropic's codebase [1].")
    by_number = {c.number: c for c in a.citations}
    pause, fish = by_number[1], by_number[3]
    assert pause.sentence == ("Claude now writes more than 80 percent of the code that gets merged into "
                              "Anthropic's codebase.")
    offset = PAUSE.index(pause.sentence)
    assert (pause.sentence_start, pause.sentence_end) == (1200 + offset, 1200 + offset + len(pause.sentence))
    assert fish.sentence == 'The word "Sakana" is Japanese for "fish".'
    assert FISH[fish.sentence_start - fish.start : fish.sentence_end - fish.start] == fish.sentence


def test_a_passage_cited_twice_points_at_both_sentences():
    a = answer("Sakana was founded in 2023 [2]. Since then, Sakana's work has centred on AI systems that are "
               "evolutionary and adaptive [2]. Sakana was founded in 2023 [2].")
    (cited,) = a.citations
    quoted = [SAKANA[x - cited.start : y - cited.start] for x, y in cited.supporting]
    assert quoted == ["Sakana was founded in 2023.",
                      "Since then, Sakana's work has centred on AI systems that are evolutionary and adaptive."]
    assert cited.supporting[0] == (cited.sentence_start, cited.sentence_end)


def test_unsupported_sentence_is_flagged_unverified(judge):
    a = answer("Claude writes 20 percent of the code merged into Anthropic's codebase [1]. "
               "Sakana was founded in 2019 [2].", judge)
    assert [s.supported for s in a.sentences] == [False, False]
    assert len(a.unverified) == 2
    assert [c.number for c in a.citations] == [1, 2]  # still shown, so the reader can check


def test_miscited_sentence_is_flagged_though_another_source_says_it(judge):
    a = answer("Sakana was founded in 2023 [1].", judge)
    assert [s.text for s in a.unverified] == ["Sakana was founded in 2023."]


def test_supported_paraphrase_is_verified(judge):
    a = answer("Claude writes more than 80 percent of the code merged into Anthropic's codebase [1]. "
               "Sakana was founded in 2023 [2].", judge)
    assert [s.supported for s in a.sentences] == [True, True]
    assert a.unverified == []


def test_uncited_sentence_is_unverified():
    a = answer("Sakana was founded in 2023 [2]. It is a remarkable company.")
    assert [s.text for s in a.unverified] == ["It is a remarkable company."]


def test_abstention_keeps_sources_and_cites_nothing():
    a = answer("The documents do not answer this question.")
    assert a.abstained and a.citations == [] and a.sentences == [] and a.sources == SOURCES


def test_answer_round_trips_through_json():
    a = answer("Sakana was founded in 2023 [2][7].")
    assert Answer.model_validate_json(a.model_dump_json()) == a
