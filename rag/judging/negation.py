"""Polarity: which words a text denies and which it affirms; opposite words."""

from __future__ import annotations

from .lexicon import ANTONYM_PAIRS, CONTROL_WORDS, JUST, NEG_PREFIX_EXEMPT, NOT_REALLY_NEGATION, UN_WORDS
from .text import SCOPE_SKIP, SCOPE_STOP, Tok, is_adverb, is_content, stem


def polarity(toks: list[Tok], other_stems: set[str]) -> tuple[set[str], set[str], int]:
    """(negated stems, affirmed stems, negations whose scope has no content word). A negator governs the next
    content word before a clause boundary, adverbs skipped ('no proof', 'has not yet been reached', 'nobody has
    shown'); 'not just X' negates the 'just'.
    'un-' words count as negated roots when the root occurs in the other text ('unclear' vs 'clear')."""
    negated: set[str] = set()
    in_scope: set[int] = set()
    unanchored = 0
    for i, t in enumerate(toks):
        if t.punct:
            continue
        root = UN_WORDS.get(t.low)
        if root is None and len(t.low) > 6 and not NEG_PREFIX_EXEMPT.match(t.low):
            for prefix in ("un", "in", "im", "dis", "non"):
                if t.low.startswith(prefix) and stem(t.low[len(prefix) :]) in other_stems:
                    root = t.low[len(prefix) :]
                    break
        if root is not None:
            negated.add(stem(root))
            in_scope.add(i)
            continue
        contrast = t.low in ("rather", "instead") and i + 1 < len(toks) and toks[i + 1].low in ("than", "of")
        if not t.neg and not contrast:
            continue
        following = [u.low for u in toks[i + (2 if contrast else 1) : i + 4]]
        if following[:1] == ["longer"]:
            following = following[1:]
        if following[:1] and following[0] in NOT_REALLY_NEGATION:
            # 'not just coding helpers' denies 'just', not 'coding helpers'
            negated.add(JUST)
            continue
        for k in range(i + (2 if contrast else 1), min(len(toks), i + 8)):
            u = toks[k]
            if u.low in SCOPE_STOP:
                unanchored += 1
                break
            if is_content(u) and u.low not in SCOPE_SKIP and not is_adverb(u.low):
                negated.add(u.stem)
                in_scope.add(k)
                nxt = k + 1
                if u.low in CONTROL_WORDS:
                    # 'not able to redesign', 'not prepared to handle': the action is denied too.
                    window = range(k + 1, min(len(toks), k + 5))
                    nxt = next((m for m in window if is_content(toks[m]) and not is_adverb(toks[m].low)), len(toks))
                    if nxt < len(toks) and toks[k + 1].low in ("to", "of"):
                        negated.add(toks[nxt].stem)
                        in_scope.add(nxt)
                elif (contrast or t.low in ("no", "without")) and nxt < len(toks) and is_content(toks[nxt]):
                    # 'without human intervention', 'rather than full instances': a noun phrase, not one word.
                    if not is_adverb(toks[nxt].low):
                        negated.add(toks[nxt].stem)
                        in_scope.add(nxt)
                break
        else:
            unanchored += 1
    # Affirmed: said somewhere outside any negation, so a word both denied and affirmed is in both sets.
    affirmed = {t.stem for k, t in enumerate(toks) if is_content(t) and k not in in_scope}
    if any(t.low in NOT_REALLY_NEGATION - {"necessarily"} for t in toks) and JUST not in negated:
        affirmed.add(JUST)
    return negated, affirmed, unanchored


ANTONYM_STEMS = tuple(
    sorted({(x, y) for a, b in ANTONYM_PAIRS for x, y in ((stem(a), stem(b)), (stem(b), stem(a))) if x != y})
)
