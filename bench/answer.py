"""Time to first token, total time and prompt size per backend, on the bundled corpus.

    python bench/answer.py                      # extractive only
    python bench/answer.py --serve qwen2.5-coder-0.5b   # also the openai backend on a local llama.cpp server:
                                                         # whole passages or short evidence, [n] text or JSON

Prints a row per (backend, evidence, output) and the ratios against the whole-passage text prompt, measured in
one run.
Prompt tokens are the server's own count (llama.cpp's /tokenize) of the exact messages sent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "How much of Anthropic's merged code does Claude write?",
    "Who co-founded Sakana AI?",
    "What does recursive self-improvement mean?",
    "Why did Anthropic warn about pausing frontier development?",
    "What security risks does recursive self-improvement bring?",
]


def _tokens(base_url: str, messages: list[dict]) -> int:
    text = "\n".join(m["content"] for m in messages)
    request = urllib.request.Request(base_url.removesuffix("/v1") + "/tokenize", data=json.dumps({"content": text}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return len(json.load(reply)["tokens"])


def measure(assistant, backend: str, base_url: str | None) -> dict[str, float]:
    from rag.backends.openai_backend import build_messages, evidence
    from rag.models import TextDelta

    firsts, totals, prompts = [], [], []
    for question in QUESTIONS:
        started = time.perf_counter()
        first = None
        for event in assistant.stream(question, backend=backend):
            if isinstance(event, TextDelta) and first is None:
                first = time.perf_counter() - started
        totals.append(time.perf_counter() - started)
        firsts.append(first if first is not None else totals[-1])
        if base_url:
            sources = assistant.retrieve(question)
            shown = sources
            if assistant.settings.openai_evidence == "sentences":
                shown = evidence(question, sources, assistant.reader, assistant.settings.openai_evidence_sentences)
            structured = assistant.settings.openai_output != "text"
            prompts.append(_tokens(base_url, build_messages(question, shown, structured=structured)))
    return {"ttft_p50": statistics.median(firsts), "total_p50": statistics.median(totals),
            "prompt_tokens": statistics.median(prompts) if prompts else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", help="also measure the openai backend on this local model (rag llm list)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    from rag import Assistant, Settings

    index = Path(tempfile.mkdtemp(prefix="bench-answer-")) / "index"
    base = Settings(corpus_dir=ROOT / "corpus", index_dir=index)
    Assistant(base).ingest()
    rows = [("extractive", "-", "-", measure(Assistant(base), "extractive", None))]
    server = None
    if args.serve:
        port = 18123
        server = subprocess.Popen([sys.executable, "-m", "rag", "llm", "serve", "--model", args.serve, "--port", str(port),
                                   "--threads", str(args.threads)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/v1"
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/models", timeout=2)
                break
            except OSError:
                time.sleep(1)
        try:
            for evidence_mode, output in (("passages", "text"), ("sentences", "text"), ("sentences", "json")):
                settings = base.model_copy(update={"llm": "openai", "openai_base_url": url, "openai_model": args.serve,
                                                   "openai_timeout": 120, "openai_total_timeout": 600,
                                                   "openai_evidence": evidence_mode, "openai_output": output})
                rows.append(("openai", evidence_mode, output, measure(Assistant(settings), "openai", url)))
        finally:
            server.terminate()
            server.wait()
    print(f"{'backend':10} {'evidence':10} {'output':6} {'first token p50':>16} {'total p50':>10} {'prompt tokens':>14}")
    for backend, mode, output, m in rows:
        print(f"{backend:10} {mode:10} {output:6} {m['ttft_p50']:>15.2f}s {m['total_p50']:>9.2f}s "
              f"{m['prompt_tokens']:>14.0f}")
    whole = next((m for b, mode, output, m in rows if mode == "passages"), None)
    for b, mode, output, m in rows:
        if whole and b == "openai" and m is not whole:
            print(f"{mode} {output} / passages text: prompt tokens x{m['prompt_tokens'] / whole['prompt_tokens']:.2f}, "
                  f"total time x{m['total_p50'] / whole['total_p50']:.2f}, first token x{m['ttft_p50'] / whole['ttft_p50']:.2f}")


if __name__ == "__main__":
    main()
