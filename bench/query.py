"""Query latency: hybrid retrieval against its dense-only and BM25-only halves, extractive answers, memory,
and how fast `rag --help` starts, on generated indexes of ~1k, 10k and 100k chunks.

    .venv/bin/python bench/query.py                        # 1k, 10k, 100k (the first 100k build takes a while)
    .venv/bin/python bench/query.py --sizes 1000,10000     # quicker
    .venv/bin/python bench/query.py --sizes 10000 --profile   # plus a cProfile of hybrid retrieval

How the indexes are built. Texts are chunk-sized passages from bench/corpus.py (real sentences
recombined, numbers and names re-drawn), five passages to a synthetic document, written straight into
our own VectorStore (Chroma) and LexicalIndex (BM25) -- the classes `rag ingest` writes through -- so
that building a 100k index does not mean embedding 100k chunks on a laptop CPU. Vectors: the first
``--real-vectors`` passages (default 2,000) are embedded for real with the local model; every further
passage gets the vector of one of those, plus Gaussian noise (cosine ~0.9 to its origin), renormalised.
So BM25 sees exactly the text it searches, and Chroma searches vectors with the spread of real ones;
only the dense *relevance* beyond the real part is meaningless, and this script measures time, not
relevance. Embeddings and built indexes are cached in ``--cache`` (default ~/.cache/rag-bench).

Each index is built in one process and measured in a fresh one, so the first retrieval opens a cold
index and the peak RSS (ru_maxrss) is that of a process answering questions. Questions are
bench/corpus.py's QUESTIONS; each mode runs over all of them ``--rounds`` times, interleaved, after a
warm-up. Wall and CPU time are both reported: on a machine shared with other jobs, wall time mostly
measures the queue for a core. Figures are printed (and written with --json), never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from rag.embeddings import offline_environment  # noqa: E402 - light: sets environment variables only

PASSAGES_PER_DOC = 5
NOISE = 0.025  # per-dimension sigma: a 384-d unit vector plus this noise keeps cosine ~0.9 with its origin
GOALS_MS = {10_000: 50.0, 100_000: 150.0}  # hybrid retrieval p50
HELP_GOAL_S = 0.3


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


@dataclass(frozen=True)
class _Passage:
    """What VectorStore.upsert reads from a chunk: an id, the text and the metadata."""

    chunk_id: str
    text: str
    meta: dict

    def metadata(self) -> dict:
        return self.meta


# Building an index ------------------------------------------------------------------------------------------
def _vectors(texts: list[str], real: int, cache: Path, seed: int, embedder):
    """Real embeddings for the first ``real`` texts (cached on disk), noisy copies of them for the rest."""
    import numpy as np

    real = min(real, len(texts))
    path = cache / f"vectors-seed{seed}-{real}.npy"
    # passages(n) is a prefix of passages(m) for n < m, so a larger cached set serves a smaller size.
    larger = sorted((int(p.stem.rsplit("-", 1)[1]), p) for p in cache.glob(f"vectors-seed{seed}-*.npy"))
    larger = [p for n, p in larger if n >= real]
    if larger:
        base = np.load(larger[0])[:real]
    else:
        t0 = time.perf_counter()
        base = embedder.embed(texts[:real])
        np.save(path, base)
        print(f"    embedded {real} passages in {time.perf_counter() - t0:.0f} s (cached in {path})", flush=True)
    if len(texts) == real:
        return base
    rng = np.random.default_rng(seed)
    origin = rng.integers(0, real, size=len(texts) - real)
    derived = base[origin] + rng.normal(0, NOISE, size=(len(origin), base.shape[1])).astype(np.float32)
    derived /= np.linalg.norm(derived, axis=1, keepdims=True)
    return np.vstack([base, derived.astype(np.float32)])


def build_index(size: int, args: argparse.Namespace, embedder) -> Path:
    """An index of ``size`` passages in the cache, built once; returns its folder."""
    from corpus import passages

    from rag.config import Settings
    from rag.ingest import write_state
    from rag.lexical import LexicalIndex
    from rag.store import VectorStore

    index_dir = args.cache / f"index-{size}-seed{args.seed}-real{min(size, args.real_vectors)}"
    done = index_dir / "bench-complete"
    if done.exists() and not args.fresh:
        if LexicalIndex.load(index_dir) is None:  # cached by a version with other keyword terms
            texts = passages(size, args.seed)
            ids = [f"bench-{i // PASSAGES_PER_DOC:06d}-{i % PASSAGES_PER_DOC}" for i in range(size)]
            LexicalIndex.build(ids, texts).save(index_dir)
        return index_dir
    shutil.rmtree(index_dir, ignore_errors=True)
    t0 = time.perf_counter()
    texts = passages(size, args.seed)
    vectors = _vectors(texts, args.real_vectors, args.cache, args.seed, embedder)
    chunks = []
    offset = 0
    for i, text in enumerate(texts):
        doc, part = divmod(i, PASSAGES_PER_DOC)
        if part == 0:
            offset = 0
        doc_id = f"topic-{doc // 200:03d}/doc-{doc:06d}.txt"
        meta = {"doc_id": doc_id, "title": " ".join(texts[doc * PASSAGES_PER_DOC].split()[:6]), "chunk": part,
                "start": offset, "end": offset + len(text), "chunk_hash": f"bench-{i}", "doc_hash": f"bench-doc-{doc}",
                "n_chunks": PASSAGES_PER_DOC, "chunker": "bench"}
        chunks.append(_Passage(f"bench-{doc:06d}-{part}", text, meta))
        offset += len(text) + 2
    settings = Settings(index_dir=index_dir)
    store = VectorStore(settings, embedder.model_id, embedder.dimension, create=True)
    store.upsert(chunks, vectors)
    LexicalIndex.build([c.chunk_id for c in chunks], texts).save(index_dir)
    write_state(index_dir, ingest_complete=True, documents=-(-size // PASSAGES_PER_DOC), chunks=size,
                embedding_model=embedder.model_id, corpus_dir="(bench: written directly)", last_ingest="bench")
    done.write_text("")
    print(f"    built the {size}-passage index in {time.perf_counter() - t0:.0f} s", flush=True)
    return index_dir


# The measuring worker (one process per size) ------------------------------------------------------------------
def work(size: int, args: argparse.Namespace) -> dict:
    offline_environment()
    from corpus import QUESTIONS

    from rag import Assistant, Settings
    from rag.embeddings import LocalEmbedder

    t0 = time.perf_counter()
    embedder = LocalEmbedder()
    load_s = time.perf_counter() - t0
    index_dir = build_index(size, args, embedder)  # built by the --build process; this only finds it
    rss_model = peak_rss_mb()

    assistant = Assistant(Settings(index_dir=index_dir, top_k=5), embedder=embedder)
    t0 = time.perf_counter()
    assistant.retrieve(QUESTIONS[0])  # opens Chroma, loads BM25
    open_s = time.perf_counter() - t0
    count = assistant.retriever.store.count()
    for q in QUESTIONS[:5]:  # warm caches
        for mode in ("hybrid", "dense", "lexical"):
            assistant.retrieve(q, mode=mode)

    from rag.retrieve import embed_query

    # Wall time is what a user waits; CPU time (this process, all threads) is what the work costs, and
    # stays meaningful when other jobs share the machine.
    times: dict[str, list[float]] = {k: [] for k in ("hybrid", "dense", "lexical", "embed", "embed_default")}
    cpu: dict[str, list[float]] = {k: [] for k in times}
    steps = {
        "hybrid": lambda q: assistant.retrieve(q), "dense": lambda q: assistant.retrieve(q, mode="dense"),
        "lexical": lambda q: assistant.retrieve(q, mode="lexical"),
        "embed": lambda q: embed_query(embedder, q),  # as retrieval embeds a question: one torch thread
        "embed_default": lambda q: embedder.embed([q]),  # torch's default thread count, for comparison
    }
    names = list(steps)
    for r in range(args.rounds):
        for i, q in enumerate(QUESTIONS):
            shift = (i + r) % len(names)
            for name in names[shift:] + names[:shift]:  # rotate, so no step always runs first
                w0, c0 = time.perf_counter(), time.process_time()
                steps[name](q)
                times[name].append(time.perf_counter() - w0)
                cpu[name].append(time.process_time() - c0)

    answer_s, answer_cpu, answer_error = [], [], None
    for q in QUESTIONS[: args.answers]:
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            assistant.ask(q, backend="extractive")
        except Exception as exc:  # a broken answerer must not cost the retrieval figures
            answer_error = f"{exc.__class__.__name__}: {exc}"
            print(f"    extractive answer failed, answer figures left out: {answer_error}", flush=True)
            answer_s, answer_cpu = [], []
            break
        answer_s.append(time.perf_counter() - w0)
        answer_cpu.append(time.process_time() - c0)

    profile = None
    if args.profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for q in QUESTIONS:
            assistant.retrieve(q)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        profile = out.getvalue()

    ms = lambda xs, q: 1000 * pct(xs, q)  # noqa: E731
    return {
        "size": size, "chunks": count, "model_load_s": load_s, "open_s": open_s,
        **{f"{m}_p50_ms": ms(times[m], 50) for m in times},
        **{f"{m}_p95_ms": ms(times[m], 95) for m in times},
        **{f"{m}_cpu_p50_ms": ms(cpu[m], 50) for m in cpu},
        "answer_p50_ms": ms(answer_s, 50) if answer_s else None,
        "answer_cpu_p50_ms": ms(answer_cpu, 50) if answer_cpu else None, "answers": len(answer_s), "answer_error": answer_error,
        "retrievals_per_mode": len(times["hybrid"]), "load_average": os.getloadavg()[0],
        "peak_rss_mb": peak_rss_mb(), "peak_rss_model_mb": rss_model, "profile": profile,
    }


def _child(role: str, size: int, args: argparse.Namespace) -> None:
    command = [sys.executable, str(Path(__file__).resolve()), f"--{role}", str(size), "--cache", str(args.cache),
               "--seed", str(args.seed), "--rounds", str(args.rounds), "--answers", str(args.answers),
               "--real-vectors", str(args.real_vectors)]
    command += ["--fresh"] * (args.fresh and role == "build") + ["--profile"] * args.profile
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("    "):
            print(line, flush=True)
    if done.returncode != 0:
        print(done.stdout[-4000:])
        raise SystemExit(f"bench: the {size}-chunk {role} process failed (exit {done.returncode})")


def run_size(size: int, args: argparse.Namespace) -> dict:
    out = args.cache / f"result-{size}.json"
    out.unlink(missing_ok=True)
    print(f"  {size} chunks ...", flush=True)
    _child("build", size, args)
    _child("worker", size, args)
    return json.loads(out.read_text())


# `rag --help` start-up ------------------------------------------------------------------------------------------
def startup(repeats: int = 15) -> dict:
    rag = str(Path(sys.executable).with_name("rag"))
    commands = {"rag --help": [rag, "--help"], "python -c pass": [sys.executable, "-c", "pass"]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():  # interleaved, so load on the machine hits both alike
            t0 = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def report(results: list[dict], start: dict) -> None:
    print()
    print(f"hybrid = embed question + Chroma + BM25 + fusion + fetch texts; top_k 5; {os.cpu_count()} cores")
    print("wall ms, p50 unless marked; CPU ms = this process's CPU time, which other jobs on the machine do not inflate")
    head = (f"{'chunks':>8}{'hybrid':>8}{'p95':>7}{'CPU':>6}{'dense':>7}{'CPU':>6}{'BM25':>6}{'CPU':>6}"
            f"{'embed q':>9}{'default':>9}{'answer':>8}{'CPU':>6}{'first q':>9}{'RSS MB':>8}{'load':>6}   hybrid goal")
    print(head)
    for r in results:
        goal = GOALS_MS.get(r["size"])
        verdict = ""
        if goal is not None:
            wall = "met" if r["hybrid_p50_ms"] <= goal else "missed"
            cpu = "met" if r["hybrid_cpu_p50_ms"] <= goal else "missed"
            verdict = f"<= {goal:.0f} ms: wall {wall}, CPU {cpu}"
        answer = "-" if r["answer_p50_ms"] is None else f"{r['answer_p50_ms']:.0f}"
        answer_cpu = "-" if r["answer_cpu_p50_ms"] is None else f"{r['answer_cpu_p50_ms']:.0f}"
        print(f"{r['chunks']:>8}{r['hybrid_p50_ms']:>8.1f}{r['hybrid_p95_ms']:>7.0f}{r['hybrid_cpu_p50_ms']:>6.0f}"
              f"{r['dense_p50_ms']:>7.1f}{r['dense_cpu_p50_ms']:>6.0f}{r['lexical_p50_ms']:>6.1f}"
              f"{r['lexical_cpu_p50_ms']:>6.0f}{r['embed_p50_ms']:>9.1f}{r['embed_default_p50_ms']:>9.1f}"
              f"{answer:>8}{answer_cpu:>6}{r['open_s'] * 1000:>9.0f}{r['peak_rss_mb']:>8.0f}{r['load_average']:>6.1f}"
              f"   {verdict}")
    print("  embed q: a question embedded as retrieval does it (one torch thread); default: torch's own thread count")
    print("  BM25: keyword search plus fetching its top_k texts from Chroma; answer: Assistant.ask, extractive, "
          "with verification")
    print("  first q: the first retrieval of a fresh process (opens Chroma, loads BM25); RSS: peak, model included")
    ratio = start["rag --help"] / start["python -c pass"]
    verdict = "met" if start["rag --help"] <= HELP_GOAL_S else "missed"
    print()
    print(f"rag --help: {start['rag --help'] * 1000:.0f} ms, bare python -c pass: {start['python -c pass'] * 1000:.0f} ms "
          f"(ratio {ratio:.1f}x; medians of 15, interleaved); goal <= {HELP_GOAL_S * 1000:.0f} ms: {verdict}")
    for r in results:
        if r.get("profile"):
            print(f"\ncProfile of hybrid retrieval at {r['chunks']} chunks:\n{r['profile']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="index sizes in chunks, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions per retrieval mode")
    parser.add_argument("--answers", type=int, default=10, help="questions answered (extractive) per size")
    parser.add_argument("--real-vectors", type=int, default=2_000, help="passages embedded for real, at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "rag-bench",
                        help="where embeddings and built indexes are kept between runs")
    parser.add_argument("--fresh", action="store_true", help="rebuild the indexes even if cached")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of hybrid retrieval per size")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)

    if args.build:
        offline_environment()
        from rag.embeddings import LocalEmbedder

        build_index(args.build, args, LocalEmbedder())
        return
    if args.worker:
        args.fresh = False  # the build process has just made it
        result = work(args.worker, args)
        (args.cache / f"result-{args.worker}.json").write_text(json.dumps(result))
        return

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"query benchmark: sizes {sizes}, {args.rounds} rounds, cache {args.cache}")
    results = [run_size(size, args) for size in sizes]
    start = startup()
    report(results, start)
    if args.json:
        args.json.write_text(json.dumps({"sizes": results, "startup_s": start}, indent=1))


if __name__ == "__main__":
    main()
