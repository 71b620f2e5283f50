"""Training data and evaluation data never meet, and the shipped weights match the code that reads them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TRAIN = REPO / "train" / "data"
DATASETS = REPO / "eval" / "datasets"
sys.path.insert(0, str(REPO / "train"))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.fixture(scope="module")
def passages() -> list[dict]:
    return _rows(TRAIN / "passages.jsonl")


def test_no_training_passage_comes_from_a_held_out_document(passages):
    import sources

    held_out = {f"pydoc:{rel}" for rel in sources.EVAL_PYDOC} | {f"man:{n}" for n in sources.EVAL_MAN}
    held_out |= {f"license:{n}" for n in sources.EVAL_LICENSES}
    used = {p["source"] for p in passages}
    assert not used & held_out
    assert not any(s.startswith("seed:") for s in used), "the seed articles are evaluation text only"


def test_no_evaluation_text_is_in_the_training_passages(passages):
    """Every context and evidence string of every evaluation set, looked for in every training passage."""
    pool = "\n".join(_fold(p["text"]) for p in passages)
    found = []
    for path in sorted(DATASETS.glob("*.jsonl")):
        for row in _rows(path):
            for text in [row.get("context", "")] + list(row.get("evidence", [])):
                text = _fold(text)
                if len(text) >= 40 and text in pool:
                    found.append((path.name, row["id"], text[:60]))
    assert not found, found[:5]


def test_no_training_question_or_claim_is_an_evaluation_one():
    trained = {_fold(r["question"]) for r in _rows(TRAIN / "reader_questions.jsonl")}
    trained |= {_fold(r["claim"]) for r in _rows(TRAIN / "judge_claims.jsonl")}
    evaluated = set()
    for path in DATASETS.glob("*.jsonl"):
        for row in _rows(path):
            evaluated.add(_fold(row.get("question") or row.get("claim") or ""))
    assert not trained & evaluated


def test_training_answers_are_quotes_of_their_passages(passages):
    by_id = {p["pid"]: _fold(p["text"]) for p in passages}
    questions = _rows(TRAIN / "reader_questions.jsonl")
    assert len(questions) >= 3000
    for q in questions:
        assert q["pid"] in by_id
        for quote in q["answer"]:
            assert _fold(quote) in by_id[q["pid"]], (q["question"], quote)
    claims = _rows(TRAIN / "judge_claims.jsonl")
    assert len(claims) >= 4000 and all(c["pid"] in by_id for c in claims)
    assert {c["label"] for c in claims} == {"supported", "unsupported"}


def test_shipped_weights_match_the_features_the_code_computes():
    from rag.judging.combined import FEATURES as JUDGE_FEATURES
    from rag.learned import WEIGHTS_DIR
    from rag.learned.linear import LinearModel
    from rag.reader.features import FEATURES as READER_FEATURES

    assert LinearModel.load(WEIGHTS_DIR / "reader.json").features == READER_FEATURES
    assert LinearModel.load(WEIGHTS_DIR / "judge.json").features == JUDGE_FEATURES
    weights = WEIGHTS_DIR / "cross-encoder" / "model.safetensors"
    assert weights.is_file() and weights.stat().st_size < 50_000_000  # fp16: about 45 MB
