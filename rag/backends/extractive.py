"""The offline answerer: quotes the retrieved sentences that answer the question, each with its [n].

It needs no model beyond the embedder. A sentence is quoted only when it passes three checks:

* it is about what the question names: Sakana's revenue is not answered by a sentence about
  Anthropic's. A sentence that does not open with a name of its own ("The company was founded...",
  "Its founders...") is about whatever the sentences before it were about.
* it holds the kind of thing the question asks for, read off the wh-phrase: an amount of money for
  "what valuation", a number and the thing counted for "how many phases", a date for "when", a name
  for "which journalist", a place after "in/at/from" for "where". A sentence that merely repeats the
  question does not answer it.
* it is close to the question: it shares the question's telling words (not the ones every passage
  has), or it is close in meaning once the names are left out of both, or very close as written.

A question in several parts ("What X, and why Y?") is answered part by part. A statement that comes
with a question ("X was founded in 2019. What has it built since?") is checked against the sources:
a sentence that says nearly the same with a different number, date or name is quoted as the
correction. Lists and explanations may take a few sentences: further good matches that add
something, and the sentences that carry on from the best one ("They may also...", an explanation
after the claim). A list question prefers an enumeration: the bulleted or numbered lines that a
relevant sentence introduces, quoted item by item, though the items rarely repeat the question's
words. A why-question leads with the sentence that restates its claim and the one that explains it,
unless the best match gives a reason itself. A who-question reads 'started' and 'founded' as one
relation and keeps every person named in full in that role. A yes/no question ("Has X achieved Y?")
may be answered by a denial that names no one ("Y has not been achieved yet", "No one has shown..."),
even in a passage about someone else: what holds for no one holds for X. A clock time, a weekday or
a date in figures answers "when"; "how much does X cost" wants an amount of money and a sentence that
names X (a price list prices other things too). "It was set by Margarethe" answers "who set X" when
'it' is the X of the sentence before. A few words typed as a search ("vault code") are answered by the
sentences that mention them all; a command-line option ("ls -a") is matched as written, also in the
description under its option line. Accented letters are read as their base letters. With nothing that
passes, the answer is ABSTAIN_TEXT.

Embedding is nearly all of its time: only sentences about what the question names are embedded, in one
batch with the question, and sentence vectors are kept between questions (the same passages come back).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, NamedTuple, Sequence

from ..embeddings import cached
from ..guard import looks_like_instruction, strip_instructions
from ..models import Citation
from ..text import (
    QUESTION_WORDS, STOPWORDS, date_tokens, is_year, number_tokens, related_terms, sentence_spans,
    stem,
)
from ..text import terms as _terms
from ..text import words as _words
from .base import ABSTAIN_TEXT

if TYPE_CHECKING:
    import numpy as np

    from ..embeddings import Embedder

_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "Oe", "ł": "l", "Ł": "L",
                       "đ": "d", "Đ": "D", "þ": "th", "ð": "d", "ı": "i"})


def _fold(text: str) -> str:
    """The text with its letters' accents dropped: the word splitter reads only A-Z, so "Franzbrötchen" would be
    two words ('Franzbr', 'tchen') and "Zürich" would hold 'rich'. Only for reading a text; quotes stay verbatim."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return _words(_fold(text))


def terms(text: str) -> list[str]:
    return _terms(_fold(text))

MAX_SENTENCES = 4  # in the whole answer
MAX_LIST = 5  # in the answer to a list question: the list's introduction and four items
# An enumeration (bulleted or numbered lines) whose introduction or one of whose items scores this share of the
# best sentence answers a list question: its items are what is asked for, though they rarely repeat its words.
LIST_BLOCK = 0.6
MIN_SIMILARITY = 0.25  # cosine below which a sentence is not about the question at all
MEANING_ALONE = 0.5  # cosine, names left out, at which a sentence is relevant without sharing a telling word
CLOSE = 0.7  # cosine, as written, at which a sentence is relevant without sharing a telling word
FITS_HEAD = 0.4  # cosine between "institution" and "Asia e University": a name of the kind asked for
MIN_SCORE = 0.3
# A sentence's score: its similarity to the question as asked, the share of the question's words it uses
# (rarer words weigh more) and, a little, its similarity without the names (noisy for short questions: it
# mostly serves the relevance check), plus small bonuses.
W_SIM, W_ASPECT, W_LEXICAL = 0.5, 0.1, 0.4
KEEP_RATIO = 0.85  # a further sentence for the same part must score this share of the part's best
PREMISE_MATCH = 0.5  # share of a statement's words a sentence needs to be quoted as its check...
PREMISE_SIMILAR = 0.6  # ...or its cosine with the statement
NEAR_REPEAT = 0.9  # cosine between two sentences above which the second says nothing new
# Cosine (with the sentence before, or with the question) a sentence needs to carry on a list, or to
# explain the claim before it.
ON_TOPIC, EXPLAINS = 0.3, 0.25
COMMON = 0.8  # a name in this share of the sentences' subjects cannot tell them apart ('Robotics' in robotics news)

# What a question asks for, read off its wh-phrase.
NUMBER, MONEY, SHARE, COUNT = "number", "money", "share", "count"
DATE, DURATION, NAME, PLACE, TERM, REASON, LIST = "date", "duration", "name", "place", "term", "reason", "list"
FUTURE_DATE = "future date"  # "when will...": a date the sentence gives as ahead
_QUANTITIES = (NUMBER, MONEY, SHARE, COUNT)
_TYPED = (*_QUANTITIES, DATE, DURATION, NAME, PLACE, TERM)  # kinds a sentence can be checked for
_WH = frozenset("what which who whom whose when where why how".split())
_AUXILIARIES = frozenset("is are was were do does did has have had will would can could should may might".split())
_LEAD_PREPOSITIONS = frozenset("in at on by for from to of with under during since".split())
_IMPERATIVES = frozenset("tell explain describe say list name give show please me us".split())
_DISCOURSE = frozenset("also and so then now but ok okay well finally lastly besides".split())
# A noun phrase ends at a verb, a preposition or a time modifier: "X's revenue | last year".
_NP_STOP = _AUXILIARIES | _LEAD_PREPOSITIONS | frozenset("that about last next this each every per".split())
# Head nouns of "what/which <noun>" that fix the kind of answer.
_NOUN_TYPES = {
    **dict.fromkeys("year date month day decade century time".split(), DATE),
    **dict.fromkeys("city country place location region town continent headquarters".split(), PLACE),
    **dict.fromkeys("number amount figure total size population age".split(), NUMBER),
    **dict.fromkeys("valuation revenue revenues price cost sum salary budget funding income profit profits sales "
                    "worth".split(), MONEY),
    **dict.fromkeys("share percentage percent proportion fraction".split(), SHARE),
    **dict.fromkeys("person journalist reporter author writer founder co-founder scientist researcher executive "
                    "ceo director leader investor company firm organisation organization institution university "
                    "journal publication outlet newspaper magazine agency startup".split(), NAME),
    **dict.fromkeys("term phrase word title headline slogan motto nickname".split(), TERM),
}
# Heads that ask for a person: a person's name is not close in meaning to 'founder', so it is not compared with it.
_PERSON_HEADS = frozenset("person journalist reporter author writer founder co-founder scientist researcher executive "
                          "ceo director leader investor".split())
_HOW = {"soon": DURATION, "long": DURATION, "quickly": DURATION, "fast": DURATION, "old": NUMBER}
# Words that frame a question rather than say what it is about ("in what year", "how many").
# Verbs of intent frame the question too: "which groups does X intend to bring together?" turns on 'bring'.
_FRAME = frozenset(stem(w) for w in "many much soon long quickly fast old year date time number amount kind type "
                                    "thing way actually exactly intend want hope try decide think believe "
                                    "consider".split())
_MONEY = re.compile(r"[$€£¥₹]\s?\d|\d\s?[$€£¥₹]|\b(dollars?|euros?|pounds|yen|yuan|cents?|pence|francs?|rupees?|"
                    r"kron(?:a|or|er|e)|usd|eur|gbp|chf|jpy|million|billion|trillion|\d+(?:\.\d+)?(?:m|bn|k|p))\b",
                    re.IGNORECASE)
_PRICE_VERBS = frozenset("cost costs charge charges pay paid spend spent price priced".split())
# The thing whose price is asked: "how much does a sourdough loaf cost?", "what is the price of a croissant?".
_PRICED = re.compile(r"\bhow much (?:does|do|did|will|would|is|are|was|were) (.+?) (?:cost|costs|charge|sell for|go for)\b|"
                     r"\bwhat (?:does|do|did|will|would) (.+?) cost\b|"
                     r"\b(?:price|cost|fare|fee) (?:of|for) (.+?)(?:\?|$|\s(?:at|in|on|today|now)\b)", re.IGNORECASE)
# Verbs that frame what follows rather than carry the question ("why did X decide to put its lab...").
_LIGHT_VERBS = frozenset("think say said believe decide want plan expect see consider claim argue hope try get "
                         "make let".split())
# Verbs a who-question may use for what a sentence says another way: "who started X?" and "X's co-founders".
# Only for who-questions: "when did X start selling robots?" is not asking when X was founded.
_AKIN = [frozenset(g.split()) for g in ("found start establish",)]
_AKIN_OF = {f: g for g in _AKIN for t in g for f in (t, t + "e", t + "ed", t + "s", t + "ing", t + "er")}
# Adverbs between the subject and the verb: "has X already achieved...?" turns on 'achieved'.
_ADVERBS = frozenset("already yet ever still really actually now fully finally recently also just even".split())
_FUTURE = re.compile(r"\b(will|going to|plans? to|planned|scheduled|upcoming|next)\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(not|never|no|none|nobody|neither|nor|yet to)\b|n't\b", re.IGNORECASE)
_QUANTIFIER = re.compile(r"\b(all|none|every|no|most|half|entire|entirely|only)\b", re.IGNORECASE)
_FRACTION = re.compile(r"%|\b(percent|per cent|half|third|quarter|majority|minority)\b", re.IGNORECASE)
_TIME_UNITS = frozenset(stem(w) for w in "second minute hour day week month year decade century soon".split())
_CAUSAL = re.compile(r"\b(because|since|due to|as a result|so that|in order to|which means|reason|therefore|thus|"
                     r"otherwise|rather than)\b", re.IGNORECASE)
# A sentence that draws a conclusion from the ones before it: "Anthropic's point is that...", "This shows...".
_CONCLUSION = re.compile(r"^(?:(?:[\w'’\-]+\s+){0,3}(?:point|argument|conclusion|lesson|upshot|takeaway|message) is that|"
                         r"(?:this|that|which|these|all this|all of this) (?:shows|show|means|suggests|suggest|is why)|"
                         r"(?:thus|therefore|hence|in other words|as a result|for these reasons)\b)", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(he|she|it|they|him|her|them|his|its|their)\b", re.IGNORECASE)
# A sentence that opens with one of these refers back to what came before it.
_ANAPHORA = frozenset("it its they their them he his she her this these that those such another the one both".split())
# A place is named after a preposition of place: "based in Tokyo", "outside the United States".
_PLACE_PHRASE = re.compile(r"\b(in|at|from|near|outside|inside|within|across|throughout|around|beyond)\s+(?:the\s+)?"
                           r"((?:[A-Z][\w\-]*\s*)+)")
_NOT_THERE = frozenset("outside beyond".split())  # "based outside the United States" does not say where it is
# Names after these are places; after "in", "at" or "from" they may be a journal or an employer as well.
_ONLY_PLACES = frozenset("near outside inside within across throughout around beyond".split())
# Quoted text is a title or a saying, not who did something; a quote may run to the end of a sentence.
_QUOTED = re.compile(r"[\"“][^\"”]*(?:[\"”]|$)|‘[^’]*(?:’|$)")
_CAPITALISED_RUN = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w\-]*(?:\s+[A-Z][\w\-]*)+")
_ONWARD = frozenset("also another further furthermore moreover additionally similarly likewise examples instance "
                    "next second third finally".split())
# "written by Marina Favaro", "the warning came from Marina Favaro": who did it, by full name.
_BY_NAME = re.compile(r"\b(?:by|from)\s+(?:[a-z]+\s+){0,2}[A-Z][\w\-]+\s+[A-Z]")
# "was set by Margarethe", "written by Ana": a passive verb and its agent, who did it, named.
_PASSIVE_AGENT = re.compile(r"\b(?:is|are|was|were|been|being|be|get|got)\s+(?:[a-z]+ly\s+)?[a-z]+(?:ed|en|wn|t|ng|de|ne)"
                            r"\s+by\s+(?:[a-z]+\s+){0,2}[A-Z]")
_SUBJECT_PRONOUNS = frozenset("it they he she this these".split())
_NUMBER_MARKER = re.compile(r"\(?(?:\d{1,2}|[a-z])[.)]")  # "1.", "2)", "(a)": a list item's number on its own
# "Anthropic points out that ...": who reports a claim, up to the claim.
_REPORTED = re.compile(r"^(?:[A-Z][\w\-']*\s+){1,4}(?:\w+\s+){0,2}?(?:says|said|points out|pointed out|notes|noted|"
                       r"argues|argued|writes|wrote|adds|added|believes|believed|stresses|stressed|concedes|conceded|"
                       r"acknowledges|acknowledged)\s+(?:that\s+)?")
_NOBODY = re.compile(r"^(?:no one|nobody|none of|no\s+\w+\s+has|neither)\b", re.IGNORECASE)
# Splits "What X, and why Y?" into its parts; the lookahead keeps the wh-word with the second part.
_PART_SPLIT = re.compile(
    r"(?:,\s*(?:and|but)\s+|\s+and\s+|;\s*|:\s+)(?=(?:(?:in|at|on|by|for|from|to|of|with)\s+)?"
    r"(?:what|which|who|whom|whose|when|where|why|how)\b)", re.IGNORECASE,
)


@dataclass(frozen=True)
class _Candidate:
    source: int  # the [n]
    passage: int  # index of the passage among the sources
    position: int  # index of the line or sentence within its passage: headings count, so they break runs
    text: str
    terms: frozenset[str]
    names: frozenset[str]  # stems of the proper names the sentence itself uses
    persons: frozenset[str]  # those that can answer "who/which": not quoted titles, not places
    places: frozenset[str]  # those after a preposition of place
    full_names: tuple[str, ...]  # runs of two or more capitalised words, as stems: "david ha", "google brain"
    quoted: tuple[str, ...]  # what the sentence puts in quotation marks
    opens_with_name: bool
    refers_back: bool  # opens with "They", "It", "Also"...: carries on from the sentence before
    about: frozenset[str]  # its names, and those it refers back to when it does not open with its own
    numbers: frozenset[str]
    dates: frozenset[str]
    item_of: int = -1  # the enumeration (bulleted or numbered lines) it is an item of, or -1
    introduces: int = -1  # the enumeration it introduces (it comes right before the first item), or -1
    general: bool = False  # a denial about no one in particular: "X has not been achieved", "No one has..."
    # The words of the sentence before, when this one opens with a pronoun subject that stands for what it named:
    # "The vault code is 4471. It was set by Margarethe." - 'it' is the vault code.
    context: frozenset[str] = frozenset()
    # Command-line options it gives ("-a", "--all"), also those of the option line it describes ("-a, --all" then
    # "do not ignore entries starting with ."); and every word of its passage, which names the command.
    options: frozenset[str] = frozenset()
    passage_terms: frozenset[str] = frozenset()


@dataclass
class _Part:
    """One thing the question asks, or a statement it makes that the sources can confirm or correct."""

    text: str
    asked_for: Asked
    premise: bool  # a statement, not a question
    groups: list[frozenset[str]] = field(default_factory=list)  # name groups: "Sakana AI", "Jack Clark"
    subject_only: bool = False  # only the first name group must match: the others may be wrong
    roles: list[str] = field(default_factory=list)  # per name group, what it is: PLACE, DATE, NUMBER or NAME
    plain: set[str] = field(default_factory=set)  # what it asks about, besides the names
    asked: set[str] = field(default_factory=set)  # every content term
    future: bool = False  # "when will...": a date in the past does not answer it
    predicate: str | None = None  # the verb the question turns on, stemmed: 'compar' in "what did X compare..."
    polar: bool = False  # a yes/no question: "Has X achieved Y?" is answered by the sentence that says whether
    each: bool = False  # asked of one of several names given together ("X and Y"): dropped if no source has it
    keyword: bool = False  # a few words typed as a search ("vault code"): the sentences that mention them

    @property
    def kind(self) -> str | None:
        return self.asked_for.kind

    @property
    def focus(self) -> str | None:
        return self.asked_for.focus

    @property
    def strict(self) -> bool:
        return self.asked_for.strict


def question_entities(question: str) -> set[str]:
    """Stems of the names a question asks about: capitalised words and numbers."""
    return set().union(*_name_groups(question)) if question.strip() else set()


def _name_groups(text: str) -> list[frozenset[str]]:
    """Runs of capitalised words ("Sakana AI", "Marina Favaro"), and numbers, as sets of stems.

    A possessive ends a run: "Sakana's RSI Lab" is two names. The first word of a sentence counts
    only when it is not a common word ("What", "The"). Acronyms are left out: 'AI', 'RSI' and 'IPO'
    name things, not whom a sentence is about, and "Sakana AI" is found by 'Sakana'.
    """
    text = _fold(text)
    groups: list[frozenset[str]] = []
    run: list[str] = []
    acronyms: set[str] = set()
    after_possessive = False
    starts = {a for a, _ in sentence_spans(text)}
    for match in re.finditer(r"[A-Za-z0-9][\w'’\-\.]*", text):
        token = match.group(0).replace("’", "'").rstrip(".'-")
        possessive = token.endswith("'s")
        w = token[:-2] if possessive else token
        if not w:
            continue
        lower = w.lower()
        if match.start() and text[match.start() - 1] == "-" and text[max(0, match.start() - 2) : match.start() - 1] in ("", " ", "-"):
            after_possessive = False
            continue  # a command-line option ("-R", "--All"), not a name
        initial = match.start() in starts or text[max(0, match.start() - 2) : match.start()].strip() in {":", '"', "“"}
        is_name = (w[0].isupper() and lower not in STOPWORDS and lower not in QUESTION_WORDS
                   and not (initial and lower in _ANAPHORA)) or any(ch.isdigit() for ch in w)
        if is_name and len(w) > 1 and w.isupper():
            acronyms.add(stem(w))
        joined = match.start() > 0 and text[match.start() - 1] == " " and not after_possessive
        if is_name and run and joined:
            run.append(stem(w))
        else:
            if run:
                groups.append(frozenset(run))
            run = [stem(w)] if is_name else []
        after_possessive = possessive
    if run:
        groups.append(frozenset(run))
    return [g - acronyms for g in groups if g - acronyms]


def _attached_acronyms(text: str) -> set[str]:
    """Acronyms that end a longer name ('AI' in "Sakana AI"): part of the name, not a word of the question.
    One that leads ("RSI Lab") says what the thing is, and stays a word of the question."""
    out: set[str] = set()
    for m in re.finditer(r"\b[A-Z][a-z][\w\-]*(?:\s+[A-Z][\w\-]*)*\s+([A-Z]{2,})\b", text):
        out.add(stem(_fold(m.group(1))))
    return out


def _content(text: str) -> set[str]:
    """The stems of what a question asks about: its words less stopwords, wh-words and auxiliaries, and an
    opening imperative ("Name the...", "List...")."""
    tokens = words(text)
    if tokens and tokens[0].lower() in _IMPERATIVES:
        tokens = tokens[1:]
    return {stem(w) for w in tokens
            if w.lower() not in STOPWORDS and w.lower() not in _WH and w.lower() not in _AUXILIARIES}


class Asked(NamedTuple):
    """What the wh-phrase of a question (part) asks for."""

    kind: str | None = None  # NUMBER, DATE, NAME, ... or None when any sentence on topic will do
    focus: str | None = None  # the head noun, stemmed: 'phase' in "how many phases", 'institution'
    strict: bool = False  # the sentence must hold the kind; if not, it is preferred but not required
    relation: str | None = None  # a word the sentence must share, or be close in meaning to ('head', 'wrote')
    head: str | None = None  # the head noun as written, to compare with names by meaning


def answer_kind(part: str) -> Asked:
    """What the wh-phrase at the start of a question (part) asks for.

    "How many phases..." asks for a COUNT of 'phase'; "Why..." for a REASON. "Who is the head of X?" asks
    for a NAME, and the sentence must say 'head' (or mean it); "who wrote X?" for one that says who wrote.
    """
    tokens = _question_tokens(part)
    if not tokens:
        return Asked()
    wh, rest = tokens[0], tokens[1:]
    capitalised = {w.lower() for w in words(part)[1:] if w[0].isupper()}
    if wh == "how":
        if not rest:
            return Asked()
        head = next((w for w in rest[1:3] if w not in STOPWORDS and w not in _AUXILIARIES), None)
        if rest[0] == "much":
            if head in _NOUN_TYPES and _NOUN_TYPES[head] in _QUANTITIES:
                return Asked(_NOUN_TYPES[head], stem(head), True)
            if head == "money" or _PRICE_VERBS & set(rest):
                return Asked(MONEY, None, True)  # "how much does a loaf cost?": an amount of money
            return Asked(SHARE if rest[1:2] == ["of"] else NUMBER, None, True)
        if rest[0] == "many":
            return Asked(COUNT, stem(head) if head else None, True)
        kind = _HOW.get(rest[0])
        return Asked(kind, None, kind is not None)
    if wh == "when":
        return Asked(DATE, None, True)
    if wh == "where":
        return Asked(PLACE, None, True)
    if wh == "why":
        return Asked(REASON)
    if wh in ("who", "whom", "whose"):
        if rest and rest[0] in ("is", "are", "was", "were"):
            role = [w for w in _noun_phrase(_past_quantity(rest[1:])) if w not in STOPWORDS]
            if not role or role[0] in capitalised:
                return Asked()  # "Who is Marina Favaro?" asks what she is, not for a name
            # "Who is the head of X?": a name, and the sentence must say what the person is.
            return Asked(NAME, None, True, stem(role[-1]))
        # "Who wrote X?": most likely a name, and the sentence must say who wrote; "who will they invite"
        # may be answered by "policymakers and researchers".
        verb = rest[0] if rest and rest[0] not in _AUXILIARIES and rest[0] not in STOPWORDS else None
        return Asked(NAME, None, False, stem(verb) if verb else None)
    if wh == "what" and rest and rest[0] in _AUXILIARIES and _PRICE_VERBS & set(rest[-2:]):
        return Asked(MONEY, None, True)  # "what does a loaf cost?"
    # "what/which <noun phrase>": the words before a verb or preposition; "what is X's Y" looks past "is".
    if rest and rest[0] in ("is", "are", "was", "were"):
        rest = rest[1:]
    phrase = _noun_phrase(rest)
    if phrase and phrase[-1] == "name" and rest[len(phrase) : len(phrase) + 1] == ["of"]:
        # "What is the name of X's chief technology officer?" is "who is X's chief technology officer?"
        role = [w for w in _noun_phrase(rest[len(phrase) + 1 :]) if w not in STOPWORDS and w not in capitalised]
        if role:
            kind = _NOUN_TYPES.get(role[-1], NAME)
            return Asked(kind, stem(role[-1]), True, stem(role[-1]), role[-1])
    typed = [w for w in phrase if w in _NOUN_TYPES]
    plural = [_singular(w) for w in phrase if _singular(w) in _NOUN_TYPES and _NOUN_TYPES[_singular(w)] == NAME]
    if plural and not typed:
        # "Which companies...", "which universities...": several names of that kind.
        return Asked(NAME, stem(plural[-1]), True)  # no head to check names against: a list of them
    if typed:
        kind = _NOUN_TYPES[typed[-1]]  # the head comes last: "share price" is a price
        if wh == "which" and kind in _QUANTITIES:
            # "Which animal population doubled?" asks which one, not how large it is; the sentence must say what
            # happened to it ('doubled'), not merely speak of a population.
            after = [w for w in rest[rest.index(typed[-1]) + 1 :] if w not in _AUXILIARIES and w not in _ADVERBS]
            verb = after[0] if after and after[0] not in STOPWORDS else None
            return Asked(None, None, verb is not None, stem(verb) if verb else None)
        return Asked(kind, stem(typed[-1]), kind != TERM, None, typed[-1])  # a term is often quoted, need not be
    if any(w.endswith("s") and not w.endswith("ss") and len(w) > 3 and w not in STOPWORDS for w in phrase):
        return Asked(LIST)  # "which dangers", "what are the stages": several items
    return Asked()


_QUANTITY_WORDS = frozenset("one two three four five several some many any all both each few most none".split())


def _past_quantity(tokens: list[str]) -> list[str]:
    """"two of the company's co-founders" -> "the company's co-founders": the count is not the role asked about."""
    if len(tokens) > 2 and (tokens[0] in _QUANTITY_WORDS or tokens[0].isdigit()) and tokens[1] == "of":
        return tokens[2:]
    return tokens


def _singular(word: str) -> str:
    """The singular of a plural noun, roughly: 'companies' -> 'company', 'journalists' -> 'journalist'."""
    word = word.rstrip("'’")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _noun_phrase(tokens: list[str]) -> list[str]:
    """The words of a question up to its first verb or preposition: "the chief executive" of "...of X"."""
    phrase = []
    for w in tokens:
        if w in _NP_STOP or len(phrase) == 5:
            break
        phrase.append(w)
    return phrase


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: "Embedder") -> None:
        # The same passages come back question after question: their sentences' vectors are kept.
        self.embedder = cached(embedder)
        self.model = embedder.model_id

    def stream(self, question: str, sources: Sequence[Citation]) -> Iterator[str]:
        yield self.answer(question, sources)

    def answer(self, question: str, sources: Sequence[Citation]) -> str:
        chosen = self.choose(question, sources)
        if not chosen:
            return ABSTAIN_TEXT
        return " ".join(f"{_as_sentence(c.text)} [{c.source}]" for c in chosen)

    def choose(self, question: str, sources: Sequence[Citation]) -> list[_Candidate]:
        """The sentences to quote, in answer order; empty to abstain."""
        prepared = self.prepare(question, sources)
        if prepared is None:
            return []
        parts, ranking, vectors = prepared
        k = len(parts)
        chosen: list[int] = []
        answered = False
        limit = 3 if k == 1 else 2
        asking = [p for p in parts if not p.premise]
        for n, part in enumerate(parts):
            # A list asked on its own may take its introduction and all of a short list's items.
            alone = part.kind == LIST and asking == [part]
            picked = ranking.pick(part, vectors[n], vectors[k + n], chosen, limit, alone)
            answered = answered or (bool(picked) and not part.premise)
            chosen.extend(picked[: (MAX_LIST if alone else MAX_SENTENCES) - len(chosen)])
        if not answered and not any(ranking.corrects.get(i) for i in chosen):
            return []  # only statements were checked, and the sources merely repeat them
        return [ranking.candidates[i] for i in chosen]

    def prepare(self, question: str, sources: Sequence[Citation]) -> "tuple[list[_Part], _Ranking, np.ndarray] | None":
        """The question's parts, the candidate sentences ready to rank, and each part's two vectors
        (as asked, then without its names); None when nothing can answer."""
        question = strip_instructions(question)
        parts = _parts(question)
        candidates, proper, lowered = _candidates(sources, {t for p in parts for g in p.groups for t in g})
        if not candidates or not parts:
            return None
        known = frozenset().union(*(c.terms for c in candidates), *(c.about for c in candidates))
        names = [g for p in parts for g in p.groups if not all(t.isdigit() for t in g)]
        if names and not any(g & known for g in names):
            return None  # the question is about someone or something no source mentions
        # "How do X and Y differ?" when only X is in the sources: what they say of X, as before the split.
        parts = [p for p in parts if not p.each or p.groups[0] & known]
        # Each part is embedded as asked and without its names: the second says whether a sentence is about
        # what is asked (revenue, founders), not merely about whom. One batch for everything.
        texts = [p.text for p in parts] + [_without(p.text, p.groups) for p in parts]
        ranking = _Ranking(candidates, known, proper, lowered, self.embedder)
        # Only sentences about what some part names can be quoted, so only those are embedded (the others
        # keep a zero vector, which no check passes): embedding is nearly all of the answerer's time.
        needed = [i for i, c in enumerate(candidates) if any(ranking.may_answer(p, c) for p in parts)]
        vectors = self._embed(texts, [candidates[i].text for i in needed])
        import numpy as np

        sentence_vectors = np.zeros((len(candidates), vectors.shape[1]), dtype=vectors.dtype)
        sentence_vectors[needed] = vectors[len(texts) :]
        ranking.vectors = sentence_vectors
        return parts, ranking, vectors[: len(texts)]

    def _embed(self, questions: list[str], sentences: list[str]) -> "np.ndarray":
        """Vectors of the question texts and then of the sentences, in one batch."""
        return self.embedder.embed(questions + sentences)


class _Ranking:
    """Scores the candidate sentences against each part of a question."""

    def __init__(self, candidates: list[_Candidate], known: frozenset[str], proper: frozenset[str],
                 lowered: frozenset[str], embedder: "Embedder | None" = None) -> None:
        self.embedder = embedder
        self._phrase_vectors: dict[str, "np.ndarray"] = {}
        self.candidates = candidates
        self.vectors: "np.ndarray" = None  # one row per candidate, set once the needed ones are embedded
        self.known = known
        self.proper = proper
        self.lowered = lowered
        self._n = len(candidates)
        self._df: dict[str, int] = {}
        about_df: dict[str, int] = {}
        for c in candidates:
            for t in c.terms:
                self._df[t] = self._df.get(t, 0) + 1
            for t in c.about:
                about_df[t] = about_df.get(t, 0) + 1
        self.common = frozenset(t for t, k in about_df.items() if k >= COMMON * self._n)
        self.corrects: dict[int, bool] = {}

    def idf(self, term: str) -> float:
        return math.log(1 + self._n / (1 + self._df.get(term, 0)))

    def required(self, part: _Part) -> list[frozenset[str]]:
        """The name groups a sentence must be about: those of their words and numbers that some source has,
        and not mostly in lower case ('Lab' in "Sakana's RSI Lab" is the common noun 'lab')."""
        out = []
        for g in part.groups[:1] if part.subject_only else part.groups:
            telling = frozenset(t for t in g if t not in self.lowered)
            # A word of the name that nearly every sentence is about ('Robotics' in a robotics corpus) does
            # not tell "Veltrix Robotics" from "Orbisa Robotics"; a name of one word is kept all the same.
            telling = telling - self.common or telling
            if telling & self.known:
                out.append(telling)
        return out

    def may_answer(self, part: _Part, cand: _Candidate) -> bool:
        """Whether the sentence is about the part's subject (its first name), as every answer must be, or
        denies of no one in particular what a yes/no question asks about."""
        return all(g & (cand.about | cand.terms) for g in self.required(part)[:1]) or self._denies(part, cand)

    @staticmethod
    def _denies(part: _Part, cand: _Candidate) -> bool:
        """Whether the sentence denies, of no one in particular, what a yes/no question asks: "Has X achieved
        Y?" and "Y has not been achieved yet": what holds for no one holds for X."""
        return (part.polar and cand.general and part.predicate is not None
                and related_terms(part.predicate, cand.terms))

    def features(self, part: _Part, vector: "np.ndarray", aspect: "np.ndarray", typed: bool = True,
                 every_name: bool = True, subject_led: bool = False) -> list[dict]:
        """Per candidate: the checks it fails (none when it may be quoted for this part) and its score.

        With `typed`, a sentence must hold the kind of thing the part asks for, if it asks for one; with
        `every_name`, it must be about every name the part gives, else only about the first; with `subject_led`, a
        sentence that opens with the first name and is close to the question as asked is relevant."""
        similarity = self.vectors @ vector
        aspect_similarity = self.vectors @ aspect
        required = self.required(part) if every_name else self.required(part)[:1]
        # A name no source has (a lab "in Osaka", "founded in 2019") is likely a wrong premise: a sentence
        # with a place, a year or a name in its stead may be the correction. A statement's figures and
        # quantifiers ("all of the code") are checked the same way.
        missing = {role for g, role in zip(part.groups, part.roles)
                   if not g & self.known or part.premise and all(t.isdigit() for t in g)}
        if part.premise and _QUANTIFIER.search(part.text):
            missing.add(SHARE)
        plain = {t for t in part.plain if t not in _FRAME}
        # Words that most candidates share weigh little and do not make a sentence relevant.
        telling = {t for t in plain if self._df.get(t, 0) < 0.5 * self._n}
        # When no sentence about the question's subject uses them, the question is worded its own way and
        # meaning must do: "Which institution is X associated with?" against "X of Asia e University".
        on_subject = [c for c in self.candidates if all(g & (c.about | c.terms) for g in required)]
        unworded = not any(related_terms(t, c.terms) for c in on_subject for t in telling)
        # The verb a question turns on ("what did LeCun compare AI to?") counts twice.
        weights = {t: self.idf(t) * (2 if t == part.predicate else 1) for t in plain}
        weight = sum(weights.values()) or 1.0
        priced = _priced(part.text) if part.kind == MONEY else None
        asked_options = frozenset(_options(part.text))
        out = []
        for i, cand in enumerate(self.candidates):
            fails = []
            general = False
            if any(not g & (cand.about | cand.terms) for g in required):
                general = self._denies(part, cand)  # checked on its words below
                if not general:
                    fails.append("about")
            # "When will the lab publish?" is not answered by what it published last year.
            kind = FUTURE_DATE if part.kind == DATE and part.future else part.kind
            items = self._holds(cand, kind, part.focus, part.asked)
            if typed and part.kind in _TYPED and part.kind != TERM and not items:
                fails.append("kind")
            if priced and not related_terms(priced, cand.terms | cand.about):
                fails.append("about")  # a price list's other items: "a baguette" is not priced by what a loaf costs
            match_terms = cand.terms
            if cand.context and _PASSIVE_AGENT.search(cand.text):
                # "It was set by Margarethe": who did it to what the sentence before named.
                match_terms = cand.terms | cand.context
            matched = {t for t in plain if (_akin if part.kind == NAME else related_terms)(t, match_terms)}
            lexical = sum(weights[t] for t in matched) / weight if plain else 0.0
            if not plain and required:
                # A question that asks nothing but a name ("What does the Darwin Gödel Machine do?"): its words are
                # the name's, which a sentence uses by naming it in full.
                lexical = sum(g <= cand.names for g in required) / len(required)
            sim, asp = float(similarity[i]), float(aspect_similarity[i])
            # A question worded unlike the sources ("which institution is X associated with?") is answered by a
            # sentence that names its subject itself and holds what is asked for ("X of Asia e University").
            typed_own = (unworded and part.strict and bool(items) and bool(required)
                         and all(g & cand.names for g in required))
            close = (asp >= MEANING_ALONE or sim >= CLOSE
                     or typed_own and sim >= MEANING_ALONE and self._fits_head(cand, items, part.asked_for.head))
            # A sentence that names, itself, the two or more parties the question names and is close to it as asked
            # is about what happened between them: "Why did X praise Y's plan?" and "X accused Y of...".
            close = close or (len(required) > 1 and all(g & cand.names for g in required) and sim >= MEANING_ALONE)
            if not plain and required and sim >= MEANING_ALONE:
                # "What does the Darwin Gödel Machine do?" asks nothing but the name: a sentence close to it that
                # names the thing in full itself is about it.
                close = close or any(g <= cand.names for g in required)
            if subject_led and required and sim >= MEANING_ALONE:
                # What the sources say the subject did, when they tie it to nothing else the question names.
                close = close or _opens_with(cand.text, required[0])
            # A sentence about the subject that holds what is asked for and says every telling word of the question
            # answers it, however much else it says ("One of its co-founders is X, who co-wrote...").
            grounded = (bool(items) and bool(telling) and telling <= matched
                        and (required != [] or match_terms is not cand.terms))
            # "Who are X's co-founders?": a sentence on X that names someone in full in that role answers it.
            in_role = (part.kind == NAME and part.asked_for.relation is not None and bool(required)
                       and _akin(part.asked_for.relation, cand.terms)
                       and any(len(set(n.split()) - part.asked) > 1 and set(n.split()) & items for n in cand.full_names))
            if not in_role and ((sim < MIN_SIMILARITY and not grounded) or not (matched & telling or close)):
                fails.append("relevance")
            by_option = False
            if asked_options:
                # "What does ls -a do?": the sentence must give the option itself, or describe its line, in a document
                # whose passages have the question's other words ('ls').
                if not asked_options & cand.options:
                    fails.append("about")
                elif all(related_terms(t, cand.passage_terms) for t in plain):
                    fails = [f for f in fails if f != "relevance"]
                    by_option = True
            if part.keyword and plain and not by_option:
                # "glacier", "vault code": a sentence that mentions every word is relevant, one that does not is not.
                fails = [f for f in fails if f != "relevance"]
                if not all(related_terms(t, cand.terms) for t in plain):
                    fails.append("relevance")
            if general and lexical < PREMISE_MATCH:
                fails.append("about")  # a denial about no one in particular must say what the question asks
            relation = part.asked_for.relation
            if relation and not _akin(relation, cand.terms) and asp < CLOSE:
                # "Who is the head of X?" is not answered by who founded X; "who wrote X?" is answered by a
                # sentence that says 'wrote', or who it came from ("a post by...", "the warning came from...").
                if part.strict or not _BY_NAME.search(cand.text):
                    fails.append("relation")
            corrects = any(self._holds(cand, role, None, part.asked) for role in missing)
            if part.premise and bool(_NEGATION.search(cand.text)) != bool(_NEGATION.search(part.text)):
                corrects = True  # "X has been achieved" against "X has not been reached"
            score = W_SIM * sim + W_ASPECT * asp + W_LEXICAL * lexical + 0.1 * corrects + 0.01 / cand.source
            if required and all(g & cand.names for g in required):
                score += 0.05  # it states the names itself rather than by reference: the safer quote
            if items:
                score += 0.05
            if by_option:
                score += W_LEXICAL  # the option, said literally, is the question's telling word
            if part.kind == NAME and (_BY_NAME.search(cand.text) or _PASSIVE_AGENT.search(cand.text)
                                      or any(len(set(n.split()) - part.asked) > 1 for n in cand.full_names)):
                score += 0.05  # a person's full name, or "written by ...": who did it
            if part.kind == REASON and _CAUSAL.search(cand.text):
                score += 0.05
            if part.premise:
                # A statement is checked, not answered: a sentence must say nearly the same thing.
                if lexical < PREMISE_MATCH and sim < PREMISE_SIMILAR:
                    fails.append("premise")
            elif score < MIN_SCORE:
                fails.append("score")
            out.append({"fails": fails, "score": score, "sim": sim, "aspect": asp, "lexical": lexical,
                        "matched": matched, "items": items, "corrects": corrects})
        return out

    def pick(self, part: _Part, vector: "np.ndarray", aspect: "np.ndarray", chosen: list[int], limit: int,
             alone: bool = False) -> list[int]:
        features = self.features(part, vector, aspect)
        passing = [i for i, f in enumerate(features) if not f["fails"]]
        if not passing and part.kind in _TYPED and not part.strict:
            # "Who will they invite?" may be answered by "policymakers and researchers" when no name fits.
            features = self.features(part, vector, aspect, typed=False)
            passing = [i for i, f in enumerate(features) if not f["fails"]]
        if not passing and part.kind == REASON and len(self.required(part)) > 1:
            # "Why did LeCun, as Anthropic's chief scientist, warn...": no sentence ties the two names, and
            # what the sources say about the first one is the answer to quote (here, that the premise is wrong).
            features = self.features(part, vector, aspect, typed=False, every_name=False)
            passing = [i for i, f in enumerate(features) if not f["fails"]]
            if not passing:
                # "Why did LeCun back Anthropic's warning?" when the sources only say what LeCun argued instead.
                features = self.features(part, vector, aspect, typed=False, every_name=False, subject_led=True)
                passing = [i for i, f in enumerate(features) if not f["fails"]]
        if part.premise:
            # A statement is quoted back only to be corrected, so a sentence that corrects it comes first.
            correcting = [i for i in passing if features[i]["corrects"]]
            passing, limit = correcting or passing, 1
        elif part.strict and part.kind not in (LIST, REASON, None):
            limit = 2 if part.kind in (NAME, COUNT) else 1  # a name or a figure, not a survey
        elif part.polar:
            limit = min(limit, 2)  # whether it is so, and perhaps one more sentence on it
        if not passing:
            return []
        if part.kind == NAME and part.asked_for.head not in (None, *_PERSON_HEADS) and len(passing) > 1:
            # "Which university...": a sentence naming a university comes before one naming a person or a company.
            passing = self._fitting(passing, features, part.asked_for.head) or passing
        scored = sorted(((features[i]["score"], i) for i in passing), reverse=True)
        best = scored[0][0]
        if part.kind == NAME and part.asked_for.relation:
            # "Who are X's co-founders?": the sentences that name someone in full in that role come first.
            scored.sort(key=lambda si: not self._another_person(part, self.candidates[si[1]], features[si[1]], set()))
        if part.kind == LIST:
            enumeration = self._enumeration(passing, features, best, chosen)
            if enumeration:
                return enumeration[: MAX_LIST if alone else limit]
        if part.kind == REASON and not _CAUSAL.search(self.candidates[scored[0][1]].text):
            # A why-question states a claim and asks for its explanation: unless the best match gives a reason
            # itself ("because..."), the close match that restates the claim in the question's own words, with the
            # sentence that explains it after it, comes first.
            close = [(features[i]["lexical"], score, i) for score, i in scored
                     if score >= KEEP_RATIO * best and self._carried_on(i, chosen, features, aspect, REASON)]
            if close:
                lead = max(close)
                scored.remove((lead[1], lead[2]))
                scored.insert(0, (lead[1], lead[2]))
        correcting = [(score, i) for score, i in scored if features[i]["corrects"]]
        if correcting:
            # The question names something no source has ("its lab in Osaka"): lead with what the sources
            # say in its place ("a lab in Tokyo"), then whatever else answers.
            scored.remove(correcting[0])
            scored.insert(0, correcting[0])
        picked: list[int] = []
        covered: set[str] = set().union(*(self.candidates[j].terms for j in chosen)) if chosen else set()
        seen_items: set[str] = set()
        wanted = {t for t in part.asked if t not in _FRAME}
        for score, i in scored:
            if len(picked) >= limit:
                break
            cand = self.candidates[i]
            if picked and score < KEEP_RATIO * best and not self._another_person(part, cand, features[i], seen_items):
                continue
            if i in chosen or self._repeats(i, chosen + picked):
                continue
            items = features[i]["items"]
            match = _akin if part.kind == NAME else related_terms
            adds = {t for t in wanted if match(t, cand.terms) and not match(t, covered)}
            if picked and not (adds or items - seen_items) and not part.keyword:
                continue  # says nothing the sentences already picked do not
            picked.append(i)
            self.corrects[i] = features[i]["corrects"]
            covered |= cand.terms
            seen_items |= items
            if part.kind == REASON and _CONCLUSION.match(cand.text):
                # "X's point is that Y": a conclusion, drawn from the sentences before it, which are the reason.
                before = self._led_to(i, chosen + picked, features, aspect)[: max(0, limit - len(picked))]
                picked[-1:-1] = [j for j in before if not self._repeats(j, chosen + picked)]
                covered |= set().union(*(self.candidates[j].terms for j in before)) if before else set()
                continue
            if part.kind in (LIST, REASON):
                # What carries a picked sentence on (the items it introduces, the explanation of its claim)
                # comes before a further, separate match.
                for j in self._carried_on(i, chosen + picked, features, aspect, part.kind):
                    if len(picked) < limit + alone and not self._repeats(j, chosen + picked):
                        picked.append(j)
                        covered |= self.candidates[j].terms
        return picked

    @staticmethod
    def _another_person(part: _Part, cand: _Candidate, feature: dict, seen: set[str]) -> bool:
        """Whether the sentence names, in full, someone the sentences picked for a who-question have not, in the
        role asked about: "who founded X?" has as many answers as X has founders."""
        relation = part.asked_for.relation
        return (part.kind == NAME and relation is not None and _akin(relation, cand.terms)
                and any(len(set(n.split()) - part.asked) > 1 and set(n.split()) & (feature["items"] - seen)
                        for n in cand.full_names))

    def _enumeration(self, passing: list[int], features: list[dict], best: float, chosen: list[int]) -> list[int]:
        """The best list (bulleted or numbered lines) that some passing sentence introduces or is an item of,
        as its introduction and then its items; empty when none scores near the best sentence."""
        scores: dict[int, float] = {}
        for i in passing:
            cand = self.candidates[i]
            for block in (cand.item_of, cand.introduces):
                if block >= 0 and features[i]["score"] >= LIST_BLOCK * best:
                    scores[block] = max(scores.get(block, 0.0), features[i]["score"])
        if not scores:
            return []
        block = max(scores, key=scores.__getitem__)
        intro = [i for i, c in enumerate(self.candidates) if c.introduces == block and i in passing]
        items = [i for i, c in enumerate(self.candidates)
                 if c.item_of == block and "about" not in features[i]["fails"]]
        if len(items) < 2:
            return []
        return [i for i in intro + items if i not in chosen]

    def _fitting(self, indices: list[int], features: list[dict], head: str) -> list[int]:
        """Those of the sentences that give a name of the kind asked for (see _fits_head), embedded in one batch."""
        # The head noun may be part of the name ("Asia e University"), though the question has it too.
        phrases = {i: [p for p in _item_phrases(self.candidates[i].text, features[i]["items"] | {stem(head)})
                       if {stem(w) for w in words(p)} & features[i]["items"]] for i in indices}
        if self.embedder is None:
            return []
        missing = sorted({t for t in [head, *(p for ps in phrases.values() for p in ps)] if t not in self._phrase_vectors})
        if missing:
            self._phrase_vectors.update(zip(missing, self.embedder.embed(missing)))
        head_vector = self._phrase_vectors[head]
        return [i for i, ps in phrases.items() if any(float(head_vector @ self._phrase_vectors[p]) >= FITS_HEAD for p in ps)]

    def _fits_head(self, cand: _Candidate, items: set[str], head: str | None) -> bool:
        """Whether a name the sentence gives is the kind of thing asked for, by meaning: "Asia e University"
        for "which institution", not "Anthropic" for "which university". Without a head noun, any name."""
        if head is None or self.embedder is None:
            return True
        phrases = _item_phrases(cand.text, items)
        missing = [t for t in [head, *phrases] if t not in self._phrase_vectors]
        if missing:
            self._phrase_vectors.update(zip(missing, self.embedder.embed(missing)))
        return any(float(self._phrase_vectors[head] @ self._phrase_vectors[p]) >= FITS_HEAD for p in phrases)

    def _repeats(self, i: int, others: list[int]) -> bool:
        return any(float(self.vectors[i] @ self.vectors[j]) > NEAR_REPEAT for j in others)

    def _holds(self, cand: _Candidate, kind: str | None, focus: str | None, asked: set[str]) -> set[str]:
        """What the sentence holds of a kind of answer, beyond what the question says."""
        numbers = {n for n in cand.numbers if n not in asked}
        if kind == NUMBER:
            return numbers
        if kind == MONEY:
            return numbers if _MONEY.search(cand.text) else set()
        if kind == SHARE:
            # "What share of the code": a percentage or a fraction; a number alone may count anything.
            return {m.group(0).lower() for m in _FRACTION.finditer(cand.text)}
        if kind == COUNT:
            # "How many phases": a number counting that thing ("a four-phase path", "80 researchers").
            return numbers if focus is None else _counted(cand.text, focus) - asked
        if kind == DATE:
            return {d for d in cand.dates if d not in asked}
        if kind == FUTURE_DATE:
            return {d for d in cand.dates if d not in asked} if _FUTURE.search(cand.text) else set()
        if kind == DURATION:
            return {t for t in cand.terms if t in _TIME_UNITS} | {d for d in cand.dates if d not in asked}
        if kind == PLACE:
            return set(cand.places - asked - self.common)
        if kind == NAME:
            return set(cand.persons - asked - self.common)
        if kind == TERM:
            return {q.lower() for q in cand.quoted if not set(terms(q)) <= asked}
        return set()

    def _led_to(self, end: int, taken: list[int], features: list[dict], aspect: "np.ndarray") -> list[int]:
        """The sentences right before a conclusion that it is drawn from, in document order: in its paragraph run,
        on its subject and on topic, from the paragraph's first such sentence or at most two back."""
        out: list[int] = []
        nxt = end
        for j in range(end - 1, max(-1, end - 3), -1):
            cand = self.candidates[j]
            if cand.passage != self.candidates[end].passage or cand.position != self.candidates[nxt].position - 1:
                break
            if j in taken or "about" in features[j]["fails"]:
                break
            if max(float(self.vectors[j] @ self.vectors[nxt]), float(self.vectors[j] @ aspect)) < EXPLAINS:
                break
            out.insert(0, j)
            nxt = j
        return out

    def _carried_on(self, start: int, taken: list[int], features: list[dict], aspect: "np.ndarray",
                    kind: str) -> list[int]:
        """Sentences right after a picked one that carry it on: the items of a list it opens ("They may
        also..."), or the explanation that follows a claim. They stay on its subject, in its paragraph run."""
        head = self.candidates[start]
        out: list[int] = []
        previous = start
        for j in range(start + 1, min(start + 1 + MAX_SENTENCES, self._n)):
            nxt = self.candidates[j]
            if nxt.passage != head.passage or nxt.position != self.candidates[previous].position + 1:
                break  # another passage, or a heading or fragment in between
            if j in taken or "about" in features[j]["fails"]:
                break
            if nxt.opens_with_name and not nxt.names & head.about:
                break  # turns to someone else
            close_to = max(float(self.vectors[j] @ self.vectors[previous]), float(self.vectors[j] @ aspect))
            if kind == LIST and not nxt.refers_back and close_to < ON_TOPIC:
                break  # an item that does not say "they", "also"... must at least stay on the topic
            if kind == REASON and close_to < EXPLAINS:
                break  # the next sentence moves on rather than explains
            out.append(j)
            previous = j
            if kind == REASON:
                break  # the claim's explanation is the sentence after it
        return out


def _parts(question: str) -> list[_Part]:
    parts: list[_Part] = []
    whole_plain = _content(question) - question_entities(question) - _attached_acronyms(question)
    whole_groups = _name_groups(question)
    for a, b in sentence_spans(question):
        sentence = question[a:b].strip()
        first = [w.lower() for w in words(sentence)[:1]]
        keyword = _is_keyword(question)
        asks = (sentence.endswith("?") or _starts_with_wh(sentence) or bool(first) and first[0] in _IMPERATIVES
                or keyword)
        pieces = [p.strip(" ,;:") for p in _PART_SPLIT.split(sentence)] if asks else [sentence]
        pieces = [p for p in pieces if p]
        for i, piece in enumerate(pieces):
            asked_for = answer_kind(piece)
            kind = asked_for.kind
            # "The co-founder who wrote the post: how soon..." - a description before the question is a statement.
            premise = not asks or (kind is None and i == 0 and len(pieces) > 1 and not _starts_with_wh(piece))
            groups = _name_groups(piece)
            plain = _content(piece) - set().union(*groups) - _attached_acronyms(piece)
            if keyword:
                plain = _content(piece) - _attached_acronyms(piece)  # "Glacier" typed as a search is a word to find
            plain -= {stem(o.lstrip("-")) for o in _options(piece)}  # "-r" is matched as written, not as 'r'
            # "Anthropic's CEO Dario Amodei": the first name only says who the second is; a sentence about him
            # need not name the company again.
            groups = [g for g in groups if g not in _descriptors(piece, groups)]
            text, subject_only = piece, premise
            if not groups and i and parts and parts[-1].groups:
                # "The co-founder who co-wrote the post: how soon does he think...": 'he' is the one named before;
                # "...and who are the company's co-founders?": a later part that names no one asks about the subject
                # of the part before.
                groups, subject_only = parts[-1].groups[:1], True
                # "the company's" is that subject by another word, not something the sentence must say.
                plain = plain - {stem(_fold(m.group(1))) for m in re.finditer(r"\bthe\s+(\w+)['’]s\b", piece, re.IGNORECASE)}
            if len({t for t in plain if t not in _FRAME}) + len(groups) < 2 and not premise:
                # "...and in what year?", "When did that happen?": too short to stand alone; it asks about the
                # rest of the question, whose first name is its subject.
                text, plain, subject_only = question, plain | whole_plain, not groups
                groups = groups or whole_groups
            lead = _question_tokens(piece) or [w.lower() for w in words(piece)[:1]]
            polar = asks and not premise and not asked_for.kind and bool(lead) and lead[0] in _AUXILIARIES
            # "How do Anthropic and Sakana differ...?", "What do X and Y each cite...?": asked of each name in turn,
            # since a sentence seldom speaks of both.
            each = _coordinated(text, groups) if not premise and not subject_only else []
            for name in each or [None]:
                sub_text, sub_groups = text, groups
                if name is not None:
                    coordinated, spoken = name
                    sub_groups = [coordinated[0]] + [g for g in groups if g not in coordinated[1]]
                    sub_text = text[: spoken[0]] + spoken[1] + text[spoken[2] :]
                parts.append(_Part(sub_text, asked_for, premise, sub_groups, subject_only,
                                   [_role(sub_text, g) for g in sub_groups], plain, _content(sub_text) | plain,
                                   bool(_FUTURE.search(piece)), _predicate(piece), polar, name is not None,
                                   keyword))
    return parts


_NAME_RUN = r"[A-Z][\w\-]*(?:\s+[A-Z][\w\-]*)*"
_COORDINATION = re.compile(rf"(?<!between )(?<!among )({_NAME_RUN}(?:\s*,\s*{_NAME_RUN})*)\s*,?\s+(?:and|or)\s+({_NAME_RUN})")


def _coordinated(text: str, groups: list[frozenset[str]]):
    """For "X and Y" (or "X, Y and Z") naming two or more of the groups: per name, (its group, all the coordinated
    groups) and how to say the text of that name alone (start, the name, end of the coordination). Empty if none."""
    for m in _COORDINATION.finditer(text):
        names = [n.strip() for n in re.split(r"\s*,\s*", m.group(1))] + [m.group(2).strip()]
        found = []
        for n in names:
            stems = {stem(w) for w in words(n)}
            group = next((g for g in groups if g & stems), None)
            if group is None or group in [f[0] for f in found] or not n[0].isupper():
                break
            found.append((group, n))
        else:
            if len(found) > 1:
                coordinated = [g for g, _ in found]
                return [((g, coordinated), (m.start(), n, m.end())) for g, n in found]
    return []


# "Anthropic's CEO Dario Amodei", "Sakana's co-founder David Ha": a possessor, a role, and a name in full.
_DESCRIBED = re.compile(r"\b([A-Z][\w\-]*)['’]s\s+(?:(?:[a-z][\w\-]*|[A-Z]{2,})\s+){1,3}?"
                        r"([A-Z][a-z][\w\-]*(?:\s+[A-Z][a-z][\w\-]*)+)")


def _descriptors(text: str, groups: list[frozenset[str]]) -> list[frozenset[str]]:
    """The name groups that only describe a person named in full right after them: 'Anthropic' in "Anthropic's CEO
    Dario Amodei"."""
    out = []
    for m in _DESCRIBED.finditer(text):
        owner = stem(_fold(m.group(1)))
        person = {stem(w) for w in _fold(m.group(2)).split()}
        described = [g for g in groups if person & g and owner not in g]
        out += [g for g in groups if owner in g and not g & person] if described else []
    return out


def _opens_with(text: str, group: frozenset[str]) -> bool:
    """Whether a sentence opens with the name: "Yann LeCun, the AI pioneer, argues..." for {'yann', 'lecun'}."""
    lead = words(text)[:1]
    return bool(lead) and stem(lead[0]) in group


def _akin(term: str, others: "set[str] | frozenset[str]") -> bool:
    """Whether a term, or a word that means the same in a question (see _AKIN), occurs among others."""
    if related_terms(term, others):
        return True
    group = _AKIN_OF.get(term)
    return group is not None and any(related_terms(t, others) for t in group if t != term)


def _predicate(text: str) -> str | None:
    """The verb after the named subject of "what did X compare Y to?" or "what does the company name Sakana
    translate to?": the word the answer most needs. None when the question has no such shape."""
    tokens = words(text)
    lowered = [w.lower() for w in tokens]
    aux = next((k for k, w in enumerate(lowered[:6]) if w in _AUXILIARIES), None)
    if aux is None:
        return None
    window = tokens[aux + 1 : aux + 8]
    start = next((k for k, w in enumerate(window) if w[0].isupper()), None)
    if start is None:
        return None
    end = start
    while end < len(window) and window[end][0].isupper():
        end += 1  # past the subject's name: "Yann LeCun"
    for w in window[end:]:
        lower = w.lower()
        if w[0].isupper() or lower in STOPWORDS or lower in _LIGHT_VERBS or lower in _ADVERBS:
            continue
        return stem(w)
    return None


def _role(text: str, group: frozenset[str]) -> str:
    """What a name of the question is, read off its form and the word before it: a place ("in Osaka"),
    a year, a number, or else a name."""
    tokens = words(text)
    for k, w in enumerate(tokens):
        if stem(w) in group:
            if is_year(w):
                return DATE
            if any(ch.isdigit() for ch in w):
                return NUMBER
            return PLACE if k and tokens[k - 1].lower() in ("in", "at", "near", "from", "to") else NAME
    return NAME


_OPTION = re.compile(r"(?<![\w\-/.])--?[A-Za-z][\w\-]*")


def _options(text: str) -> list[str]:
    """Command-line options a text gives, as written: '-a', '--all', '-name'."""
    return _OPTION.findall(text)


def _is_keyword(question: str) -> bool:
    """Whether a question is a few words typed as a search ("glacier", "vault code", "Sakana AI"): at most four
    words, no verb of a question, no sentence's end."""
    tokens = [w.lower() for w in words(question)]
    return (0 < len(tokens) <= 4 and not re.search(r"[.!?]\s*$", question.strip())
            and not (set(tokens) & (_WH | _AUXILIARIES | _IMPERATIVES)))


def _question_tokens(text: str) -> list[str]:
    """The words of a question from its wh-word on, lower case: "Also, who founded it?" -> who, founded, it;
    empty when it has no wh-word where a question would put one."""
    clauses = [text] + [text[m.end() :] for m in re.finditer(r",\s*", text)]  # "Besides X, who ..."
    for clause in clauses[:3]:
        tokens = [w.lower() for w in words(clause)]
        while tokens and (tokens[0] in _LEAD_PREPOSITIONS or tokens[0] in _IMPERATIVES or tokens[0] in _DISCOURSE):
            tokens = tokens[1:]
        if tokens and tokens[0] in _WH:
            return tokens
    return []


def _starts_with_wh(text: str) -> bool:
    return bool(_question_tokens(text))


def _candidates(sources: Sequence[Citation], asked_names: set[str] = frozenset()
                ) -> tuple[list[_Candidate], frozenset[str], frozenset[str]]:
    """The quotable sentences of the sources, the stems that are proper names in them, and the stems they
    write mostly in lower case. `asked_names` are the question's names: names even where the sources
    only use them to open a sentence."""
    # A word is a proper name if sentences capitalise it mid-sentence more often than they write it in lower
    # case: 'Sakana', 'Nature' (the journal, even if 'nature' occurs once), not 'Lab' in "RSI Lab" and "the lab".
    lower: dict[str, int] = {}
    upper: dict[str, int] = {}
    for source in sources:
        for a, b in sentence_spans(source.text):
            line = source.text[a:b].strip()
            heading = not re.search(r"[.!?\"')”’]$", line)  # titles capitalise every word
            for k, w in enumerate(words(line)):
                if w[0].islower():
                    lower[stem(w)] = lower.get(stem(w), 0) + 1
                elif k > 0 and w[0].isupper() and not heading:
                    upper[stem(w)] = upper.get(stem(w), 0) + 1
    stop = {stem(w) for w in STOPWORDS}
    proper = frozenset(t for t, n in upper.items() if n > lower.get(t, 0) and t not in stop)
    lowered = frozenset(t for t, n in lower.items() if n >= upper.get(t, 0))
    proper |= frozenset(asked_names) - lowered - stop

    def names(text: str) -> frozenset[str]:
        return frozenset(s for s in (stem(w) for w in words(text)) if s in proper)

    out = []
    blocks = 0
    by_document: dict[str, frozenset[str]] = {}  # every word of a document's retrieved passages, and of its title
    for source in sources:
        by_document[source.doc_id] = (by_document.get(source.doc_id, frozenset()) | frozenset(terms(source.text))
                                      | frozenset(terms(re.sub(r"[._/]", " ", source.title))))
    for p, source in enumerate(sources):
        recent = names(source.title)
        passage_terms = by_document[source.doc_id]
        listed: frozenset[str] = frozenset()  # the options of the line before
        spans = sentence_spans(source.text)
        item_of, introduces, blocks = _enumerations(source.text, spans, blocks)
        before: frozenset[str] = frozenset()
        for position, (a, b) in enumerate(spans):
            text = source.text[a:b].strip().lstrip("-*• ").strip()
            context, before = before, frozenset(terms(text))
            raw = source.text[a:b]
            options = frozenset(_options(raw)) | (listed if not re.match(r"\s*-", raw) else frozenset())
            listed = frozenset(_options(raw)) if re.match(r"\s*--?[A-Za-z]", raw) else frozenset()
            own = names(text)
            first = words(text)[:1]
            about = own if first and stem(first[0]) in proper else own | recent
            if own:
                recent = about  # "The company ..." and then "Its founders ..." still refer to the same subject
            if len(text.split()) < 5 or not re.search(r"[.!?\"')”’]$", text) or looks_like_instruction(text):
                continue  # headings, fragments, and text that addresses the assistant
            places = frozenset().union(*(names(m.group(2)) for m in _PLACE_PHRASE.finditer(text)
                                         if m.group(1).lower() not in _NOT_THERE))
            located = frozenset().union(*(names(m.group(2)) for m in _PLACE_PHRASE.finditer(text)
                                          if m.group(1).lower() in _ONLY_PLACES))
            dates = frozenset(date_tokens(text)) | _clock_dates(text)
            acronyms = {stem(w) for w in words(text) if len(w) > 1 and w.isupper()}  # 'AI', 'RSI': not who
            persons = names(_QUOTED.sub(" ", text)) - located - dates - acronyms
            unquoted = _QUOTED.sub(" ", text)
            runs = tuple(" ".join(stem(w) for w in words(m.group(0))) for m in _CAPITALISED_RUN.finditer(unquoted))
            lead = [w.lower() for w in words(text)[:3]]
            out.append(_Candidate(
                source.number, p, position, text, frozenset(terms(text)), own, persons, places,
                tuple(r for r in runs if len(r.split()) > 1), tuple(m.group(0).strip("\"“”‘’ ") for m in _QUOTED.finditer(text)),
                bool(first) and stem(first[0]) in proper, bool(lead) and (lead[0] in _ANAPHORA or bool(_ONWARD & set(lead))),
                about, frozenset(number_tokens(text)), dates, item_of.get(position, -1),
                introduces.get(position, -1), _general_denial(text, names),
                context if first and first[0].lower() in _SUBJECT_PRONOUNS else frozenset(),
                options, passage_terms,
            ))
    return out, proper, lowered


def _enumerations(text: str, spans: list[tuple[int, int]], first: int) -> tuple[dict[int, int], dict[int, int], int]:
    """The lists of a passage: lines that open with a bullet ("- ", "• ") or a number ("1.", "2)"), in a run.
    Returns, by position, the list a line is an item of, the list a line introduces (the one just before the
    first item), and the next free list number. A sentence that carries on an item's line belongs to the item."""
    item_of: dict[int, int] = {}
    introduces: dict[int, int] = {}
    block, last_item, previous = first - 1, None, None  # previous: the last span that is not a bare number
    marker_line = False
    for position, (a, b) in enumerate(spans):
        raw = text[a:b].strip()
        line_start = text[text.rfind("\n", 0, a) + 1 : a].strip() == ""
        if _NUMBER_MARKER.fullmatch(raw):
            marker_line = line_start
            continue
        starts_item = line_start and raw[:1] in "-*•" or marker_line
        marker_line = False
        if starts_item:
            if last_item is None or previous != last_item:
                block += 1
                if previous is not None:
                    introduces[previous] = block
            item_of[position] = block
            last_item = position
        elif not line_start and last_item is not None and previous == last_item:
            last_item = position  # the item's line goes on: "2. The next stage... Sakana says..."
        previous = position
    return item_of, introduces, block + 1


def _general_denial(text: str, names) -> bool:
    """Whether a sentence denies something of no one in particular: "No one has shown that...", "X has not
    been achieved yet", also when reported ("Y points out that X has not been achieved yet"). What holds for
    no one holds for whoever a question names."""
    if not _NEGATION.search(text):
        return False  # nearly every sentence: no denial at all
    clause = text
    reported = _REPORTED.match(text)
    if reported:
        clause = text[reported.end() :]
    if _NOBODY.match(clause):
        return True
    lead = [w.lower() for w in words(clause)[:1]]
    return (bool(_NEGATION.search(clause)) and not names(clause) and bool(lead) and lead[0] not in _ANAPHORA
            and not _PRONOUN.search(clause))


# Times of day and calendar dates beyond years, months and weekdays: "departs at 10:30", "opens at 9am", "at noon",
# "closed on Mondays", "on 12/05/2024", "the 3rd of May". They answer "when" as much as a year does.
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b(?:\s?[ap]\.?m\b\.?)?|\b\d{1,2}(?:[.:]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)(?!\w)|"
                    r"\b\d{1,2} o'clock\b|\b(?:noon|midday|midnight)\b|"
                    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days\b|\b(?:weekdays|weekends?)\b|"
                    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|"
                    r"\b\d{1,2}(?:st|nd|rd|th) of [A-Z][a-z]+|\b(?-i:May) \d{1,2}\b|\b\d{1,2} (?-i:May)\b", re.IGNORECASE)


def _clock_dates(text: str) -> frozenset[str]:
    """The times of day and dates a sentence gives that date_tokens does not: clock times, weekdays in the plural,
    dates in figures ('12/05/2024'), 'May' with a day (as a word 'may' is a verb)."""
    return frozenset(m.group(0).lower() for m in _CLOCK.finditer(text))


def _priced(question: str) -> str | None:
    """The head noun of the thing whose price a question asks, stemmed: 'loaf' in "how much does a sourdough loaf
    cost?" and in "the price of a loaf of rye". A sentence must name it: a price list prices other things too."""
    m = _PRICED.search(question)
    if not m:
        return None
    phrase = next(g for g in m.groups() if g)
    phrase = re.split(r"\s(?:of|with|from|at|in)\s", phrase)[0]
    nouns = [w for w in words(phrase) if w.lower() not in STOPWORDS and w.lower() not in _AUXILIARIES]
    return stem(nouns[-1]) if nouns else None


def _item_phrases(text: str, items: set[str]) -> list[str]:
    """The runs of words of a text that make up the given names: "Asia e University" for {'asia', 'university'}."""
    phrases, run, gap = [], [], []
    for w in words(text):
        if stem(w) in items:
            run += gap + [w]
            gap = []
        elif run and w.islower() and len(w) <= 3 and not gap:
            gap = [w]  # "Asia e University", "Bank of Japan"
        else:
            if run:
                phrases.append(" ".join(run))
            run, gap = [], []
    if run:
        phrases.append(" ".join(run))
    return phrases


def _counted(text: str, focus: str) -> set[str]:
    """The numbers that count `focus` in a text: within three words before it ("80 researchers", "a four-phase
    path") or two after ("employs 340 people")."""
    tokens = words(text)
    out: set[str] = set()
    for i, token in enumerate(tokens):
        if related_terms(focus, {stem(token)}):
            near = tokens[max(0, i - 3) : i] + token.split("-")[:-1] + tokens[i + 1 : i + 3]
            out.update(number_tokens(" ".join(near)))
    return out


def _without(text: str, groups: list[frozenset[str]]) -> str:
    names = set().union(*groups) if groups else set()
    kept = [w for w in words(text) if stem(w) not in names]
    return " ".join(kept) or text


def _as_sentence(text: str) -> str:
    return " ".join(text.split())
