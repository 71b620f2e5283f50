"""Find the documents of a corpus folder and extract their text.

Every loader returns plain text normalised once (NBSP, line ends, runs of spaces), so that the
character offsets recorded for each chunk point into exactly the text a user is shown.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

# Bump whenever a file may be read differently (a new type or encoding, other extracted text): an ingest
# then reads the corpus again instead of trusting that nothing changed, so files an older version skipped
# or read differently are picked up without the user having to touch them or rebuild.
EXTRACTOR_VERSION = 5

SUPPORTED_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


@dataclass(frozen=True)
class Document:
    doc_id: str  # path relative to the corpus folder, with forward slashes
    title: str
    text: str
    content_hash: str


class SkipFile(Exception):
    """A file that cannot be used; the message names why, in a few words.

    ``transient`` marks failures of reading (permissions, I/O) rather than of the content: the file may
    read fine next time, so its previously indexed chunks are kept instead of deleted.
    """

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.transient = transient


# Text is normalised this many characters at a time, so that each step's temporary copies stay this small
# whatever the size of the file (a 100 MB text would otherwise be copied several times over at once).
PIECE_CHARS = 1 << 20
# Pieces are cut only after a line break followed by an ASCII letter or digit: no step below reads across
# such a place (it is no whitespace, composes with nothing), so normalising piece by piece is exact.
_PIECE_CUT = re.compile(r"\n(?=[A-Za-z0-9])")
# Only what changes is matched: a pattern that matched every single space or line break would make
# re.sub build a list of millions of pieces before joining them.
_SPACE_RUN = re.compile(r"[ \t\f\v]{2,}|[\t\f\v]")
_SPACED_BREAK = re.compile(r" +\n *|\n +")
_BLANK_LINES = re.compile(r"\n{3,}")


def _normalise_piece(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    text = _SPACE_RUN.sub(" ", text)
    text = _SPACED_BREAK.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text)


def pieces(text: str, size: int = PIECE_CHARS) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive pieces of about ``size`` characters covering the text, each ending with a line
    break before an ASCII letter or digit (a piece runs on until there is one)."""
    at = 0
    while at < len(text):
        found = _PIECE_CUT.search(text, at + size) if at + size < len(text) else None
        stop = found.end() if found else len(text)
        yield at, stop
        at = stop


def normalise(text: str) -> str:
    """NFC, Unix line ends, no NBSP or zero-width characters, single spaces, at most one blank line, stripped."""
    parts = [_normalise_piece(text[start:end]) for start, end in pieces(text, PIECE_CHARS)]
    if len(parts) <= 1:
        return parts[0].strip() if parts else ""
    # Each piece but the first starts with a letter or digit, so stripping the ends strips the whole.
    parts[0], parts[-1] = parts[0].lstrip(), parts[-1].rstrip()
    return "".join(parts)


def content_hash(text: str) -> str:
    """SHA-256 of the text's UTF-8 encoding, encoded a piece at a time (no second copy of a large text)."""
    digest = hashlib.sha256()
    for start in range(0, len(text), PIECE_CHARS):
        digest.update(text[start : start + PIECE_CHARS].encode("utf-8"))
    return digest.hexdigest()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # control characters other than \t \n \f \r


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _unicode_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 text (Notepad's 'Unicode', PowerShell's `>`): by its byte order mark, or, without one,
    by zero bytes at every other position, which is how mostly-ASCII UTF-16 looks and binary data does not."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    sample = data[:8192]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _decode(data: bytes) -> str:
    encoding = _unicode_encoding(data)
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise SkipFile(f"not valid {encoding.upper()} text") from None
        return _check_text(text)
    if b"\x00" in data[:8192]:
        raise SkipFile("binary file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise SkipFile("not UTF-8 or Windows-1252 text") from None
    return _check_text(text)


def _check_text(text: str) -> str:
    # Control characters decode as valid UTF-8 too; a few are normal (escape codes in a log), many are not text.
    text = text.removeprefix("\ufeff")
    sample = text[:8192]
    controls = len(_CONTROL.findall(sample))
    if controls > 8 and controls > len(sample) // 50:
        raise SkipFile("binary file")
    return text


# What str.splitlines() splits at; lines are found one at a time instead of splitting a whole document.
_LINE = re.compile("[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")


def _first_line_title(text: str, fallback: str) -> str:
    for found in _LINE.finditer(text):
        line = found.group().strip().lstrip("#").strip()
        if line:
            return line[:200]
    return fallback


def _load_text(data: bytes, fallback_title: str) -> tuple[str, str]:
    text = normalise(_decode(data))
    return _first_line_title(text, fallback_title), text


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_SETEXT_RULE = re.compile(r"^\s{0,3}=+\s*$")  # the underline of a 'Title\n=====' heading
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def _lines(text: str) -> Iterator[str]:
    """The text's lines (split at \\n), one at a time."""
    at = 0
    while True:
        end = text.find("\n", at)
        if end < 0:
            yield text[at:]
            return
        yield text[at:end]
        at = end + 1


def _load_markdown(data: bytes, fallback_title: str) -> tuple[str, str]:
    source = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    title = ""
    front = _FRONT_MATTER.match(source)
    if front:  # static-site front matter is metadata, not prose; its title: wins
        source = source[front.end():]
        found = re.search(r"^title:[ \t]*[\"']?(.*?)[\"']?[ \t]*$", front.group(1), flags=re.M)
        title = found.group(1).strip() if found else ""
    # Lines are read one at a time and joined in blocks: a list of every line of a large file costs far more
    # than its text.
    blocks: list[str] = []
    lines: list[str] = []
    previous: str | None = None  # the last line kept
    for line in _lines(source):
        if _MD_SETEXT_RULE.match(line) and previous is not None and previous.strip():
            title = title or previous.strip()
            continue
        heading = _MD_HEADING.match(line)
        line = _MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", line[heading.end():] if heading else line))
        if heading and not title:
            title = line.strip()
        lines.append(line)
        previous = line
        if len(lines) >= 4096:
            blocks.append("\n".join(lines))
            lines = []
    if lines or not blocks:
        blocks.append("\n".join(lines))
    del source
    text = normalise("\n".join(blocks))
    return (title[:200] if title else _first_line_title(text, fallback_title)), text


class _HTMLText(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
             "blockquote", "pre", "tr", "table", "dd", "dt", "figcaption", "hr", "header", "footer", "main", "aside",
             "address", "caption", "details", "summary", "fieldset", "legend", "figure", "form", "dl"}
    CELL = {"td", "th"}  # cells of a row stay on its line, apart: 'Apples 3 euros', not 'Apples3 euros'
    SKIP = {"script", "style", "noscript", "template", "svg", "nav", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.title = ""
        self.heading = ""
        self._in_title = False
        self._heading_tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skip_depth += 1
        if tag == "title":
            self._in_title = True
        if tag in {"h1", "h2"} and not self.heading and self._heading_tag is None:
            self._heading_tag = tag
        if tag in self.BLOCK:
            self.parts.append("\n\n")
        elif tag in self.CELL:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip_depth:
            self.skip_depth -= 1
        if tag == "title":
            self._in_title = False
        if tag == self._heading_tag:
            self._heading_tag = None
        if tag in self.BLOCK:
            self.parts.append("\n\n")
        elif tag in self.CELL:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self.skip_depth:
            return
        if self._heading_tag is not None:
            self.heading += data
        self.parts.append(data.replace("\n", " "))


def _load_html(data: bytes, fallback_title: str) -> tuple[str, str]:
    parser = _HTMLText()
    source = _decode(data)
    # Fed a piece at a time, and what each piece gave joined at once: the parser's list of text pieces (a few
    # words each) would otherwise hold a large page many times over.
    blocks: list[str] = []
    for start in range(0, len(source), PIECE_CHARS):
        parser.feed(source[start : start + PIECE_CHARS])
        blocks.append("".join(parser.parts))
        parser.parts.clear()
    del source
    parser.close()
    blocks.append("".join(parser.parts))
    text = normalise("".join(blocks))
    title = " ".join(parser.heading.split()) or " ".join(parser.title.split()) or _first_line_title(text, fallback_title)
    return title[:200], text


def _load_pdf(data: bytes, fallback_title: str) -> tuple[str, str]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    import logging

    # pypdf logs what it finds odd ("invalid pdf header", "EOF marker not found") straight to the terminal;
    # the one line that matters is the skip warning below.
    log = logging.getLogger("pypdf")
    level, log.level = log.level, logging.CRITICAL
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise SkipFile(f"unreadable PDF ({exc.__class__.__name__})") from None
    finally:
        log.level = level
    text = normalise("\n\n".join(pages))
    if not text:
        raise SkipFile("PDF has no extractable text (scanned images need OCR first)")
    meta_title = str((reader.metadata or {}).get("/Title") or "").strip()
    return meta_title or _first_line_title(text, fallback_title), text


_DOCX_RUN = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>|<w:(tab|br|cr|noBreakHyphen)\b[^>]*/>")
_DOCX_MARKS = {"tab": "\t", "br": "\n", "cr": "\n", "noBreakHyphen": "-"}


def _load_docx(data: bytes, fallback_title: str) -> tuple[str, str]:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("word/document.xml").decode("utf-8")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError):
        raise SkipFile("unreadable .docx") from None
    paragraphs = []
    for para in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
        # Text runs, and the tabs and line breaks between them: 'Name:<w:tab/>Ada' is 'Name: Ada', not 'Name:Ada'.
        pieces = [text if text is not None and not other else _DOCX_MARKS.get(other, "")
                  for text, other in _DOCX_RUN.findall(para)]
        paragraphs.append("".join(pieces))
    import html

    text = normalise(html.unescape("\n\n".join(paragraphs)))
    return _first_line_title(text, fallback_title), text


LOADERS: dict[str, Callable[[bytes, str], tuple[str, str]]] = {
    ".txt": _load_text, ".text": _load_text,
    ".md": _load_markdown, ".markdown": _load_markdown,
    ".html": _load_html, ".htm": _load_html,
    ".pdf": _load_pdf, ".docx": _load_docx,
}


def _size(n_bytes: float) -> str:
    if n_bytes >= 1e6:
        return f"{n_bytes / 1e6:.1f} MB"
    return f"{n_bytes / 1e3:.1f} kB" if n_bytes >= 1e3 else f"{n_bytes:.0f} bytes"


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def document_id(path: Path, corpus_dir: Path) -> str:
    """The path relative to the corpus folder, with forward slashes, always printable text on one line.

    A name that is not valid UTF-8 keeps its odd bytes as ``\\xff`` escapes and control characters (a
    newline in a file name) become ``\\x0a``: such a name can be stored, shown and hashed, and stays apart
    from every other name."""
    rel = path.relative_to(corpus_dir).as_posix()
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes arrive as lone surrogates (surrogateescape)
        rel = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", rel)


def discover(corpus_dir: Path) -> Iterator[Path]:
    """Every non-hidden entry below the corpus folder that is not a folder, in a stable order.

    Pipes, sockets and devices are listed too, so that load_document skips them by name instead of
    their being left out without a word."""
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink() or not path.is_dir():
            yield path


def _kind(path: Path) -> str:
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return "unreadable"
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "a special file"


def load_document(path: Path, corpus_dir: Path, max_bytes: int) -> Document:
    """Read one file into a Document, or raise SkipFile saying why it cannot be used."""
    suffix = path.suffix.lower()
    if path.is_symlink() and path.is_dir():  # named like a file or not, this is no document
        if not path.resolve().is_relative_to(corpus_dir.resolve()):
            raise SkipFile("link points outside the corpus folder")
        raise SkipFile("link to a folder, which is not followed (the folder is indexed where it is)")
    if suffix not in LOADERS:
        hint = ("no extension: rename it to end in .txt to index it as text" if not suffix
                else "supported: .txt .md .html .pdf .docx")
        raise SkipFile(f"unsupported file type '{suffix or path.name}' ({hint})")
    root = corpus_dir.resolve()
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        if not path.is_symlink():  # listed a moment ago: renamed or deleted while the corpus was read
            raise SkipFile("no longer there (moved or deleted while reading the corpus); "
                           "the next `rag ingest` picks up its new state", transient=True) from None
        raise SkipFile("broken link") from None
    if not real.is_relative_to(root):
        raise SkipFile("link points outside the corpus folder")
    if not real.is_file():  # a link to a folder, a pipe or a device: reading it could block forever
        raise SkipFile(f"not a regular file ({_kind(real)}), which is not read")
    target = real.relative_to(root)
    if path.is_symlink() and not any(part.startswith(".") for part in target.parts):
        # Its target is read under its own name; a second copy would fill the top results with one passage twice.
        raise SkipFile(f"link to {target.as_posix()}, which is indexed under its own name")
    try:
        size = real.stat().st_size
        if size > max_bytes:
            raise SkipFile(f"too large ({_size(size)}; the limit is {_size(max_bytes)}, RAG_MAX_FILE_MB)")
        data = real.read_bytes()
    except PermissionError:
        raise SkipFile("permission denied", transient=True) from None
    except OSError as exc:
        raise SkipFile(f"cannot be read ({exc.strerror or exc})", transient=True) from None
    if not data or data.isspace():  # as `not data.strip()`, without a copy of the file
        raise SkipFile("empty file")
    doc_id = document_id(path, corpus_dir)
    try:
        title, text = LOADERS[suffix](data, path.stem)
    except SkipFile:
        raise
    except Exception as exc:  # a parser tripping on one odd file must not stop the rest of the corpus
        detail = str(exc).strip().splitlines()
        reason = exc.__class__.__name__ + (f": {detail[0][:120]}" if detail else "")
        raise SkipFile(f"cannot be parsed ({reason})") from None
    if not text:
        raise SkipFile("no text after extraction")
    return Document(doc_id=doc_id, title=title, text=text, content_hash=content_hash(text))
