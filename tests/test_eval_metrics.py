"""eval.metrics on hand-made inputs with known answers, and eval.data's validation messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import metrics as m
from eval.data import DatasetError, load_claims, load_questions

DATASETS = Path(__file__).resolve().parents[1] / "eval" / "datasets"


# ---------------------------------------------------------------------------------------- retrieval


def test_evidence_rank_normalises_whitespace_and_case():
    passages = ["Nothing here.", "Sakana AI is a Japanese\n  AI startup BASED in Tokyo. More text.", "Tokyo again"]
    assert m.evidence_rank(passages, ["sakana ai is a japanese ai startup based in tokyo."]) == 2


def test_evidence_rank_takes_the_first_passage_with_any_evidence():
    passages = ["alpha beta", "gamma delta", "alpha beta gamma"]
    assert m.evidence_rank(passages, ["gamma", "alpha"]) == 1
    assert m.evidence_rank(passages, ["delta"]) == 2
    assert m.evidence_rank(passages, ["epsilon"]) is None
    assert m.evidence_rank(passages, []) is None


def test_hit_and_reciprocal_rank():
    assert m.hit_at_k(3) == 1.0
    assert m.hit_at_k(3, k=2) == 0.0
    assert m.hit_at_k(None) == 0.0
    assert m.reciprocal_rank(4) == 0.25
    assert m.reciprocal_rank(None) == 0.0


# ------------------------------------------------------------------------------------------ answers


def test_must_include_coverage_counts_items_and_alternatives():
    text = "Claude writes more than 80% [1] of the code; Favaro and Clark wrote it [2]."
    assert m.must_include_coverage(text, ["favaro", "CLARK"]) == 1.0
    assert m.must_include_coverage(text, [["80 percent", "80%"], "Tokyo"]) == 0.5
    assert m.must_include_coverage(text, ["Osaka"]) == 0.0
    assert m.must_include_coverage(text, []) is None


def test_must_include_ignores_citation_markers_and_line_breaks():
    assert m.item_satisfied("based in Tokyo [1], Japan", "Tokyo, Japan")
    assert m.item_satisfied("research\ninstitute", "research institute")


def test_token_f1_squad_style():
    assert m.token_f1("The Tokyo [1].", "tokyo") == 1.0
    assert m.token_f1("Paris", "Tokyo") == 0.0
    # "sakana ai tokyo" vs "sakana ai is based in tokyo japan" (only articles are dropped): P = 3/3, R = 3/7
    assert m.token_f1("Sakana AI, Tokyo!", "Sakana AI is based in Tokyo, Japan") == pytest.approx(0.6)
    assert m.token_f1("", "") == 1.0
    assert m.token_f1("", "something") == 0.0


def test_token_f1_counts_repeated_tokens_once_per_match():
    # "fish fish" vs "fish": overlap 1, P = 1/2, R = 1 -> F1 = 2/3
    assert m.token_f1("fish fish", "fish") == pytest.approx(2 / 3)


# ------------------------------------------------------------------------------------- faithfulness


def _oracle(facts: dict[str, set[str]]):
    """supports(claim, passages): true when the passages together hold every fact the claim needs."""

    def supports(claim, passages):
        needed = facts[claim]
        held = set()
        for passage in passages:
            held |= {token for token in passage.split()}
        return needed <= held

    return supports


def test_faithfulness_is_the_share_of_supported_claims():
    supports = _oracle({"a": {"x"}, "b": {"y"}, "c": {"z"}})
    assert m.faithfulness(["a", "b", "c"], ["x y"], supports) == pytest.approx(2 / 3)
    assert m.faithfulness([], ["x"], supports) is None
    assert m.faithfulness(["a"], [], supports) == 0.0


# ----------------------------------------------------------------------------------- ALCE citations


def test_alce_no_sentences_is_undefined():
    scores = m.alce_citation_scores([], _oracle({}))
    assert scores.recall is None and scores.precision is None


def test_alce_sentence_without_citation_scores_zero_recall_and_no_citations():
    supports = _oracle({"s": {"x"}})
    scores = m.alce_citation_scores([m.CitedSentence("s", ())], supports)
    assert scores.recall == 0.0
    assert scores.citations == 0
    assert scores.precision == 0.0  # ALCE: an answer without any citation has precision 0


def test_alce_single_citation_that_does_not_support():
    supports = _oracle({"s": {"x"}})
    scores = m.alce_citation_scores([m.CitedSentence("s", ("y",))], supports)
    assert (scores.recall, scores.precision, scores.citations, scores.relevant_citations) == (0.0, 0.0, 1, 0)


def test_alce_single_supporting_citation():
    supports = _oracle({"s": {"x"}})
    scores = m.alce_citation_scores([m.CitedSentence("s", ("x",))], supports)
    assert (scores.recall, scores.precision) == (1.0, 1.0)


def test_alce_two_citations_each_needed_jointly_are_both_relevant():
    # Neither passage alone supports "s" (needs x and y); without either, the other fails too.
    supports = _oracle({"s": {"x", "y"}})
    scores = m.alce_citation_scores([m.CitedSentence("s", ("x", "y"))], supports)
    assert scores.recall == 1.0
    assert scores.precision == 1.0
    assert scores.overcitations == 0


def test_alce_redundant_citation_is_irrelevant():
    # "x" supports alone; "z" does not support alone and removing it, "x" still supports: irrelevant.
    supports = _oracle({"s": {"x"}})
    scores = m.alce_citation_scores([m.CitedSentence("s", ("x", "z"))], supports)
    assert scores.recall == 1.0
    assert scores.precision == 0.5
    assert scores.overcitations == 1


def test_alce_two_citations_each_sufficient_are_both_relevant():
    # Condition (a) fails for both (each alone supports), so neither is irrelevant.
    supports = _oracle({"s": {"x"}})
    scores = m.alce_citation_scores([m.CitedSentence("s", ("x", "x y"))], supports)
    assert scores.precision == 1.0


def test_alce_unsupported_sentence_makes_all_its_citations_irrelevant():
    supports = _oracle({"s": {"q"}})
    scores = m.alce_citation_scores([m.CitedSentence("s", ("x", "y"))], supports)
    assert (scores.recall, scores.precision, scores.citations) == (0.0, 0.0, 2)


def test_alce_mixed_answer_macro_numbers():
    supports = _oracle({"s1": {"x"}, "s2": {"y"}, "s3": {"w"}})
    sentences = [
        m.CitedSentence("s1", ("x", "junk")),  # supported, one redundant citation
        m.CitedSentence("s2", ("y",)),  # supported
        m.CitedSentence("s3", ()),  # uncited
    ]
    scores = m.alce_citation_scores(sentences, supports)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.precision == pytest.approx(2 / 3)  # relevant: x, y; irrelevant: junk


def test_alce_dangling_citation_scores_zero_and_is_not_counted():
    supports = _oracle({"s": {"x"}})
    scores = m.alce_citation_scores([m.CitedSentence("s", ("x",), dangling=True)], supports)
    assert (scores.recall, scores.citations) == (0.0, 0)


# -------------------------------------------------------------------------------------- aggregation


def test_percentile_interpolates_like_numpy():
    values = [1.0, 2.0, 3.0, 4.0]
    assert m.percentile(values, 50) == 2.5
    assert m.percentile(values, 95) == pytest.approx(3.85)
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([], 50) is None


def test_mean_and_rate_skip_undefined():
    assert m.mean([1.0, None, 0.0]) == 0.5
    assert m.mean([None]) is None
    assert m.rate([True, False, False, True]) == 0.5
    assert m.rate([]) is None


def test_binary_label_scores():
    gold = [True, True, True, False]
    predicted = [True, True, False, True]
    scores = m.binary_label_scores(gold, predicted)
    supported, unsupported = scores["per_label"]["supported"], scores["per_label"]["unsupported"]
    assert supported.precision == pytest.approx(2 / 3) and supported.recall == pytest.approx(2 / 3)
    assert unsupported.precision == 0.0 and unsupported.recall == 0.0
    assert scores["balanced_accuracy"] == pytest.approx(1 / 3)
    assert scores["accuracy"] == 0.5


# ------------------------------------------------------------------------------------- data loading


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = {"id": "q1", "type": "factoid", "question": "Where?", "reference": "Tokyo.", "must_include": ["Tokyo"],
        "evidence": ["based in Tokyo"]}


def test_bad_json_line_names_file_and_line(tmp_path):
    path = _write(tmp_path / "q.jsonl", [json.dumps(GOOD), "", '{"id": "q2", "type": '])
    with pytest.raises(DatasetError, match=r"q\.jsonl:3: not valid JSON"):
        load_questions(path)


def test_missing_field_names_the_field_and_line(tmp_path):
    record = dict(GOOD, id="q2")
    del record["reference"]
    path = _write(tmp_path / "q.jsonl", [json.dumps(GOOD), json.dumps(record)])
    with pytest.raises(DatasetError, match=r"q\.jsonl:2: reference: Field required"):
        load_questions(path)


def test_unknown_type_duplicate_id_and_empty_file(tmp_path):
    with pytest.raises(DatasetError, match=r":1: type"):
        load_questions(_write(tmp_path / "a.jsonl", [json.dumps(dict(GOOD, type="trivia"))]))
    with pytest.raises(DatasetError, match=r":2: duplicate id 'q1' \(first on line 1\)"):
        load_questions(_write(tmp_path / "b.jsonl", [json.dumps(GOOD), json.dumps(GOOD)]))
    with pytest.raises(DatasetError, match="no records"):
        load_questions(_write(tmp_path / "c.jsonl", [""]))
    with pytest.raises(DatasetError, match="no such file"):
        load_questions(tmp_path / "missing.jsonl")


def test_claims_label_is_checked(tmp_path):
    line = {"id": "c1", "context": "Sakana is in Tokyo.", "claim": "Sakana is in Tokyo.", "label": "true", "kind": "x"}
    with pytest.raises(DatasetError, match=r"c\.jsonl:1: label"):
        load_claims(_write(tmp_path / "c.jsonl", [json.dumps(line)]))
    claims = load_claims(_write(tmp_path / "d.jsonl", [json.dumps(dict(line, label="supported"))]))
    assert claims[0].supported and claims[0].passages == ["Sakana is in Tokyo."]


@pytest.mark.parametrize("name", ["dev.jsonl", "smoke.jsonl", "claims_dev.jsonl", "claims_heldout.jsonl"])
def test_bundled_datasets_are_valid(name):
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"{name} not written yet")
    loader = load_claims if name.startswith("claims") else load_questions
    assert loader(path)
