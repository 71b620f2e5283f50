"""Training data for the judge's share of the cross-encoder, and the combined judge's fitted head.

    python train/judge.py pairs   # -> train/data/judge_pairs.jsonl: (claim, evidence, label) for the encoder
    python train/judge.py fit     # needs the trained encoder; -> rag/weights/judge.json (weights, threshold)

The claims (train/data/judge_claims.jsonl) were written over passages of real text (train/data/passages.jsonl).
The evidence the encoder reads is what the heuristic judge selects from the passage (``premise``), exactly as
at run time.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from common import (
    DATA, logistic, out_of_fold, passages, read_jsonl, save_head, seed_everything, split_of, standardise, write_jsonl,
)


def _cases(split: str):
    from rag.embeddings import CachedEmbedder, LocalEmbedder
    from rag.judging.heuristic import HeuristicJudge

    pool = passages()
    claims = [c for c in read_jsonl(DATA / "judge_claims.jsonl") if split_of(pool[c["pid"]]["source"]) == split]
    judge = HeuristicJudge(CachedEmbedder(LocalEmbedder()))
    cases = []
    for lo in range(0, len(claims), 64):
        part = claims[lo : lo + 64]
        cases += judge.analyse_many([(c["claim"], [pool[c["pid"]]["text"]]) for c in part])
    return claims, cases, pool


def make_pairs(args) -> None:
    from rag.judging.combined import premise

    seed_everything()
    claims, cases, _ = _cases("encoder")
    rows = [{"task": "claim", "first": c["claim"], "second": premise(case), "label": int(c["label"] == "supported")}
            for c, case in zip(claims, cases) if case.evidence]
    write_jsonl(DATA / "judge_pairs.jsonl", rows)
    print(f"{len(rows)} judge pairs ({sum(r['label'] for r in rows)} supported)")


def fit(args) -> None:
    from rag.judging.combined import FEATURES, features, premise
    from rag.learned.cross_encoder import CrossEncoder

    seed_everything()
    claims, cases, pool = _cases("head")
    keep = [(c, case) for c, case in zip(claims, cases) if case.evidence]
    encoder = CrossEncoder()
    logits = encoder.score("claim", [(case.claim, premise(case)) for _, case in keep])
    X = np.array([features(case, float(z)) for (_, case), z in zip(keep, logits)])
    y = np.array([int(c["label"] == "supported") for c, _ in keep])
    groups = np.array([pool[c["pid"]]["source"] for c, _ in keep])
    mean, scale = standardise(X)
    Z = (X - mean) / scale
    oof = out_of_fold(Z, y, groups)
    clf = logistic().fit(Z, y)

    def balanced(pred: np.ndarray) -> float:
        return 0.5 * (np.mean(pred[y == 1]) + np.mean(1 - pred[y == 0]))

    thresholds = np.linspace(0.2, 0.8, 61)
    scores = [balanced((oof >= t).astype(int)) for t in thresholds]
    t = float(thresholds[int(np.argmax(scores))])
    heuristic = np.array([case.verdict.supported for _, case in keep]).astype(int)
    ce_only = (logits >= 0).astype(int)
    meta = {"version": "1", "trained_on": "train/data/judge_claims.jsonl (head split)", "claims": int(len(y)),
            "out_of_fold_balanced_accuracy": round(float(max(scores)), 3),
            "heuristic_balanced_accuracy": round(float(balanced(heuristic)), 3),
            "cross_encoder_alone_balanced_accuracy": round(float(balanced(ce_only)), 3)}
    print(f"judge head on {len(y)} claims: out-of-fold balanced accuracy {max(scores):.3f} at threshold {t:.2f}; "
          f"heuristic alone {meta['heuristic_balanced_accuracy']}, cross-encoder alone "
          f"{meta['cross_encoder_alone_balanced_accuracy']}")
    save_head("judge", FEATURES, clf, mean, scale, t, meta)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("pairs", "fit"))
    args = parser.parse_args()
    {"pairs": make_pairs, "fit": fit}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
