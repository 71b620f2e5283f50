"""The judge's view of text: cleaning, claims, and tokens with their stems (sentences and stems come from
``rag.nlp``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..nlp.sentences import sentences
from ..nlp.stemming import stem
from .lexicon import NEGATORS, STOPWORDS


_CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*[,;\-–]\s*\d+)*\]")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_NOISE = re.compile(r"(\*\*|__|`|^\s{0,3}#{1,6}\s+|^\s*(?:[-*•]|\d+[.)])\s+)", re.MULTILINE)
_TRANSLATE = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "—", "\u00a0": " ", "\u2009": " "})

def clean_text(text: str) -> str:
    """Plain prose: typographic quotes folded, markdown and [n] citation markers removed."""
    text = text.translate(_TRANSLATE)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_NOISE.sub("", text)
    return _CITATION_MARK.sub("", text)


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage, cut by the toolkit's one splitter after cleaning (see ``rag.nlp.sentences``)."""
    return sentences(clean_text(text))


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
