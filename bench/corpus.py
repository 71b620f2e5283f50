"""A reproducible synthetic English corpus for the benchmarks, of any size.

Sentences are taken from the bundled corpus and the shared seed articles, then recombined at random
with their numbers re-drawn and some proper nouns swapped for invented ones (drawn from a Zipf-like
distribution, so the vocabulary keeps growing with the corpus as real text does). Two chunks almost
never come out identical, so the ingest's reuse-by-content-hash cannot skip embedding work.

    write_corpus(folder, chunks=20_000)   # ~4 kB .txt files in sub-folders; returns the file count
    passages(10_000)                      # chunk-sized texts, for loading an index directly
    QUESTIONS                             # questions about the source material, for query timing
"""

from __future__ import annotations

import html
import random
import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "corpus", Path("/work/shared/seeds"))

# Measured with the default chunker (200 word pieces, 30 overlap) on this generator's text; used only to
# size the corpus, the benchmarks always report the real chunk count.
CHARS_PER_CHUNK = 720
FILE_CHARS = (2500, 6000)  # "a few kB" per file
PASSAGE_CHARS = 780

QUESTIONS = (
    "Who wrote Anthropic's blog post warning about AI that builds itself?",
    "What is Marina Favaro's job at Anthropic?",
    "What does the company name Sakana translate to in English?",
    "In which city is Sakana AI headquartered?",
    "Which scientific journal published the research behind Sakana's AI Scientist?",
    "How much of the code merged into Anthropic's codebase is now produced by Claude?",
    "Who started Sakana AI and in what year?",
    "What is recursive self-improvement?",
    "Why does Anthropic want to keep the option of pausing frontier AI development?",
    "What security risks come with AI systems that improve themselves?",
    "How is Anthropic valued and who criticises it?",
    "What is the Transformer architecture and who co-wrote the paper that introduced it?",
    "What are the open questions about recursive self-improvement?",
    "What does Sakana's RSI Lab plan to work on?",
    "Which earlier employers does David Ha have?",
    "What would make a pause in AI development justified?",
    "How do evolutionary approaches differ from scaling up large models?",
    "What did critics say about the valuation?",
    "When was the AI Scientist research published?",
    "What is the difference between a brake and a shortcut in the AI race?",
)

_SYLLABLES = ("ka ri to mo sa ne lo vi ra den tor qua mel zan bri sol fen dor ish ul var pen cos lin mar "
              "tek ron ga ve no ta sha kel dru fi").split()
_FIRST = ("Ada Ben Chiara Dmitri Elena Farid Grace Hiro Ines Jonas Keiko Luis Maya Nikhil Olga Pavel Quinn Rosa "
          "Samir Tessa Umar Vera Wen Ximena Yusuf Zara").split()
_LAST = ("Abara Becker Castillo Dubois Eriksen Fujita Garcia Haddad Ivanova Jensen Kowalski Lindqvist Moreau "
         "Nakamura Okafor Petrov Quispe Rossi Sato Tanaka Urquhart Varga Weber Xu Yamada Zhou").split()
_CAPITALISED = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})?")
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[\"“A-Z0-9])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _plain(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix in {".html", ".htm"}:
        text = re.sub(r"(?is)<(script|style|nav|head)\b.*?</\1>", " ", text)
        text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    return re.sub(r"[#*_`>]+", " ", text)


@lru_cache(maxsize=1)
def source_sentences() -> tuple[str, ...]:
    """Every distinct sentence of the source texts that looks like prose (not a heading or a menu)."""
    found: dict[str, None] = {}
    for folder in SOURCES:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix not in {".txt", ".md", ".html", ".htm"}:
                continue
            for line in _plain(path).splitlines():
                for sentence in _SENTENCE_BREAK.split(" ".join(line.split())):
                    if len(sentence.split()) >= 6 and sentence[-1:] in ".!?\"”":
                        found[sentence] = None
    if len(found) < 20:
        raise SystemExit("bench: too few source sentences; the bundled corpus/ folder looks empty")
    return tuple(found)


class TextMaker:
    """Deterministic (per seed) stream of varied sentences, paragraphs and documents."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.sentences = source_sentences()
        self.invented = [self._word() for _ in range(5000)]

    def _word(self) -> str:
        return "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 4))).capitalize()

    def _noun(self) -> str:
        r = self.rng
        kind = r.random()
        if kind < 0.45:
            return f"{r.choice(_FIRST)} {r.choice(_LAST)}"
        # paretovariate gives a long tail: a few invented names are common, most are rare.
        return self.invented[min(len(self.invented) - 1, int(r.paretovariate(1.1)) - 1)]

    def sentence(self) -> str:
        r = self.rng
        s = r.choice(self.sentences)
        s = _NUMBER.sub(lambda m: str(r.randint(2, 9999)) if r.random() < 0.8 else m.group(0), s)
        if r.random() < 0.6:
            s = _CAPITALISED.sub(lambda m: self._noun() if r.random() < 0.5 else m.group(0), s)
        return s

    def paragraph(self, chars: int) -> str:
        out: list[str] = []
        size = 0
        while size < chars:
            s = self.sentence()
            out.append(s)
            size += len(s) + 1
        return " ".join(out)

    def document(self, chars: int) -> str:
        title = f"{self._noun()} and {self._noun()}: report {self.rng.randint(1, 99999)}"
        parts = [title]
        size = len(title)
        while size < chars:
            p = self.paragraph(self.rng.randint(300, 900))
            parts.append(p)
            size += len(p) + 2
        return "\n\n".join(parts) + "\n"


def write_corpus(folder: Path, chunks: int = 20_000, seed: int = 0) -> int:
    """Fill an empty ``folder`` with enough ~4 kB .txt files for about ``chunks`` chunks; returns the file count."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise SystemExit(f"bench: {folder} is not empty; give an empty or new folder")
    maker = TextMaker(seed)
    target = chunks * CHARS_PER_CHUNK
    written = files = 0
    while written < target:
        text = maker.document(maker.rng.randint(*FILE_CHARS))
        sub = folder / f"topic-{files // 200:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"doc-{files:06d}.txt").write_text(text, encoding="utf-8")
        written += len(text)
        files += 1
    return files


def passages(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct chunk-sized texts (about what the chunker makes), for filling an index directly."""
    maker = TextMaker(seed)
    return [maker.paragraph(PASSAGE_CHARS) for _ in range(n)]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write the synthetic benchmark corpus.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--chunks", type=int, default=20_000, help="about how many chunks the corpus should make")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n = write_corpus(args.folder, args.chunks, args.seed)
    print(f"wrote {n} files to {args.folder}")
