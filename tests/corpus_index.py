"""One loaded embedder and one index of the bundled corpus per test session, for every module that needs them.

Module-level caches rather than fixtures, because a session fixture defined in one test module is not
visible in another, and loading the model or embedding the corpus twice would cost the suite seconds.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from rag import Assistant, Settings
from rag.embeddings import LocalEmbedder

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@lru_cache(maxsize=1)
def shared_embedder() -> LocalEmbedder:
    return LocalEmbedder()


def scratch_dir(prefix: str) -> Path:
    """A temporary folder removed when the test process exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@lru_cache(maxsize=1)
def bundled_index() -> Path:
    """An index of the bundled corpus (read in place, never modified), built once."""
    index_dir = scratch_dir("rag-test-index-") / "index"
    report = Assistant(Settings(corpus_dir=CORPUS, index_dir=index_dir), embedder=shared_embedder()).ingest()
    assert report.added == len([p for p in CORPUS.iterdir() if p.is_file()]) and not report.skipped, report
    return index_dir


def bundled_settings(**overrides) -> Settings:
    return Settings(corpus_dir=CORPUS, index_dir=bundled_index(), **overrides)
