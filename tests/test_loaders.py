"""Reading files: extracted text, titles, and a one-line reason for every file that cannot be used."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from rag.loaders import Document, SkipFile, discover, load_document

LIMIT = 10_000_000


def write(corpus: Path, name: str, data: str | bytes) -> Path:
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def load(corpus: Path, name: str, data: str | bytes, max_bytes: int = LIMIT) -> Document:
    return load_document(write(corpus, name, data), corpus, max_bytes)


def skip_reason(corpus: Path, path: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(SkipFile) as caught:
        load_document(path, corpus, max_bytes)
    reason = str(caught.value)
    assert reason and "\n" not in reason
    return reason


def pdf_bytes(text: str | None) -> bytes:
    """A one-page PDF; with text None the page is blank (what a scan without OCR looks like to us)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    if text is not None:
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                                 NameObject("/BaseFont"): NameObject("/Helvetica")})
        fonts = DictionaryObject({NameObject("/F1"): font})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
        page.replace_contents(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(*paragraphs: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", f'<w:document xmlns:w="x"><w:body>{body}</w:body></w:document>')
    return out.getvalue()


# Titles and text ---------------------------------------------------------------------------------

def test_markdown_title_is_the_first_heading_and_marks_are_dropped(tmp_path) -> None:
    doc = load(tmp_path, "guide.md",
               "# The **Tide** Tables\n\nSee [the chart](http://x/y.png) and `code`.\n\n## Next\n\nMore.")
    assert doc.doc_id == "guide.md"
    assert doc.title == "The Tide Tables"
    assert doc.text == "The Tide Tables\n\nSee the chart and code.\n\nNext\n\nMore."
    assert doc.content_hash == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()


def test_markdown_front_matter_and_setext_headings(tmp_path) -> None:
    front = load(tmp_path, "a.md",
                 '---\ntitle: "Harbour Log"\ndate: 2024-01-01\n---\nA line before any heading.\n\n# Later\n')
    assert front.title == "Harbour Log"
    assert "date:" not in front.text and front.text.startswith("A line before any heading.")
    setext = load(tmp_path, "b.md", "Lighthouse Keeping\n==================\n\nBody text.\n")
    assert setext.title == "Lighthouse Keeping" and "===" not in setext.text
    intro = load(tmp_path, "c.md", "Draft, do not circulate.\n\n# Real Title\n\nBody.")
    assert intro.title == "Real Title"


def test_text_title_is_the_first_line_and_whitespace_is_normalised(tmp_path) -> None:
    doc = load(tmp_path, "notes/plain.txt",
               "\ufeff  Tide Notes  \r\n\r\nHigh\u00a0water   at  noon.\r\n\r\n\r\n\r\nLow at six.")
    assert doc.doc_id == "notes/plain.txt"
    assert doc.title == "Tide Notes"
    assert doc.text == "Tide Notes\n\nHigh water at noon.\n\nLow at six."


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_a_large_file_read_a_piece_at_a_time_reads_as_it_would_whole(tmp_path, monkeypatch, suffix: str) -> None:
    # Large files are normalised (and markdown and HTML parsed) a piece at a time; pieces of a few characters
    # here, so that every kind of place a cut can fall is crossed: the text must be exactly the same.
    import random

    import rag.loaders

    rng = random.Random(5)
    parts = ["Tide", "noon", "7", " ", "   ", "\t", "\n", "\n\n\n", "\r\n", "\r", "\u00a0", "\u200b", "e\u0301", "\u0301",
             "\x0c", "\u2028", "가", "# Heading\n", "Title\n===\n", "**bold**", "[link](x)", "<p>", "</p>", "&amp;",
             "<td>", "<script>x</script>", "<h1>", "</h1>"]
    data = "".join(rng.choice(parts) for _ in range(4000)).encode("utf-8")
    whole = load(tmp_path / "whole", f"doc{suffix}", data)
    monkeypatch.setattr(rag.loaders, "PIECE_CHARS", 7)
    pieces = load(tmp_path / "pieces", f"doc{suffix}", data)
    assert (pieces.title, pieces.text, pieces.content_hash) == (whole.title, whole.text, whole.content_hash)
    assert whole.content_hash == hashlib.sha256(whole.text.encode("utf-8")).hexdigest()


def test_windows_1252_text_is_read(tmp_path) -> None:
    doc = load(tmp_path, "legacy.txt", "Caf\u00e9 menu \u2013 soup".encode("cp1252"))
    assert doc.text == "Caf\u00e9 menu \u2013 soup"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_is_read_with_or_without_a_byte_order_mark(tmp_path, encoding) -> None:
    # Notepad's "Unicode" and PowerShell's `>` write UTF-16 with a BOM; some tools leave the BOM out.
    text = "Tide Notes\r\n\r\nThe caf\u00e9 opens at 7 \u2013 Z\u00fcrich time."
    doc = load(tmp_path, f"{encoding}.txt", text.encode(encoding))
    assert doc.text == "Tide Notes\n\nThe caf\u00e9 opens at 7 \u2013 Z\u00fcrich time."
    assert doc.title == "Tide Notes"
    page = load(tmp_path, f"{encoding}.html", "<h1>Harbour</h1><p>Boats.</p>".encode(encoding))
    assert page.title == "Harbour" and page.text == "Harbour\n\nBoats."


def test_html_title_is_the_first_heading_and_only_readable_text_is_kept(tmp_path) -> None:
    page = ("<html><head><title>Tab text</title><style>p {color: red}</style></head><body>"
            "<nav><a href='/'>Home</a> | <a href='/x'>Menu</a></nav><h1>Storm  Season</h1>"
            "<p>Winds &amp; waves<br>rise.</p><script>var x = 'hidden';</script><p>Ports close.</p></body></html>")
    doc = load(tmp_path, "storm.html", page)
    assert doc.title == "Storm Season"
    assert doc.text == "Storm Season\n\nWinds & waves\n\nrise.\n\nPorts close."
    fallback = load(tmp_path, "tab.htm",
                    "<html><head><title> Tab  Title </title></head><body><p>Text only.</p></body></html>")
    assert fallback.title == "Tab Title"
    bare = load(tmp_path, "bare.html", "<p>First words here.</p><p>Second.</p>")
    assert bare.title == "First words here."


def test_html_table_cells_and_page_regions_keep_their_words_apart(tmp_path) -> None:
    page = ("<table><tr><th>Item</th><th>Price</th></tr><tr><td>Apples</td><td>3 euros</td></tr></table>"
            "<main><p>Main text.</p></main><footer>Footer text</footer><aside>Aside</aside>"
            "<details><summary>Opening hours</summary>Nine to five</details>")
    doc = load(tmp_path, "prices.html", page)
    assert doc.text == ("Item Price\n\nApples 3 euros\n\nMain text.\n\nFooter text\n\nAside\n\n"
                        "Opening hours\n\nNine to five")


def test_pdf_and_docx_text(tmp_path) -> None:
    pdf = load(tmp_path, "report.pdf", pdf_bytes("Quarterly report on heliostat arrays"))
    assert pdf.text == "Quarterly report on heliostat arrays" and pdf.title == pdf.text
    docx = load(tmp_path, "memo.docx", docx_bytes("Memo on buoys", "Buoys &amp; beacons need paint."))
    assert docx.title == "Memo on buoys" and docx.text == "Memo on buoys\n\nBuoys & beacons need paint."


def test_docx_tabs_and_line_breaks_separate_words(tmp_path) -> None:
    # Word writes a tab or a soft line break (Shift+Enter) as an element between text runs, not as text.
    body = ('<w:p><w:r><w:t>Name:</w:t></w:r><w:r><w:tab/><w:t>Ada Lovelace</w:t></w:r></w:p>'
            '<w:p><w:r><w:t>Harbour Road 4</w:t><w:br/><w:t xml:space="preserve">Portree</w:t></w:r></w:p>'
            '<w:p><w:r><w:t>Call 555</w:t><w:noBreakHyphen/><w:t>0199</w:t><w:cr/><w:t>after six.</w:t></w:r></w:p>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", f'<w:document xmlns:w="x"><w:body>{body}</w:body></w:document>')
    doc = load(tmp_path, "card.docx", out.getvalue())
    assert doc.text == "Name: Ada Lovelace\n\nHarbour Road 4\nPortree\n\nCall 555-0199\nafter six."


def test_discover_skips_hidden_files_and_folders(tmp_path) -> None:
    for name in ("a.txt", ".hidden.txt", ".git/config.txt", "sub/b.md", "sub/.cache/c.md"):
        write(tmp_path, name, "text")
    assert [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)] == ["a.txt", "sub/b.md"]


# Files that cannot be used -----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "expected"), [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"  \n\n\t \n", "empty file"),
    ("binary.txt", b"PK\x03\x04\x00\x00\x00binary\x00\x00", "binary file"),
    ("undecodable.txt", b"caf\x81\x8d\x8f\x90\x9d text", "not UTF-8"),
    ("control.txt", bytes(range(1, 32)) * 4, "binary file"),
    ("scan.pdf", pdf_bytes(None), "no extractable text"),
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
    ("broken.docx", b"not a zip", "unreadable .docx"),
    ("picture.png", b"\x89PNG\r\n", "unsupported file type '.png'"),
    ("Makefile", b"all:\n", "unsupported file type 'Makefile' (no extension: rename it to end in .txt"),
    ("table.csv", b"a,b\n", "unsupported file type '.csv' (supported: .txt .md .html .pdf .docx)"),
    ("only-markup.html", b"<html><script>x()</script><style>p{}</style></html>", "no text"),
])
def test_unusable_files_say_why_in_one_line(tmp_path, name: str, data: bytes, expected: str) -> None:
    reason = skip_reason(tmp_path, write(tmp_path, name, data))
    assert expected in reason


def test_links_outside_the_corpus_broken_links_and_folders_are_refused(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus, "inside.txt", "inside text")
    secret = write(tmp_path, "secret.txt", "outside the corpus")
    (corpus / "escape.txt").symlink_to(secret)
    (corpus / "inner.txt").symlink_to(corpus / "inside.txt")
    (corpus / "dangling.md").symlink_to(tmp_path / "missing.md")
    (tmp_path / "folder.md").mkdir()
    (corpus / "folder.md").symlink_to(tmp_path / "folder.md")
    assert "outside the corpus" in skip_reason(corpus, corpus / "escape.txt")
    assert "broken link" in skip_reason(corpus, corpus / "dangling.md")
    assert "outside the corpus" in skip_reason(corpus, corpus / "folder.md")
    # A link to a document of the corpus would index it twice: the document counts once, under its own name.
    assert "link to inside.txt, which is indexed under its own name" in skip_reason(corpus, corpus / "inner.txt")
    write(corpus, ".drafts/hidden.txt", "hidden text")
    (corpus / "shown.txt").symlink_to(corpus / ".drafts" / "hidden.txt")
    assert load_document(corpus / "shown.txt", corpus, LIMIT).text == "hidden text"  # its target is not indexed


def test_links_to_folders_say_so_whatever_their_name(tmp_path) -> None:
    # Folder links are not followed; the reason must not be 'unsupported file type' or a rename hint.
    corpus = tmp_path / "corpus"
    write(corpus, "reports/q1.txt", "first quarter")
    (tmp_path / "elsewhere").mkdir()
    (corpus / "alias").symlink_to(corpus / "reports")
    (corpus / "alias.txt").symlink_to(corpus / "reports")
    (corpus / "shared").symlink_to(tmp_path / "elsewhere")
    for name in ("alias", "alias.txt"):
        assert skip_reason(corpus, corpus / name) == (
            "link to a folder, which is not followed (the folder is indexed where it is)")
    assert skip_reason(corpus, corpus / "shared") == "link points outside the corpus folder"


def test_a_file_gone_between_listing_and_reading_is_not_called_a_broken_link(tmp_path) -> None:
    [listed] = list(discover(write(tmp_path, "draft.txt", "text").parent))
    listed.rename(tmp_path / "final.txt")  # renamed while an ingest is reading the corpus
    with pytest.raises(SkipFile) as caught:
        load_document(listed, tmp_path, LIMIT)
    assert str(caught.value).startswith("no longer there (moved or deleted while reading the corpus)")
    assert caught.value.transient  # what was indexed stays until the next ingest sees the new state


@pytest.mark.timeout(30)
def test_a_link_to_a_pipe_is_refused_without_reading_it(tmp_path) -> None:
    # Reading a pipe nobody writes to blocks forever; the loader must not even open it.
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "pipe.txt").symlink_to(tmp_path / "pipe")
    assert "not a regular file" in skip_reason(tmp_path, tmp_path / "pipe.txt")


def test_files_over_the_size_limit_are_skipped_with_both_sizes(tmp_path) -> None:
    path = write(tmp_path, "big.txt", "word " * 5000)
    reason = skip_reason(tmp_path, path, max_bytes=10_000)
    assert reason == "too large (25.0 kB; the limit is 10.0 kB, RAG_MAX_FILE_MB)"
    assert load_document(path, tmp_path, 30_000).text.startswith("word word")
