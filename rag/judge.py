"""Support judges: do these passages, taken together, back this claim?

Two judges share one interface. ``HeuristicJudge`` runs offline with nothing but the local embedder: it finds
the passage sentences that best match the claim (embedding cosine plus overlap of stemmed content words), then
runs explicit checks for what similarity misses -- a swapped number or name, a flipped negation, a hedge turned
into a certainty, a statement put in the wrong mouth, a detail the passage never gives. ``LLMJudge`` asks any
OpenAI-compatible endpoint for a JSON verdict and never raises.

Both serve citation verification (each answer sentence against the passages it cites) and the evaluation
harness (faithfulness, citation precision and recall).
"""

from __future__ import annotations

import ast
import json
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Protocol, Sequence

if TYPE_CHECKING:
    import numpy as np

    from .config import Settings


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float  # in [0, 1], higher = more supported
    reason: str  # short: "number 90 not in passage", "negation mismatch ('reach')", ...


class Judge(Protocol):
    name: str

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict: ...

    def judge_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Verdict]: ...


# --------------------------------------------------------------------------------------------------------------
# Text cleaning and splitting
# --------------------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------------------
# Lexicon. Small closed-class word lists; nothing here names a topic of the corpus.
# --------------------------------------------------------------------------------------------------------------

_STOPWORDS = frozenset("""
a about above after again against am an and any are as at be because been before being below between both but by
can could did do does doing down during each for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me my myself of off on once or other our ours ourselves out own
same she should so such than that the their theirs them themselves then there these they this those through to too
until up very was we were what when where which while who whom why with would you your yours yourself yourselves
also s t ll d ve re m o y co per via upon whether within among amongst across toward towards onto one ones
etc mr mrs ms dr let lets got get gets getting go goes going gone thing things way ways it's that's
""".split())

# Words that say little on their own: a claim may add them without adding a fact.
_LIGHT = frozenset("""
say said says saying tell told state stated states note noted notes report reported reports according describe
described mention mentioned explain explained add added claim claims company companies firm firms business
organisation organization article post blog piece statement people person someone something new current currently
recent recently now today still even yet already also well much many various several number lot lots really
actually indeed especially particularly mainly largely mostly generally specifically simply instead rather
work works make makes made use uses used using become becomes became including include includes part remain remains
kind type form sort aim aims aimed seek seeks effort efforts focus focuses focused approach approaches idea ideas
""".split())

_NEGATORS = frozenset("not no never none nobody nothing neither nor without cannot".split())
_NOT_REALLY_NEGATION = frozenset("only just merely simply necessarily".split())  # "not only A but B"
_JUST = "~just"  # stands for 'just/only/merely' in polarity sets
# 'not able to X', 'not prepared to X': the negation reaches the X as well.
_CONTROL_WORDS = frozenset("""
able capable allowed possible likely going expected supposed willing ready prepared enough sufficient equipped
designed meant permitted set
""".split())
_UN_WORDS = {
    "unclear": "clear", "unknown": "known", "unproven": "proven", "unlikely": "likely", "unable": "able",
    "impossible": "possible", "incapable": "capable", "uncertain": "certain", "unaware": "aware", "unsure": "sure",
    "unsafe": "safe", "unconfirmed": "confirmed", "unsuccessful": "successful", "insufficient": "sufficient",
    "unnecessary": "necessary", "unrealistic": "realistic", "unreached": "reached", "unsolved": "solved",
}
_NEG_PREFIX_EXEMPT = re.compile(
    r"^(?:under|uni|unit|until|unless|unveil|unleash|unlock|unfold|unravel|uncover|unpack|discuss|dispos|display|distr|disc)"
)

# Words that make a statement stronger or wider than a hedged source may allow.
_BOOSTERS = frozenset("""
will all always every everyone everybody everything entirely completely totally certainly definitely
undoubtedly inevitably inevitable guaranteed guarantee guarantees prove proves proved proven must
exactly precisely only sole solely clearly surely universally alone majority most fully already
""".split())
# 'will' is also what reported speech ('said it would') and stated plans turn into.
_WILL_EQUIVALENTS = frozenset("will would plan plans planned planning intend intends intended shall going set".split())
_HEDGES = frozenset("""
may might could possibly possible potentially potential perhaps likely probably suggest suggests suggested
suggesting appear appears seem seems partly partially consider considering option some several nearly almost
approximately roughly around about estimated expected hope hopes believe believes argue argues argued if can
""".split())
_QUANTIFIER_RANK = {
    "some": 1, "several": 1, "few": 1, "certain": 1, "sometimes": 1, "part": 1,
    "many": 2, "often": 2, "much": 2,
    "most": 3, "majority": 3, "usually": 3, "mostly": 3, "largely": 3,
    "all": 4, "every": 4, "everyone": 4, "everybody": 4, "always": 4, "entire": 4, "entirely": 4, "whole": 4,
}

_SPEECH_VERBS = frozenset("""
say says said argue argues argued warn warns warned claim claims claimed state states stated note notes noted wrote
tell tells told announce announces announced stress stresses stressed emphasise emphasises emphasised emphasize
emphasizes emphasized acknowledge acknowledges acknowledged suggest suggests suggested believe believes believed
call calls called accuse accuses accused maintain maintains maintained reject rejects rejected insist insists
insisted add adds added explain explains explained disclose discloses disclosed caution cautions cautioned propose
proposes proposed highlight highlights highlighted predict predicts predicted contend contends contended assert
asserts asserted admit admits admitted deny denies denied describe describes described dismiss dismisses dismissed
urge urges urged recommend recommends recommended concede concedes conceded reveal reveals revealed
""".split())
_PARTICIPLE_NEXT = frozenset("in by as at on to under with".split())
# Subjects that stand for a name said earlier: 'it said', 'the company said', 'the post noted'.
_PLACEHOLDER_SUBJECTS = frozenset("""
it he she they we i company firm startup lab group organisation organization post blog note statement report
announcement paper article spokesperson spokesman spokeswoman executive founder cofounder team
""".split())
# Sentence openers that are not names even when the passage never uses them.
_DISCOURSE = frozenset("""
however meanwhile instead although though despite overall thus therefore hence moreover furthermore indeed
today tomorrow yesterday later earlier finally first second next then notably importantly essentially basically
ultimately unlike like given following after before during since while because unless whereas rather
""".split())

# Title words and corporate suffixes: present in many names, so they cannot identify one.
_GENERIC_NAME_WORDS = frozenset("""
ai inc corp corporation ltd llc co lab labs laboratory university institute group company research the of and for
chief executive officer president vice head director founder cofounder co-founder former mr mrs ms dr prof professor
senator minister secretary ceo cto cfo department ministry team center centre foundation association
""".split())
_CALENDAR_WORDS = frozenset("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december
""".split())
_NAME_CONNECTORS = frozenset({"of", "de", "e", "da", "von", "van", "del", "la", "&"})
_ALIASES = {
    "us": ("united states", "american", "america", "u.s"),
    "usa": ("united states", "american", "america"),
    "uk": ("united kingdom", "britain", "british"),
    "eu": ("european union", "europe", "european"),
    "un": ("united nations",),
}

_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "zero": 0,
    # Round plurals: 'tens of billions' is not 'hundreds of billions'.
    "tens": 10, "dozens": 12, "hundreds": 100, "thousands": 1000, "millions": 1e6, "billions": 1e9,
}
_ORDINAL_WORDS = {
    "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "eleventh": 11, "twelfth": 12, "twentieth": 20, "hundredth": 100,
}
_FRACTIONS = {"half": 50.0, "quarter": 25.0}
_DETERMINERS = frozenset("the its their his her our a an this that".split())
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "mn": 1e6, "k": 1e3}
_PERCENT_WORDS = frozenset({"%", "percent", "pct"})
_CURRENCY = frozenset({"$", "€", "£", "¥", "dollars", "dollar", "euros", "euro", "pounds", "yen", "usd"})
# What stands before a number and bounds it: nearly 1 trillion < 1 trillion < more than 1 trillion.
_QUALIFIERS = (
    (("more", "than"), "above"), (("at", "least"), "above"), (("over",), "above"), (("above",), "above"),
    (("exceeding",), "above"), (("upwards", "of"), "above"), (("less", "than"), "below"),
    (("fewer", "than"), "below"), (("under",), "below"), (("nearly",), "below"), (("almost",), "below"),
    (("up", "to"), "below"), (("below",), "below"), (("approximately",), "approx"), (("about",), "approx"),
    (("around",), "approx"), (("roughly",), "approx"), (("some",), "approx"), (("close", "to"), "approx"),
    (("an", "estimated"), "approx"), (("exactly",), "exact"), (("precisely",), "exact"), (("only",), "exact"),
)
_ANTONYMS = (
    ("increase", "decrease"), ("increase", "reduce"), ("increase", "cut"), ("more", "less"), ("more", "fewer"),
    ("faster", "slower"), ("speed", "slow"), ("accelerate", "slow"), ("larger", "smaller"), ("bigger", "smaller"),
    ("higher", "lower"), ("rise", "fall"), ("gain", "lose"), ("accept", "reject"), ("support", "oppose"),
    ("before", "after"), ("easier", "harder"), ("easy", "hard"), ("easy", "difficult"), ("earlier", "later"),
    ("strengthen", "weaken"), ("allow", "prevent"), ("allow", "ban"), ("start", "stop"), ("success", "failure"),
    ("succeed", "fail"), ("win", "lose"), ("strong", "weak"), ("cheap", "expensive"), ("cheaper", "costlier"),
    ("safe", "dangerous"), ("benefit", "harm"), ("sooner", "later"), ("first", "last"), ("open", "closed"),
    ("public", "private"), ("above", "below"), ("upside", "downside"), ("optimistic", "pessimistic"),
    ("long", "short"), ("old", "new"), ("small", "large"), ("domestic", "foreign"), ("widen", "narrow"),
    ("wide", "narrow"), ("expand", "shrink"), ("grow", "shrink"), ("raise", "lower"), ("include", "exclude"),
    ("public", "confidential"), ("public", "secret"), ("internal", "external"), ("buy", "sell"), ("hire", "fire"),
    ("join", "leave"), ("add", "remove"), ("approve", "reject"), ("confirm", "deny"), ("major", "minor"),
    ("many", "few"), ("majority", "minority"), ("maximum", "minimum"), ("positive", "negative"),
    ("legal", "illegal"), ("true", "false"), ("rise", "decline"), ("increase", "decline"), ("simple", "complex"),
    ("new", "existing"), ("early", "late"), ("cautious", "reckless"), ("likely", "unlikely"),
    ("opportunity", "threat"), ("strength", "weakness"), ("help", "hurt"), ("help", "hinder"),
    ("wider", "narrower"), ("good", "bad"), ("close", "far"), ("closer", "farther"), ("stronger", "weaker"),
    ("launch", "close"), ("launch", "shut"), ("open", "shut"), ("pass", "fail"), ("create", "destroy"),
    ("win", "fail"), ("approve", "block"), ("hire", "lay"), ("north", "south"), ("east", "west"),
    ("northern", "southern"), ("eastern", "western"), ("upper", "lower"), ("inside", "outside"),
)

# Taking a side: 'asks for a framework' vs 'opposes a framework'.
_STANCE_FOR = "support back favor favour endorse want call ask urge propose advocate welcome".split()
_STANCE_AGAINST = "oppose reject resist criticise criticize dismiss fight block condemn".split()
_ANTONYM_PAIRS = _ANTONYMS + tuple((a, b) for a in _STANCE_FOR for b in _STANCE_AGAINST)

_IRREGULAR = {
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
    if w in _IRREGULAR:
        return _IRREGULAR[w]
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
    # Tidy-up: final e, y->i, doubled consonant.
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    return w


# --------------------------------------------------------------------------------------------------------------
# Token-level analysis
# --------------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|[^\W\d_]+(?:'[^\W\d_]+)?|[$€£¥%]|[.,;:!?()\"—]")
_PUNCT = frozenset('.,;:!?()"—')
_SCOPE_STOP = frozenset("but however although though while whereas instead rather and or".split()) | _PUNCT
_SCOPE_SKIP = frozenset("yet still already ever even really actually fully entirely necessarily longer".split())


@dataclass
class _Tok:
    surf: str
    low: str
    stem: str
    cap: bool
    start: bool  # first word of a sentence or quotation: capitals there prove nothing
    punct: bool
    number: bool
    neg: bool = False


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    at_start = True
    for surf in _TOKEN.findall(text):
        if surf in _PUNCT or surf in "$€£¥%":
            toks.append(_Tok(surf, surf, surf, False, False, surf in _PUNCT, False))
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
        if low in _NEGATORS or low == "cannot":
            neg = True
        is_number = surf[0].isdigit()
        toks.append(_Tok(surf, low, low if is_number else stem(low), surf[0].isupper(), at_start, False, is_number, neg))
        at_start = False
    return toks


def _is_content(t: _Tok) -> bool:
    return not t.punct and not t.number and not t.neg and len(t.low) > 1 and t.low not in _STOPWORDS


@dataclass
class _Sentence:
    text: str
    passage: int
    index: int  # position within its passage
    toks: list[_Tok]
    stems: set[str] = field(default_factory=set)
    lows: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.stems = {t.stem for t in self.toks if _is_content(t)}
        self.lows = {t.low for t in self.toks if not t.punct}


# ----- numbers


@dataclass(frozen=True)
class _Quantity:
    value: float
    kind: str  # 'percent' | 'money' | 'year' | 'ordinal' | 'count'
    index: int  # token position
    qualifier: str  # 'above' | 'below' | 'approx' | 'exact' | ''
    surface: str


def _quantities(toks: list[_Tok]) -> list[_Quantity]:
    out: list[_Quantity] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        value: float | None = None
        kind = "count"
        if t.number:
            value = float(t.surf.replace(",", ""))
        elif t.low in _NUMBER_WORDS:
            value = float(_NUMBER_WORDS[t.low])
        elif t.low in ("one", "a", "an") and i + 1 < len(toks) and toks[i + 1].low in _TIME_UNITS:
            value = 1.0  # 'within a year' is a duration of one year
        elif t.low == "one" and i + 1 < len(toks) and toks[i + 1].low in _SCALES:
            value = 1.0
        elif t.low in ("first", "second") and i > 0 and toks[i - 1].low in _DETERMINERS:
            value, kind = (1.0 if t.low == "first" else 2.0), "ordinal"  # 'the first time', 'its second lab'
        elif t.low in _ORDINAL_WORDS:
            value, kind = float(_ORDINAL_WORDS[t.low]), "ordinal"
        elif t.low in _FRACTIONS:
            value, kind = _FRACTIONS[t.low], "percent"
        if value is None:
            i += 1
            continue
        start, j = i, i + 1
        surface = t.surf
        if j < len(toks) and toks[j].low in _SCALES:
            value *= _SCALES[toks[j].low]
            surface += " " + toks[j].surf
            j += 1
        elif j + 1 < len(toks) and toks[j].low == "of" and toks[j + 1].low.rstrip("s") in _SCALES:
            value *= _SCALES[toks[j + 1].low.rstrip("s")]
            surface += " of " + toks[j + 1].surf
            j += 2
        if j < len(toks) and toks[j].low in _TIME_UNITS and kind == "count":
            # Durations compare in days: 'twelve months' is 'a year', 'six weeks' is not 'nine weeks'.
            unit = _TIME_UNITS[toks[j].low]
            value *= _DAYS[unit]
            kind, surface, j = "duration", f"{t.surf} {toks[j].surf}", j + 1
        elif j < len(toks) and toks[j].low in _PERCENT_WORDS:
            kind, surface, j = "percent", surface + "%", j + 1
        elif start > 0 and toks[start - 1].low in _CURRENCY:
            kind, surface = "money", toks[start - 1].surf + surface
            start -= 1
        elif j < len(toks) and toks[j].low in _CURRENCY:
            kind, j = "money", j + 1
        elif kind == "percent":
            surface = t.surf
        elif kind == "count" and t.number and value.is_integer() and 1800 <= value <= 2199 and "," not in t.surf:
            kind = "year"
        out.append(_Quantity(value, kind, i, _qualifier(toks, start), surface))
        i = j
    return out


def _qualifier(toks: list[_Tok], start: int) -> str:
    before = [t.low for t in toks[max(0, start - 3) : start]]
    for words, label in _QUALIFIERS:
        n = len(words)
        if len(before) >= n and tuple(before[-n:]) == words:
            return label
    return ""


def _same_quantity(a: _Quantity, b: _Quantity) -> bool:
    tolerance = 0.02 if "duration" in (a.kind, b.kind) else 1e-9  # a year is 365 days, twelve months 360
    if abs(a.value - b.value) > tolerance * max(1.0, abs(a.value)):
        return False
    if "percent" in (a.kind, b.kind) or "duration" in (a.kind, b.kind):
        return a.kind == b.kind
    return True


# ----- names


@dataclass(frozen=True)
class _Entity:
    surface: str
    keys: tuple[str, ...]  # lower-cased identifying words (title words dropped)
    start: int
    end: int  # token positions, end exclusive
    acronym: bool = False
    named: bool = True  # False for a common-noun speaker such as 'critics'


def _entities(toks: list[_Tok], proper: set[str]) -> list[_Entity]:
    """Runs of capitalised words. A capital at the start of a sentence counts only if the same word is written
    with a capital elsewhere (``proper``) or looks like a name on its own (inner capitals, all capitals)."""
    out: list[_Entity] = []
    i = 0
    n = len(toks)

    def name_like(t: _Tok) -> bool:
        if t.punct or t.number or not t.cap:
            return False
        if not t.start:
            return t.low not in _STOPWORDS or t.surf.isupper()
        return (t.low in proper and t.low not in _STOPWORDS) or (t.surf.isupper() and len(t.surf) > 1) or any(
            c.isupper() for c in t.surf[1:]
        )

    while i < n:
        if not name_like(toks[i]):
            i += 1
            continue
        j = i + 1
        while j < n:
            if name_like(toks[j]) or (toks[j].cap and not toks[j].punct and not toks[j].start):
                j += 1
            elif toks[j].low in _NAME_CONNECTORS and j + 1 < n and name_like(toks[j + 1]):
                j += 2
            else:
                break
        words = toks[i:j]
        keys = tuple(t.low for t in words if t.low not in _GENERIC_NAME_WORDS and t.low not in _NAME_CONNECTORS)
        acronym = len(words) == 1 and words[0].surf.isupper() and 2 <= len(words[0].surf) <= 5
        if keys:
            out.append(_Entity(" ".join(t.surf for t in words), keys, i, j, acronym))
        i = j
    return out


def _initialisms(toks: list[_Tok]) -> set[str]:
    letters = [t.low[0] for t in toks if not t.punct and not t.number and t.low not in ("of", "and", "the")]
    found: set[str] = set()
    for size in (2, 3, 4, 5):
        for k in range(len(letters) - size + 1):
            found.add("".join(letters[k : k + size]))
    return found


def _word_match(a: str, b: str) -> bool:
    """Same name word, allowing demonyms and plurals ('Japan'/'Japanese', 'China'/'Chinese')."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) < 4:
        return False
    common = 0
    for x, y in zip(short, long_):
        if x != y:
            break
        common += 1
    return common >= 4 and common >= 0.75 * len(short)


class _TextIndex:
    """What a name check needs to know about a stretch of text."""

    def __init__(self, toks: list[_Tok]) -> None:
        self.lows = {t.low for t in toks if not t.punct}
        self._toks = toks
        self._initials: set[str] | None = None
        self._text_low = " " + " ".join(t.low for t in toks if not t.punct) + " "

    def has_word(self, key: str) -> bool:
        if key in self.lows:
            return True
        return any(_word_match(key, w) for w in self.lows if w[:1] == key[:1])

    def has_entity(self, ent: _Entity) -> bool:
        if ent.acronym:
            key = ent.keys[0]
            if key in self.lows:
                return True
            if self._initials is None:
                self._initials = _initialisms(self._toks)
            if key in self._initials:
                return True
            return any(f" {alias} " in self._text_low for alias in _ALIASES.get(key, ()))
        found = [self.has_word(k) for k in ent.keys]
        if all(found):
            return True
        if found[-1]:
            # 'Clark' for 'Jack Clark' is the same person, unless the text names another one ('John Clark',
            # 'Halden Structures' for 'Kestrel Structures').
            return not self._other_name_ending_in(ent)
        return len(found) >= 2 and sum(found) > len(found) / 2

    def _other_name_ending_in(self, ent: _Entity) -> bool:
        last = ent.keys[-1]
        for k, t in enumerate(self._toks):
            if k and _word_match(t.low, last):
                prev = self._toks[k - 1]
                if prev.cap and not prev.punct and prev.low not in ent.keys and prev.low not in _GENERIC_NAME_WORDS:
                    return True
        return False


_DEMONYM = re.compile(r"(?:ese|ian|ean|ish|ican|ench|tch|ic)$")


def _is_modifier(ent: _Entity, toks: list[_Tok]) -> bool:
    """'Japanese startup', 'American lab': a nationality word in front of a noun describes, it is not a subject."""
    nxt = toks[ent.end] if ent.end < len(toks) else None
    if nxt is None or nxt.punct or nxt.cap:
        return False
    return len(ent.keys) == 1 and bool(_DEMONYM.search(ent.keys[0])) and _is_content(nxt) and nxt.low not in _SPEECH_VERBS


def _entity_matches(a: _Entity, b: _Entity) -> bool:
    return any(_word_match(x, y) for x in a.keys for y in b.keys)


# ----- negation


def _polarity(toks: list[_Tok], other_stems: set[str]) -> tuple[set[str], set[str], int]:
    """(negated stems, affirmed stems, negations whose scope has no content word). A negator governs the next
    content word before a clause boundary, adverbs skipped ('no proof', 'has not yet been reached', 'nobody has
    shown'); 'not just X' negates the 'just'.
    'un-' words count as negated roots when the root occurs in the other text ('unclear' vs 'clear')."""
    negated: set[str] = set()
    in_scope: set[int] = set()
    unanchored = 0
    for i, t in enumerate(toks):
        if t.punct:
            continue
        root = _UN_WORDS.get(t.low)
        if root is None and len(t.low) > 6 and not _NEG_PREFIX_EXEMPT.match(t.low):
            for prefix in ("un", "in", "im", "dis", "non"):
                if t.low.startswith(prefix) and stem(t.low[len(prefix) :]) in other_stems:
                    root = t.low[len(prefix) :]
                    break
        if root is not None:
            negated.add(stem(root))
            in_scope.add(i)
            continue
        contrast = t.low in ("rather", "instead") and i + 1 < len(toks) and toks[i + 1].low in ("than", "of")
        if not t.neg and not contrast:
            continue
        following = [u.low for u in toks[i + (2 if contrast else 1) : i + 4]]
        if following[:1] == ["longer"]:
            following = following[1:]
        if following[:1] and following[0] in _NOT_REALLY_NEGATION:
            # 'not just coding helpers' denies 'just', not 'coding helpers'
            negated.add(_JUST)
            continue
        for k in range(i + (2 if contrast else 1), min(len(toks), i + 8)):
            u = toks[k]
            if u.low in _SCOPE_STOP:
                unanchored += 1
                break
            if _is_content(u) and u.low not in _SCOPE_SKIP and not _is_adverb(u.low):
                negated.add(u.stem)
                in_scope.add(k)
                nxt = k + 1
                if u.low in _CONTROL_WORDS:
                    # 'not able to redesign', 'not prepared to handle': the action is denied too.
                    window = range(k + 1, min(len(toks), k + 5))
                    nxt = next((m for m in window if _is_content(toks[m]) and not _is_adverb(toks[m].low)), len(toks))
                    if nxt < len(toks) and toks[k + 1].low in ("to", "of"):
                        negated.add(toks[nxt].stem)
                        in_scope.add(nxt)
                elif (contrast or t.low in ("no", "without")) and nxt < len(toks) and _is_content(toks[nxt]):
                    # 'without human intervention', 'rather than full instances': a noun phrase, not one word.
                    if not _is_adverb(toks[nxt].low):
                        negated.add(toks[nxt].stem)
                        in_scope.add(nxt)
                break
        else:
            unanchored += 1
    # Affirmed: said somewhere outside any negation, so a word both denied and affirmed is in both sets.
    affirmed = {t.stem for k, t in enumerate(toks) if _is_content(t) and k not in in_scope}
    if any(t.low in _NOT_REALLY_NEGATION - {"necessarily"} for t in toks) and _JUST not in negated:
        affirmed.add(_JUST)
    return negated, affirmed, unanchored


# ----- speakers


def _is_adverb(word: str) -> bool:
    return word.endswith("ly") and len(word) >= 6 and word not in _LY_NOUNS_AND_VERBS


_LY_NOUNS_AND_VERBS = frozenset("supply family assembly anomaly monopoly italy butterfly".split())


def _speakers(toks: list[_Tok], ents: list[_Entity], fallback: list[_Entity]) -> list[_Entity]:
    """Who says what: names between the clause start and a speech verb, names after 'according to'; a pronoun
    or 'the company' subject resolves to ``fallback`` (names from the sentences before)."""
    found: list[_Entity] = []
    clause_start = 0
    for i, t in enumerate(toks):
        if t.low in (";", ":", '"') or (t.punct and t.low in ".!?"):
            clause_start = i + 1
            continue
        if t.low == "according" and i + 1 < len(toks) and toks[i + 1].low == "to":
            found.extend(e for e in ents if i + 2 <= e.start <= i + 5)
            continue
        if t.low not in _SPEECH_VERBS:
            continue
        if 0 < i < len(toks) - 1 and toks[i + 1].low in _PARTICIPLE_NEXT and t.low.endswith(("ed", "id", "ld", "wn")):
            prev = toks[i - 1]
            if prev.low in ("is", "was", "are", "were", "be", "been") or (_is_content(prev) and not prev.cap):
                continue  # 'the architecture described in that paper', 'is said to be': no one speaking here
        before = [e for e in ents if clause_start <= e.start and e.end <= i and i - e.end <= 25]
        subject = [u for u in toks[clause_start:i] if not u.punct]
        if before:
            found.extend(before)
        elif not subject:
            # '"...," said a spokesperson for Sakana AI': the speaker follows the verb.
            found.extend(e for e in ents if i < e.start <= i + 6)
        elif any(u.low in _PLACEHOLDER_SUBJECTS for u in subject):
            found.extend(fallback)
        else:
            # A common-noun speaker ('critics say', 'experts caution'): it names no one, but it is not the claim's name.
            heads = [u for u in subject if _is_content(u) and u.low not in _LIGHT and not _is_adverb(u.low)]
            if heads:
                found.append(_Entity(heads[-1].surf, (heads[-1].low,), i, i, named=False))
        clause_start = i + 1
    return found


# --------------------------------------------------------------------------------------------------------------
# The heuristic judge
# --------------------------------------------------------------------------------------------------------------

DEFAULT_THRESHOLD = 0.45  # middle of the plateau (0.40-0.50) of balanced accuracy on claims_dev.jsonl

# How much each failed check multiplies the score by. Hard evidence against the claim sits near 0.2.
_PENALTY = {
    "number_missing": 0.2,
    "number_swapped": 0.3,
    "number_qualifier": 0.45,
    "unit": 0.35,
    "entity_missing": 0.2,
    "entity_swapped": 0.3,
    "entity_elsewhere": 0.85,
    "speaker": 0.3,
    "negation": 0.3,
    "negation_unanchored": 0.6,
    "antonym": 0.4,
    "booster": 0.4,
    "quantifier": 0.4,
    "one_of": 0.4,
    "hedge_dropped": 0.85,
    "novel_term": 0.9,
    "added_word": 0.7,
    "added_detail": 0.35,
}


@dataclass
class _Check:
    key: str
    reason: str

    @property
    def factor(self) -> float:
        return _PENALTY[self.key]


class _EmbeddingCache:
    """Embeddings per text, computed in batches, bounded; thread-safe because the answer path may run in threads."""

    def __init__(self, embedder: Any, max_items: int = 50_000) -> None:
        self._embedder = embedder
        self._max = max_items
        self._store: OrderedDict[str, "np.ndarray"] = OrderedDict()
        self._lock = threading.Lock()

    def ensure(self, texts: Iterable[str]) -> None:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._store))
        if not missing:
            return
        vectors = self._embedder.embed(missing)
        with self._lock:
            for text, vector in zip(missing, vectors):
                self._store[text] = vector
            while len(self._store) > self._max:
                self._store.popitem(last=False)

    def get(self, text: str) -> "np.ndarray":
        with self._lock:
            vector = self._store.get(text)
        if vector is None:
            self.ensure([text])
            with self._lock:
                vector = self._store[text]
        return vector

    def cos(self, a: str, b: str) -> float:
        return float(self.get(a) @ self.get(b))


@dataclass
class _Case:
    """One (claim, passages) question while it is being judged."""

    claim: str
    passages: list[str]
    sentences: list[_Sentence] = field(default_factory=list)
    claim_toks: list[_Tok] = field(default_factory=list)
    evidence: list[_Sentence] = field(default_factory=list)
    best: _Sentence | None = None  # the single closest sentence
    evidence_text: str = ""
    missing_words: list[str] = field(default_factory=list)  # claim words whose stem the evidence lacks
    verdict: Verdict | None = None


class HeuristicJudge:
    """Offline judge: embedding similarity to find the evidence, explicit checks to test it."""

    name = "heuristic"

    def __init__(self, embedder: Any, threshold: float | None = None) -> None:
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        self._vectors = _EmbeddingCache(embedder)
        self._sentence_cache: OrderedDict[str, list[str]] = OrderedDict()

    # -- public API

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict:
        return self.judge_many([(claim, passages)])[0]

    def judge_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Verdict]:
        cases = [self._prepare(claim, passages) for claim, passages in items]
        live = [c for c in cases if c.verdict is None]
        # Pass 1: sentence embeddings for every claim and candidate evidence sentence, in one batch.
        self._vectors.ensure([c.claim for c in live] + [s.text for c in live for s in c.sentences])
        for case in live:
            self._select_evidence(case)
        # Pass 2: the evidence as one text, and single words for synonym matching, in one batch.
        texts: list[str] = []
        for case in live:
            texts.append(case.evidence_text)
            texts.extend(case.missing_words)
            texts.extend(self._evidence_words(case))
        self._vectors.ensure(texts)
        for case in live:
            case.verdict = self._decide(case)
        return [c.verdict for c in cases]  # type: ignore[misc]

    # -- preparation

    def _split(self, passage: str) -> list[str]:
        cached = self._sentence_cache.get(passage)
        if cached is None:
            cached = split_sentences(passage)
            self._sentence_cache[passage] = cached
            if len(self._sentence_cache) > 5_000:
                self._sentence_cache.popitem(last=False)
        return cached

    def _prepare(self, claim: str, passages: Sequence[str]) -> _Case:
        text = re.sub(r"\s+", " ", clean_text(claim)).strip()
        case = _Case(text, [p for p in passages if p and p.strip()])
        if not any(c.isalnum() for c in text):
            case.verdict = Verdict(False, 0.0, "empty claim")
            return case
        if not case.passages:
            case.verdict = Verdict(False, 0.0, "no passages")
            return case
        case.claim_toks = _tokenize(text)
        for p, passage in enumerate(case.passages):
            for k, sentence in enumerate(self._split(passage)):
                case.sentences.append(_Sentence(sentence, p, k, _tokenize(sentence)))
        if not case.sentences:
            case.verdict = Verdict(False, 0.0, "no passage text")
        return case

    def _claim_keys(self, case: _Case) -> set[str]:
        return {
            t.stem for t in case.claim_toks if _is_content(t) and t.low not in _BOOSTERS and t.low not in _HEDGES
        } | {
            t.low for t in case.claim_toks if t.number
        }

    def _select_evidence(self, case: _Case) -> None:
        """The best sentence by similarity and word overlap, then up to two more that cover claim words the
        first one lacks (a claim may join two facts)."""
        keys = self._claim_keys(case)
        scored = []
        for s in case.sentences:
            overlap = len(keys & (s.stems | s.lows)) / max(1, len(keys))
            cosine = self._vectors.cos(case.claim, s.text)
            scored.append((0.5 * cosine + 0.5 * overlap, cosine, s))
        scored.sort(key=lambda x: -x[0])
        case.best = scored[0][2]
        evidence = [case.best]
        covered = keys & (case.best.stems | case.best.lows)
        top_cosine = scored[0][1]
        for _ in range(2):
            best = None
            for combined, cosine, s in scored:
                if s in evidence:
                    continue
                gain = len((keys - covered) & (s.stems | s.lows))
                # Another sentence joins if it adds claim words, or if it is nearly as close in meaning (its
                # negation or hedge may be the one that matters).
                if gain >= 2 or (gain == 1 and cosine >= 0.3) or cosine >= max(0.5, top_cosine - 0.1):
                    if best is None or (gain, combined) > (best[0], best[1]):
                        best = (gain, combined, s)
            if best is None:
                break
            evidence.append(best[2])
            covered |= keys & (best[2].stems | best[2].lows)
        evidence.sort(key=lambda s: (s.passage, s.index))
        case.evidence = evidence
        case.evidence_text = " ".join(s.text for s in evidence)
        ev_stems = set().union(*(s.stems for s in evidence))
        case.missing_words = [t.low for t in case.claim_toks if _is_content(t) and t.stem not in ev_stems]

    def _evidence_words(self, case: _Case) -> list[str]:
        if not case.missing_words:
            return []
        return sorted({t.low for s in case.evidence for t in s.toks if _is_content(t)})

    # -- decision

    def _decide(self, case: _Case) -> Verdict:
        claim_toks = case.claim_toks
        evidence = case.evidence
        ev_toks = [t for s in evidence for t in s.toks + [_Tok(".", ".", ".", False, False, True, False)]]
        all_toks = [t for s in case.sentences for t in s.toks]
        proper = {t.low for t in claim_toks + all_toks if t.cap and not t.start and not t.punct}
        proper |= _opener_names(claim_toks + all_toks)
        checks: list[_Check] = []

        cosine = max(
            [self._vectors.cos(case.claim, s.text) for s in evidence]
            + [self._vectors.cos(case.claim, case.evidence_text)]
        )
        checks += self._check_numbers(claim_toks, case)
        checks += self._check_units(claim_toks, case)
        name_checks, claim_ents = self._check_entities(claim_toks, case, proper)
        checks += name_checks
        checks += self._check_speaker(claim_toks, claim_ents, case, proper)
        checks += self._check_negation(claim_toks, ev_toks)
        checks += self._check_antonyms(claim_toks, evidence)
        checks += self._check_strength(claim_toks, ev_toks, case.best or evidence[0], evidence)
        coverage, detail_checks = self._coverage(case, claim_ents)
        checks += detail_checks

        sim = min(1.0, max(0.0, (cosine - 0.35) / 0.45))
        score = 0.45 * sim + 0.55 * coverage
        for check in checks:
            score *= check.factor
        score = float(min(1.0, max(0.0, score)))
        supported = score >= self.threshold
        if checks:
            worst = min(checks, key=lambda c: c.factor)
            reason = worst.reason
        else:
            reason = f"supported (similarity {cosine:.2f}, coverage {coverage:.2f})"
        if not checks and not supported:
            reason = f"weak match (similarity {cosine:.2f}, coverage {coverage:.2f})"
        return Verdict(supported, score, reason)

    def _check_numbers(self, claim_toks: list[_Tok], case: _Case) -> list[_Check]:
        checks: list[_Check] = []
        ev_quantities = [(s, q) for s in case.evidence for q in _quantities(s.toks)]
        all_quantities = [q for s in case.sentences for q in _quantities(s.toks)]
        for q in _quantities(claim_toks):
            matches = [(s, r) for s, r in ev_quantities if _same_quantity(q, r)]
            if not matches:
                if not any(_same_quantity(q, r) for r in all_quantities):
                    checks.append(_Check("number_missing", f"number {q.surface} not in passage"))
                else:
                    checks.append(_Check("number_swapped", f"number {q.surface} belongs to another statement"))
                continue
            # Is the number attached to the same thing? Compare the words around it with the words around every
            # number in the evidence; a different number sitting in the claim's context means a swap.
            context = _number_context(claim_toks, q.index)
            best_same = max(len(context & _number_context(s.toks, r.index)) for s, r in matches)
            for s, r in ev_quantities:
                if _same_quantity(q, r) or (r.kind != q.kind and "count" not in (r.kind, q.kind)):
                    continue
                other = len(context & _number_context(s.toks, r.index))
                if other >= 2 and other >= best_same + 2:
                    checks.append(_Check("number_swapped", f"number {q.surface} where passage has {r.surface}"))
                    break
            swapped = _paired_elsewhere(q, claim_toks, case.evidence)
            if swapped:
                checks.append(_Check("number_swapped", swapped))
            qualifiers = {r.qualifier for _, r in matches}
            if q.qualifier and q.qualifier not in qualifiers and not (q.qualifier == "approx" and "" in qualifiers):
                if q.qualifier != "approx" or qualifiers - {"", "approx"}:
                    checks.append(_Check("number_qualifier", f"'{q.qualifier}' {q.surface} not what passage says"))
        return checks

    def _check_units(self, claim_toks: list[_Tok], case: _Case) -> list[_Check]:
        """Units of time are quantities too: 'in hours' is not 'in days or weeks'."""
        ev_units = {_TIME_UNITS.get(t.low) for s in case.evidence for t in s.toks}
        for i, t in enumerate(claim_toks):
            counted = i > 0 and (claim_toks[i - 1].number or claim_toks[i - 1].low in _NUMBER_WORDS
                                 or claim_toks[i - 1].low in ("a", "an", "one"))
            if t.low in _TIME_UNITS and not counted and _TIME_UNITS[t.low] not in ev_units:
                return [_Check("unit", f"'{t.low}' not in passage")]
        return []

    def _check_entities(self, claim_toks: list[_Tok], case: _Case, proper: set[str]) -> tuple[list[_Check], list[_Entity]]:
        checks: list[_Check] = []
        claim_ents = _entities(claim_toks, proper)
        if not claim_ents:
            return checks, claim_ents
        everywhere = _TextIndex([t for s in case.sentences for t in s.toks])
        ev_index = _TextIndex([t for s in case.evidence for t in s.toks])
        nearby = _TextIndex([t for s in self._with_preceding(case, 2) for t in s.toks])
        ev_passages = {s.passage for s in case.evidence}
        same_passage = _TextIndex([t for s in case.sentences if s.passage in ev_passages for t in s.toks])
        ev_ents = [e for s in case.evidence for e in _entities(s.toks, proper)]
        claim_index = _TextIndex(claim_toks)
        rivals = [e for e in ev_ents if not claim_index.has_entity(e) and e.keys[-1] not in _CALENDAR_WORDS]
        best = case.best or case.evidence[0]
        best_index = _TextIndex(best.toks)
        ev_subject = self._subject(best, case, proper)
        claim_subject = next((e for e in claim_ents if e.start <= 3 and not _is_modifier(e, claim_toks)), None)
        for ent in claim_ents:
            if not everywhere.has_entity(ent):
                checks.append(_Check("entity_missing", f"entity '{ent.surface}' not in passage"))
            elif (
                ent is claim_subject
                and ev_subject is not None
                and not best_index.has_entity(ent)
                and not _entity_matches(ent, ev_subject)
                and not claim_index.has_entity(ev_subject)
            ):
                # The closest sentence says the same thing about someone else.
                checks.append(_Check("entity_swapped", f"'{ent.surface}' where passage has '{ev_subject.surface}'"))
            elif not ev_index.has_entity(ent):
                if nearby.has_entity(ent):
                    continue
                elif rivals:
                    checks.append(_Check("entity_swapped", f"'{ent.surface}' where passage has '{rivals[0].surface}'"))
                elif not same_passage.has_entity(ent):
                    checks.append(_Check("entity_elsewhere", f"entity '{ent.surface}' not in the matching passage"))
        return checks, claim_ents

    def _subject(self, sentence: _Sentence, case: _Case, proper: set[str]) -> _Entity | None:
        """The name a sentence is about: a name among its first words (not a modifier such as 'Japanese'), or for
        'He'/'She' the nearest name in the sentences before it."""
        subject = next(
            (e for e in _entities(sentence.toks, proper) if e.start <= 3 and not _is_modifier(e, sentence.toks)), None
        )
        if subject is not None or not sentence.toks or sentence.toks[0].low not in ("he", "she"):
            return subject
        for earlier in sorted(
            (x for x in case.sentences if x.passage == sentence.passage and sentence.index - 3 <= x.index < sentence.index),
            key=lambda x: -x.index,
        ):
            names = [
                e for e in _entities(earlier.toks, proper)
                if len(e.keys) >= 2 and e.keys[-1] not in _CALENDAR_WORDS and not _is_modifier(e, earlier.toks)
            ]
            if names:
                return names[0]
        return None

    def _with_preceding(self, case: _Case, n: int) -> list[_Sentence]:
        wanted = {(s.passage, s.index - k) for s in case.evidence for k in range(0, n + 1)}
        return [s for s in case.sentences if (s.passage, s.index) in wanted]

    def _check_speaker(
        self, claim_toks: list[_Tok], claim_ents: list[_Entity], case: _Case, proper: set[str]
    ) -> list[_Check]:
        claim_speakers = _speakers(claim_toks, claim_ents, [])
        if not claim_speakers:
            return []
        # The closest sentence's speaker decides; the other evidence sentences only when it names none.
        best = case.best or case.evidence[0]
        evidence_speakers: list[_Entity] = []
        for s in [best] + [x for x in case.evidence if x is not best]:
            earlier = [x for x in case.sentences if x.passage == s.passage and s.index - 3 <= x.index < s.index]
            fallback: list[_Entity] = []
            for x in reversed(earlier):
                names = [e for e in _entities(x.toks, proper) if e.keys[-1] not in _CALENDAR_WORDS]
                if names:
                    fallback = _speakers(x.toks, names, []) or names[:1]
                    break
            evidence_speakers = _speakers(s.toks, _entities(s.toks, proper), fallback)
            if evidence_speakers:
                break
        if not evidence_speakers:
            return []
        full_names = [c for c in claim_speakers if c.named and len(c.keys) >= 2]
        other_full = [e for e in evidence_speakers if e.named and len(e.keys) >= 2]
        if full_names and other_full and not any(_entity_matches(c, e) for c in full_names for e in other_full):
            # 'Transport minister Elena Marsh warned' vs 'Transport minister Priya Nair warned': the title matches,
            # the person does not.
            return [_Check("speaker", f"passage attributes this to '{other_full[0].surface}', not '{full_names[0].surface}'")]
        if any(_entity_matches(c, e) for c in claim_speakers for e in evidence_speakers):
            return []
        if not any(e.named for e in claim_speakers + evidence_speakers):
            return []  # 'researchers say' vs 'scientists say': wording, not a different speaker
        return [
            _Check(
                "speaker",
                f"passage attributes this to '{evidence_speakers[0].surface}', not '{claim_speakers[0].surface}'",
            )
        ]

    def _check_negation(self, claim_toks: list[_Tok], ev_toks: list[_Tok]) -> list[_Check]:
        claim_stems = {t.stem for t in claim_toks if _is_content(t)}
        ev_stems = {t.stem for t in ev_toks if _is_content(t)}
        c_neg, c_pos, c_loose = _polarity(claim_toks, ev_stems)
        e_neg, e_pos, _ = _polarity(ev_toks, claim_stems)
        shared = c_neg & e_neg

        def beside_shared_denial(word: str) -> bool:
            # Next to something both texts deny, a difference is more likely scope noise than a flipped fact.
            spots = [i for i, t in enumerate(claim_toks) if t.stem == word]
            near = {claim_toks[k].stem for i in spots for k in range(max(0, i - 3), min(len(claim_toks), i + 4)) if k != i}
            return bool(near & shared)

        for word in sorted(c_neg - {_JUST}):
            if word in e_pos and word not in e_neg and not beside_shared_denial(word):
                return [_Check("negation", f"negation mismatch: claim denies '{word}'")]
        for word in sorted(c_pos):
            if word in e_neg and word not in e_pos and word not in _LIGHT and not beside_shared_denial(word):
                shown = "just" if word == _JUST else word
                return [_Check("negation", f"negation mismatch: passage denies '{shown}'")]
        checks: list[_Check] = []
        if c_loose and not any(t.neg for t in ev_toks) and not e_neg:
            checks.append(_Check("negation_unanchored", "claim has a negation the passage lacks"))
        return checks

    def _check_antonyms(self, claim_toks: list[_Tok], evidence: list[_Sentence]) -> list[_Check]:
        """'harder' for 'easier', 'publicly' for 'confidentially': where the evidence uses the opposite word about
        the same thing (it shares a neighbouring word) and never the claim's own word about it."""
        opposites: dict[str, set[str]] = {}
        for x, y in _ANTONYM_STEMS:
            opposites.setdefault(x, set()).add(y)
        for i, t in enumerate(claim_toks):
            if t.stem not in opposites:
                continue
            near = _window(claim_toks, i, 3) - {t.stem}
            for sentence in evidence:
                toks = sentence.toks
                about = [k for k in range(len(toks)) if near & (_window(toks, k, 3) - {toks[k].stem})]
                if any(toks[k].stem == t.stem for k in about):
                    continue
                rival = next((toks[k] for k in about if toks[k].stem in opposites[t.stem]), None)
                if rival is not None:
                    return [_Check("antonym", f"claim says '{t.low}' where passage says '{rival.low}'")]
        return []

    def _check_strength(
        self, claim_toks: list[_Tok], ev_toks: list[_Tok], best_sentence: _Sentence, evidence: list[_Sentence]
    ) -> list[_Check]:
        checks: list[_Check] = []
        best = best_sentence.toks
        negated_claim = {i + k for i, t in enumerate(claim_toks) if t.neg for k in (1, 2, 3)}
        for i, t in enumerate(claim_toks):
            if t.low not in _BOOSTERS or i in negated_claim:
                continue
            # The passage may use the same strong word, but about the same thing: in the closest sentence or
            # next to a word the claim has next to it.
            near = _window(claim_toks, i, 3) - {t.stem}
            if any(
                any(u.low == t.low and (s is best_sentence or near & _window(s.toks, k, 3)) for k, u in enumerate(s.toks))
                for s in evidence
            ):
                continue
            if t.low == "will" and _future_is_stated(claim_toks, i, best):
                continue
            if t.low == "most" and re.search(r"\bthan (?:any|all)\b", " ".join(u.low for u in ev_toks)):
                continue  # 'the most of anyone' restates 'more than any other'

            if t.low in ("only", "alone", "already", "fully", "most") and _is_soft_booster_ok(claim_toks, i):
                continue
            key = "quantifier" if t.low in _QUANTIFIER_RANK else "booster"
            checks.append(_Check(key, f"claim says '{t.low}' where the passage is less certain"))
            break
        claim_rank = max((_QUANTIFIER_RANK.get(t.low, 0) for t in claim_toks), default=0)
        ev_rank = max((_QUANTIFIER_RANK.get(t.low, 0) for t in ev_toks), default=0)
        if not checks and claim_rank >= 3 and 0 < ev_rank < claim_rank:
            checks.append(_Check("quantifier", "claim generalises a quantifier"))
        # 'one of the most prominent labs' -> 'the most prominent lab'
        ev_text = " ".join(t.low for t in ev_toks)
        claim_text = " " + " ".join(t.low for t in claim_toks) + " "
        if re.search(r"\bone of (?:the|its|their|his|her|our)\b", ev_text) and " one of " not in claim_text:
            if re.search(r" the (?:most|\w+est|leading|top|only|first|biggest) ", claim_text) or re.search(
                r" (?:is|was) the (?!one)\w+ (?:of|behind|who|that)", claim_text
            ):
                if " among " not in claim_text:
                    checks.append(_Check("one_of", "claim drops 'one of'"))
        # A modal hedge ('may', 'could') that the claim states as plain fact.
        ev_modal = [t for t in ev_toks if t.low in _MODAL_HEDGES and t.low != "can"]
        claim_modal = [t for t in claim_toks if t.low in _HEDGES or t.low in ("would", "should", "can")]
        if ev_modal and not claim_modal and not checks:
            checks.append(_Check("hedge_dropped", f"passage hedges ('{ev_modal[0].low}'), claim does not"))
        return checks

    def _coverage(self, case: _Case, claim_ents: list[_Entity]) -> tuple[float, list[_Check]]:
        """Share of the claim's content words that the evidence accounts for (same stem, a near-identical word, a
        word elsewhere in the passages, or a close synonym by word embedding), and checks for what nothing
        accounts for. Unmatched claim words that replace unmatched evidence words are a paraphrase; unmatched
        claim words slotted in where the evidence has nothing are an added detail."""
        entity_positions = {k for e in claim_ents for k in range(e.start, e.end)}
        ev_words = self._evidence_words(case)
        all_stems = set().union(*(s.stems for s in case.sentences))
        ev_stems = set().union(*(s.stems for s in case.evidence))
        total = covered = 0.0
        marks: list[tuple[int, float] | None] = []  # (token position, coverage) per content word; None = boundary
        for i, t in enumerate(case.claim_toks):
            if t.punct or t.number or i in entity_positions:
                marks.append(None)
                continue
            if not _is_content(t):
                continue
            light = t.low in _LIGHT or t.low in _BOOSTERS or t.low in _HEDGES or t.low in _QUANTITY_WORDS
            weight = 0.3 if light else 1.0
            total += weight
            if t.stem in ev_stems:
                soft = 1.0
            elif any(len(t.stem) >= 5 and _word_match(t.stem, s) for s in ev_stems):
                soft = 0.9
            else:
                similarity = max((self._vectors.cos(t.low, w) for w in ev_words), default=0.0)
                soft = min(1.0, max(0.0, (similarity - 0.4) / 0.3))
                if t.stem in all_stems:
                    soft = max(soft, 0.7)
            covered += weight * soft
            if not light:
                marks.append((i, soft))
        total += len(claim_ents)  # names count as covered here; the name checks judge them
        covered += len(claim_ents)

        checks: list[_Check] = []
        run: list[tuple[int, float]] = []
        claim_stems = {t.stem for t in case.claim_toks}
        for mark in marks + [None]:
            if mark is not None and mark[1] < 0.4:
                run.append(mark)
                continue
            phrase = len({case.claim_toks[i].stem for i, _ in run}) >= 2
            if run:
                words = " ".join(case.claim_toks[i].surf for i, _ in run)
                gap, closed = _evidence_gap([i for i, _ in run], case.claim_toks, case.evidence, claim_stems)
                # A lone word with a half-good synonym counts only when it fills a slot the evidence leaves empty.
                unmatched = phrase or run[0][1] < 0.25
                if gap is not None and not gap:
                    kind = "added_detail" if phrase else "added_word"
                elif not unmatched:
                    run = []
                    continue
                elif gap is None:
                    kind = "novel_term"
                elif phrase and self._vectors.cos(words.lower(), _gap_text(gap)) < (0.15 if closed else 0.3):
                    # Evidence words replaced by something unrelated to them (a trailing clause swapped for a
                    # new one is the common case, hence the higher bar when the gap runs to the sentence end).
                    kind = "added_detail"
                else:
                    kind = "novel_term"
                checks.append(_Check(kind, f"'{words}' not in passage"))
            run = []
        checks.sort(key=lambda c: c.factor)
        return (covered / total if total else 1.0), checks[:2]


def _gap_text(gap: list[str]) -> str:
    """The gap's meaning-bearing words ('also said it would convene' -> 'convene') for comparing with the claim's."""
    content = [w for w in gap if w.lower() not in _STOPWORDS and w.lower() not in _LIGHT and w.lower() not in _HEDGES]
    return " ".join(content or gap).lower()


_GAP_IGNORED = frozenset("""
the a an of to in on at for by with and or that this these those it its their his her is are was were be been being
has have had do does did as from into than then so
""".split())


def _evidence_gap(
    positions: list[int], claim_toks: list[_Tok], evidence: list[_Sentence], claim_stems: set[str]
) -> tuple[list[str] | None, bool]:
    """What the evidence says where the claim has the words at ``positions``. Anchors are the nearest claim words
    before and after them that an evidence sentence shares; the gap is that sentence's words between the anchors
    that the claim does not use. An empty gap means the claim slotted in something the evidence does not have.
    The sentence with the most anchors is used. None when no sentence holds an anchor in order (the claim
    reorders; nothing can be concluded). The flag says whether the gap is closed on both sides (else it runs to
    the sentence's start or end)."""
    best: tuple[int, list[str]] | None = None
    for sentence in evidence:
        toks = sentence.toks

        def anchor(step: int) -> str | None:
            # The claim's nearest content word on that side, if this sentence has it too.
            k = positions[0] - 1 if step < 0 else positions[-1] + 1
            while 0 <= k < len(claim_toks):
                t = claim_toks[k]
                if _is_content(t) and t.low not in _LIGHT:
                    return t.stem if t.stem in sentence.stems else None
                k += step
            return None

        left, right = anchor(-1), anchor(1)
        if left is None and right is None:
            continue
        lpos = [k for k, t in enumerate(toks) if t.stem == left]
        rpos = [k for k, t in enumerate(toks) if t.stem == right]
        hi = min(rpos) if rpos else len(toks)
        before = [k for k in lpos if k < hi]
        if lpos and not before:
            continue  # reordered
        lo = max(before) if before else -1
        gap = [t.surf for t in toks[lo + 1 : hi] if not t.punct and t.low not in _GAP_IGNORED and t.stem not in claim_stems]
        anchors = (left is not None) + (right is not None)
        if best is None or anchors > best[0]:
            best = (anchors, gap)
    if best is None:
        return None, False
    return best[1], best[0] == 2


_ANTONYM_STEMS = tuple(
    sorted({(x, y) for a, b in _ANTONYM_PAIRS for x, y in ((stem(a), stem(b)), (stem(b), stem(a))) if x != y})
)


def _opener_names(toks: list[_Tok]) -> set[str]:
    """Capitalised sentence-first words taken for names: never written in lower case in these texts, not a
    function word, and without the ending of an ordinary word (-ing, -ly, -tion, plural -s...). 'Anthropic said'
    qualifies, 'Researchers say' and 'However' do not."""
    lower = {t.low for t in toks if not t.cap and not t.punct}
    found: set[str] = set()
    for t in toks:
        if not (t.start and t.cap) or t.punct or t.number or len(t.low) < 3 or t.low in lower:
            continue
        if _ORDINARY_SUFFIX.search(t.low) or any(t.low in lexicon for lexicon in _CLOSED_CLASSES):
            continue
        found.add(t.low)
    return found


_ORDINARY_SUFFIX = re.compile(r"(?:ing|ly|ed|s|tion|sion|ment|ness|ity|ive|ous|ful|able|ible|ism|ist|ise|ize)$")
_CLOSED_CLASSES = (
    _STOPWORDS, _LIGHT, _DISCOURSE, _NEGATORS, _BOOSTERS, _HEDGES, _QUANTIFIER_RANK, _NUMBER_WORDS, _ORDINAL_WORDS,
    _SPEECH_VERBS,
)


def _window(toks: list[_Tok], index: int, size: int = 4) -> set[str]:
    lo, hi = max(0, index - size), min(len(toks), index + size + 1)
    return {t.stem for t in toks[lo:hi] if _is_content(t)}


_DAYS = {
    "second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7, "month": 30, "year": 365,
    "decade": 3650, "century": 36500,
}
_TIME_UNITS = {
    w: unit
    for unit, words in {
        "second": "second seconds", "minute": "minute minutes", "hour": "hour hours", "day": "day days daily",
        "week": "week weeks weekly", "month": "month months monthly", "year": "year years annual annually yearly",
        "decade": "decade decades", "century": "century centuries",
    }.items()
    for w in words.split()
}


def _paired_elsewhere(q: _Quantity, claim_toks: list[_Tok], evidence: list[_Sentence]) -> str:
    """'$50 billion at the end of 2025' when the evidence has '$50 billion by the end of the month, up from
    $9 billion at the end of 2025': both numbers are there, but 2025 sits next to another amount."""
    for r in _quantities(claim_toks):
        if r is q or _same_quantity(q, r) or abs(r.index - q.index) > 8:
            continue
        for sentence in evidence:
            found = _quantities(sentence.toks)
            q_hits = [x for x in found if _same_quantity(q, x)]
            r_hits = [x for x in found if _same_quantity(r, x)]
            if not q_hits or not r_hits:
                continue
            rivals = [x for x in found if x.kind == q.kind and not _same_quantity(q, x) and not _same_quantity(r, x)]
            for anchor in r_hits:
                nearest_q = min(abs(x.index - anchor.index) for x in q_hits)
                closer = [x for x in rivals if abs(x.index - anchor.index) < nearest_q]
                if closer:
                    return f"passage pairs {r.surface} with {closer[0].surface}, not {q.surface}"
    return ""


_QUANTITY_WORDS = frozenset(_SCALES) | _PERCENT_WORDS | _CURRENCY | frozenset(_NUMBER_WORDS) | frozenset(
    _ORDINAL_WORDS
) | frozenset(w for words, _ in _QUALIFIERS for w in words)


def _number_context(toks: list[_Tok], index: int, size: int = 3) -> set[str]:
    """The content words a number is about: up to ``size`` on each side, not crossing another number or the end
    of a clause, so that in '$50 billion by the end of the month, up from $9 billion' each keeps its own."""
    found: set[str] = set()
    for step in (-1, 1):
        k, taken = index + step, 0
        while 0 <= k < len(toks) and taken < size:
            t = toks[k]
            if t.number or t.low in (".", ";", ":", "!", "?") or (t.low in _NUMBER_WORDS and k != index):
                break
            if _is_content(t) and t.low not in _QUANTITY_WORDS:
                found.add(t.stem)
                taken += 1
            k += step
    return found


def _future_is_stated(claim_toks: list[_Tok], i: int, best: list[_Tok]) -> bool:
    """'will X' is fair when the closest sentence also speaks of the future ('would', 'plans to', 'is going to')
    and does not put a hedge ('may', 'could') on that same X."""
    if not {t.low for t in best} & _WILL_EQUIVALENTS:
        return False
    verb = next((t.stem for t in claim_toks[i + 1 :] if _is_content(t)), None)
    for k, t in enumerate(best):
        if t.stem == verb and any(u.low in _MODAL_HEDGES for u in best[max(0, k - 3) : k]):
            return False
    return True


_MODAL_HEDGES = frozenset("may might could can possibly potentially perhaps".split())


def _is_soft_booster_ok(toks: list[_Tok], i: int) -> bool:
    """'not only', 'if only', and 'only ... if/when' (a condition, which restricts rather than widens)."""
    prev = toks[i - 1].low if i > 0 else ""
    if prev in ("not", "if"):
        return True
    return toks[i].low == "only" and any(t.low in ("if", "when", "once", "after", "unless") for t in toks[i + 1 : i + 6])


# --------------------------------------------------------------------------------------------------------------
# The LLM judge
# --------------------------------------------------------------------------------------------------------------

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_TRUE_WORDS = frozenset({"true", "yes", "supported", "support", "1", "entailed", "entailment"})
_FALSE_WORDS = frozenset({"false", "no", "unsupported", "not supported", "0", "contradicted", "neutral", "not_supported"})


def _balanced_objects(text: str, open_ch: str = "{", close_ch: str = "}") -> list[str]:
    """Every top-level {...} (or [...]) span, respecting quoted strings."""
    spans: list[str] = []
    depth = 0
    start = -1
    quote = ""
    escaped = False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
            continue
        if ch in "\"'" and depth > 0:
            # A single quote inside prose (an apostrophe) must not open a string: only after ':', ',', '{', '['.
            prev = text[:i].rstrip()[-1:] if i else ""
            if ch == '"' or prev in ":,{[":
                quote = ch
            continue
        if ch == open_ch:
            if depth == 0:
                start = i
            depth += 1
        elif ch == close_ch and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
    return spans


def _loads_loose(blob: str) -> Any:
    """JSON, else a Python literal (single quotes, True/False), else JSON with trailing commas removed."""
    try:
        return json.loads(blob)
    except ValueError:
        pass
    try:
        pythonic = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", re.sub(r"\bnull\b", "None", blob)))
        return ast.literal_eval(pythonic)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        pass
    try:
        return json.loads(re.sub(r",\s*([}\]])", r"\1", blob))
    except ValueError:
        return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return bool(value >= 0.5)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _TRUE_WORDS:
            return True
        if v in _FALSE_WORDS:
            return False
    return None


def parse_verdict(text: str) -> dict[str, Any] | None:
    """A model's reply -> {"supported": bool, "reason": str, "score": float} or None when it holds no verdict.
    Accepts code fences, prose around the JSON, single quotes, Python booleans, 'yes'/'no' values and, as a last
    resort, a reply that is a bare SUPPORTED/UNSUPPORTED."""
    if not isinstance(text, str) or not text.strip():
        return None
    candidates: list[str] = []
    for fenced in _FENCE.findall(text):
        candidates += _balanced_objects(fenced)
    candidates += _balanced_objects(text)
    for blob in candidates:
        data = _loads_loose(blob)
        if not isinstance(data, dict):
            continue
        lowered = {str(k).strip().lower(): v for k, v in data.items()}
        value = None
        for key in ("supported", "is_supported", "support", "verdict", "label", "entailed", "answer"):
            if key in lowered:
                value = _as_bool(lowered[key])
                if value is not None:
                    break
        if value is None:
            continue
        reason = lowered.get("reason", lowered.get("explanation", lowered.get("rationale", "")))
        reason = " ".join(str(reason or "").split())[:200]
        score = 1.0 if value else 0.0
        raw = lowered.get("score", lowered.get("confidence"))
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw) and 0 <= raw <= 1:
            score = float(raw) if value == (raw >= 0.5) else score
        return {"supported": value, "reason": reason, "score": score}
    match = re.search(r'"?supported"?\s*[:=]\s*"?(true|false|yes|no)\b', text, re.IGNORECASE)
    if match:
        value = match.group(1).lower() in ("true", "yes")
        return {"supported": value, "reason": "", "score": 1.0 if value else 0.0}
    bare = text.strip().strip(".!*`\"' ").lower()
    if bare in ("supported", "yes", "true"):
        return {"supported": True, "reason": "", "score": 1.0}
    if bare in ("unsupported", "not supported", "no", "false"):
        return {"supported": False, "reason": "", "score": 0.0}
    return None


def parse_claims(text: str) -> list[str] | None:
    """A model's claim-extraction reply -> list of claims, or None when it holds none. Accepts a JSON list, an
    object with a 'claims' list, or a numbered/bulleted list."""
    if not isinstance(text, str) or not text.strip():
        return None
    for fenced in _FENCE.findall(text) + [text]:
        for blob in _balanced_objects(fenced, "[", "]") + _balanced_objects(fenced):
            data = _loads_loose(blob)
            if isinstance(data, dict):
                data = data.get("claims")
            if isinstance(data, list) and all(isinstance(x, str) for x in data):
                claims = [" ".join(x.split()) for x in data if x.strip()]
                if claims:
                    return claims
    lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).strip() for line in text.splitlines()]
    listed = [line for line, raw in zip(lines, text.splitlines()) if line and re.match(r"^\s*(?:[-*•]|\d+[.)])\s+", raw)]
    return listed or None


_JUDGE_SYSTEM = (
    "You check whether a claim is supported by source passages. A claim is supported only if the passages, "
    "taken together, state or directly imply everything it says: same numbers, same names, same speaker, same "
    "polarity, no stronger certainty or wider scope than the passages, and no added details. "
    'Reply with JSON only: {"supported": true|false, "reason": "<one short sentence>"}.'
)
_CLAIMS_SYSTEM = (
    "Break the answer into short, self-contained factual claims, one fact each, resolving pronouns. "
    "Ignore citation markers like [1]. Reply with a JSON list of strings only."
)


def _one_line(exc: BaseException) -> str:
    text = f"{exc.__class__.__name__}: {exc}".strip()
    return (text.splitlines() or [exc.__class__.__name__])[0][:200]


class LLMJudge:
    """Asks an OpenAI-compatible chat endpoint. Never raises: failures become unsupported verdicts whose reason
    says 'error: ...' (endpoint) or 'unparsed' (a reply with no verdict in it, after one retry)."""

    name = "llm"

    def __init__(self, settings: "Settings", max_workers: int = 4) -> None:
        self.settings = settings
        self.model = settings.openai_model
        self.max_workers = max(1, max_workers)
        self._client: Any = None
        self._client_error: str | None = None

    def _get_client(self) -> Any:
        if self._client is None and self._client_error is None:
            try:
                from .backends.openai_client import make_client

                self._client = make_client(self.settings)
            except Exception as exc:  # a missing key is an answer too: every verdict reports it
                self._client_error = _one_line(exc)
        return self._client

    def _ask(self, system: str, user: str) -> str:
        client = self._get_client()
        if client is None:
            raise RuntimeError(self._client_error or "no client")
        response = client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            temperature=0,
        )
        return (response.choices[0].message.content or "") if response.choices else ""

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict:
        claim = " ".join(clean_text(claim).split())
        if not claim:
            return Verdict(False, 0.0, "empty claim")
        if not passages:
            return Verdict(False, 0.0, "no passages")
        if self._get_client() is None:
            return Verdict(False, 0.0, f"error: {self._client_error}")
        sources = "\n\n".join(f"[{i}] {p.strip()}" for i, p in enumerate(passages, 1))
        user = f"Passages:\n{sources}\n\nClaim: {claim}\n\nIs the claim supported by the passages? JSON only."
        for _attempt in range(2):
            try:
                reply = self._ask(_JUDGE_SYSTEM, user)
            except Exception as exc:  # the endpoint, the network, a malformed response object
                return Verdict(False, 0.0, f"error: {_one_line(exc)}")
            parsed = parse_verdict(reply)
            if parsed is not None:
                return Verdict(bool(parsed["supported"]), float(parsed["score"]), parsed["reason"] or "llm verdict")
        return Verdict(False, 0.0, "unparsed")

    def judge_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Verdict]:
        if len(items) <= 1 or self.max_workers == 1:
            return [self.judge(c, p) for c, p in items]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            return list(pool.map(lambda item: self.judge(item[0], item[1]), items))

    def extract_claims(self, answer_text: str) -> list[str]:
        """RAGAS-style claim extraction; falls back to ``split_claims`` when the endpoint fails or rambles."""
        text = clean_text(answer_text).strip()
        if not text:
            return []
        try:
            claims = parse_claims(self._ask(_CLAIMS_SYSTEM, f"Answer:\n{text}"))
        except Exception:
            claims = None
        return claims if claims else split_claims(answer_text)


def make_judge(settings: "Settings", embedder: Any) -> Judge:
    """The judge the settings ask for: 'heuristic' (offline, needs the embedder) or 'llm'."""
    if getattr(settings, "judge", "heuristic") == "llm":
        return LLMJudge(settings)
    return HeuristicJudge(embedder)
