"""From raw answer text to an Answer: parse [n] markers, drop the ones with no source, find the
sentence each citation stands on, and verify every answer sentence against the passages it cites."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from .backends.base import is_abstention
from .models import Answer, AnswerSentence, Citation
from .nlp import sentence_spans, terms

if TYPE_CHECKING:
    from .judge import Judge

# What models write: [1], [1, 2], [1; 3], [1-3] and [1–3] (ranges), [Source 2].
_ITEM = r"(?:sources?\s*)?\d+(?:\s*[-–]\s*\d+)?"
_GROUP = rf"{_ITEM}(?:\s*[,;]\s*{_ITEM})*"
_MARKER = re.compile(rf"\[({_GROUP})\]", re.IGNORECASE)
# "... percent. [1]" -> the marker belongs to the sentence before the full stop.
_MARKER_AFTER_STOP = re.compile(rf"([.!?])((?:\s*\[{_GROUP}\])+)", re.IGNORECASE)
MAX_RANGE = 50  # a range wider than any top_k is not a citation worth expanding
# Put after the "[" of a quoted "[1]" that is the source's own text (code such as argv[1], a footnote mark),
# so that it is not read as a citation: invisible, and ignored when a quote is compared with its source.
LITERAL_MARK = "\u2060"  # WORD JOINER


def protect_literal_markers(quote: str) -> str:
    """A quotation whose bracketed numbers can no longer be taken for citation markers."""
    return _MARKER.sub(lambda m: "[" + LITERAL_MARK + m.group(0)[1:], quote)


def _numbers(group: str) -> list[int]:
    out: list[int] = []
    for item in re.split(r"\s*[,;]\s*", group):
        bounds = [int(n) for n in re.findall(r"\d+", item)]
        if len(bounds) == 2 and bounds[0] <= bounds[1]:
            out.extend(range(bounds[0], min(bounds[1], bounds[0] + MAX_RANGE) + 1))
        else:
            out.extend(bounds)
    return out


def clean_markers(text: str, n_sources: int) -> tuple[str, list[int]]:
    """The text with markers that point at no source removed, and the numbers removed."""
    removed: list[int] = []

    def keep_valid(match: re.Match) -> str:
        nums = _numbers(match.group(1))
        valid = [n for n in nums if 1 <= n <= n_sources]
        removed.extend(n for n in nums if not 1 <= n <= n_sources)
        return "[" + ", ".join(map(str, valid)) + "]" if valid else ""

    cleaned = _MARKER.sub(keep_valid, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip(), sorted(set(removed))


def split_answer(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """(sentence without markers, cited numbers) for each sentence of the answer."""
    moved = _MARKER_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    out: list[tuple[str, tuple[int, ...]]] = []
    orphaned: tuple[int, ...] = ()  # markers of a piece with no words (a lone "[2]", a ">>>" line)
    for a, b in _cited_spans(moved):
        piece = moved[a:b]
        nums = tuple(dict.fromkeys(n for g in _MARKER.findall(piece) for n in _numbers(g)))
        bare = " ".join(_MARKER.sub("", piece).split())
        bare = re.sub(r"\s+([.,;:!?])", r"\1", bare)
        if bare.strip(" .-*#>"):
            out.append((bare, tuple(dict.fromkeys(orphaned + nums))))
            orphaned = ()
        elif nums:
            # Its markers belong to the sentence before (or, at the start, the one after): dropping them
            # would leave an [n] in the text that no citation resolves.
            if out:
                out[-1] = (out[-1][0], tuple(dict.fromkeys(out[-1][1] + nums)))
            else:
                orphaned += nums
    if orphaned and out:
        out[-1] = (out[-1][0], tuple(dict.fromkeys(out[-1][1] + orphaned)))
    return out


def _cited_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of an answer. A marker ends its sentence when what follows does not carry the sentence
    on ("… 20 billion yen [1] and …" goes on): a quoted line with no full stop (a code line, a heading) is
    then not run into the next quote."""
    cuts = [0]
    for match in _MARKER.finditer(text):
        rest = text[match.end():]
        following = rest.lstrip()
        if following and rest[:1].isspace() and not following[0].islower() and following[0] not in ",;:.!?)]([":
            cuts.append(match.end())
    cuts.append(len(text))
    return [(a + x, a + y) for a, b in zip(cuts, cuts[1:]) for x, y in sentence_spans(text[a:b])]


def _squash(text: str) -> str:
    return " ".join(text.replace(LITERAL_MARK, "").lower().split())


def _supporting_span(sentence: str, passage: str) -> tuple[int, int]:
    """The span of the passage sentence that best matches an answer sentence."""
    spans = sentence_spans(passage) or [(0, len(passage))]
    wanted = _squash(sentence).rstrip(".!?")
    for a, b in spans:
        if wanted and wanted in _squash(passage[a:b]):
            return a, b
    target = set(terms(sentence))
    return max(spans, key=lambda s: len(target & set(terms(passage[s[0]:s[1]]))) / (1 + len(set(terms(passage[s[0]:s[1]])))) ** 0.5)


def build_answer(
    question: str, raw_text: str, sources: Sequence[Citation], judge: "Judge | None", *,
    backend: str, model: str, seconds: float,
) -> Answer:
    text, removed = clean_markers(raw_text, len(sources))
    if not text or is_abstention(text):
        return Answer(question=question, text=text or raw_text.strip(), sources=list(sources), abstained=True,
                      removed_citations=removed, backend=backend, model=model, seconds=seconds)

    parts = split_answer(text)
    verdicts: dict[int, tuple[bool, float]] = {}
    to_judge: list[tuple[int, str, list[str]]] = []
    for i, (sentence, nums) in enumerate(parts):
        if not nums:
            verdicts[i] = (False, 0.0)
            continue
        passages = [sources[n - 1].text for n in nums]
        if any(_squash(sentence).rstrip(".!?") in _squash(p) for p in passages):
            verdicts[i] = (True, 1.0)  # quoted word for word
        else:
            to_judge.append((i, sentence, passages))
    if to_judge:
        if judge is None:
            for i, _, _ in to_judge:
                verdicts[i] = (False, 0.0)
        else:
            for (i, _, _), verdict in zip(to_judge, judge.judge_many([(s, p) for _, s, p in to_judge])):
                verdicts[i] = (verdict.supported, float(verdict.score))
    sentences = [
        AnswerSentence(text=s, citations=nums, supported=verdicts[i][0], score=round(verdicts[i][1], 4))
        for i, (s, nums) in enumerate(parts)
    ]

    cited: dict[int, list[str]] = {}
    for sentence, nums in parts:
        for n in nums:
            cited.setdefault(n, []).append(sentence)
    citations = []
    for n in sorted(cited):
        source = sources[n - 1]
        spans = list(dict.fromkeys(_supporting_span(s, source.text) for s in cited[n]))
        a, b = spans[0]
        citations.append(source.model_copy(update={
            "sentence": source.text[a:b], "sentence_start": source.start + a, "sentence_end": source.start + b,
            "supporting": tuple((source.start + x, source.start + y) for x, y in spans),
        }))
    return Answer(
        question=question, text=text, citations=citations, sources=list(sources), abstained=False,
        sentences=sentences, removed_citations=removed, backend=backend, model=model, seconds=seconds,
    )
