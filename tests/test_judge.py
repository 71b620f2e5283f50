"""The support judge: offline heuristic checks with the real local embedder, the LLM judge against the fake
OpenAI-compatible server, and the offline claim splitter."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterator

import pytest

from rag.config import Settings
from rag.judge import HeuristicJudge, LLMJudge, Verdict, make_judge, parse_claims, parse_verdict, split_claims

from fake_openai import FakeOpenAI, Reply

DATASETS = Path(__file__).resolve().parents[1] / "eval" / "datasets"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="session")
def embedder():
    from rag.embeddings import LocalEmbedder

    return LocalEmbedder()


@pytest.fixture(scope="module")
def judge(embedder) -> HeuristicJudge:
    return HeuristicJudge(embedder)


# Passages written for these tests, on a topic the bundled corpus does not touch, so that the checks are shown
# to work on text they were not tuned on.
HARBOUR = (
    "The Port of Valmora handled 4.2 million containers in 2023, up from 3.8 million a year earlier. "
    "Harbour director Elena Marsh said the new northern terminal could double capacity by 2027. "
    "The city council has not yet approved funding for the terminal. "
    "Some shipping analysts believe the expansion may attract traffic away from the rival port of Castlebay."
)
BRIDGE = (
    "The Orwell Bridge reopened on Monday after six weeks of repairs. "
    "Engineers from Halden Structures replaced 40 percent of the deck's steel cables. "
    "Transport minister Priya Nair warned that heavy lorries would still face a weight limit until spring."
)


def verdict(judge: HeuristicJudge, claim: str, *passages: str) -> Verdict:
    v = judge.judge(claim, list(passages))
    assert 0.0 <= v.score <= 1.0 and not math.isnan(v.score)
    assert v.reason
    return v


@pytest.mark.parametrize(
    "claim",
    [
        "Valmora's port moved 4.2 million containers in 2023, compared with 3.8 million the year before.",
        "Elena Marsh, the harbour director, said the northern terminal might double the port's capacity by 2027.",
        "Funding for the terminal has not been approved by the city council yet.",
        "Halden Structures engineers swapped out 40% of the steel cables in the bridge deck.",
        "The Orwell Bridge opened again on Monday following six weeks of repair work.",
    ],
)
def test_paraphrases_are_supported(judge, claim):
    v = verdict(judge, claim, HARBOUR, BRIDGE)
    assert v.supported, v


def test_a_claim_combining_two_sentences_is_supported(judge):
    v = verdict(judge, "After six weeks of repairs, in which 40 percent of the deck's steel cables were replaced, "
                       "the Orwell Bridge reopened.", BRIDGE)
    assert v.supported, v


def test_verbatim_sentence_with_citation_marker_is_supported(judge):
    v = verdict(judge, "Engineers from Halden Structures replaced 40 percent of the deck's steel cables [2].", HARBOUR, BRIDGE)
    assert v.supported and v.score > 0.8, v


@pytest.mark.parametrize(
    "claim, reason_word",
    [
        ("The Port of Valmora handled 5.2 million containers in 2023.", "5.2"),
        ("Engineers from Halden Structures replaced 60 percent of the deck's steel cables.", "60"),
        ("The Orwell Bridge reopened on Monday after nine weeks of repairs.", "nine"),
        ("The Port of Valmora handled 3.8 million containers in 2023.", "3.8"),
    ],
)
def test_swapped_numbers_are_unsupported(judge, claim, reason_word):
    v = verdict(judge, claim, HARBOUR, BRIDGE)
    assert not v.supported, v
    assert reason_word in v.reason


@pytest.mark.parametrize(
    "claim",
    [
        "Harbour director Elena Marsh said the new southern terminal could double capacity by 2027.",
        "Engineers from Kestrel Structures replaced 40 percent of the deck's steel cables.",
        "The Orwell Bridge reopened on Friday after six weeks of repairs.",
        "Transport minister Elena Marsh warned that heavy lorries would still face a weight limit until spring.",
    ],
)
def test_swapped_names_are_unsupported(judge, claim):
    v = verdict(judge, claim, HARBOUR, BRIDGE)
    assert not v.supported, v


@pytest.mark.parametrize(
    "claim",
    [
        "The city council has approved funding for the terminal.",
        "Heavy lorries will no longer face any weight limit once the bridge reopens.",
    ],
)
def test_negation_mismatch_is_unsupported(judge, claim):
    v = verdict(judge, claim, HARBOUR, BRIDGE)
    assert not v.supported, v


def test_negation_mismatch_reason_names_it(judge):
    v = verdict(judge, "The city council has already approved funding for the terminal.", HARBOUR)
    assert not v.supported
    assert "negation" in v.reason


@pytest.mark.parametrize(
    "claim",
    [
        "Shipping analysts agree that the expansion will attract traffic away from Castlebay.",
        "Elena Marsh said the new northern terminal will definitely double capacity by 2027.",
        "All shipping analysts believe the expansion will pull traffic away from Castlebay.",
    ],
)
def test_hedge_turned_into_certainty_is_unsupported(judge, claim):
    v = verdict(judge, claim, HARBOUR)
    assert not v.supported, v


def test_wrong_speaker_is_unsupported(judge):
    passage = (
        "Harbour director Elena Marsh said the new northern terminal could double capacity by 2027. "
        "Transport minister Priya Nair warned that heavy lorries would still face a weight limit until spring."
    )
    v = verdict(judge, "Priya Nair said the new northern terminal could double capacity by 2027.", passage)
    assert not v.supported, v
    assert "Marsh" in v.reason or "Priya" in v.reason


def test_added_detail_is_unsupported(judge):
    v = verdict(judge, "Engineers from Halden Structures replaced 40 percent of the deck's steel cables "
                       "using new carbon fibre reinforcements.", BRIDGE)
    assert not v.supported, v


def test_unrelated_passage_does_not_support(judge):
    v = verdict(judge, "The Orwell Bridge reopened on Monday after six weeks of repairs.", HARBOUR)
    assert not v.supported, v


def test_empty_inputs_are_unsupported_not_errors(judge):
    assert judge.judge("", [HARBOUR]).supported is False
    assert judge.judge("The bridge reopened.", []).supported is False
    assert judge.judge("The bridge reopened.", ["", "   "]).supported is False


def test_judge_many_matches_judge_and_keeps_order(embedder):
    items = [
        ("The Port of Valmora handled 5.2 million containers in 2023.", [HARBOUR]),
        ("The Orwell Bridge opened again on Monday following six weeks of repair work.", [BRIDGE]),
        ("", [BRIDGE]),
        ("The city council has approved funding for the terminal.", [HARBOUR, BRIDGE]),
    ]
    batched = HeuristicJudge(embedder).judge_many(items)
    single = [HeuristicJudge(embedder).judge(c, p) for c, p in items]
    assert [v.supported for v in batched] == [False, True, False, False]
    assert batched == single


def test_threshold_moves_the_decision(embedder):
    claim = "Elena Marsh said the northern terminal might double the port's capacity by 2027."
    strict = HeuristicJudge(embedder, threshold=1.01).judge(claim, [HARBOUR])
    lenient = HeuristicJudge(embedder, threshold=0.0).judge(claim, [HARBOUR])
    assert not strict.supported and lenient.supported
    assert strict.score == lenient.score


# -- checks for what similarity misses, on more passages written for these tests

SURVEY = (
    "The survey was led by Tomas Berg, head of the marine institute, and deputy director Ana Ruiz. "
    "Ana Ruiz previously worked at the Lisbon aquarium."
)
TOLL = "Fleet owner Carla Mendes, a former adviser to mayor Jonas Holt, criticised the toll plan."
REVENUE = "Revenue rose to $80 million in 2024, up from $50 million in 2022."
PLANS = "The council could approve the funding next month. Engineers are expected to finish the repairs by spring."


@pytest.mark.parametrize(
    "passage, claim, supported",
    [
        # What is said of one name, said of another.
        (SURVEY, "The survey was led by Ana Ruiz, head of the marine institute, and deputy director Tomas Berg.", False),
        (SURVEY, "Tomas Berg previously worked at the Lisbon aquarium.", False),
        (SURVEY, "Tomas Berg, head of the marine institute, led the survey with deputy director Ana Ruiz.", True),
        # A name in an aside is not the one who acts or speaks.
        (TOLL, "Mayor Jonas Holt criticised the toll plan.", False),
        (TOLL, "Carla Mendes, who once advised the mayor, criticised the toll plan.", True),
        # A year belongs to the amount next to it.
        (REVENUE, "Revenue rose to $80 million in 2022.", False),
        (REVENUE, "Revenue, which was $50 million in 2022, climbed to $80 million in 2024.", True),
    ],
)
def test_names_and_numbers_stay_with_what_is_said_of_them(judge, passage, claim, supported):
    assert verdict(judge, claim, passage).supported is supported


def test_quoted_words_must_be_the_passages(judge):
    passage = 'The mayor called the plan "a costly gamble".'
    assert not verdict(judge, 'The mayor called the plan "a risky gamble".', passage).supported
    assert verdict(judge, 'The mayor described the plan as "a costly gamble".', passage).supported


def test_a_function_word_opening_a_claim_is_not_a_name(judge):
    v = verdict(judge, "Amid six weeks of repairs, engineers from Halden Structures replaced 40 percent of the "
                       "deck's steel cables.", BRIDGE)
    assert v.supported, v


def test_approximate_amounts(judge):
    passage = "The port authority has borrowed nearly $2 billion since 2019."
    assert verdict(judge, "The port authority has borrowed roughly $2 billion since 2019.", passage).supported
    assert not verdict(judge, "The port authority has borrowed more than $2 billion since 2019.", passage).supported


@pytest.mark.parametrize(
    "passage, claim, supported",
    [
        # 'unless X' is 'if not X'.
        ("Officials said the bridge would stay shut unless inspectors approved the repairs.",
         "Officials said the bridge would stay shut if inspectors did not approve the repairs.", True),
        ("Officials said the bridge would stay shut unless inspectors approved the repairs.",
         "Officials said the bridge would stay shut if inspectors approved the repairs.", False),
        # 'not ... without' states a condition: 'only with'.
        ("The ferry cannot sail without a licensed pilot on board.",
         "The ferry can only sail with a licensed pilot on board.", True),
        ("The ferry cannot sail without a licensed pilot on board.",
         "The ferry can sail without a licensed pilot on board.", False),
        # A parenthesis does not end the negation's reach.
        ("The robots cannot, without a human operator, unload the containers.",
         "The robots are unable to unload the containers without a human operator.", True),
        ("The robots cannot, without a human operator, unload the containers.",
         "The robots can unload the containers without a human operator.", False),
        # The denial reaches a verb joined to the denied one.
        ("The cranes are not capable of lifting the new containers and stacking them.",
         "The cranes cannot stack the new containers.", True),
        ("The cranes are not capable of lifting the new containers and stacking them.",
         "The cranes can stack the new containers.", False),
        # 'No one has shown that X' leaves X open; a claim may not assert it.
        ("No one has shown that the new terminal can attract traffic from Castlebay.",
         "The new terminal has been shown to attract traffic from Castlebay.", False),
        ("No one has shown that the new terminal can attract traffic from Castlebay.",
         "It has not been shown that the new terminal can attract traffic from Castlebay.", True),
        # A negative prefix on an adjective.
        ("Marsh is an informal adviser to the city council.", "Marsh is a formal adviser to the city council.", False),
    ],
)
def test_negation_scope(judge, passage, claim, supported):
    assert verdict(judge, claim, passage).supported is supported


@pytest.mark.parametrize(
    "claim, supported",
    [
        ("The council has approved the funding.", False),
        ("Engineers have finished the repairs.", False),
        ("The council may approve the funding next month.", True),
        ("Engineers should finish the repairs by spring.", True),
    ],
)
def test_what_may_happen_is_not_what_has_happened(judge, claim, supported):
    v = verdict(judge, claim, PLANS)
    assert v.supported is supported, v
    if not supported:
        assert "may or would happen" in v.reason


def test_a_cause_the_passage_does_not_give(judge):
    side_by_side = "The bridge was closed for six weeks. Traffic in the town centre rose sharply."
    v = verdict(judge, "Traffic in the town centre rose sharply because the bridge was closed.", side_by_side)
    assert not v.supported and "cause" in v.reason
    stated = "Traffic in the town centre rose sharply because the bridge was closed."
    assert verdict(judge, "The closure of the bridge caused traffic in the town centre to rise sharply.", stated).supported
    turned = verdict(judge, "Rising traffic in the town centre led to the closure of the bridge.", stated)
    assert not turned.supported and "around" in turned.reason


def test_only_needs_a_passage_that_excludes_the_alternative(judge):
    days = "With the new cranes, unloading a ship takes days instead of weeks."
    assert verdict(judge, "With the new cranes, unloading a ship takes only days rather than weeks.", days).supported
    assert not verdict(judge, "Only Halden Structures replaced the deck's steel cables.", BRIDGE).supported


def balanced_accuracy(judge: HeuristicJudge, path: Path) -> float:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    verdicts = judge.judge_many([(r["claim"], [r["context"]]) for r in rows])
    pos = [v.supported for r, v in zip(rows, verdicts) if r["label"] == "supported"]
    neg = [not v.supported for r, v in zip(rows, verdicts) if r["label"] == "unsupported"]
    return 0.5 * (sum(pos) / len(pos) + sum(neg) / len(neg))


def test_heldout_balanced_accuracy(judge):
    # Measured 0.80 when written; the threshold was calibrated on claims_dev.jsonl only.
    assert balanced_accuracy(judge, DATASETS / "claims_heldout.jsonl") >= 0.75


def test_claim_datasets_are_balanced_and_well_formed():
    for name, minimum in (("claims_dev.jsonl", 50), ("claims_heldout.jsonl", 40), ("claims_seeds.jsonl", 60)):
        rows = [json.loads(line) for line in (DATASETS / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(rows) >= minimum
        assert len({r["id"] for r in rows}) == len(rows)
        labels = [r["label"] for r in rows]
        assert set(labels) == {"supported", "unsupported"}
        assert abs(labels.count("supported") - labels.count("unsupported")) <= len(rows) * 0.1
        for r in rows:
            supported_kinds = {"paraphrase", "entailed"}
            assert (r["kind"] in supported_kinds) == (r["label"] == "supported"), r["id"]


# -- split_claims


def test_split_claims_splits_sentences_and_strips_markers():
    text = "The bridge reopened on Monday [1]. Engineers replaced 40% of the cables [2][3]."
    assert split_claims(text) == ["The bridge reopened on Monday.", "Engineers replaced 40% of the cables."]


def test_split_claims_splits_joined_clauses_but_not_lists():
    text = (
        "The port handled 4.2 million containers in 2023, and the council has not approved the terminal. "
        "Analysts cite chips, ships, and ever-larger cranes; prices rose."
    )
    claims = split_claims(text)
    assert claims[:2] == ["The port handled 4.2 million containers in 2023.", "The council has not approved the terminal."]
    assert any("chips, ships, and ever-larger cranes" in c for c in claims)


def test_split_claims_on_semicolon_between_clauses():
    claims = split_claims("Elena Marsh runs the harbour; she said the terminal could double capacity [1].")
    assert claims == ["Elena Marsh runs the harbour.", "She said the terminal could double capacity."]


def test_split_claims_keeps_abbreviations_and_drops_fragments():
    claims = split_claims("Dr. Marsh met U.S. officials on Monday. Yes. ")
    assert claims == ["Dr. Marsh met U.S. officials on Monday."]
    assert split_claims("") == []


# -- the LLM judge's parsing


@pytest.mark.parametrize(
    "text, supported",
    [
        ('{"supported": true, "reason": "stated in [1]"}', True),
        ('```json\n{"supported": false, "reason": "number differs"}\n```', False),
        ('Sure! Here is my verdict: {"supported": true, "reason": "it\'s in the text"} Hope that helps.', True),
        ("{'supported': False, 'reason': 'wrong speaker'}", False),
        ('{"supported": "yes", "reason": "ok"}', True),
        ('{"Supported": "false"}', False),
        ('{"verdict": "unsupported", "explanation": "no evidence"}', False),
        ('{"supported": True, "reason": "python style",}', True),
        ("SUPPORTED", True),
        ("Not supported.", False),
    ],
)
def test_parse_verdict_accepts_what_models_write(text, supported):
    parsed = parse_verdict(text)
    assert parsed is not None and parsed["supported"] is supported
    assert 0.0 <= parsed["score"] <= 1.0


@pytest.mark.parametrize("text", ["", "I am not sure.", '{"reason": "no decision"}', "{broken", "[1, 2, 3]"])
def test_parse_verdict_rejects_replies_without_a_verdict(text):
    assert parse_verdict(text) is None


def test_parse_verdict_keeps_reason_short_and_on_one_line():
    parsed = parse_verdict('{"supported": false, "reason": "first line\\nsecond line ' + "x" * 500 + '"}')
    assert parsed is not None
    assert "\n" not in parsed["reason"] and len(parsed["reason"]) <= 200


def test_parse_claims_formats():
    assert parse_claims('["A is B.", "C is D."]') == ["A is B.", "C is D."]
    assert parse_claims('```json\n{"claims": ["A is B."]}\n```') == ["A is B."]
    assert parse_claims("Claims:\n1. A is B.\n2. C is D.") == ["A is B.", "C is D."]
    assert parse_claims("nothing useful here") is None


# -- the LLM judge against a fake endpoint


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def llm_settings(server: FakeOpenAI) -> Settings:
    return Settings(openai_base_url=server.base_url, openai_api_key="test", openai_max_retries=0, openai_timeout=5,
                    judge="llm")


def test_llm_judge_reads_a_fenced_verdict(server):
    server.script(Reply.text('```json\n{"supported": false, "reason": "the passage says 4.2 million"}\n```'))
    v = LLMJudge(llm_settings(server)).judge("The port handled 5.2 million containers.", [HARBOUR])
    assert v == Verdict(False, 0.0, "the passage says 4.2 million")
    sent = json.dumps(server.last_chat)
    assert "5.2 million" in sent and "Valmora" in sent


def test_llm_judge_retries_once_then_reports_unparsed(server):
    server.script(Reply.text("I think so?"), Reply.text("Maybe."))
    v = LLMJudge(llm_settings(server)).judge("The bridge reopened.", [BRIDGE])
    assert v == Verdict(False, 0.0, "unparsed")
    assert server.count("chat") == 2


def test_llm_judge_retry_can_succeed(server):
    server.script(Reply.text("hmm"), Reply.text('{"supported": true, "reason": "sentence 1"}'))
    v = LLMJudge(llm_settings(server)).judge("The bridge reopened.", [BRIDGE])
    assert v.supported and v.score == 1.0


def test_llm_judge_endpoint_failure_becomes_a_verdict(server):
    server.script(Reply.error(500), Reply.error(500))
    v = LLMJudge(llm_settings(server)).judge("The bridge reopened.", [BRIDGE])
    assert not v.supported and v.score == 0.0 and v.reason.startswith("error: ")
    assert "\n" not in v.reason


def test_llm_judge_many_keeps_order(server):
    server.default_chat = lambda body: Reply.text(
        '{"supported": %s}' % ("true" if "Claim: It reopened on Monday" in json.dumps(body) else "false")
    )
    verdicts = LLMJudge(llm_settings(server)).judge_many(
        [("It reopened on Monday.", [BRIDGE]), ("It reopened on Friday.", [BRIDGE])] * 3
    )
    assert [v.supported for v in verdicts] == [True, False] * 3


def test_llm_extract_claims_falls_back_to_splitting(server):
    server.script(Reply.text('["The bridge reopened on Monday.", "Repairs took six weeks."]'), Reply.error(500))
    judge = LLMJudge(llm_settings(server))
    assert judge.extract_claims("The bridge reopened on Monday after six weeks [1].") == [
        "The bridge reopened on Monday.", "Repairs took six weeks."]
    assert judge.extract_claims("The bridge reopened. Lorries face a limit [2].") == [
        "The bridge reopened.", "Lorries face a limit."]


def test_make_judge_follows_settings(embedder, server):
    assert isinstance(make_judge(Settings(judge="heuristic"), embedder), HeuristicJudge)
    assert make_judge(llm_settings(server), embedder).name == "llm"


def test_llm_judge_without_a_key_reports_the_configuration_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("RAG_OPENAI_API_KEY", raising=False)
    v = LLMJudge(Settings(openai_base_url=None, openai_api_key=None, judge="llm")).judge("The bridge reopened.", [BRIDGE])
    assert not v.supported and v.score == 0.0
    assert v.reason.startswith("error: ") and "OPENAI_API_KEY" in v.reason


def corpus_plain_texts() -> list[str]:
    """Each corpus file as the claim datasets quote it: the text inside <p> elements for HTML, else the file."""
    import html
    import re

    texts = []
    for path in sorted((DATASETS.parents[1] / "corpus").rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix.lower() in (".html", ".htm"):
            raw = " ".join(html.unescape(re.sub(r"<[^>]+>", "", p)) for p in re.findall(r"<p\b[^>]*>(.*?)</p>", raw, re.S))
        texts.append(" ".join(raw.split()))
    return texts


def test_claim_contexts_are_verbatim_corpus_text():
    texts = corpus_plain_texts()
    for name in ("claims_dev.jsonl", "claims_heldout.jsonl"):
        for line in (DATASETS / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            context = " ".join(row["context"].split())
            assert any(context in text for text in texts), f"{name} {row['id']}: context not found in corpus/"


SEEDS = Path("/work/shared/seeds")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the shared seed articles are not on this machine")
def test_seed_claim_contexts_are_verbatim_seed_text():
    texts = [" ".join(path.read_text(encoding="utf-8").split()) for path in sorted(SEEDS.glob("*.txt"))]
    for line in (DATASETS / "claims_seeds.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert any(" ".join(row["context"].split()) in text for text in texts), row["id"]


# -- words swapped for another of their kind (written for these tests, on topics the corpus does not touch)

BAKERY = (
    "The Hollins bakery hired twelve new staff last spring to keep up with demand. "
    "Parents complained that some children now travel more than an hour each way."
)
CLUBS = "The two clubs, long regarded as bitter rivals, agreed to share a training ground on weekends."


def test_short_verbs_keep_one_stem_across_forms():
    from rag.judging.text import stem

    assert stem("hired") == stem("hire") == stem("hiring") == stem("hires")
    assert stem("rose") == stem("rise") == stem("rising")


@pytest.mark.parametrize(
    "passage, claim, supported",
    [
        (BAKERY, "The Hollins bakery fired twelve staff last spring.", False),
        (BAKERY, "The Hollins bakery took on twelve new staff last spring.", True),
        (BAKERY, "Teachers complained that some children now travel more than an hour each way.", False),
        (CLUBS, "The two clubs, long regarded as close allies, agreed to share a training ground on weekends.", False),
        (CLUBS, "The two clubs agreed to share a training ground on weekdays.", False),
        (CLUBS, "The two clubs, long seen as fierce rivals, agreed to share a training ground at weekends.", True),
    ],
)
def test_a_word_swapped_for_its_opposite_or_another_of_its_kind(judge, passage, claim, supported):
    v = verdict(judge, claim, passage)
    assert v.supported is supported, v


@pytest.mark.parametrize(
    "claim, supported",
    [
        ("Four primary schools were shut last year because fewer pupils were signing up.", True),
        ("The district closed four primary schools due to a steep drop in student numbers.", True),
        ("The district closed four primary schools because of budget cuts.", False),
    ],
)
def test_a_stated_reason_in_other_words_is_still_the_reason(judge, claim, supported):
    passage = "The district closed four primary schools last year because enrolment had fallen sharply."
    v = verdict(judge, claim, passage)
    assert v.supported is supported, v


@pytest.mark.parametrize(
    "claim, supported",
    [
        ("Officials announced that elderly patients who took the drug recovered faster than those on a placebo.", False),
        ("The startup raised money from foreign investors last year.", False),
        ("Officials formally announced that patients who took the drug recovered faster.", True),
        ("Patients who took the drug got better faster than those who were given a placebo.", True),
    ],
)
def test_a_word_narrowing_a_noun_the_passage_has_is_added_detail(judge, claim, supported):
    passage = (
        "Officials announced that patients who took the drug recovered faster than those who received a placebo. "
        "The startup behind the drug raised money from investors last year."
    )
    v = verdict(judge, claim, passage)
    assert v.supported is supported, v


# Paraphrases written the way readers restate a passage: other words, the same facts. Each of these was rejected
# before the judge learnt to tell a restatement from an added detail.
FERRY = (
    "Tomas Reyes, the chief engineer of Northwind Ferries, said the new hybrid vessel would simply cede ground to "
    "diesel rivals if harbour charging stayed this slow. He said today's port grids are not prepared to handle "
    "the load. Over 80 percent of the fleet's crossings now run on schedule, a report dated Jun 6, 2026 found. "
    "Operators across the region are studying whether electric ferries might replace diesel ones in the coming "
    "decade. Charging costs fell for three years. For that reason, Northwind ordered two more vessels."
)


@pytest.mark.parametrize(
    "claim",
    [
        "Northwind's chief engineer warned that the hybrid ship would only hand an edge to diesel competitors if harbour charging stayed slow.",
        "Reyes thinks current port grids are ill-equipped for the load.",
        "More than four fifths of the fleet's crossings now keep to the timetable.",
        "A report dated 6 June 2026 found that most crossings run on time.",
        "Operators in the region are examining whether electric ferries could take over from diesel ones over the next ten years.",
        "Northwind ordered two more vessels because charging costs had fallen.",
    ],
)
def test_a_restatement_in_other_words_is_supported(judge, claim):
    v = verdict(judge, claim, FERRY)
    assert v.supported, v.reason


@pytest.mark.parametrize(
    "claim",
    [
        "Southwind's chief engineer warned that the hybrid vessel would cede ground to diesel rivals.",  # another owner
        "Over 90 percent of the fleet's crossings now run on schedule.",
        "Operators are studying whether electric ferries might replace diesel ones within the coming year.",
        "Reyes said the hybrid vessel would simply cede ground to rivals even if harbour charging got faster, as the grid operator had promised.",
    ],
)
def test_the_same_passage_still_rejects_what_it_does_not_say(judge, claim):
    v = verdict(judge, claim, FERRY)
    assert not v.supported, v.reason


LEAGUE = (
    "The result turned Harwick Rovers into the main challenger to Eastfield United. "
    "Rovers are coached by Mara Quint, the former assistant manager of Eastfield."
)


@pytest.mark.parametrize(
    "claim, supported",
    [
        ("The result made Eastfield United the main challenger to Harwick Rovers.", False),  # the other way round
        ("The result made Harwick Rovers the main challenger to Eastfield United.", True),
        ("Mara Quint is still Eastfield's assistant manager.", False),  # a past role given as current
        ("Mara Quint used to be Eastfield's assistant manager.", True),
        ("Harwick Rovers' coach once served as Eastfield's assistant manager.", True),
    ],
)
def test_who_is_what_to_whom(judge, claim, supported):
    v = verdict(judge, claim, LEAGUE)
    assert v.supported is supported, v.reason


@pytest.mark.parametrize(
    "claim, passage",
    [
        ("Queues suit schedulers because their speed hardly varies.",
         "Queues are good for schedulers, as they are fast and their speed hardly varies."),
        ("The index has to be rebuilt before the next search.",
         "The index must be rebuilt before the next search."),
        ("The council asked for tighter rules on advanced drones.",
         "The council called for rules that would tighten oversight of advanced drones."),
        ("Planners are asking how the new towns ought to be governed.",
         "Planners are studying how the new towns should be governed."),
    ],
)
def test_causes_and_necessity_in_other_words(judge, claim, passage):
    v = verdict(judge, claim, passage)
    assert v.supported, v.reason


@pytest.mark.parametrize(
    "claim, passage, supported",
    [
        ("Every member of the club must pay the fee before the season starts.",
         "All members of the club have to pay the fee before the season starts.", True),
        ("Whether a backup must be encrypted depends on the storage provider.",
         "Depending on the storage provider, encrypting a backup may or may not be needed.", True),
        ("A backup must always be encrypted before upload.",
         "Depending on the storage provider, encrypting a backup before upload may or may not be needed.", False),
    ],
)
def test_must_said_as_an_obligation_in_other_words(judge, claim, passage, supported):
    v = verdict(judge, claim, passage)
    assert v.supported is supported, v.reason


@pytest.mark.parametrize(
    "claim, supported",
    [
        ("There has been no long-standing agreement among engineers about how safe the bridge design is.", True),
        ("Engineers have long agreed on how safe the bridge design is.", False),
    ],
)
def test_a_hyphenated_compound_after_no_and_a_negating_prefix(judge, claim, supported):
    v = verdict(judge, claim, "Engineers have long disagreed over how safe the new bridge design really is.")
    assert v.supported is supported, v.reason


def test_an_imperative_opening_a_sentence_is_not_a_name(judge):
    passage = (
        "In case of faults in these tools, please contact Priya Raman at the help desk. "
        "See the setup guide for the details a fault report should include."
    )
    v = verdict(judge, "Faults in these tools should be reported to Priya Raman, and the setup guide lists what a report should include.", passage)
    assert v.supported, v.reason


@pytest.mark.parametrize(
    "claim, passage, supported",
    [
        ("The first slot of the queue is guaranteed to hold its oldest job.",
         "Queues are arrays kept in arrival order. Their useful property is that q[0] always holds the oldest job.",
         True),
        ("At least two of Brightwell Labs' founders had previously worked at Orbis.",
         "Brightwell Labs was founded by former Orbis engineers, including Tomas Reyes, who wrote its first compiler, "
         "and Ana Duarte, who previously led a team at Orbis Cloud.", True),
        ("At least three of Brightwell Labs' founders had previously worked at Orbis.",
         "Brightwell Labs was founded by former Orbis engineers, including Tomas Reyes, who wrote its first compiler, "
         "and Ana Duarte, who previously led a team at Orbis Cloud.", False),
    ],
)
def test_first_and_at_least_said_otherwise(judge, claim, passage, supported):
    v = verdict(judge, claim, passage)
    assert v.supported is supported, v.reason


@pytest.mark.parametrize(
    "claim, supported",
    [
        ("According to the guide, paper maps are easier to read than satellite images.", False),  # sides swapped
        ("According to the guide, satellite images are much easier to read than paper maps.", True),
    ],
)
def test_a_comparison_the_other_way_round(judge, claim, supported):
    v = verdict(judge, claim, 'Hikers often carry both. "Satellite images are far easier to read than paper maps," the guide noted.')
    assert v.supported is supported, v.reason


@pytest.mark.parametrize(
    "claim, passage",
    [
        # 'un-' on a verb undoes an action; it denies nothing
        ("Reading the data back requires unpacking the archive with the same version.",
         "The archive must be unpacked with the same version that packed it before the data can be read."),
        # a denial and an 'un-' word together state a condition
        ("The matcher cannot compare sequences whose items are unhashable.",
         "The matcher compares pairs of sequences of any type, so long as their items are hashable."),
        # an opening 'without' phrase is a condition
        ("Called without a count, the timer runs the statement a million times.",
         "The count is the number of times the timer runs the statement, defaulting to one million."),
        # 'Unlike X, Y does it' says nothing of X doing it
        ("The size this queue reports can be trusted, which is not so for the standard queue.",
         "Unlike the standard queue, this queue reports its size reliably."),
    ],
)
def test_negations_that_restate(judge, claim, passage):
    v = verdict(judge, claim, passage)
    assert v.supported, v.reason


def test_a_plain_denial_is_still_caught(judge):
    v = verdict(judge, "The matcher cannot compare sequences of strings.",
                "The matcher compares pairs of sequences of any type, so long as their items are hashable.")
    assert not v.supported
