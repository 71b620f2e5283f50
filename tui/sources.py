"""The sources panel: the passages an answer cites, and the chosen one with its cited sentence highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content, Span
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from rag.models import Answer, Citation

if TYPE_CHECKING:
    from rag.sources import SourceLocation

NO_ANSWER = "The sources of the selected answer appear here."


def listed_passages(answer: Answer) -> tuple[list[Citation], bool]:
    """What the panel lists: the cited passages, or, when nothing is cited, everything that was retrieved.

    The flag says whether the list is of cited passages.
    """
    if answer.citations:
        return list(answer.citations), True
    return list(answer.sources), False


def sentence_span(citation: Citation) -> tuple[int, int] | None:
    """Where the cited sentence sits inside the passage text, or None if it cannot be placed.

    Offsets are document offsets; the passage starts at ``citation.start``. When they do not land on the
    sentence (a loader that normalises whitespace differently), fall back to finding the sentence's text.
    """
    text = citation.text
    if citation.sentence_start is not None and citation.sentence_end is not None:
        begin, end = citation.sentence_start - citation.start, citation.sentence_end - citation.start
        if 0 <= begin < end <= len(text) and (
            not citation.sentence or text[begin:end].strip() == citation.sentence.strip()
        ):
            return begin, end
    if citation.sentence:
        found = text.find(citation.sentence.strip())
        if found >= 0:
            return found, found + len(citation.sentence.strip())
    return None


def passage_content(citation: Citation, cited: bool = True) -> Content:
    """Heading, location in the document, then the passage with the cited sentence highlighted."""
    location = f"{citation.doc_id} · characters {citation.start}–{citation.end}"
    span = sentence_span(citation)
    if span is not None and citation.sentence_start is not None and citation.sentence_end is not None:
        location += f"\ncited sentence at characters {citation.sentence_start}–{citation.sentence_end}"
    elif not cited:
        location += "\nretrieved, not cited"
    head = Content.assemble((f"[{citation.number}] {citation.title}", "bold"), "\n", (location, "dim"), "\n\n")
    body = Content(citation.text)
    if span is not None:
        body = body.add_spans([Span(span[0], span[1], "bold reverse")])
    return head + body


def option_prompt(citation: Citation) -> Content:
    return Content.assemble((f"[{citation.number}] ", "bold"), citation.title, "\n", (f"    {citation.doc_id}", "dim"))


def excerpt_content(location: "SourceLocation") -> Content:
    """A passage line by line with its line numbers (in the file, or in the extracted text), cited lines
    highlighted, under what to know about the file (changed, gone, no text lines)."""
    from rag.sources import format_excerpt

    head = [(format_excerpt(location).split("\n", 1)[0], "bold")]
    if location.note:
        head += ["\n", (location.note, "italic")]
    width = max((len(str(line.number)) for line in location.excerpt if line.number is not None), default=0)
    body = []
    for line in location.excerpt:
        number = (str(line.number).rjust(width) if line.number is not None else "").ljust(width)
        body += ["\n", (f"{number} │ ", "dim"), (line.text, "bold reverse") if line.cited else line.text]
    return Content.assemble(*head, *body)


class SourcesPanel(Vertical):
    """Shows ``answer``'s passages; ``show(n)`` opens passage [n]. The app sets ``answer``."""

    BINDINGS = [
        Binding("e", "app.open_source", "Editor"),
        Binding("c", "app.copy_citation", "Copy src"),
    ]

    answer: reactive[Answer | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield OptionList(id="passages")
        with VerticalScroll(id="passage-scroll"):
            yield Static(Content(NO_ANSWER), id="passage")

    def on_mount(self) -> None:
        self.border_title = "Sources"

    def _passages(self) -> tuple[list[Citation], bool]:
        return ([], True) if self.answer is None else listed_passages(self.answer)

    def watch_answer(self, answer: Answer | None) -> None:
        options = self.query_one("#passages", OptionList)
        options.clear_options()
        passage = self.query_one("#passage", Static)
        if answer is None:
            self.border_title = "Sources"
            passage.update(Content(NO_ANSWER))
            return
        passages, cited = self._passages()
        self.border_title = "Sources" if cited else "Sources (retrieved, none cited)"
        options.add_options([Option(option_prompt(c), id=str(c.number)) for c in passages])
        if passages:
            passage.update(Content("Press 1–9 or choose a source to read the passage."))
        else:
            passage.update(Content("No passages were retrieved for this answer."))

    @property
    def shown(self) -> Citation | None:
        """The passage currently displayed."""
        options = self.query_one("#passages", OptionList)
        index = options.highlighted
        passages, _ = self._passages()
        return passages[index] if index is not None and 0 <= index < len(passages) else None

    def show(self, number: int) -> bool:
        """Display passage [number]; False when the selected answer has no such passage."""
        passages, _ = self._passages()
        for index, citation in enumerate(passages):
            if citation.number == number:
                self.query_one("#passages", OptionList).highlighted = index
                self._display(citation)
                return True
        return False

    def show_excerpt(self, location: "SourceLocation") -> None:
        """Display a passage as lines of its file (when there is no editor to open it in)."""
        self.query_one("#passage", Static).update(excerpt_content(location))
        self.query_one("#passage-scroll", VerticalScroll).scroll_home(animate=False)

    def _display(self, citation: Citation) -> None:
        _, cited = self._passages()
        self.query_one("#passage", Static).update(passage_content(citation, cited))
        self.query_one("#passage-scroll", VerticalScroll).scroll_home(animate=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        passages, _ = self._passages()
        if 0 <= event.option_index < len(passages):
            self._display(passages[event.option_index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        passages, _ = self._passages()
        if 0 <= event.option_index < len(passages):
            self._display(passages[event.option_index])
