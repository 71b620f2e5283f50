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
