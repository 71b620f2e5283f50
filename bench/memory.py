"""Peak memory of ingesting one large text file, for files of several sizes.

    .venv/bin/python bench/memory.py                          # 20 MB and 100 MB files, the real model (slow: ~140k chunks)
    .venv/bin/python bench/memory.py --sizes 20 --embedder hash   # quick: every part real but the model's arithmetic
    .venv/bin/python bench/memory.py --rag DIR                # another version's code: DIR holds its rag/ package

Each ingest runs in a child process of its own, into a fresh index, from a file of varied generated prose
(bench/corpus.py's sentences, so no two chunks are the same). The child's whole-process peak (ru_maxrss) is
reported, with what the process held before the ingest began (Python, torch and the loaded model), and the
ingest time. A child that passes --cap-gb is stopped, and reported as above the cap.

--embedder hash keeps the real chunker (the model's tokenizer), Chroma and BM25, and the loaded model, but
embeds by hashing words into vectors of the model's size: what memory an ingest needs apart from the model's
inference, which works a batch at a time, in minutes instead of an hour for 100 MB on 2 cores.

Measured on 2 cores shared with other jobs (so times are loose), peak RSS of the whole process:

  file, embedder            before (ecae04e, via --rag)          after
  20 MB, real model         3,279 MB (the model: ~460 MB)        1,484 MB (509 MB before the ingest), 4,029 s at load 5
  20 MB, hash               3,253 MB, 212 s                      877 MB, 134 s (314 s on a busier machine)
  100 MB, hash              over the 6 GB cap within 57 s        1,593 MB (+1,133 MB over the loaded model), 1,104 s
                            (a 60 MB file had passed 7.3 GB)

Before, the peak came while chunking: the splitter tokenized a whole document at once (~150 bytes per
character). After, what still grows with a file is its text (held while it is cut; 2 bytes a character
once it holds a curly quote) and what grows with its number of chunks: Chroma's vector index, and the BM25
index built at the end (~430 MB of temporary arrays for 136k chunks). The model's inference adds working memory
that does not grow with the file (at 20 MB: 1,484 MB real against 877 MB hashed); a real 100 MB ingest (~5 hours
here) was not run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

# The child: loads the model, reports what it holds, ingests, reports the result. Stdout carries one JSON line.
CHILD = r"""
import json, resource, sys, time
from pathlib import Path

corpus, index, embedder_kind = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
from rag import Assistant, Settings
from rag.embeddings import LocalEmbedder


class HashEmbedder:
    '''The real model loaded (its memory counts) and its tokenizer used for chunking; vectors from hashed words.'''

    def __init__(self):
        import numpy as np

        self._np, self._real = np, LocalEmbedder()
        self.model_id, self.max_tokens, self.dimension = self._real.model_id, self._real.max_tokens, self._real.dimension

    def token_counter(self):
        return self._real.token_counter()

    def count_tokens(self, text):
        return self._real.count_tokens(text)

    def embed(self, texts):
        import zlib

        np = self._np
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                out[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


embedder = HashEmbedder() if embedder_kind == "hash" else LocalEmbedder()
embedder.embed(["warm up"])
held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
settings = Settings(corpus_dir=corpus, index_dir=index, max_file_mb=10_000)
started = time.perf_counter()
report = Assistant(settings, embedder=embedder).ingest()
print(json.dumps({"held_mb": held, "seconds": time.perf_counter() - started, "chunks": report.chunks,
                  "skipped": report.skipped, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "rag": __import__("rag").__file__}), flush=True)
"""


def write_text_file(path: Path, megabytes: float, seed: int = 0) -> int:
    """One .txt file of about ``megabytes`` MB: generated reports, one after another, in paragraphs."""
    from corpus import TextMaker

    maker = TextMaker(seed)
    target, written = int(megabytes * 1e6), 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        while written < target:
            text = maker.document(maker.rng.randint(20_000, 60_000)) + "\n"
            out.write(text)
            written += len(text.encode("utf-8"))
    return written


def rss_mb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def measure(size_mb: float, embedder: str, rag_dir: Path | None, cap_mb: int, work: Path) -> dict:
    corpus, index = work / f"corpus-{size_mb:g}", work / f"index-{size_mb:g}"
    shutil.rmtree(index, ignore_errors=True)
    if not (corpus / "big.txt").exists():
        write_text_file(corpus / "big.txt", size_mb)
    env = {**os.environ, "PYTHONPATH": str(rag_dir or ROOT)}
    started = time.perf_counter()
    # The child reports its own peak (ru_maxrss); the RSS watched from here only enforces the cap. It runs in the work
    # folder: run from the project folder, `python -c` would import the project's rag/ before PYTHONPATH's.
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(corpus), str(index), embedder], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work)
    watched_peak, stopped = 0, False
    while child.poll() is None:
        watched_peak = max(watched_peak, rss_mb(child.pid))
        if watched_peak > cap_mb:
            child.kill()
            stopped = True
            break
        time.sleep(0.1)
    out, err = child.communicate()
    result = {"size_mb": size_mb, "embedder": embedder, "peak_mb": watched_peak,
              "wall_s": round(time.perf_counter() - started, 1)}
    if stopped:
        return result | {"stopped_above_mb": cap_mb}
    if child.returncode != 0:
        return result | {"error": (err.strip().splitlines() or ["?"])[-1]}
    return result | json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[20, 100], help="file sizes in MB")
    parser.add_argument("--embedder", choices=["real", "hash"], default="real")
    parser.add_argument("--rag", type=Path, help="folder holding another version's rag/ package to measure instead")
    parser.add_argument("--cap-gb", type=float, default=6.0, help="stop a child whose RSS passes this")
    parser.add_argument("--work", type=Path, help="folder for the generated files and indexes (default: a temp folder)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="rag-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"code: {args.rag or ROOT}; embedder: {args.embedder}; work: {work}", flush=True)
    for size in args.sizes:
        r = measure(size, args.embedder, args.rag, int(args.cap_gb * 1024), work)
        line = f"{size:g} MB text file: peak {r['peak_mb']:,} MB"
        if "stopped_above_mb" in r:
            line += f" - stopped above the {r['stopped_above_mb']:,} MB cap after {r['wall_s']} s"
        elif "error" in r:
            line += f" - failed: {r['error']}"
        else:
            line += (f" ({r['held_mb']:,} MB before the ingest: Python, torch and the model; "
                     f"+{r['peak_mb'] - r['held_mb']:,} MB for the ingest); {r['chunks']:,} chunks in {r['seconds']:.0f} s")
        print(line, flush=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
