"""The `rag` command as a user runs it: real subprocesses, real index, real model.

Every failure a user can cause must end in one line `error: ...` on stderr and a non-zero exit, never
a traceback. Commands that answer questions load the model in their own process, so there are few of them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest

from rag.cli import cli
from rag.models import Answer

from corpus_index import CORPUS, bundled_index

pytestmark = pytest.mark.timeout(300)

RAG = str(Path(sys.executable).with_name("rag"))
CODE_SHARE = "What share of Anthropic's merged code does Claude write?"
HEAVY_MODULES = ("torch", "chromadb", "llama_index", "sentence_transformers", "transformers")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", NO_COLOR="1")
    env.update(extra)
    return env


def rag(*args: str, cwd: Path, timeout: float = 240, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([RAG, *args], cwd=cwd, env=clean_env(**env), capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The single `error: ...` line a failure must print; asserts the rest of the contract too."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def index() -> Path:
    return bundled_index()


# -- help and start-up --------------------------------------------------------------------------------------------

def command_paths() -> list[list[str]]:
    ctx = click.Context(cli)
    paths = [[]]
    for name in cli.list_commands(ctx):
        paths.append([name])
        command = cli.get_command(ctx, name)
        if isinstance(command, click.Group):
            sub = click.Context(command, parent=ctx)
            paths.extend([name, child] for child in command.list_commands(sub))
    return paths


def test_every_command_is_covered():
    names = {tuple(p) for p in command_paths()}
    assert {("ingest",), ("ask",), ("status",), ("config",), ("chat",), ("eval",), ("eval", "run")} <= names


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "rag")
def test_help_works(path, tmp_path):
    result = rag(*path, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: rag") and result.stderr == ""


def test_cli_import_stays_light(tmp_path):
    """`rag --help` is instant because it imports none of the heavy libraries (checked on imports, not time)."""
    probe = (
        "import json, sys\n"
        "import rag.cli\n"
        "after_import = sorted(sys.modules)\n"
        "sys.argv = ['rag', '--help']\n"
        "try:\n"
        "    rag.cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps([after_import, sorted(sys.modules)]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=clean_env(), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    after_import, after_help = json.loads(result.stdout.splitlines()[-1])
    for modules in (after_import, after_help):
        loaded = {m.split(".")[0] for m in modules}
        assert not loaded & set(HEAVY_MODULES), loaded & set(HEAVY_MODULES)
        assert "pydantic" not in loaded  # the rag package's names resolve lazily


# -- rag ask ------------------------------------------------------------------------------------------------------

def test_ask_prints_answer_then_numbered_sources(index, tmp_path):
    result = rag("--corpus", str(CORPUS), "--index", str(index), "ask", CODE_SHARE, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    answer_line = out.splitlines()[0]
    assert "80 percent" in answer_line and "[1]" in answer_line
    # Then each cited source: [n] title (file, chars a-b), and the cited sentence quoted beneath it.
    header = "[1] Anthropic Calls for Keeping the Option to Pause Frontier AI (anthropic-pause-warning.md, chars "
    assert header in out and out.index(header) > out.index(answer_line) + len(answer_line)
    after = out[out.index(header):].splitlines()
    assert after[1].strip().startswith('"') and "80 percent" in after[1]


def test_ask_json_top_k_and_backend(index, tmp_path):
    result = rag("--index", str(index), "ask", "--json", "--top-k", "2", "--backend", "extractive",
                 "What did David Sacks accuse Anthropic of pursuing?", cwd=tmp_path, RAG_CORPUS_DIR=str(CORPUS))
    assert result.returncode == 0, result.stderr
    answer = Answer.model_validate_json(result.stdout)
    assert answer.backend == "extractive" and len(answer.sources) == 2
    assert "regulatory capture agenda" in answer.text and answer.citations
    assert json.loads(result.stdout)["question"] == "What did David Sacks accuse Anthropic of pursuing?"


# -- errors: one line, non-zero, no traceback ------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question(question, index, tmp_path):
    line = one_line_error(rag("--index", str(index), "ask", question, cwd=tmp_path))
    assert "empty" in line


def test_no_index(tmp_path):
    line = one_line_error(rag("--index", str(tmp_path / "nothing-here"), "ask", CODE_SHARE, cwd=tmp_path))
    assert "run `rag ingest`" in line


def test_too_long_question(index, tmp_path):
    line = one_line_error(rag("--index", str(index), "ask", "why " * 1000, cwd=tmp_path))
    assert "2,000" in line and "RAG_MAX_QUESTION_CHARS" in line


@pytest.mark.parametrize("command", [["ask", CODE_SHARE], ["config"], ["status"]])
def test_bad_setting(command, index, tmp_path):
    line = one_line_error(rag("--index", str(index), *command, cwd=tmp_path, RAG_TOP_K="0"))
    assert "top_k" in line and "RAG_TOP_K" in line


def test_bad_setting_across_fields(tmp_path):
    line = one_line_error(rag("config", cwd=tmp_path, RAG_CHUNK_SIZE="100", RAG_CHUNK_OVERLAP="200"))
    assert "chunk_overlap" in line and "Value error" not in line


def test_openai_backend_unreachable(index, tmp_path):
    result = rag(
        "--index", str(index), "ask", "--backend", "openai", CODE_SHARE, cwd=tmp_path,
        RAG_OPENAI_BASE_URL=f"http://127.0.0.1:{closed_port()}/v1", RAG_OPENAI_API_KEY="test-key",
        RAG_OPENAI_MAX_RETRIES="0", RAG_OPENAI_TIMEOUT="3",
    )
    line = one_line_error(result)
    assert "127.0.0.1" in line or "connect" in line.lower()
    assert result.stdout == ""  # nothing half-answered

