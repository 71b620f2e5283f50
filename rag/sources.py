"""Where a citation is in its source file, and opening it there in the user's editor.

A Citation's offsets point into the document's *extracted* text (rag.loaders): whitespace normalised,
Markdown without its markup, the words of an HTML page, a PDF or a .docx. So the line of a cited sentence in
the file on disk is found by reading the file again:

* plain text and Markdown keep their lines through extraction: every line of the extracted text comes
  from one line of the file, and the offset is carried across by counting the characters that are not
  whitespace, which normalising never changes (checked: when the loader's text cannot be rebuilt from the
  file's lines, no file line is claimed);
* an HTML page is searched for the sentence's words (tags and entities may sit between them);
* a PDF or a .docx has no text lines to go to: the passage is shown with its lines in the extracted text.

The file is read as it is now. When it changed since it was indexed, the passage is looked for in the new
text (it may have moved); when it is not there any more, or the file is gone, the stored passage is shown
and the location says so.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Mapping, NamedTuple

from .errors import RagError

if TYPE_CHECKING:
    from .config import Settings
    from .models import Answer, Citation

State = Literal["found", "moved", "changed", "missing", "unreadable"]
# What an excerpt's line numbers count: lines of the file on disk, of the extracted text, or none (the
# passage as it was indexed, which the file no longer holds).
LinesOf = Literal["file", "text", "index"]

# Normalising (rag.loaders.normalise) changes only these: whitespace, zero-width spaces and byte order marks.
_INSIGNIFICANT = re.compile(r"[\s\u200b\ufeff]+")
_LINE_FILE_TYPES = {".txt", ".text", ".md", ".markdown"}
_HTML_TYPES = {".html", ".htm"}
HTML_WORDS = 8  # words of the sentence's start (and end) looked for in an HTML page


class EditorError(RagError):
    """The editor could not be started (not installed, not executable)."""


class ExcerptLine(NamedTuple):
    number: int | None  # None when the numbers are unknown (the stored passage of a changed file)
    text: str
    cited: bool  # holds part of a cited sentence


@dataclass(frozen=True)
class SourceLocation:
    """Where a citation's sentence is: in the file on disk (``line``) and in the extracted text (``text_line``)."""

    number: int
    doc_id: str
    path: Path
    state: State
    line: int | None = None  # first line of the cited sentence in the file on disk (1-based)
    end_line: int | None = None  # its last line
    text_line: int | None = None  # the same in the document's extracted text
    text_end_line: int | None = None
    note: str | None = None  # one line for the reader: the file moved the passage, changed, has no text lines
    excerpt: tuple[ExcerptLine, ...] = ()  # the passage, line by line
    excerpt_lines_of: LinesOf = "index"

    @property
    def openable(self) -> bool:
        """True when an editor can be sent to the sentence's line in the file."""
        return self.line is not None and self.state in ("found", "moved")

    def as_json(self) -> dict[str, Any]:
        """The fields a citation gains in JSON output (`rag ask --json`, history exports)."""
        return {
            "path": str(self.path), "start_line": self.line, "end_line": self.end_line,
            "text_start_line": self.text_line, "text_end_line": self.text_end_line,
            "source_state": self.state, "source_note": self.note,
        }

    def lines_label(self) -> str | None:
        """'line 12' or 'lines 12–14' in the file; None when the file has no line for it."""
        if self.line is None or self.state not in ("found", "moved"):
            return None
        return f"line {self.line}" if self.end_line in (None, self.line) else f"lines {self.line}–{self.end_line}"


@dataclass
class _Source:
    """One document read again: its extracted text and how to carry an offset in it to a line of the file."""

    path: Path
    text: str
    file_text: str | None  # the decoded file, line ends made \n (None for PDF and .docx)
    # Significant characters before each line of the extracted text, and before each line the loader
    # normalised (for plain text and Markdown), with the file line each of those came from.
    text_counts: list[int] = field(default_factory=list)
    view_counts: list[int] | None = None
    view_origins: list[int] | None = None
    note: str | None = None  # why the file's lines cannot be used
    search_text: str | None = None  # an HTML page with what the loader skips (head, scripts, nav) blanked out

    def text_line(self, offset: int) -> int:
        return self.text.count("\n", 0, max(0, offset)) + 1

    def significant_before(self, offset: int) -> int:
        line = self.text_line(offset) - 1
        start = self.text.rfind("\n", 0, offset) + 1
        piece = self.text[start:offset]
        return self.text_counts[line] + len(piece) - sum(len(m) for m in _INSIGNIFICANT.findall(piece))

    def file_line(self, offset: int) -> int | None:
        """The file line of the character at ``offset`` of the extracted text (or the next one that is not
        whitespace), for plain text and Markdown; None for other types."""
        if self.view_counts is None or self.view_origins is None:
            return None
        index = bisect_right(self.view_counts, self.significant_before(offset)) - 1
        return self.view_origins[max(0, min(index, len(self.view_origins) - 1))]

    def file_lines(self, start: int, end: int) -> tuple[int, int] | None:
        """First and last file line of text[start:end]; None when the file has no line for it."""
        last = _last_significant(self.text, start, end)
        if self.view_counts is not None:
            first_line, last_line = self.file_line(start), self.file_line(last)
            return None if first_line is None or last_line is None else (first_line, max(first_line, last_line))
        if self.file_text is not None:  # an HTML page
            return _html_lines(self, start, last + 1)
        return None


def _counts(lines: list[str]) -> list[int]:
    """Significant characters before each line."""
    out, total = [], 0
    for line in lines:
        out.append(total)
        total += len(line) - sum(len(m) for m in _INSIGNIFICANT.findall(line))
    return out


def _line_view(suffix: str, file_text: str) -> tuple[list[str], list[int]]:
    """The lines the loader normalises (joined with \\n), each with the file line (1-based) it came from.

    For Markdown this follows rag.loaders._load_markdown line by line: front matter dropped, the '====='
    under a heading dropped, headings, emphasis and links reduced to their words."""
    if suffix not in (".md", ".markdown"):
        lines = file_text.split("\n")
        return lines, list(range(1, len(lines) + 1))
    from .loaders import _FRONT_MATTER, _MD_EMPHASIS, _MD_HEADING, _MD_LINK, _MD_SETEXT_RULE

    skipped = 0
    front = _FRONT_MATTER.match(file_text)
    if front:
        skipped = file_text.count("\n", 0, front.end())
        file_text = file_text[front.end():]
    kept: list[str] = []
    origins: list[int] = []
    previous: str | None = None
    for number, line in enumerate(file_text.split("\n"), start=skipped + 1):
        if _MD_SETEXT_RULE.match(line) and previous is not None and previous.strip():
            continue
        heading = _MD_HEADING.match(line)
        line = _MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", line[heading.end():] if heading else line))
        kept.append(line)
        origins.append(number)
        previous = line
    return kept, origins


def _read_source(path: Path, corpus_dir: Path, max_bytes: int) -> _Source:
    """Raises SkipFile when the file cannot be used."""
    from .loaders import _decode, load_document, normalise

    document = load_document(path, corpus_dir, max_bytes)
    suffix = path.suffix.lower()
    source = _Source(path=path, text=document.text, file_text=None)
    source.text_counts = _counts(document.text.split("\n"))
    if suffix in _LINE_FILE_TYPES | _HTML_TYPES:
        source.file_text = _decode(path.read_bytes()).replace("\r\n", "\n").replace("\r", "\n")
    if suffix in _HTML_TYPES:
        source.search_text = _blank_skipped(source.file_text)  # type: ignore[arg-type]
    if suffix in _LINE_FILE_TYPES:
        lines, origins = _line_view(suffix, source.file_text)  # type: ignore[arg-type]
        if normalise("\n".join(lines)) == document.text:
            # NFC composes characters but never across a line break: line by line it counts as the loader's.
            source.view_counts = _counts([unicodedata.normalize("NFC", line) for line in lines])
            source.view_origins = origins
        else:  # the loader reads this file differently than this module assumes: claim no line
            source.note = "its lines could not be matched to the indexed text"
    elif suffix in (".pdf", ".docx"):
        source.note = f"a {suffix[1:].upper()} file has no text lines: lines of its extracted text are shown"
    return source


def _blank_skipped(page: str) -> str:
    """The page with the elements the loader skips blanked out, line breaks kept (so lines still count)."""
    from .loaders import _HTMLText

    names = "|".join(sorted(_HTMLText.SKIP))
    return re.sub(rf"<({names})\b.*?</\1\s*>", lambda m: re.sub(r"[^\n]", " ", m.group()), page, flags=re.S | re.I)


def _html_pattern(words: list[str]) -> re.Pattern[str]:
    import html

    def word(w: str) -> str:
        forms = dict.fromkeys([w, html.escape(w, quote=False), html.escape(w)])
        return "(?:" + "|".join(re.escape(f) for f in forms) + ")"

    # Between two words: whitespace, tags, entities for spaces.
    return re.compile(r"(?:\s|<[^>]*>|&nbsp;|&#160;)+".join(word(w) for w in words))


def _html_lines(source: _Source, start: int, end: int) -> tuple[int, int] | None:
    """File lines of the text between two offsets of an HTML page's extracted text, found by its words."""
    sentence = source.text[start:end].split()
    page = source.search_text
    if not sentence or page is None:
        return None
    head, tail = sentence[:HTML_WORDS], sentence[-HTML_WORDS:]
    # The n-th time these words come in the extracted text is the n-th time in the page.
    nth = len(re.findall(r"\s+".join(map(re.escape, head)), source.text[:start]))
    matches = list(_html_pattern(head).finditer(page))
    if len(matches) <= nth:
        return None
    at = matches[nth].start()
    last = _html_pattern(tail).search(page, at)
    first_line = page.count("\n", 0, at) + 1
    last_line = page.count("\n", 0, last.end() - 1) + 1 if last else first_line
    return first_line, last_line


def _last_significant(text: str, start: int, end: int) -> int:
    """Offset of the last character of text[start:end] that is not whitespace (start when there is none)."""
    stripped = text[start:end].rstrip()
    return start + max(0, len(stripped) - 1)


def _closest(text: str, needle: str, near: int) -> int:
    """Where ``needle`` occurs in ``text`` closest to ``near``; -1 when it does not."""
    best, at = -1, text.find(needle)
    while at >= 0:
        if best < 0 or abs(at - near) < abs(best - near):
            best = at
        at = text.find(needle, at + 1)
    return best


class Locator:
    """Finds citations in the corpus folder; each file is read once per Locator (hold one per answer)."""

    def __init__(self, corpus_dir: Path, max_bytes: int = 200_000_000) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.max_bytes = max_bytes
        self._read: dict[str, _Source | str] = {}  # doc_id -> the document, or why it cannot be read

    @classmethod
    def for_settings(cls, settings: "Settings") -> "Locator":
        return cls(corpus_root(settings), int(settings.max_file_mb * 1e6))

    def _source(self, doc_id: str, path: Path) -> _Source | str:
        if doc_id not in self._read:
            from .loaders import SkipFile

            try:
                self._read[doc_id] = _read_source(path, self.corpus_dir, self.max_bytes)
            except SkipFile as skip:
                self._read[doc_id] = str(skip)
            except OSError as error:  # deleted between the check and the read
                self._read[doc_id] = error.strerror or str(error)
        return self._read[doc_id]

    def locate(self, citation: "Citation") -> SourceLocation:
        path = self.corpus_dir / citation.doc_id
        base = {"number": citation.number, "doc_id": citation.doc_id, "path": path}
        stored = _stored_excerpt(citation)
        if not _inside(path, self.corpus_dir) or not (path.exists() or path.is_symlink()):
            return SourceLocation(**base, state="missing", excerpt=stored,
                                  note=f"{citation.doc_id} is no longer in {self.corpus_dir} (deleted or moved since "
                                       "it was indexed)")
        source = self._source(citation.doc_id, path)
        if isinstance(source, str):
            return SourceLocation(**base, state="unreadable", excerpt=stored,
                                  note=f"{citation.doc_id} cannot be read now ({source})")

        text = source.text
        start, end = citation.start, citation.end
        sentence = (citation.sentence_start, citation.sentence_end)
        spans = list(citation.supporting) or ([sentence] if None not in sentence else [])
        state: State = "found"
        if text[start:end] != citation.text:
            at = _closest(text, citation.text, start) if citation.text else -1
            if at >= 0:
                shift = at - start
                start, end = at, at + len(citation.text)
                spans = [(a + shift, b + shift) for a, b in spans]
            elif citation.sentence and (at := _closest(text, citation.sentence, citation.sentence_start or start)) >= 0:
                start, end = at, at + len(citation.sentence)  # only the sentence is still there: it is the passage now
                spans = [(start, end)]
            else:
                return SourceLocation(**base, state="changed", excerpt=stored,
                                      note=f"{citation.doc_id} changed since it was indexed and no longer holds the "
                                           "passage (`rag ingest` brings the index up to date)")
            state = "moved"
        spans = spans or [(start, end)]
        first, last = spans[0][0], _last_significant(text, *spans[0])
        line, end_line = source.file_lines(*spans[0]) or (None, None)
        notes = []
        if state == "moved":
            notes.append(f"{citation.doc_id} changed since it was indexed; the passage is now at "
                         + (f"line {line}" if line is not None else f"character {start}"))
        if line is None:
            notes.append(source.note or f"the sentence was not found among the lines of {citation.doc_id}; "
                                        "lines of its extracted text are shown")
        excerpt, lines_of = self._excerpt(source, start, end, spans, use_file=line is not None)
        return SourceLocation(
            **base, state=state, line=line, end_line=end_line, text_line=source.text_line(first),
            text_end_line=source.text_line(last), note="; ".join(notes) or None, excerpt=excerpt,
            excerpt_lines_of=lines_of,
        )

    @staticmethod
    def _excerpt(source: _Source, start: int, end: int, spans: list[tuple[int, int]],
                 use_file: bool) -> tuple[tuple[ExcerptLine, ...], LinesOf]:
        """The passage's lines, numbered as in the file when its lines are known, else as in the extracted text."""
        whole = source.file_lines(start, end) if use_file and source.file_text is not None else None
        if whole is not None and source.file_text is not None:
            cited = {n for a, b in spans for x, y in [source.file_lines(a, b) or (0, -1)] for n in range(x, y + 1)}
            lines, first_line = source.file_text.split("\n")[whole[0] - 1 : whole[1]], whole[0]
            lines_of: LinesOf = "file"
        else:
            cited = {n for a, b in spans for n in range(source.text_line(a),
                                                       source.text_line(_last_significant(source.text, a, b)) + 1)}
            first_line = source.text_line(start)
            lines = source.text.split("\n")[first_line - 1 : source.text_line(_last_significant(source.text, start, end))]
            lines_of = "text"
        return tuple(ExcerptLine(first_line + i, text, first_line + i in cited) for i, text in enumerate(lines)), lines_of

    def locate_answer(self, answer: "Answer") -> dict[int, SourceLocation]:
        """Every passage of an answer (cited and retrieved), by number."""
        return {c.number: self.locate(c) for c in [*answer.citations, *answer.sources]}


def _inside(path: Path, folder: Path) -> bool:
    try:
        return Path(os.path.normpath(path.absolute())).is_relative_to(Path(os.path.normpath(folder.absolute())))
    except (OSError, ValueError):
        return False


def _stored_excerpt(citation: "Citation") -> tuple[ExcerptLine, ...]:
    """The passage as it was indexed, unnumbered; lines holding a cited sentence marked."""
    spans = list(citation.supporting) or (
        [(citation.sentence_start, citation.sentence_end)] if citation.sentence_start is not None else [])
    out, at = [], citation.start
    for text in citation.text.split("\n"):
        cited = any(a is not None and b is not None and a < at + len(text) + 1 and b > at for a, b in spans)
        out.append(ExcerptLine(None, text, cited))
        at += len(text) + 1
    return tuple(out)


def corpus_root(settings: "Settings") -> Path:
    """The folder the index was built from (recorded by the last ingest), or the configured corpus folder."""
    from .ingest import read_state

    recorded = read_state(Path(settings.index_dir)).get("corpus_dir")
    if recorded and Path(recorded).is_dir():
        return Path(recorded)
    return Path(settings.corpus_dir)


def locate(citation: "Citation", corpus_dir: Path) -> SourceLocation:
    """Where ``citation`` is in its file under ``corpus_dir`` (see Locator to locate several)."""
    return Locator(corpus_dir).locate(citation)


# ------------------------------------------------------------------ editors


def editor_command(env: Mapping[str, str] | None = None) -> tuple[list[str], str] | None:
    """The command in $VISUAL, else $EDITOR, else $PAGER, split like a shell would, and the variable's name;
    None when none is set."""
    env = os.environ if env is None else env
    for name in ("VISUAL", "EDITOR", "PAGER"):
        value = (env.get(name) or "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError as error:
                raise EditorError(f"${name} cannot be read as a command ({error}): {value}") from None
            if argv:
                return argv, name
    return None


def editor_argv(command: list[str], path: Path, line: int) -> list[str]:
    """The command with the file and the line: `+LINE FILE`, which vi, vim, nano, emacs and more accept;
    less reads +LINE as a command and wants `+LINEg` to go to the line."""
    program = Path(command[0]).name
    jump = f"+{line}g" if program == "less" else f"+{line}"
    return [*command, jump, str(path)]


def open_in_editor(path: Path, line: int, env: Mapping[str, str] | None = None) -> int:
    """Run the user's editor on ``path`` at ``line`` and wait for it; returns its exit status.

    Raises EditorError when no editor is set (check editor_command first) or the one set cannot be run."""
    found = editor_command(env)
    if found is None:
        raise EditorError("no editor set: set $VISUAL or $EDITOR (or $PAGER)")
    command, name = found
    search_path = (env or os.environ).get("PATH")
    program = shutil.which(command[0], path=search_path)
    if program is None:
        raise EditorError(f"the editor '{command[0]}' (from ${name}) is not installed or not on PATH")
    try:
        return subprocess.run([program, *editor_argv(command, path, line)[1:]], env=dict(env) if env is not None
                              else None).returncode
    except OSError as error:
        raise EditorError(f"the editor '{command[0]}' (from ${name}) could not be started: "
                          f"{error.strerror or error}") from None


def format_excerpt(location: SourceLocation) -> str:
    """The passage with its line numbers, cited lines marked with '>', for a terminal or a pager."""
    what = {"file": f"lines of {location.doc_id}", "text": f"lines of the text extracted from {location.doc_id}",
            "index": f"{location.doc_id} as indexed"}[location.excerpt_lines_of]
    width = max((len(str(line.number)) for line in location.excerpt if line.number is not None), default=0)
    out = [f"[{location.number}] {what}"]
    for line in location.excerpt:
        number = str(line.number).rjust(width) if line.number is not None else ""
        out.append(f"{'>' if line.cited else ' '} {number}{' | ' if width else '| '}{line.text}")
    return "\n".join(out)


def answer_json(answer: "Answer", locator: Locator | None) -> dict[str, Any]:
    """The Answer as JSON-ready data, each citation and source with where it is in its file."""
    data = answer.model_dump(mode="json")
    if locator is not None:
        for key in ("citations", "sources"):
            for item, citation in zip(data[key], getattr(answer, key)):
                item.update(locator.locate(citation).as_json())
    return data
