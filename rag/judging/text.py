"""Text handling for the judges: cleaning, sentence and claim splitting, stemming, tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .lexicon import NEGATORS, STOPWORDS


_CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*[,;\-–]\s*\d+)*\]")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_NOISE = re.compile(r"(\*\*|__|`|^\s{0,3}#{1,6}\s+|^\s*(?:[-*•]|\d+[.)])\s+)", re.MULTILINE)
_TRANSLATE = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "—", "\u00a0": " ", "\u2009": " "})

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc inc ltd co corp no fig gen gov sen rep jan feb mar apr jun jul aug sep sept "
    "oct nov dec e.g i.e u.s u.k u.n a.m p.m approx est".split()
)
_BOUNDARY = re.compile(r'[.!?]+["\')\]]*\s+')


def clean_text(text: str) -> str:
    """Plain prose: typographic quotes folded, markdown and [n] citation markers removed."""
    text = text.translate(_TRANSLATE)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_NOISE.sub("", text)
    return _CITATION_MARK.sub("", text)


def _blocks(text: str) -> list[str]:
    """Paragraphs; a short line without final punctuation (a heading) stands alone; wrapped lines are rejoined."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in para.split("\n"):
            line = line.strip()
            if not line:
                continue
            heading = len(line.split()) <= 12 and not re.search(r'[.!?:;,"\')]$', line)
            if heading:
                if current:
                    out.append(" ".join(current))
                    current = []
                out.append(line)
            else:
                current.append(line)
        if current:
            out.append(" ".join(current))
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; abbreviations ('Dr.', 'U.S.') and initials ('J. Smith') do not end one."""
    sentences: list[str] = []
    for block in _blocks(clean_text(text)):
        start = 0
        for match in _BOUNDARY.finditer(block):
            before = block[start : match.start() + 1].rstrip(".!?\"')] ").split()
            last = before[-1].lower().rstrip(".") if before else ""
            following = block[match.end() : match.end() + 1]
            if block[match.start()] == "." and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
                continue
            if following and not (following.isupper() or following.isdigit() or following in "\"'($"):
                continue
            piece = block[start : match.end()].strip()
            if piece:
                sentences.append(piece)
            start = match.end()
        tail = block[start:].strip()
        if tail:
            sentences.append(tail)
    return [s for s in (re.sub(r"\s+", " ", s) for s in sentences) if any(c.isalnum() for c in s)]


_CLAUSE_START = frozenset(
    "it they he she we i this that these those the a an its their his her our there such one".split()
)
_FINITE_HINT = frozenset(
    "is are was were has have had will would can could may might must should does did do said says".split()
)


def _looks_like_clause(words: list[str]) -> bool:
    """Enough of a sentence to stand alone: a few words, a subject-like start, something verb-like."""
    if len(words) < 4:
        return False
    first = words[0]
    if not (first.lower() in _CLAUSE_START or first[:1].isupper()):
        return False
    return any(w.lower() in _FINITE_HINT or re.fullmatch(r"[a-z]{3,}(?:ed|es)", w.lower() or "") for w in words[1:])


def split_claims(text: str) -> list[str]:
    """Split an answer into atomic-ish claims: sentences, then '; ' and ', and/but' joints between two clauses."""
    claims: list[str] = []
    for sentence in split_sentences(text):
        parts = [p.strip() for p in re.split(r";\s+", sentence)]
        if len(parts) > 1 and not all(_looks_like_clause(p.split()) or i == 0 for i, p in enumerate(parts)):
            parts = [sentence]
        for part in parts:
            pieces = re.split(r",\s+(?:and|but|while|whereas)\s+", part)
            if len(pieces) > 1 and all(len(p.split()) >= 4 for p in pieces) and all(
                _looks_like_clause(p.split()) for p in pieces[1:]
            ):
                claims.extend(_finish(p) for p in pieces)
            else:
                claims.append(_finish(part))
    return [c for c in claims if len(c.split()) >= 2]


def _finish(piece: str) -> str:
    piece = piece.strip().rstrip(",;:")
    if piece and piece[-1] not in ".!?\"'":
        piece += "."
    return piece[:1].upper() + piece[1:]


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


_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|[^\W\d_]+(?:'[^\W\d_]+)?|[$€£¥%]|[.,;:!?()\"—]")
_PUNCT = frozenset('.,;:!?()"—')
SCOPE_STOP = frozenset("but however although though while whereas instead rather and or".split()) | _PUNCT
SCOPE_SKIP = frozenset("yet still already ever even really actually fully entirely necessarily longer".split())


@dataclass
class Tok:
    surf: str
    low: str
    stem: str
    cap: bool
    start: bool  # first word of a sentence or quotation: capitals there prove nothing
    punct: bool
    number: bool
    neg: bool = False
    hyphen: bool = False  # joined to the next word by a hyphen ('long' in 'long-standing')


_MONTH_ABBREVIATIONS = {
    "Jan": "january", "Feb": "february", "Mar": "march", "Apr": "april", "Jun": "june", "Jul": "july",
    "Aug": "august", "Sep": "september", "Sept": "september", "Oct": "october", "Nov": "november", "Dec": "december",
}


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    at_start = True
    for match in _TOKEN.finditer(text):
        surf = match.group()
        joined = text[match.end() : match.end() + 1] == "-" and text[match.end() + 1 : match.end() + 2].isalnum()
        if surf in _PUNCT or surf in "$€£¥%":
            toks.append(Tok(surf, surf, surf, False, False, surf in _PUNCT, False))
            if surf in '.!?:"':
                at_start = True
            continue
        low = surf.lower()
        neg = False
        if low.endswith("n't"):
            neg, low = True, low[:-3] or low
            low = {"ca": "can", "wo": "will", "sha": "shall"}.get(low, low)
        elif low.endswith("'s") or low.endswith("'"):
            low = low[:-2] if low.endswith("'s") else low[:-1]
        if low in NEGATORS or low == "cannot":
            neg = True
        if surf in _MONTH_ABBREVIATIONS:
            low = _MONTH_ABBREVIATIONS[surf]  # 'Jun 6' is '6 June'
        is_number = surf[0].isdigit()
        toks.append(
            Tok(surf, low, low if is_number else stem(low), surf[0].isupper(), at_start, False, is_number, neg, joined)
        )
        at_start = False
    return toks


def is_content(t: Tok) -> bool:
    return not t.punct and not t.number and not t.neg and len(t.low) > 1 and t.low not in STOPWORDS


@dataclass
class Sentence:
    text: str
    passage: int
    index: int  # position within its passage
    toks: list[Tok]
    stems: set[str] = field(default_factory=set)
    lows: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.stems = {t.stem for t in self.toks if is_content(t)}
        self.lows = {t.low for t in self.toks if not t.punct}


def is_adverb(word: str) -> bool:
    return word.endswith("ly") and len(word) >= 6 and word not in _LY_NOUNS_AND_VERBS


_LY_NOUNS_AND_VERBS = frozenset("supply family assembly anomaly monopoly italy butterfly".split())


def near_stems(toks: list[Tok], index: int, size: int = 4) -> set[str]:
    lo, hi = max(0, index - size), min(len(toks), index + size + 1)
    return {t.stem for t in toks[lo:hi] if is_content(t)}
