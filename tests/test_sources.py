"""A citation taken to its place in the file: line numbers, the editor, and files that changed or went away."""

from __future__ import annotations

import json
import os
import re
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.cli import cli
from rag.loaders import load_document
from rag.models import Citation
from rag.sources import EditorError, Locator, editor_command, format_excerpt, open_in_editor

from corpus_index import CORPUS, bundled_index

MARKDOWN = """---
title: Front matter
tags: [a, b]
---
Heading One
===========

Intro   line with  **bold words** and a [link](https://example.org/x) here.
   Second sentence on an indented line.



## Section *two*

Third sentence spans
two lines of the file. Fourth sentence.
"""

HTML = """<html><head><title>Same words here</title></head>
<body>
<nav>Same words here</nav>
<p>Intro.</p>
<p>Same words here,
and <b>bold &amp; more</b>
text.</p>
</body></html>
"""


def cite(corpus: Path, name: str, sentence: str, number: int = 1) -> Citation:
    """A citation as the index makes it: the whole document as the passage, the sentence's offsets in the
    document's extracted text."""
    document = load_document(corpus / name, corpus, 10**8)
    at = document.text.index(sentence)
    return Citation(number=number, doc_id=name, title=document.title, text=document.text, start=0,
                    end=len(document.text), score=1.0, sentence=sentence, sentence_start=at,
                    sentence_end=at + len(sentence))


def fake_editor(folder: Path, name: str = "fake-editor") -> tuple[Path, Path]:
    """A small real program that records the arguments it was started with."""
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / f"{name}.argv.json"
    script = folder / name
    script.write_text(f"#!{sys.executable}\nimport json, sys\n"
                      f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n", encoding="utf-8")
    script.chmod(0o755)
    return script, record


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "notes.md").write_text(MARKDOWN, encoding="utf-8")
    (folder / "page.html").write_text(HTML, encoding="utf-8")
    (folder / "dos.txt").write_bytes(b"First line.\r\n\r\n\r\n\r\nSecond  line\twith tabs.\r\nThird.\r\n")
    return folder


@pytest.mark.parametrize("sentence, lines", [
    ("Heading One", (5, 5)),
    ("Intro line with bold words and a link here.", (8, 8)),
    ("Second sentence on an indented line.", (9, 9)),
    ("Section two", (13, 13)),
    ("Third sentence spans\ntwo lines of the file.", (15, 16)),
    ("Fourth sentence.", (16, 16)),
])
def test_markdown_lines_count_front_matter_headings_and_markup(corpus, sentence, lines) -> None:
    location = Locator(corpus).locate(cite(corpus, "notes.md", sentence))
    assert location.state == "found" and location.note is None and location.openable
    assert (location.line, location.end_line) == lines
    # Lines of the extracted text are another thing: front matter and the ===== line are not in it.
    assert location.text_line is not None and location.text_line < lines[0]


def test_plain_text_with_windows_line_ends_and_collapsed_blank_lines(corpus) -> None:
    locator = Locator(corpus)
    assert locator.locate(cite(corpus, "dos.txt", "First line.")).line == 1
    second = locator.locate(cite(corpus, "dos.txt", "Second line with tabs."))
    assert (second.line, second.text_line) == (5, 3)  # three blank lines in the file, one in the text
    assert locator.locate(cite(corpus, "dos.txt", "Third.")).line == 6


def test_html_line_is_found_in_the_body_not_the_head_or_navigation(corpus) -> None:
    location = Locator(corpus).locate(cite(corpus, "page.html", "Same words here, and bold & more text."))
    assert (location.line, location.end_line) == (5, 7)
    assert location.excerpt_lines_of == "file"
    cited = [line for line in location.excerpt if line.cited]
    assert [line.number for line in cited] == [5, 6, 7]
    assert cited[0].text == "<p>Same words here,"


def test_a_docx_has_no_file_lines_so_lines_of_its_text_are_shown(corpus) -> None:
    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in ("Para one.", "Para two."))
    with zipfile.ZipFile(corpus / "memo.docx", "w") as archive:
        archive.writestr("word/document.xml", f"<w:document><w:body>{body}</w:body></w:document>")
    location = Locator(corpus).locate(cite(corpus, "memo.docx", "Para two."))
    assert location.state == "found" and location.line is None and not location.openable
    assert location.text_line == 3 and "DOCX" in (location.note or "")
    assert location.excerpt_lines_of == "text"
    assert [(line.number, line.text, line.cited) for line in location.excerpt][-1] == (3, "Para two.", True)
    assert location.as_json()["start_line"] is None and location.as_json()["text_start_line"] == 3


def test_a_file_that_changed_moved_the_passage_or_lost_it(corpus) -> None:
    citation = cite(corpus, "notes.md", "Fourth sentence.")
    assert Locator(corpus).locate(citation).line == 16

    (corpus / "notes.md").write_text(MARKDOWN.replace("## Section", "New line.\n\nAnother.\n\n## Section"),
                                     encoding="utf-8")
    moved = Locator(corpus).locate(citation)
    # The whole passage is gone (text was added inside it) but the sentence is still there, 4 lines down.
    assert moved.state == "moved" and moved.line == 20 and moved.openable
    assert "changed since it was indexed" in (moved.note or "")

    (corpus / "notes.md").write_text("Something else entirely.\n", encoding="utf-8")
    changed = Locator(corpus).locate(citation)
    assert changed.state == "changed" and changed.line is None and not changed.openable
    assert "no longer holds the passage" in (changed.note or "")
    # What is shown is the passage as it was indexed, its cited line marked, without line numbers.
    assert changed.excerpt_lines_of == "index"
    assert [line.text for line in changed.excerpt if line.cited] == ["two lines of the file. Fourth sentence."]
    assert all(line.number is None for line in changed.excerpt)


def test_a_passage_moved_whole_keeps_its_sentence(corpus) -> None:
    citation = cite(corpus, "dos.txt", "Third.")
    (corpus / "dos.txt").write_text("A new first line.\n\n" + (corpus / "dos.txt").read_text(), encoding="utf-8")
    moved = Locator(corpus).locate(citation)
    assert moved.state == "moved" and moved.line == 8


def test_a_deleted_file_is_said_to_be_gone_and_its_passage_shown(corpus) -> None:
    citation = cite(corpus, "notes.md", "Fourth sentence.")
    (corpus / "notes.md").unlink()
    location = Locator(corpus).locate(citation)
    assert location.state == "missing" and not location.openable
    assert "no longer in" in (location.note or "")
    printed = format_excerpt(location)
    assert "as indexed" in printed and "> | two lines of the file. Fourth sentence." in printed


def test_a_doc_id_leading_out_of_the_corpus_is_not_followed(corpus, tmp_path) -> None:
    (tmp_path / "secret.txt").write_text("Secret.", encoding="utf-8")
    citation = Citation(number=1, doc_id="../secret.txt", title="x", text="Secret.", start=0, end=7, score=0.0)
    assert Locator(corpus).locate(citation).state == "missing"


def test_excerpt_prints_numbered_file_lines_with_the_cited_ones_marked(corpus) -> None:
    location = Locator(corpus).locate(cite(corpus, "notes.md", "Second sentence on an indented line."))
    printed = format_excerpt(location).splitlines()
    assert printed[0] == "[1] lines of notes.md"
    assert ">  9 |    Second sentence on an indented line." in printed
    assert "   8 | Intro   line with  **bold words** and a [link](https://example.org/x) here." in printed


# ------------------------------------------------------------------ editors


def test_the_editor_is_started_at_the_line(corpus, tmp_path) -> None:
    script, record = fake_editor(tmp_path / "bin")
    location = Locator(corpus).locate(cite(corpus, "notes.md", "Fourth sentence."))
    status = open_in_editor(location.path, location.line, {"EDITOR": f"{script} --wait", "PATH": os.environ["PATH"]})
    assert status == 0
    assert json.loads(record.read_text()) == ["--wait", "+16", str(corpus / "notes.md")]


def test_visual_comes_before_editor_and_less_gets_a_go_to_line_command(tmp_path) -> None:
    visual, visual_record = fake_editor(tmp_path / "bin", "visual")
    editor, editor_record = fake_editor(tmp_path / "bin", "editor")
    path = tmp_path / "doc.txt"
    open_in_editor(path, 3, {"VISUAL": str(visual), "EDITOR": str(editor), "PATH": os.environ["PATH"]})
    assert json.loads(visual_record.read_text()) == ["+3", str(path)] and not editor_record.exists()

    _, less_record = fake_editor(tmp_path / "bin", "less")  # found on PATH by its name, as a pager is
    env = {"PAGER": "less -R", "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    assert editor_command(env) == (["less", "-R"], "PAGER")
    open_in_editor(path, 3, env)
    assert json.loads(less_record.read_text()) == ["-R", "+3g", str(path)]


def test_an_editor_that_is_not_installed_is_one_clear_error(tmp_path) -> None:
    assert editor_command({}) is None
    with pytest.raises(EditorError, match=r"the editor 'no-such-editor-rag' \(from \$EDITOR\) is not installed"):
        open_in_editor(tmp_path / "doc.txt", 1, {"EDITOR": "no-such-editor-rag", "PATH": os.environ["PATH"]})
    with pytest.raises(EditorError, match="no editor set"):
        open_in_editor(tmp_path / "doc.txt", 1, {"PATH": os.environ["PATH"]})


# ------------------------------------------------------------ `rag ask`


QUESTION = "Who co-founded Sakana AI?"


def ask(*args: str, **env: str):
    base = {name: None for name in ("VISUAL", "EDITOR", "PAGER")}
    return CliRunner().invoke(cli, ["--corpus", str(CORPUS), "--index", str(bundled_index()), "ask", *args, QUESTION],
                              env={**base, **env})


def test_ask_open_starts_the_editor_at_the_cited_sentence(tmp_path) -> None:
    script, record = fake_editor(tmp_path / "bin")
    result = ask("--open", "1", EDITOR=str(script))
    assert result.exit_code == 0, result.output
    jump, path = json.loads(record.read_text())
    line = int(jump.removeprefix("+"))
    # The sources list names the same line, and that line of the file holds the cited sentence's words.
    assert re.search(rf"\(\S+, chars [-\d, ]+, line {line}\)", result.stdout)
    quoted = re.search(r'^    "(.+)"$', result.stdout, flags=re.M).group(1)  # type: ignore[union-attr]
    file_line = Path(path).read_text(encoding="utf-8").splitlines()[line - 1]
    assert quoted.split()[0] in file_line and quoted.split()[-1].rstrip(".") in file_line


def test_ask_open_with_a_missing_editor_says_so_then_prints_the_passage() -> None:
    result = ask("--open", "1", EDITOR="no-such-editor-rag")
    assert result.exit_code == 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: the editor 'no-such-editor-rag' (from $EDITOR) is not installed or not on PATH; "
                      "printing the passage instead"]
    assert re.search(r"^\[1\] lines of \S+$", result.stdout, flags=re.M)
    assert re.search(r"^> +\d+ \| ", result.stdout, flags=re.M)  # the cited line, numbered


def test_ask_open_a_source_the_answer_does_not_cite() -> None:
    result = ask("--open", "9")
    assert result.exit_code == 1
    assert re.fullmatch(r"error: --open 9: the answer cites no source \[9\] \(it cites \[\d\](, \[\d\])*\)\n",
                        result.stderr)


def test_ask_json_gives_each_citation_its_lines() -> None:
    result = CliRunner().invoke(cli, ["--corpus", str(CORPUS), "--index", str(bundled_index()), "ask", "--json",
                                      QUESTION])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["citations"]
    for citation in data["citations"] + data["sources"]:
        assert citation["source_state"] == "found"
        assert 1 <= citation["start_line"] <= citation["end_line"]
        assert citation["path"] == str(CORPUS / citation["doc_id"])
    assert CliRunner().invoke(cli, ["ask", "--json", "--open", "1", QUESTION]).exit_code == 2  # usage error


def test_every_sentence_of_the_bundled_corpus_lands_on_a_line_holding_it() -> None:
    from rag.loaders import discover
    from rag.nlp import sentence_spans

    locator, checked = Locator(CORPUS), 0
    for path in discover(CORPUS):
        document = load_document(path, CORPUS, 10**8)
        file_lines = path.read_text(encoding="utf-8").splitlines()
        for start, end in sentence_spans(document.text):
            sentence = document.text[start:end]
            citation = Citation(number=1, doc_id=document.doc_id, title=document.title, text=sentence, start=start,
                                end=end, score=0.0, sentence=sentence, sentence_start=start, sentence_end=end)
            location = locator.locate(citation)
            assert location.openable, (document.doc_id, sentence)
            held = " ".join(file_lines[location.line - 1 : location.end_line])  # type: ignore[operator]
            words = re.findall(r"\w+", sentence)
            assert words[0] in held and words[-1] in held, (document.doc_id, location.line, sentence)
            checked += 1
    assert checked > 200
