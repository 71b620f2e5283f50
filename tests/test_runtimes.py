"""The two model runtimes are interchangeable, and the answer path never loads torch.

The onnx runtime (the default) and the torch runtime (``RAG_MODEL_RUNTIME=torch``) must give the same vectors
and the same cross-encoder logits on real text, so that an index built by one is searched by the other and the
fitted heads (reader.json, judge.json, answerable.json: they take the logit as a feature) decide alike.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from corpus_index import CORPUS, ROOT, bundled_index, bundled_settings, scratch_dir, shared_embedder
from rag import Assistant, Settings
from rag.errors import ConfigError
from rag.nlp import sentences as split_sentences

pytestmark = pytest.mark.timeout(300)
TRAIN = ROOT / "train" / "data"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (TRAIN / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=1)
def torch_embedder():
    from rag.embeddings import TorchEmbedder

    return TorchEmbedder()


@lru_cache(maxsize=1)
def cross_encoders():
    from rag.learned.cross_encoder import CrossEncoder

    return CrossEncoder(runtime="onnx"), CrossEncoder(runtime="torch")


@lru_cache(maxsize=1)
def real_texts() -> list[str]:
    """Passages of real text (technical, legal, prose; some past the 256-token window) and single sentences."""
    passages = [p["text"] for p in _rows("passages.jsonl")[::30][:40]]
    sentences = [s for text in passages[:12] for s in split_sentences(text)][:60]
    documents = [p.read_text(encoding="utf-8", errors="replace")[:1500] for p in sorted(CORPUS.iterdir())]
    return passages + sentences + documents


def test_query_and_ingest_vectors_agree_on_real_text() -> None:
    texts = real_texts()
    light, heavy = shared_embedder().embed(texts), torch_embedder().embed(texts)
    cosine = (light * heavy).sum(axis=1)
    assert light.shape == heavy.shape == (len(texts), 384)
    assert cosine.min() >= 0.999, (cosine.min(), texts[int(cosine.argmin())][:80])
    np.testing.assert_allclose(np.linalg.norm(light, axis=1), 1.0, atol=1e-5)


def test_both_runtimes_count_word_pieces_alike() -> None:
    # Chunk boundaries come from these counts: an index re-ingested with the other runtime must not re-chunk.
    light, heavy = shared_embedder(), torch_embedder()
    assert light.max_tokens == heavy.max_tokens == 254
    for text in real_texts()[::7]:
        assert light.token_counter()(text) == heavy.token_counter()(text)


def test_cross_encoder_logits_agree_on_real_pairs() -> None:
    passages = {p["pid"]: p["text"] for p in _rows("passages.jsonl")}
    questions = [(q["question"], q["answer"][0] if q["answer"] else passages[q["pid"]][:300])
                 for q in _rows("reader_questions.jsonl")[::90][:40]]
    claims = [(c["claim"], passages[c["pid"]][:800]) for c in _rows("judge_claims.jsonl")[::110][:40]]
    light, heavy = cross_encoders()
    for task, pairs in (("question", questions), ("claim", claims)):
        a, b = light.score(task, pairs), heavy.score(task, pairs)
        assert np.abs(a - b).max() < 1e-3, (task, np.abs(a - b).max())
        assert ((a > 0) == (b > 0)).all()
    assert light.model_id == heavy.model_id


def test_a_first_segment_longer_than_the_window_is_scored_not_refused() -> None:
    light, heavy = cross_encoders()
    question = "Which of these many words " + "really " * 200 + "matters?"
    a, b = light.score("question", [(question, "This one does.")]), heavy.score("question", [(question, "This one does.")])
    assert np.isfinite(a).all() and abs(float(a[0] - b[0])) < 1e-3


def test_answers_are_the_same_on_either_runtime() -> None:
    light = Assistant(bundled_settings(), embedder=shared_embedder())
    heavy = Assistant(bundled_settings(model_runtime="torch"), embedder=torch_embedder())
    heavy._cross_encoder = cross_encoders()[1]  # the one already loaded; the settings name the same runtime
    for question in ("Who co-founded Sakana AI?", "What does the name Sakana mean?", "What is the capital of Peru?"):
        a, b = light.ask(question), heavy.ask(question)
        assert (a.text, a.abstained, [c.doc_id for c in a.citations]) == (b.text, b.abstained, [c.doc_id for c in b.citations])


def test_an_index_built_with_torch_is_searched_with_onnx() -> None:
    index = scratch_dir("rag-test-torch-index-") / "index"
    built = Assistant(Settings(corpus_dir=CORPUS, index_dir=index, model_runtime="torch"), embedder=torch_embedder())
    built.ingest()
    searched = Assistant(Settings(corpus_dir=CORPUS, index_dir=index), embedder=shared_embedder())
    for question in ("Who co-founded Sakana AI?", "What security risks come with self-improving AI?"):
        assert [c.chunk_id for c in searched.retrieve(question, mode="dense")] == \
            [c.chunk_id for c in built.retrieve(question, mode="dense")]


def test_asking_loads_neither_torch_nor_sentence_transformers() -> None:
    code = (
        "import sys\n"
        "from rag import Assistant, Settings\n"
        f"answer = Assistant(Settings(corpus_dir={str(CORPUS)!r}, index_dir={str(bundled_index())!r})).ask("
        "'Who co-founded Sakana AI?')\n"
        "assert 'David Ha' in answer.text, answer.text\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_weights_the_graph_was_not_written_for_are_refused() -> None:
    from rag.learned import WEIGHTS_DIR
    from rag.learned.runtime import session

    with pytest.raises(ConfigError, match="minilm-embedder.onnx.*rerun"):
        session(WEIGHTS_DIR / "minilm-embedder.onnx", WEIGHTS_DIR / "cross-encoder" / "model.safetensors",
                fix="rerun train/export_onnx.py")


def test_the_shipped_graphs_are_what_the_export_script_writes() -> None:
    pytest.importorskip("onnx")
    done = subprocess.run([sys.executable, str(ROOT / "train" / "export_onnx.py"), "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
