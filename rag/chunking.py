"""Sentence-aware chunks sized in the embedding model's own word pieces, with exact document offsets."""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

if TYPE_CHECKING:
    from .loaders import Document


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    number: int  # position within the document, from 0
    start: int  # offsets into Document.text; text == document.text[start:end]
    end: int
    text: str
    chunk_hash: str
    doc_hash: str
    n_chunks: int
    chunker: str  # Chunker.signature: the settings that cut this chunk

    def metadata(self) -> dict[str, str | int]:
        return {
            "doc_id": self.doc_id, "title": self.title, "chunk": self.number, "start": self.start,
            "end": self.end, "chunk_hash": self.chunk_hash, "doc_hash": self.doc_hash, "n_chunks": self.n_chunks,
            "chunker": self.chunker,
        }


def text_hash(text: str) -> str:
    """A chunk's content hash: equal texts are embedded once."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_id(doc_id: str, doc_hash: str, number: int, chunker: str = "") -> str:
    # Deterministic, so re-running an interrupted ingest overwrites instead of duplicating.
    key = hashlib.sha1(f"{doc_id}\x00{doc_hash}\x00{chunker}".encode()).hexdigest()[:20]
    return f"{key}-{number}"


class Chunker:
    """Wraps llama-index's SentenceSplitter with a tokenizer and a hard cap at the model's window.

    Memory stays bounded whatever the size of a document: prose is handed to the splitter at most
    SEGMENT_CHARS at a time, and the splitter never tokenizes a long text whole (see _splitter_tokens).
    Cutting at segments changes chunks only in documents with more than SEGMENT_CHARS of prose
    between two long runs; their chunks cut before are still exact, so the signature stays.
    """

    def __init__(self, chunk_size: int, chunk_overlap: int, tokenize: Callable[[str], list], max_tokens: int) -> None:
        from llama_index.core.node_parser import SentenceSplitter

        self.max_tokens = max_tokens
        self.size = size = min(chunk_size, max_tokens)
        self.overlap = overlap = min(chunk_overlap, size // 2)
        self.signature = f"{size}/{overlap}/{max_tokens}"
        self._tokenize = tokenize
        self._splitter = SentenceSplitter(
            chunk_size=size, chunk_overlap=overlap, tokenizer=self._splitter_tokens, paragraph_separator="\n\n"
        )

    def split(self, document: "Document") -> list[Chunk]:
        return self.chunks(document, self.spans(document.text))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the chunks of a text start and end, in order: (start, end) offsets into it."""
        spans: list[tuple[int, int]] = []
        for start, end, run in _segments(text):
            if run:  # no sentence to split at: cut by size directly (the splitter would tokenize every word)
                spans.extend(self._cut_run(text, start, end))
                continue
            for a, b in _bounded(text, start, end, SEGMENT_CHARS):
                part = text[a:b]
                spans.extend(sub for x, y in place(part, self._splitter.split_text(part))
                             for sub in self._cap(text, a + x, a + y))
        return spans

    def chunks(self, document: "Document", spans: Sequence[tuple[int, int]], first: int = 0,
               stop: int | None = None) -> list[Chunk]:
        """Chunks number ``first`` to ``stop`` (exclusive) of a document cut at ``spans`` (from spans()): a
        large document's chunks are made a batch at a time rather than all held at once."""
        out = []
        for number in range(first, len(spans) if stop is None else min(stop, len(spans))):
            start, end = spans[number]
            body = document.text[start:end]
            out.append(Chunk(
                chunk_id=chunk_id(document.doc_id, document.content_hash, number, self.signature),
                doc_id=document.doc_id,
                title=document.title, number=number, start=start, end=end, text=body,
                chunk_hash=text_hash(body), doc_hash=document.content_hash,
                n_chunks=len(spans), chunker=self.signature,
            ))
        return out

    def _splitter_tokens(self, text: str) -> Sequence:
        """The splitter's tokenizer. It tokenizes a text before splitting it, only to compare the count with
        the chunk size; a whole long text at once costs ~150 bytes of memory per character (the tokenizer's
        offsets and strings), so a long one is counted in pieces cut at whitespace, which for word-piece
        tokenizers is the same count."""
        if len(text) <= COUNT_PIECE:
            return self._tokenize(text)
        total, at = 0, 0
        while at < len(text):
            stop = at + COUNT_PIECE
            if stop < len(text):
                space = _SPACE.search(text, stop, stop + 1000)
                stop = space.start() if space else stop
            total += len(self._tokenize(text[at:stop]))
            at = stop
        # Near the chunk size the exact count matters (a piece cut inside a word may count differently).
        return range(total) if total > 2 * self.max_tokens else self._tokenize(text)

    def _cut_run(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Chunks of a long stretch without sentence breaks (minified JSON, a base64 blob, one endless line).

        Each chunk is the longest stretch within the chunk size found in a few tokenizer calls (the
        characters per token seen so far guide the guesses), ended at a space when there is one in its second
        half, and followed by the next after about the overlap. The splitter would tokenize the run word by
        word, or character by character where there are no spaces: minutes for a few megabytes.
        """
        size, overlap = self.size, self.overlap
        out: list[tuple[int, int]] = []
        cut, per_token = start, 4.0
        while cut < end:
            stop = self._fitting_prefix(text, cut, end, size, per_token)
            if stop < end:  # end at a line's end, or else at a space, in the second half of the chunk
                half = cut + (stop - cut) // 2
                line, space = text.rfind("\n", half, stop), text.rfind(" ", half, stop)
                stop = line if line > cut else space if space > cut else stop
                while stop > cut + 1 and text[stop - 1].isspace():
                    stop -= 1
            out.append((cut, stop))
            if stop >= end:
                break
            per_token = max(0.5, (stop - cut) / max(1, size))
            after = stop
            if overlap:  # start the next chunk about `overlap` tokens back, at a line's start or a space
                back = max(cut + 1, stop - int(overlap * per_token))
                line, space = text.find("\n", back, stop), text.find(" ", back, stop)
                after = line if line > cut else space if space > cut else stop
            cut = after
            while cut < end and text[cut].isspace():
                cut += 1
        return out

    def _fitting_prefix(self, text: str, cut: int, end: int, size: int, per_token: float) -> int:
        """An end such that text[cut:end] has at most ``size`` tokens and is close to the longest such."""
        lo, lo_n = cut, 0  # fits
        hi, hi_n = None, 0  # does not fit
        guess = min(end, cut + max(1, int(size * per_token)))
        for _ in range(12):
            n = len(self._tokenize(text[cut:guess]))
            if n <= size:
                lo, lo_n = guess, n
                if guess >= end or n >= size * 0.95:
                    break
            else:
                hi, hi_n = guess, n
            if hi is not None and hi - lo <= 1:
                break
            if hi is None:  # still fits: grow in proportion to the tokens left
                guess = min(end, lo + max(1, int((lo - cut) * (size - lo_n) / max(1, lo_n) * 0.98)))
            else:  # between a fit and a miss: interpolate, staying strictly inside
                guess = lo + int((hi - lo) * (size - lo_n) / max(1, hi_n - lo_n))
                guess = min(hi - 1, max(lo + 1, guess))
        return max(lo, cut + 1)

    def _cap(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Split a span that still exceeds the window (a sentence with no breaks) at word boundaries."""
        if len(self._tokenize(text[start:end])) <= self.max_tokens:
            return [(start, end)]
        out, cut = [], start
        while cut < end:
            lo, hi = cut + 1, end
            while lo < hi:  # longest prefix within the window
                mid = (lo + hi + 1) // 2
                if len(self._tokenize(text[cut:mid])) <= self.max_tokens:
                    lo = mid
                else:
                    hi = mid - 1
            stop = lo
            if stop < end:
                space = text.rfind(" ", cut + 1, stop)
                stop = space if space > cut else stop
            out.append((cut, stop))
            cut = stop
            while cut < end and text[cut].isspace():
                cut += 1
        return out


LONG_RUN = 3000  # characters without a sentence break after which a stretch is cut by size, not by the splitter
# Where the splitter can cut cheaply: paragraphs and sentence ends. Single line breaks are not among them: the
# splitter reads lines without full stops (logs, lists, tables) as one sentence and tokenizes it word by word.
_BREAK = re.compile(r"\n\n|[.!?;](?=\s)|[。！？]")


def _segments(text: str) -> list[tuple[int, int, bool]]:
    """The text as (start, end, is_long_run) stretches, in order, together covering it.

    A long run is a stretch of at least LONG_RUN characters with no paragraph break and no sentence end;
    plain prose has none and comes back whole, as one stretch.
    """
    out: list[tuple[int, int, bool]] = []
    done = previous = 0
    for match in _BREAK.finditer(text):
        if match.start() - previous >= LONG_RUN:
            run_start = _skip_space(text, previous)
            if run_start > done:
                out.append((done, run_start, False))
            out.append((run_start, match.start(), True))
            done = match.start()
        previous = match.end()
    if len(text) - previous >= LONG_RUN:
        run_start = _skip_space(text, previous)
        if run_start > done:
            out.append((done, run_start, False))
        out.append((run_start, len(text), True))
        done = len(text)
    if done < len(text):
        out.append((done, len(text), False))
    return [(a, b, run) for a, b, run in out if _NON_SPACE.search(text, a, b)]


SEGMENT_CHARS = 1_000_000  # prose handed to the splitter at once (a few MB of memory while it works)
COUNT_PIECE = 20_000  # characters tokenized at once when only a count is wanted
_SPACE = re.compile(r"\s")
_NON_SPACE = re.compile(r"\S")
_PARAGRAPH = re.compile(r"\n\n")


def _bounded(text: str, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    """text[start:end] as consecutive (a, b) segments of at most about ``size`` characters, each cut at the last
    paragraph break in its second half, or else after the last sentence end there (prose has one every
    LONG_RUN characters at most)."""
    at = start
    while end - at > size:
        lo, hi = at + size // 2, at + size
        cut = max((m.start() for m in _PARAGRAPH.finditer(text, lo, hi)), default=-1)
        if cut < 0:
            cut = max((m.end() for m in _BREAK.finditer(text, lo, hi)), default=hi)
        yield at, cut
        at = cut
    yield at, end


MAX_PLACES = 64  # candidate starts followed per piece; plain prose has one


def place(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Where the splitter's pieces sit in the text, as (start, end) offsets in order.

    The splitter walks the text in order and each piece starts after the previous one starts and no
    later than just past its end (pieces overlap, or follow after whitespace). In text that repeats
    itself (boilerplate, separators, tables) a piece fits several such places, and taking the first or
    the last match drifts away from the splitter until the end of the document is in no chunk. So every
    consistent placement is followed, and the chain that reaches furthest into the text is kept.
    """
    # layers[k]: each possible start of piece k -> (its end, the start of piece k-1 it follows)
    layers: list[dict[int, tuple[int, int | None]]] = []
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        starts: dict[int, tuple[int, int | None]] = {}
        if not layers:
            at = text.find(piece)
            if at >= 0:
                starts[at] = (at + len(piece), None)
        else:
            # A start `at` can follow a previous start `before` when before < at <= the end of `before`
            # (past whitespace). Sorted by start, the previous ends only grow, so one bisect finds it.
            before_starts = sorted(layers[-1])
            reach = list(accumulate((_skip_space(text, layers[-1][b][0]) for b in before_starts), max))
            for at in _occurrences(text, piece, before_starts[0] + 1, reach[-1]):
                i = bisect_left(reach, at)
                if i < len(before_starts) and before_starts[i] < at:
                    starts[at] = (at + len(piece), before_starts[i])
        if len(starts) > MAX_PLACES:
            # A few characters repeated over and over: following every place costs quadratic time. The
            # furthest places are kept, so the chunks still reach the end of the text, bunched up there.
            starts = {a: starts[a] for a in sorted(starts)[-MAX_PLACES:]}
        if not starts:  # the splitter changed the text (folded whitespace): find it near the furthest chain
            before = max(layers[-1], key=lambda a: layers[-1][a][0]) if layers else None
            span = _locate(text, piece, -1 if before is None else before)
            if span is None:
                continue  # nothing to anchor it to; its words are in the neighbouring pieces' overlap
            starts[span[0]] = (span[1], before)
        layers.append(starts)
    if not layers:
        return []
    at: int | None = max(layers[-1], key=lambda a: (layers[-1][a][0], a))
    spans: list[tuple[int, int]] = []
    for layer in reversed(layers):
        assert at is not None
        end, before = layer[at]
        spans.append((at, end))
        at = before
    return spans[::-1]


def _occurrences(text: str, piece: str, lo: int, last_start: int) -> list[int]:
    """Every start in [lo, last_start] where the piece is found."""
    found = []
    at = text.find(piece, lo, last_start + len(piece))
    while at >= 0:
        found.append(at)
        at = text.find(piece, at + 1, last_start + len(piece))
    return found


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _locate(text: str, piece: str, after: int) -> tuple[int, int] | None:
    """A piece that does not match the text exactly: the first place after `after` where its ends do."""
    at = text.find(piece, after + 1)
    if at >= 0:
        return at, at + len(piece)
    head, tail = piece[:40], piece[-40:]
    start = text.find(head, after + 1)
    if start < 0:
        return None
    stop = text.find(tail, start)
    return (start, stop + len(tail)) if stop >= 0 else (start, min(len(text), start + len(piece)))
