"""Training data for the reader, and its fitted head.

    python train/reader.py pairs   # -> train/data/reader_pairs.jsonl: (question, sentence, label) for the encoder
    python train/reader.py fit     # needs the trained encoder; -> rag/weights/reader.json (weights, threshold)

Each written question (train/data/reader_questions.jsonl) is put in the setting the product meets: its
passage among the four passages of the pool closest to it (what retrieval would return), every sentence of
the five a candidate. A sentence of the question's passage that overlaps a quoted answer is a positive;
every other candidate is a negative, and an unanswerable question has none.
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
from pathlib import Path

import numpy as np

from common import (
    DATA, SEED, abstention_threshold, fold, logistic, out_of_fold, passages, read_jsonl, save_head, seed_everything,
    split_of, standardise, write_jsonl,
)

from rag.models import Citation  # noqa: E402
from rag.reader.candidates import Candidate, candidates  # noqa: E402

DISTRACTORS = 4
HARD_NEGATIVES = 4
RANDOM_NEGATIVES = 1


def _labels(cands: list[Candidate], gold_source: int, passage_text: str, quotes: list[str]) -> list[int]:
    folded = fold(passage_text).lower()
    spans = []
    for q in quotes:
        at = folded.find(fold(q).lower())
        if at >= 0:
            spans.append((at, at + len(fold(q))))
    out = []
    for c in cands:
        if c.source != gold_source or not spans:
            out.append(0)
            continue
        at = folded.find(c.text.lower())
        if at < 0:
            out.append(0)
            continue
        a, b = at, at + len(c.text)
        hit = any(min(b, y) - max(a, x) >= 0.5 * min(b - a, y - x) for x, y in spans)
        out.append(int(hit))
    return out


def _citation(passage: dict, k: int, score: float) -> Citation:
    return Citation(number=k + 1, doc_id=passage["source"], title=passage.get("title", passage["source"]),
                    text=passage["text"], start=0, end=len(passage["text"]), score=score)


def settings_for_questions(embedder, off_topic: bool = False) -> list[dict]:
    """Each question with its five sources (gold passage among its nearest neighbours) and labelled candidates.
    ``off_topic``: also each answerable question again with its own document's passages left out (the nearest
    passages of other documents): mostly questions the sources do not answer at all, as off-topic questions are."""
    pool = passages()
    questions = read_jsonl(DATA / "reader_questions.jsonl")
    used = sorted({q["pid"] for q in questions} | set(pool))
    texts = [pool[p]["text"][:1500] for p in used]  # the embedder reads ~256 word pieces anyway
    vecs = embedder.embed(texts)
    qvecs = embedder.embed([q["question"] for q in questions])
    # Every sentence of the pool in one large batch (all cores), so that per-question calls hit the cache.
    sentences = sorted({c.text for p in used for c in candidates([_citation(pool[p], 0, 0.0)])})
    print(f"embedding {len(sentences)} pool sentences", flush=True)
    embedder.embed(sentences)
    index = {p: i for i, p in enumerate(used)}
    out = []
    for q, qv in zip(questions, qvecs):
        gold = pool[q["pid"]]
        sims = vecs @ qv
        order = [used[i] for i in np.argsort(-sims) if used[i] != q["pid"] and pool[used[i]]["text"] != gold["text"]]
        chosen = [q["pid"]] + order[:DISTRACTORS]
        chosen.sort(key=lambda p: -sims[index[p]])  # as dense retrieval would order them
        sources = [_citation(pool[p], k, float(sims[index[p]])) for k, p in enumerate(chosen)]
        cands = candidates(sources)
        labels = _labels(cands, chosen.index(q["pid"]), gold["text"], q.get("answer") or [])
        out.append({"question": q, "sources": sources, "candidates": cands, "labels": labels,
                    "split": split_of(gold["source"])})
        if off_topic and q["type"] != "unanswerable":
            others = [p for p in order if pool[p]["source"] != gold["source"]][: DISTRACTORS + 1]
            foreign = [_citation(pool[p], k, float(sims[index[p]])) for k, p in enumerate(others)]
            out.append({"question": dict(q, type="unanswerable", answer=[], pid=q["pid"] + "-offtopic"),
                        "sources": foreign, "candidates": candidates(foreign), "labels": [0] * len(candidates(foreign)),
                        "split": split_of(gold["source"]), "off_topic": True})
    return out


def make_pairs(args) -> None:
    from rag.embeddings import CachedEmbedder, LocalEmbedder
    from rag.reader.question import analyse
    from rag.reader.features import _stems

    seed_everything()
    rng = random.Random(SEED)
    embedder = CachedEmbedder(LocalEmbedder())
    rows = []
    found = answerable = 0
    for item in settings_for_questions(embedder):
        if item["split"] != "encoder":
            continue
        q, cands, labels = item["question"], item["candidates"], item["labels"]
        if not cands:
            continue
        qa = analyse(q["question"])
        vecs = embedder.embed([q["question"]] + [c.text for c in cands])
        cos = vecs[1:] @ vecs[0]
        overlap = np.array([len(set(qa.terms) & _stems(c.text)) / max(1, len(qa.terms)) for c in cands])
        prescore = 0.5 * cos + 0.5 * overlap
        positives = [i for i, y in enumerate(labels) if y]
        if q["type"] != "unanswerable":
            answerable += 1
            found += bool(positives)
            if not positives:
                continue  # the quote did not fall on a sentence boundary we can find: leave it out
        negatives = [i for i in np.argsort(-prescore) if not labels[i]][:HARD_NEGATIVES]
        rest = [i for i in range(len(cands)) if not labels[i] and i not in negatives]
        negatives += rng.sample(rest, min(RANDOM_NEGATIVES, len(rest)))
        for i in positives:
            rows.append({"task": "question", "first": q["question"], "second": cands[i].text, "label": 1})
        for i in negatives:
            rows.append({"task": "question", "first": q["question"], "second": cands[int(i)].text, "label": 0})
    write_jsonl(DATA / "reader_pairs.jsonl", rows)
    print(f"{len(rows)} reader pairs ({sum(r['label'] for r in rows)} positive); "
          f"answer sentence found for {found}/{answerable} answerable questions")


def fit(args) -> None:
    from rag.embeddings import CachedEmbedder, LocalEmbedder
    from rag.learned.cross_encoder import CrossEncoder
    from rag.learned.linear import LinearModel
    from rag.reader.features import FEATURES, featurize
    from rag.reader.question import analyse
    from rag.reader.ranker import Reader

    seed_everything()
    embedder = CachedEmbedder(LocalEmbedder())
    encoder = CrossEncoder()
    dummy = LinearModel(FEATURES, np.zeros(len(FEATURES)), 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 0.5)
    reader = Reader(embedder, encoder, dummy)
    X_rows, y_rows, groups, qids, answerable, kept = [], [], [], [], [], []
    cache = Path("/tmp") / f"reader-fit-{encoder.model_id.split(':')[-1]}-{len(FEATURES)}.pkl"
    if cache.is_file():
        X_rows, y_rows, groups, qids, answerable, kept = pickle.loads(cache.read_bytes())
    else:
        items = [it for it in settings_for_questions(embedder, off_topic=True) if it["split"] == "head"]
        for k, item in enumerate(items):
            q, cands, labels = item["question"], item["candidates"], item["labels"]
            if not cands or (q["type"] != "unanswerable" and not any(labels)):
                continue
            qa = analyse(q["question"])
            X = featurize(qa, cands, reader.signals(qa, cands))
            X_rows.append(X)
            y_rows += labels
            groups += [q["pid"]] * len(cands)
            qids += [k] * len(cands)
            answerable.append((k, q["type"] != "unanswerable"))
            kept.append((k, qa, cands, q["pid"].removesuffix("-offtopic"), bool(item.get("off_topic"))))
        cache.write_bytes(pickle.dumps((X_rows, y_rows, groups, qids, answerable, kept)))
    X = np.vstack(X_rows)
    y = np.array(y_rows)
    qids_arr = np.array(qids)
    off_topic_q = {k for k, _, _, _, off in kept if off}
    real = ~np.isin(qids_arr, list(off_topic_q))
    mean, scale = standardise(X, real)
    Z = (X - mean) / scale
    # Out-of-fold probabilities for every row (off-topic settings too), from models fitted on real questions only.
    oof = out_of_fold(Z, y, np.array(groups), fit_rows=real)
    clf = logistic().fit(Z[real], y[real])
    questions = [(k, a) for k, a in answerable if k not in off_topic_q]
    # The best sentence's probability, and whether it is an answer, per real question.
    best = {k: float(oof[qids_arr == k].max()) for k, _ in questions}
    ans = [k for k, a in questions if a]
    una = [k for k, a in questions if not a]
    # Further sentences join an answer above this: the best-sentence probability that would keep false
    # abstention at or under 5% (out of fold).
    threshold, abstains = abstention_threshold([best[k] for k in ans], [best[k] for k in una])
    top1 = np.mean([bool(y[qids_arr == k][int(np.argmax(oof[qids_arr == k]))]) for k in ans])
    top3 = np.mean([bool(y[qids_arr == k][np.argsort(-oof[qids_arr == k])[:3]].any()) for k in ans])
    meta = {
        "version": "2", "trained_on": "train/data/reader_questions.jsonl (head split)", "questions": len(questions),
        "answerable": len(ans), "unanswerable": len(una), "candidates": int(real.sum()),
        "out_of_fold": {"top1": round(float(top1), 3), "top3": round(float(top3), 3),
                        "abstention": round(float(abstains), 3)},
    }
    print(f"reader head: {len(ans)} answerable / {len(una)} unanswerable questions, {len(y)} candidates; "
          f"out-of-fold top1 {top1:.3f} top3 {top3:.3f}; threshold {threshold:.3f} abstains on {abstains:.3f}")
    save_head("reader", FEATURES, clf, mean, scale, threshold, meta)
    print(f"  ({len(off_topic_q)} off-topic settings for the abstention model)")
    fit_answerable(kept, X_rows, oof, qids_arr, answerable)


def fit_answerable(kept, X_rows, oof, qids_arr, answerable) -> None:
    """The abstention model: features of each question's whole ranking (out-of-fold probabilities)."""
    from rag.reader.abstain import ANSWERABLE_FEATURES, answerable_features
    from rag.reader.ranker import RankedSentence

    is_answerable = dict(answerable)
    rows, labels, groups = [], [], []
    for (k, qa, cands, pid, _), X in zip(kept, X_rows):
        p = oof[qids_arr == k]
        order = np.argsort(-p, kind="stable")
        ranked = [RankedSentence(cands[i], float(p[i]), tuple(float(v) for v in X[i])) for i in order]
        rows.append(answerable_features(qa, ranked))
        labels.append(int(is_answerable[k]))
        groups.append(pid)
    A = np.array(rows)
    y = np.array(labels)
    mean, scale = standardise(A)
    Z = (A - mean) / scale
    oof_a = out_of_fold(Z, y, np.array(groups))
    clf = logistic().fit(Z, y)
    threshold, abstains = abstention_threshold(oof_a[y == 1], oof_a[y == 0])
    meta = {"version": "2", "trained_on": "train/data/reader_questions.jsonl (head split; each answerable question also off topic)", "questions": int(len(y)),
            "out_of_fold": {"abstention": round(abstains, 3), "false_abstention_max": 0.05}}
    print(f"abstention model on {len(y)} questions: out-of-fold abstention {abstains:.3f} at false abstention <= 0.05 "
          f"(threshold {threshold:.3f})")
    save_head("answerable", ANSWERABLE_FEATURES, clf, mean, scale, threshold, meta)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("pairs", "fit"))
    args = parser.parse_args()
    {"pairs": make_pairs, "fit": fit}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
