"""The answerer interface: a third backend is one new module that implements it."""

from __future__ import annotations

import re
from typing import Iterator, Protocol, Sequence

from ..models import Citation

# What an answerer says when the sources do not hold the answer. Answerers emit it verbatim;
# ``is_abstention`` also recognises the ways a language model tends to paraphrase it.
ABSTAIN_TEXT = "The documents do not answer this question."

_ABSTAIN_PATTERNS = re.compile(
    r"^\W*(the (documents|sources|provided sources|passages) (do not|don't|does not|doesn't) "
    r"(answer|say|contain|mention|cover|provide)|not in the (sources|documents)|"
    r"i (do not|don't) know|there is no information|no information (is|was) (given|provided))",
    re.IGNORECASE,
)


def is_abstention(text: str) -> bool:
    return bool(_ABSTAIN_PATTERNS.search(text.strip()))


class Answerer(Protocol):
    """Streams answer text; [n] refers to ``sources[n-1]``. Raise ``rag.errors.BackendError`` on failure."""

    name: str
    model: str

    def stream(self, question: str, sources: Sequence[Citation]) -> Iterator[str]: ...
