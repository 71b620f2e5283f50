"""What the training scripts share: the data files, the split by document, and the loaded parts."""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "train" / "data"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SEED = 13
# Documents whose hash falls below this share train the cross-encoder; the rest fit the linear heads and
# calibrate their thresholds (scores of pairs the encoder was trained on would be too good to calibrate on).
ENCODER_SHARE = 0.8


def read_jsonl(path: Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def passages() -> dict[str, dict]:
    return {p["pid"]: p for p in read_jsonl(DATA / "passages.jsonl")}


def split_of(source: str) -> str:
    """'encoder' or 'head', fixed per source document."""
    h = int(hashlib.sha1(source.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "encoder" if h < ENCODER_SHARE else "head"


def seed_everything(seed: int = SEED) -> None:
    random.seed(seed)
    import numpy as np

    np.random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:
        pass


def fold(text: str) -> str:
    return " ".join(text.split())


# -- the fitted heads: one recipe for the reader's ranker, its abstention model and the judge -----------------

def logistic():
    """The classifier every head is: balanced classes (answers are rare among candidate sentences)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")


def standardise(X, rows=None):
    """Feature means and scales (over ``rows`` when given), as the runtime's LinearModel applies them."""
    fit = X if rows is None else X[rows]
    return fit.mean(axis=0), fit.std(axis=0) + 1e-6


def out_of_fold(Z, y, groups, fit_rows=None):
    """Probabilities for every row from models that never saw its group (5 folds); each fold's model is fitted
    on its training rows that ``fit_rows`` allows (all by default)."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    oof = np.zeros(len(y))
    for train_idx, test_idx in GroupKFold(n_splits=5).split(Z, y, groups):
        if fit_rows is not None:
            train_idx = train_idx[fit_rows[train_idx]]
        oof[test_idx] = logistic().fit(Z[train_idx], y[train_idx]).predict_proba(Z[test_idx])[:, 1]
    return oof


def abstention_threshold(answerable, unanswerable, max_false: float = 0.05) -> tuple[float, float]:
    """The threshold (below it: abstain) that abstains on the most unanswerable questions while abstaining on at
    most ``max_false`` of the answerable ones; and that share of unanswerable questions."""
    import numpy as np

    answerable, unanswerable = np.asarray(answerable), np.asarray(unanswerable)
    best_t, best_ab = 0.0, -1.0
    for t in sorted({round(float(v), 4) for v in np.concatenate([answerable, unanswerable])}):
        fa = float(np.mean(answerable < t)) if len(answerable) else 0.0
        ab = float(np.mean(unanswerable < t)) if len(unanswerable) else 0.0
        if fa <= max_false and ab > best_ab:
            best_t, best_ab = t, ab
    return best_t, best_ab


def save_head(name: str, features, clf, mean, scale, threshold: float, meta: dict) -> None:
    """Write rag/weights/NAME.json and print the weights, largest first."""
    from rag.learned.linear import LinearModel

    LinearModel(tuple(features), clf.coef_[0], float(clf.intercept_[0]), mean, scale, threshold, meta).save(
        ROOT / "rag" / "weights" / f"{name}.json")
    for feature, w in sorted(zip(features, clf.coef_[0]), key=lambda x: -abs(x[1])):
        print(f"  {feature:20s} {w:+.3f}")
