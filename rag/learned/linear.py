"""A logistic model over named features, with its calibrated threshold, stored as a small JSON file.

Scoring needs only NumPy: scikit-learn fits the weights at training time (``train/``), not at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np


@dataclass(frozen=True)
class LinearModel:
    """``p = sigmoid(bias + sum(weight_i * (x_i - mean_i) / scale_i))``; ``threshold`` turns p into a decision."""

    features: tuple[str, ...]
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float
    meta: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "LinearModel":
        data = json.loads(Path(path).read_text())
        return cls(
            features=tuple(data["features"]), weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]), mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64), threshold=float(data["threshold"]),
            meta=data.get("meta", {}),
        )

    def save(self, path: Path) -> None:
        data = {
            "features": list(self.features), "weights": [round(float(w), 6) for w in self.weights],
            "bias": round(self.bias, 6), "mean": [round(float(m), 6) for m in self.mean],
            "scale": [round(float(s), 6) for s in self.scale], "threshold": round(self.threshold, 6), "meta": self.meta,
        }
        Path(path).write_text(json.dumps(data, indent=1) + "\n")

    def probability(self, X: np.ndarray, disabled: Iterable[str] = ()) -> np.ndarray:
        """Probabilities for rows of ``X`` (columns in ``features`` order). A disabled feature is held at its
        training mean: its column then contributes nothing (ablation)."""
        Z = (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
        off = [self.features.index(name) for name in disabled if name in self.features]
        if off:
            Z[:, off] = 0.0
        return 1.0 / (1.0 + np.exp(-(Z @ self.weights + self.bias)))

    def contributions(self, row: Sequence[float]) -> dict[str, float]:
        """Each feature's share of one decision's log-odds: what carried it."""
        z = (np.asarray(row, dtype=np.float64) - self.mean) / self.scale
        return {name: float(w * v) for name, w, v in zip(self.features, self.weights, z)}
