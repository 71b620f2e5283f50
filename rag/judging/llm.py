"""The LLM judge: asks any OpenAI-compatible endpoint for a JSON verdict, and never raises."""

from __future__ import annotations

import ast
import json
import math
import re
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from ..config import Settings

from .base import Verdict
from .text import clean_text, split_claims


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_TRUE_WORDS = frozenset({"true", "yes", "supported", "support", "1", "entailed", "entailment"})
_FALSE_WORDS = frozenset({"false", "no", "unsupported", "not supported", "0", "contradicted", "neutral", "not_supported"})


def _balanced_objects(text: str, open_ch: str = "{", close_ch: str = "}") -> list[str]:
    """Every top-level {...} (or [...]) span, respecting quoted strings."""
    spans: list[str] = []
    depth = 0
    start = -1
    quote = ""
    escaped = False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
            continue
        if ch in "\"'" and depth > 0:
            # A single quote inside prose (an apostrophe) must not open a string: only after ':', ',', '{', '['.
            prev = text[:i].rstrip()[-1:] if i else ""
            if ch == '"' or prev in ":,{[":
                quote = ch
            continue
        if ch == open_ch:
            if depth == 0:
                start = i
            depth += 1
        elif ch == close_ch and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
    return spans


def _loads_loose(blob: str) -> Any:
    """JSON, else a Python literal (single quotes, True/False), else JSON with trailing commas removed."""
    try:
        return json.loads(blob)
    except ValueError:
        pass
    try:
        pythonic = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", re.sub(r"\bnull\b", "None", blob)))
        return ast.literal_eval(pythonic)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        pass
    try:
        return json.loads(re.sub(r",\s*([}\]])", r"\1", blob))
    except ValueError:
        return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return bool(value >= 0.5)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _TRUE_WORDS:
            return True
        if v in _FALSE_WORDS:
            return False
    return None


def parse_verdict(text: str) -> dict[str, Any] | None:
    """A model's reply -> {"supported": bool, "reason": str, "score": float} or None when it holds no verdict.
    Accepts code fences, prose around the JSON, single quotes, Python booleans, 'yes'/'no' values and, as a last
    resort, a reply that is a bare SUPPORTED/UNSUPPORTED."""
    if not isinstance(text, str) or not text.strip():
        return None
    candidates: list[str] = []
    for fenced in _FENCE.findall(text):
        candidates += _balanced_objects(fenced)
    candidates += _balanced_objects(text)
    for blob in candidates:
        data = _loads_loose(blob)
        if not isinstance(data, dict):
            continue
        lowered = {str(k).strip().lower(): v for k, v in data.items()}
        value = None
        for key in ("supported", "is_supported", "support", "verdict", "label", "entailed", "answer"):
            if key in lowered:
                value = _as_bool(lowered[key])
                if value is not None:
                    break
        if value is None:
            continue
        reason = lowered.get("reason", lowered.get("explanation", lowered.get("rationale", "")))
        reason = " ".join(str(reason or "").split())[:200]
        score = 1.0 if value else 0.0
        raw = lowered.get("score", lowered.get("confidence"))
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw) and 0 <= raw <= 1:
            score = float(raw) if value == (raw >= 0.5) else score
        return {"supported": value, "reason": reason, "score": score}
    match = re.search(r'"?supported"?\s*[:=]\s*"?(true|false|yes|no)\b', text, re.IGNORECASE)
    if match:
        value = match.group(1).lower() in ("true", "yes")
        return {"supported": value, "reason": "", "score": 1.0 if value else 0.0}
    bare = text.strip().strip(".!*`\"' ").lower()
    if bare in ("supported", "yes", "true"):
        return {"supported": True, "reason": "", "score": 1.0}
    if bare in ("unsupported", "not supported", "no", "false"):
        return {"supported": False, "reason": "", "score": 0.0}
    return None


def parse_claims(text: str) -> list[str] | None:
    """A model's claim-extraction reply -> list of claims, or None when it holds none. Accepts a JSON list, an
    object with a 'claims' list, or a numbered/bulleted list."""
    if not isinstance(text, str) or not text.strip():
        return None
    for fenced in _FENCE.findall(text) + [text]:
        for blob in _balanced_objects(fenced, "[", "]") + _balanced_objects(fenced):
            data = _loads_loose(blob)
            if isinstance(data, dict):
                data = data.get("claims")
            if isinstance(data, list) and all(isinstance(x, str) for x in data):
                claims = [" ".join(x.split()) for x in data if x.strip()]
                if claims:
                    return claims
    lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).strip() for line in text.splitlines()]
    listed = [line for line, raw in zip(lines, text.splitlines()) if line and re.match(r"^\s*(?:[-*•]|\d+[.)])\s+", raw)]
    return listed or None


_JUDGE_SYSTEM = (
    "You check whether a claim is supported by source passages. A claim is supported only if the passages, "
    "taken together, state or directly imply everything it says: same numbers, same names, same speaker, same "
    "polarity, no stronger certainty or wider scope than the passages, and no added details. "
    'Reply with JSON only: {"supported": true|false, "reason": "<one short sentence>"}.'
)
_CLAIMS_SYSTEM = (
    "Break the answer into short, self-contained factual claims, one fact each, resolving pronouns. "
    "Ignore citation markers like [1]. Reply with a JSON list of strings only."
)


def _one_line(exc: BaseException) -> str:
    text = f"{exc.__class__.__name__}: {exc}".strip()
    return (text.splitlines() or [exc.__class__.__name__])[0][:200]


class LLMJudge:
    """Asks an OpenAI-compatible chat endpoint. Never raises: failures become unsupported verdicts whose reason
    says 'error: ...' (endpoint) or 'unparsed' (a reply with no verdict in it, after one retry)."""

    name = "llm"

    def __init__(self, settings: "Settings", max_workers: int = 4) -> None:
        self.settings = settings
        self.model = settings.openai_model
        self.max_workers = max(1, max_workers)
        self._client: Any = None
        self._client_error: str | None = None

    def _get_client(self) -> Any:
        if self._client is None and self._client_error is None:
            try:
                from ..backends.openai_client import make_client

                self._client = make_client(self.settings)
            except Exception as exc:  # a missing key is an answer too: every verdict reports it
                self._client_error = _one_line(exc)
        return self._client

    def _ask(self, system: str, user: str) -> str:
        client = self._get_client()
        if client is None:
            raise RuntimeError(self._client_error or "no client")
        response = client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            temperature=0,
        )
        return (response.choices[0].message.content or "") if response.choices else ""

    def judge(self, claim: str, passages: Sequence[str]) -> Verdict:
        claim = " ".join(clean_text(claim).split())
        if not claim:
            return Verdict(False, 0.0, "empty claim")
        if not passages:
            return Verdict(False, 0.0, "no passages")
        if self._get_client() is None:
            return Verdict(False, 0.0, f"error: {self._client_error}")
        sources = "\n\n".join(f"[{i}] {p.strip()}" for i, p in enumerate(passages, 1))
        user = f"Passages:\n{sources}\n\nClaim: {claim}\n\nIs the claim supported by the passages? JSON only."
        for _attempt in range(2):
            try:
                reply = self._ask(_JUDGE_SYSTEM, user)
            except Exception as exc:  # the endpoint, the network, a malformed response object
                return Verdict(False, 0.0, f"error: {_one_line(exc)}")
            parsed = parse_verdict(reply)
            if parsed is not None:
                return Verdict(bool(parsed["supported"]), float(parsed["score"]), parsed["reason"] or "llm verdict")
        return Verdict(False, 0.0, "unparsed")

    def judge_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Verdict]:
        if len(items) <= 1 or self.max_workers == 1:
            return [self.judge(c, p) for c, p in items]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            return list(pool.map(lambda item: self.judge(item[0], item[1]), items))

    def extract_claims(self, answer_text: str) -> list[str]:
        """RAGAS-style claim extraction; falls back to ``split_claims`` when the endpoint fails or rambles."""
        text = clean_text(answer_text).strip()
        if not text:
            return []
        try:
            claims = parse_claims(self._ask(_CLAIMS_SYSTEM, f"Answer:\n{text}"))
        except Exception:
            claims = None
        return claims if claims else split_claims(answer_text)
