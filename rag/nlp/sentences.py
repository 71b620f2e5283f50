"""The one sentence splitter: retrieval, the reader, citations and the judge all cut text here.

It returns character spans into the text as given, so that a quoted sentence can be located in its
document. What counts as a sentence end:

* a blank line (paragraph), and a line that is a heading or an item of its own (a short line with no
  final punctuation before a line that opens with a capital: 'Key Functions', '-a, --all'; a line that
  opens a list item: '- ', '* ', '• ', '1. ');
* '.', '!' or '?' (after closing quotes and brackets) followed by space and a capital, digit, quote or
  bracket, unless the word before is an abbreviation ('Dr.', 'e.g.') or an initial ('J. Smith').

A line wrapped inside a paragraph (man pages, READMEs, e-mail) is not an end: the sentence runs on.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc inc ltd co corp no fig gen gov sen rep jan feb mar apr jun jul aug sep sept "
    "oct nov dec e.g i.e u.s u.k u.n a.m p.m approx est cf resp viz".split()
)
_BOUNDARY = re.compile(r'[.!?]+["”’\')\]]*\s+')
_LIST_ITEM = re.compile(r"^\s*(?:[-*•▪‣]|\d{1,3}[.)]|\(?[a-z]\))\s+\S")
_TERMINAL = re.compile(r'[.!?:;]["”’\')\]]*$')
# A line this long that stops without punctuation is a wrapped line of prose, not a heading.
_WRAPPED = 45


def _lines(text: str) -> list[tuple[int, int]]:
    out = []
    start = 0
    for match in re.finditer(r"\n", text):
        out.append((start, match.start()))
        start = match.end()
    out.append((start, len(text)))
    return out


def _runs_on(line: str, following: str) -> bool:
    """Whether a line break inside a paragraph continues the sentence (a wrapped line)."""
    stripped, nxt = line.strip(), following.strip()
    if not nxt or _LIST_ITEM.match(following):
        return False
    if _TERMINAL.search(stripped):
        return True  # the boundary rule decides: 'end. Next' splits, 'e.g.\nfoo' does not
    if nxt[0].islower() or nxt[0] in "([{\"'“‘$%" or nxt[0].isdigit():
        return True
    return len(stripped) >= _WRAPPED and not stripped.endswith(("¶",))


def _blocks(text: str) -> list[tuple[int, int]]:
    """Spans of text that sentences never cross: paragraphs, headings, list items."""
    blocks: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    lines = _lines(text)
    for k, (a, b) in enumerate(lines):
        line = text[a:b]
        if not line.strip():
            if current:
                blocks.append(current)
            current = None
            continue
        current = (current[0], b) if current else (a, b)
        nxt = lines[k + 1] if k + 1 < len(lines) else None
        if nxt is None or not _runs_on(line, text[nxt[0]:nxt[1]]):
            blocks.append(current)
            current = None
    if current:
        blocks.append(current)
    return blocks


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, in order; no span is empty or only punctuation."""
    spans: list[tuple[int, int]] = []
    for lo, hi in _blocks(text):
        block = text[lo:hi]
        start = 0
        for match in _BOUNDARY.finditer(block):
            before = block[start : match.start() + 1].rstrip(".!?\"'”’)] ").split()
            last = before[-1].lower().rstrip(".").lstrip("(\"'“") if before else ""
            following = block[match.end() : match.end() + 1]
            if block[match.start()] == "." and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
                continue
            if following and not (following.isupper() or following.isdigit() or following in "\"'“‘([$-*•>"):
                continue
            spans.append(_trim(text, lo + start, lo + match.end()))
            start = match.end()
        spans.append(_trim(text, lo + start, hi))
    return [(a, b) for a, b in spans if any(c.isalnum() for c in text[a:b])]


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, each with its inner whitespace (wrapped lines) folded to single spaces."""
    return [" ".join(text[a:b].split()) for a, b in sentence_spans(text)]
