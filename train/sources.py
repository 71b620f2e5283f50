"""Real text nobody here wrote, split once into what models may train on and what they are measured on.

Every document comes from a Debian package installed on the machine (``apt-get install python3.11-doc
debian-history debian-handbook gnu-standards``; man pages and /usr/share/common-licenses are there already)
or from ../shared/seeds. The split is by document, never by passage: no file on the EVAL side is read for
training, and the files of a topic that an EVAL document covers (Python's argparse HOWTO and its library page)
stay out of training as well. ``tests/test_training_data.py`` checks that the data files keep to it.

    python train/sources.py passages --side train --out train/data/passages.jsonl
    python train/sources.py corpus --set tech --out /tmp/eval-tech   # a blind evaluation corpus as .txt files
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.loaders import _load_html, normalise  # noqa: E402  (the product's own HTML reader)

PYDOC = Path("/usr/share/doc/python3.11-doc/html")
SEEDS = ROOT.parent / "shared" / "seeds"
LICENSES = Path("/usr/share/common-licenses")

# Held out for blind measurement: never training data.
EVAL_PYDOC = ["howto/sorting.html", "howto/logging.html", "howto/argparse.html", "howto/unicode.html",
              "howto/urllib2.html", "howto/ipaddress.html"]
EVAL_MAN = ["tar", "find", "xargs", "ssh", "tmux", "chmod"]
EVAL_LICENSES = ["GPL-3", "Apache-2.0", "MPL-2.0"]
# Topics of the held-out pages: their other pages stay out of training too.
EVAL_TOPICS = ("sort", "logging", "argparse", "unicode", "urllib", "ipaddress", "tar", "find", "xargs", "ssh",
               "tmux", "chmod", "gpl", "apache", "mpl")

TRAIN_MAN = ["grep", "sed", "awk", "curl", "wget", "git", "make", "bash", "ls", "cp", "mv", "chown", "ps", "top",
             "kill", "du", "df", "mount", "systemctl", "journalctl", "apt", "apt-get", "dpkg", "less", "diff", "patch",
             "sort", "uniq", "cut", "tr", "head", "tail", "tee", "gzip", "zip", "unzip", "ln", "date", "env", "nice",
             "ip", "openssl", "passwd", "useradd", "groupadd", "man", "perl", "python3", "vim", "scp", "sftp",
             "hostname", "uname", "stat", "file", "which", "whereis", "md5sum", "base64", "od", "hexdump", "strace",
             "ldd", "nm", "objdump", "readelf"]
TRAIN_LICENSES = ["GPL-2", "LGPL-2.1", "MPL-1.1", "Artistic", "GFDL-1.3", "BSD", "CC0-1.0"]


@dataclass(frozen=True)
class Doc:
    source: str  # where it came from, e.g. 'pydoc:library/json.html', 'man:grep'
    kind: str  # news | technical | release-notes | legal | history | handbook
    title: str
    text: str


def _html(path: Path, source: str, kind: str) -> Doc:
    title, text = _load_html(path.read_bytes(), path.stem)
    # Sphinx pages end with navigation and copyright lines: cut at the footer.
    for marker in ("\nNavigation\n", "\n© Copyright", "\nTable of Contents\n"):
        cut = text.rfind(marker)
        if cut > len(text) // 2:
            text = text[:cut]
    return Doc(source, kind, title, text)


def _man(name: str, kind: str = "technical") -> Doc:
    env = dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING="0")
    out = subprocess.run(["man", "-P", "cat", name], capture_output=True, text=True, env=env, timeout=60).stdout
    text = re.sub(r".\x08", "", out)  # overstrike bold/underline
    return Doc(f"man:{name}", kind, f"{name}(1) manual page", normalise(text))


def _text(path: Path, source: str, kind: str) -> Doc:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = normalise(data.decode("utf-8", "replace"))
    return Doc(source, kind, path.name, text)


def _topical(name: str) -> bool:
    low = name.lower()
    return any(t in low for t in EVAL_TOPICS)


def train_docs() -> list[Doc]:
    docs: list[Doc] = []
    for sub in ("library", "tutorial", "faq", "whatsnew", "reference"):
        for path in sorted((PYDOC / sub).glob("*.html")):
            rel = f"{sub}/{path.name}"
            if rel in EVAL_PYDOC or _topical(path.stem) or path.stem in ("index", "changelog"):
                continue
            docs.append(_html(path, f"pydoc:{rel}", "release-notes" if sub == "whatsnew" else "technical"))
    for name in TRAIN_MAN:
        docs.append(_man(name))
    readmes = sorted(p for p in Path("/usr/share/doc").glob("*/README*")
                     if p.is_file() and p.suffix in ("", ".txt", ".md", ".gz", ".Debian") and not _topical(p.parent.name))
    for path in readmes:
        docs.append(_text(path, f"readme:{path.parent.name}/{path.name}", "technical"))
    gnu = Path("/usr/share/doc/gnu-standards")
    for name in ("standards.html", "maintain.html"):
        docs.append(_html(gnu / name, f"gnu:{name}", "technical"))
    history = Path("/usr/share/doc/debian-history/docs/project-history.en.txt.gz")
    docs.append(_text(history, "history:project-history.en", "history"))
    for path in sorted(Path("/usr/share/doc/debian-handbook/html/en-US").glob("*.html")):
        docs.append(_html(path, f"handbook:{path.name}", "handbook"))
    for name in TRAIN_LICENSES:
        docs.append(_text(LICENSES / name, f"license:{name}", "legal"))
    return [d for d in docs if len(d.text) > 400]


def eval_docs(which: str) -> list[Doc]:
    if which == "news":
        return [_text(p, f"seed:{p.name}", "news") for p in sorted(SEEDS.glob("*.txt"))]
    if which == "tech":
        return [_html(PYDOC / rel, f"pydoc:{rel}", "technical") for rel in EVAL_PYDOC] + [_man(n) for n in EVAL_MAN]
    if which == "legal":
        return [_text(LICENSES / n, f"license:{n}", "legal") for n in EVAL_LICENSES]
    raise SystemExit(f"unknown evaluation set {which!r}: news, tech or legal")


def passages(doc: Doc, words: int = 140) -> list[str]:
    """Paragraph runs of about ``words`` words: roughly the size of an index chunk."""
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc.text)]
    out: list[str] = []
    run: list[str] = []
    count = 0
    for para in paras:
        if not para:
            continue
        n = len(para.split())
        if count and count + n > words * 1.4:
            out.append("\n\n".join(run))
            run, count = [], 0
        run.append(para)
        count += n
        if count >= words:
            out.append("\n\n".join(run))
            run, count = [], 0
    if run:
        out.append("\n\n".join(run))
    # Navigation crumbs, tables of contents, option lists with no prose: too few sentences to read.
    return [p for p in out if len(p.split()) >= 45 and len(re.findall(r"[a-z]{3,}[.!?:]", p)) >= 2]


def passage_id(source: str, text: str) -> str:
    return hashlib.sha1(f"{source}\n{text}".encode()).hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("passages", help="the training pool of passages as JSON Lines")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=13)
    c = sub.add_parser("corpus", help="a blind evaluation corpus as text files")
    c.add_argument("--set", choices=("news", "tech", "legal"), required=True)
    c.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "passages":
        rows = []
        for doc in train_docs():
            for i, text in enumerate(passages(doc)):
                rows.append({"pid": passage_id(doc.source, text), "source": doc.source, "kind": doc.kind,
                             "title": doc.title, "index": i, "text": text})
        random.Random(args.seed).shuffle(rows)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        kinds: dict[str, int] = {}
        for row in rows:
            kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
        print(f"{len(rows)} passages: {kinds}")
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        for doc in eval_docs(args.set):
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", doc.source.split(":", 1)[1]).removesuffix(".html").removesuffix(".txt")
            name += ".txt"
            body = doc.text if doc.text.startswith(doc.title) else f"{doc.title}\n\n{doc.text}"
            (args.out / name).write_text(body, encoding="utf-8")
        print(f"{len(list(args.out.glob('*.txt')))} documents in {args.out}")


if __name__ == "__main__":
    main()
