"""`rag eval` end to end: real index, real embeddings, real judges; the LLM judge against the local fake server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.cli import eval_group
from eval.scoring import METRICS

from fake_openai import FakeOpenAI, Reply

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "eval" / "datasets" / "smoke.jsonl"

pytestmark = pytest.mark.timeout(240)


def invoke(args: list[str], settings=None):
    runner = CliRunner()
    obj = {"settings": settings} if settings is not None else None
    return runner.invoke(eval_group, args, obj=obj, catch_exceptions=False)


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory):
    """The bundled corpus indexed once for the session, in a temporary index folder."""
    from rag import Assistant
    from rag.config import Settings

    settings = Settings(
        corpus_dir=REPO / "corpus", index_dir=tmp_path_factory.mktemp("eval-index"), llm="extractive", judge="heuristic"
    )
    report = Assistant(settings).ingest()
    assert report.chunks > 0
    return settings


@pytest.fixture(scope="module")
def smoke_run(indexed_settings, tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke-run")
    result = invoke(
        ["run", "--dataset", str(SMOKE), "--out", str(out), "--backend", "extractive",
         "--fail-under", "accuracy=0", "--fail-over", "latency_p95=100000"],
        indexed_settings,
    )
    return result, out


# ---------------------------------------------------------------------------------------------- run


def test_run_writes_every_report_file(smoke_run):
    result, out = smoke_run
    assert result.exit_code == 0, result.output
    for name in ("report.md", "report.json", "answers.jsonl", "metrics_by_type.png", "latency.png"):
        assert (out / name).is_file(), name
    for chart in ("metrics_by_type.png", "latency.png"):
        assert (out / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    questions = [json.loads(line)["id"] for line in SMOKE.read_text().splitlines() if line.strip()]
    report = json.loads((out / "report.json").read_text())
    assert report["meta"]["questions"] == len(questions)
    assert report["meta"]["backend"] == "extractive"
    assert set(METRICS) <= set(report["summary"])
    assert [q["id"] for q in report["questions"]] == questions
    assert set(report["by_type"]) == {json.loads(line)["type"] for line in SMOKE.read_text().splitlines() if line.strip()}

    answers = [json.loads(line) for line in (out / "answers.jsonl").read_text().splitlines()]
    assert [a["id"] for a in answers] == questions
    for answer in answers:
        assert {"question", "answer", "abstained", "sources", "sentences", "metrics", "latency"} <= set(answer)
        assert answer["error"] is None
        assert answer["latency"] > 0

    markdown = (out / "report.md").read_text()
    assert "## Summary" in markdown and "## By question type" in markdown and "## Worst answers" in markdown
    assert "![metrics by type](metrics_by_type.png)" in markdown
    assert "accuracy" in result.output  # the summary table is printed too


def test_run_tables_are_whole_when_piped(smoke_run):
    # CliRunner's output is not a terminal, as in a CI log: no column may be cut to fit 80 characters.
    result, _ = smoke_run
    assert "by question type" in result.output
    assert "…" not in result.output
    assert "accuracy" in result.output.split("by question type", 1)[1]


def test_run_metrics_are_consistent_with_the_answers(smoke_run):
    _, out = smoke_run
    report = json.loads((out / "report.json").read_text())
    answers = {a["id"]: a for a in map(json.loads, (out / "answers.jsonl").read_text().splitlines())}
    summary = report["summary"]
    for name in ("hit_at_k", "mrr", "accuracy", "citation_recall", "citation_precision", "faithfulness"):
        value = summary[name]
        assert value is None or 0.0 <= value <= 1.0, name
    # hit@k is the mean of per-question hits over questions that name evidence.
    hits = [a["metrics"]["hit"] for a in answers.values() if a["evidence"]]
    assert summary["hit_at_k"] == pytest.approx(sum(hits) / len(hits))
    # Declined answers carry no faithfulness and are counted instead.
    declined = [a for a in answers.values() if a["abstained"]]
    assert all(a["metrics"]["faithfulness"] is None for a in declined)
    assert summary["faithfulness_excluded"] == len(declined)
    # The smoke set's factoid is easy: the extractive answerer over the bundled corpus must get it.
    factoid = next(a for a in answers.values() if a["type"] == "factoid")
    assert factoid["metrics"]["hit"] == 1.0
    assert factoid["metrics"]["coverage"] == 1.0


def test_impossible_bound_exits_1_and_says_which(indexed_settings, tmp_path):
    result = invoke(
        ["run", "--dataset", str(SMOKE), "--out", str(tmp_path / "run"), "--limit", "1", "--fail-under", "hit_at_k=1.01"],
        indexed_settings,
    )
    assert result.exit_code == 1
    assert "hit_at_k" in result.output and "under the bound 1.01" in result.output
    assert (tmp_path / "run" / "report.json").is_file()  # the report is written even when a bound is missed


def test_unknown_metric_exits_2_before_running(tmp_path):
    out = tmp_path / "never"
    result = invoke(["run", "--dataset", str(SMOKE), "--out", str(out), "--fail-under", "acuracy=0.5"])
    assert result.exit_code == 2
    assert "unknown metric 'acuracy'" in result.output
    assert "citation_precision" in result.output  # lists the valid names
    assert not out.exists()


def test_fail_under_help_lists_every_metric():
    result = invoke(["run", "--help"])
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    for name in METRICS:
        assert name in flat


def test_bad_dataset_line_is_one_line_error(tmp_path):
    dataset = tmp_path / "bad.jsonl"
    dataset.write_text(SMOKE.read_text().splitlines()[0] + "\n{not json\n", encoding="utf-8")
    result = invoke(["run", "--dataset", str(dataset), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"{dataset}:2: not valid JSON" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_run_without_an_index_is_one_line_error(tmp_path):
    from rag.config import Settings

    settings = Settings(corpus_dir=REPO / "corpus", index_dir=tmp_path / "empty-index")
    result = invoke(["run", "--dataset", str(SMOKE), "--out", str(tmp_path / "out")], settings)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "ingest" in result.output


# --------------------------------------------------------------------------------------------- diff


def test_diff_reports_metric_deltas_and_question_changes(smoke_run, tmp_path):
    _, out = smoke_run
    before = json.loads((out / "report.json").read_text())
    # A worse "before": one question was wrong and had no evidence in its sources.
    victim = next(q for q in before["questions"] if q["metrics"]["correct"] and q["metrics"]["hit"] is not None)
    victim["metrics"].update(correct=False, hit=0.0, reciprocal_rank=0.0)
    before["summary"]["accuracy"] = before["summary"]["accuracy"] - 0.1
    (tmp_path / "before.json").write_text(json.dumps(before))

    result = invoke(["diff", str(tmp_path / "before.json"), str(out), "--json"])
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    accuracy = next(m for m in diff["metrics"] if m["name"] == "accuracy")
    assert accuracy["delta"] == pytest.approx(0.1)
    assert accuracy["verdict"] == "better"
    changed = {q["id"]: q for q in diff["questions"]}
    assert changed[victim["id"]]["verdict"] == "better"
    assert changed[victim["id"]]["changes"]["hit"] == {"before": 0.0, "after": 1.0}
    assert len(changed) == 1

    table = invoke(["diff", str(tmp_path / "before.json"), str(out)])
    assert table.exit_code == 0
    assert "1 better, 0 worse" in table.output and victim["id"] in table.output


def test_diff_of_a_run_with_itself_changes_nothing(smoke_run):
    _, out = smoke_run
    result = invoke(["diff", str(out), str(out / "report.json")])
    assert result.exit_code == 0
    assert "no question changed" in result.output


def test_diff_of_a_missing_run_is_one_line_error(tmp_path):
    result = invoke(["diff", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 1
    assert "report.json: not found" in result.output
    assert "Traceback" not in result.output


# -------------------------------------------------------------------------------------------- judge

CONTEXT = "Sakana AI is a Japanese AI startup based in Tokyo. It was founded in 2023."
LABELS = [
    {"id": "c1", "context": CONTEXT, "claim": "Sakana AI is based in Tokyo.", "label": "supported", "kind": "paraphrase"},
    {"id": "c2", "context": CONTEXT, "claim": "Sakana AI was founded in 2019.", "label": "unsupported", "kind": "swapped_number"},
    {"id": "c3", "context": CONTEXT, "claim": "Sakana AI is based in Osaka.", "label": "unsupported", "kind": "swapped_entity"},
    {"id": "c4", "context": CONTEXT, "claim": "Sakana AI was founded in 2023.", "label": "supported", "kind": "paraphrase"},
]


def _labels(tmp_path: Path) -> Path:
    path = tmp_path / "claims.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in LABELS), encoding="utf-8")
    return path


def test_judge_heuristic_on_labelled_claims(tmp_path):
    from rag.config import Settings

    predictions = tmp_path / "predictions.jsonl"
    result = invoke(
        ["judge", "--labels", str(_labels(tmp_path)), "--judge", "heuristic", "--out", str(predictions), "--json"],
        Settings(),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["claims"] == 4
    assert set(summary["per_label"]) == {"supported", "unsupported"}
    assert set(summary["per_kind"]) == {"paraphrase", "swapped_number", "swapped_entity"}
    assert summary["errors"] == 0 and summary["unparsed"] == 0
    lines = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["c1", "c2", "c3", "c4"]
    assert all(isinstance(line["supported"], bool) and 0.0 <= line["score"] <= 1.0 for line in lines)
    # These four are plain: a judge that fails them is broken.
    assert [line["supported"] for line in lines] == [True, False, False, True]
    assert summary["balanced_accuracy"] == 1.0


def test_judge_table_output(tmp_path):
    from rag.config import Settings

    result = invoke(["judge", "--labels", str(_labels(tmp_path))], Settings(judge="heuristic"))
    assert result.exit_code == 0, result.output
    assert "balanced accuracy" in result.output and "per kind" in result.output


def test_judge_llm_counts_malformed_and_failed_replies(tmp_path):
    """Good, malformed and failing endpoint replies: the run completes and counts each failure."""
    from rag.config import Settings

    def reply_for(body: dict) -> Reply:
        prompt = body["messages"][-1]["content"]
        if "Tokyo" in prompt.split("Claim:")[-1]:
            return Reply.text('{"supported": true, "reason": "stated"}')
        if "2019" in prompt:
            return Reply.text('```json\n{"supported": false, "reason": "year differs"}\n```')
        if "Osaka" in prompt:
            return Reply.text("I am not sure what you mean.")  # no verdict: unparsed
        return Reply.error(500)  # endpoint failure: error

    with FakeOpenAI(default_chat=reply_for) as server:
        settings = Settings(
            judge="llm", openai_base_url=server.base_url, openai_api_key="test", openai_model="fake-model",
            openai_max_retries=0, openai_timeout=5,
        )
        predictions = tmp_path / "predictions.jsonl"
        result = invoke(["judge", "--labels", str(_labels(tmp_path)), "--out", str(predictions), "--json"], settings)
        assert server.count("chat") >= 4

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["judge"] == "llm"
    assert summary["errors"] == 1
    assert summary["unparsed"] == 1
    by_id = {line["id"]: line for line in map(json.loads, predictions.read_text().splitlines())}
    assert by_id["c1"]["supported"] is True
    assert by_id["c2"]["supported"] is False and by_id["c2"]["reason"] == "year differs"
    assert by_id["c3"]["supported"] is False and by_id["c3"]["reason"] == "unparsed"
    assert by_id["c4"]["supported"] is False and by_id["c4"]["reason"].startswith("error")


def test_judge_bad_labels_file_names_the_line(tmp_path):
    path = tmp_path / "claims.jsonl"
    bad = dict(LABELS[0])
    del bad["claim"]
    path.write_text(json.dumps(LABELS[0]) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    result = invoke(["judge", "--labels", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: claim: Field required" in result.output


def test_run_with_llm_judge_survives_a_failing_endpoint(indexed_settings, tmp_path):
    """Every judge request fails: the run completes, and the failures are counted in the report."""
    with FakeOpenAI(default_chat=Reply.error(503)) as server:
        settings = indexed_settings.model_copy(
            update={"openai_base_url": server.base_url, "openai_max_retries": 0, "openai_timeout": 5}
        )
        from pydantic import SecretStr

        settings = settings.model_copy(update={"openai_api_key": SecretStr("test")})
        out = tmp_path / "run"
        result = invoke(
            ["run", "--dataset", str(SMOKE), "--out", str(out), "--judge", "llm", "--limit", "2"], settings
        )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["meta"]["judge"] == "llm"
    assert report["summary"]["judge_errors"] > 0
    assert report["summary"]["questions"] == 2


def test_the_front_doors_index_and_corpus_options_reach_eval_run(indexed_settings, tmp_path) -> None:
    import os
    import subprocess
    import sys

    rag = Path(sys.executable).with_name("rag")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    done = subprocess.run(
        [str(rag), "--corpus", str(indexed_settings.corpus_dir), "--index", str(indexed_settings.index_dir), "eval",
         "run", "--dataset", str(SMOKE), "--limit", "1", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=200, cwd=tmp_path, env=env,  # cwd has no .rag: only --index can work
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["meta"]["questions"] == 1
    assert json.loads((tmp_path / "run" / "answers.jsonl").read_text().splitlines()[0])["sources"]
