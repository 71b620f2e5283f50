"""The stemmer: word families share a stem ('improvement', 'improves', 'improved' -> 'improv')."""

from __future__ import annotations

import re
from functools import lru_cache

IRREGULAR = {
    "wrote": "write", "written": "write", "said": "say", "made": "make", "built": "build", "began": "begin",
    "begun": "begin", "grew": "grow", "grown": "grow", "found": "find", "brought": "bring", "thought": "think",
    "led": "lead", "took": "take", "taken": "take", "gave": "give", "given": "give", "went": "go", "came": "come",
    "shown": "show", "known": "know", "knew": "know", "drove": "drive", "driven": "drive", "held": "hold",
    "ran": "run", "told": "tell", "sold": "sell", "won": "win", "lost": "lose", "spent": "spend", "met": "meet",
    "left": "leave", "became": "become", "chose": "choose", "chosen": "choose", "fell": "fall", "fallen": "fall",
    "rose": "rise", "risen": "rise", "saw": "see", "seen": "see", "felt": "feel", "kept": "keep", "meant": "mean",
    "paid": "pay", "sent": "send", "stood": "stand", "understood": "understand", "struck": "strike",
    "taught": "teach", "caught": "catch", "bought": "buy", "fought": "fight", "sought": "seek", "drew": "draw",
    "drawn": "draw", "flew": "fly", "spoke": "speak", "spoken": "speak", "broke": "break", "broken": "break",
    "hid": "hide", "hidden": "hide", "laid": "lay", "dealt": "deal", "arose": "arise", "arisen": "arise",
    "better": "good", "best": "good", "worse": "bad", "worst": "bad", "people": "person", "men": "man",
    "women": "woman", "children": "child", "data": "data", "media": "media", "news": "news",
}


_DERIVATIONAL = (
    ("isation", "ize"), ("ization", "ize"), ("ational", "ate"), ("ation", "ate"), ("ition", "it"),
    ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("ically", "ic"), ("ability", "able"),
    ("ibility", "ible"), ("ment", ""), ("ness", ""), ("ity", ""), ("ively", "ive"), ("ly", ""), ("er", ""),
    ("est", ""), ("ive", ""), ("al", ""), ("ise", "ize"),
)


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Suffix stripping in three passes (inflection, derivation, tidy-up) so that word families share a stem:
    'improvement'/'improves'/'improved' -> 'improv', 'capability'/'capable' -> 'capabl'."""
    w = word.lower().replace("'", "")
    if w in IRREGULAR:
        base = IRREGULAR[w]
        return w if base == w else stem(base)  # 'rose' -> 'rise' -> what 'rise', 'rising' stem to
    if len(w) <= 3 or not w.isalpha():
        return w
    # Inflection.
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    if w.endswith("eed"):
        if len(w) > 5:
            w = w[:-1]  # 'agreed' -> 'agree'; 'need', 'speed' stay
    elif w.endswith("ing") and len(w) - 3 >= 3 and re.search(r"[aeiouy]", w[:-3]):
        w = w[:-3]
    elif w.endswith("ed") and len(w) - 2 >= 3 and re.search(r"[aeiouy]", w[:-2]):
        w = w[:-2]
    # Derivation, twice: 'confidentially' -> 'confidential' -> 'confidenti', like 'confidential' itself.
    for _ in range(2):
        for suffix, repl in _DERIVATIONAL:
            if w.endswith(suffix) and len(w) - len(suffix) >= 4:
                w = w[: -len(suffix)] + repl
                break
        else:
            break
    # Tidy-up: final e ('hire' like 'hired', 'hiring'), y->i, doubled consonant.
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    return w
