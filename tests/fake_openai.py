"""A scripted OpenAI-compatible HTTP server on 127.0.0.1: the one fake the tests may use.

Standard library only. Start it as a context manager::

    with FakeOpenAI() as server:
        server.script(Reply.text("Answer [1]."))
        settings = Settings(openai_base_url=server.base_url, openai_api_key="test")
        ...
        assert server.count("chat") == 1

Every request is recorded in ``server.requests`` as ``Recorded(path, headers, body)``. Each request to an
endpoint takes the next scripted :class:`Reply` for that endpoint ("chat" or "embeddings"); when its script
is empty the server falls back to ``server.default_chat`` (a reply, or a callable taking the request body
and returning one) or to deterministic embeddings. Replies cover the failures a real endpoint produces:
HTTP errors with OpenAI-style bodies, garbage bodies, streams cut short, hangs and dropped connections.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import socket
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator, Literal, NamedTuple, Union

HOST = "127.0.0.1"  # never anything else: the test suite forbids non-loopback traffic

Endpoint = Literal["chat", "embeddings"]

_ERROR_TYPES = {
    400: ("invalid_request_error", "bad_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "permission_denied"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}

_DEFAULT_MESSAGES = {
    400: "Bad request.",
    401: "Incorrect API key provided.",
    403: "You are not allowed to sample from this model.",
    404: "The model does not exist or you do not have access to it.",
    429: "Rate limit reached for requests.",
    500: "The server had an error while processing your request.",
    502: "Bad gateway.",
    503: "The engine is currently overloaded, please try again later.",
}


@dataclass(frozen=True)
class Reply:
    """One scripted behaviour. Build it with the class methods; the fields are the knobs."""

    kind: Literal["text", "error", "garbage", "half_stream", "hang", "drop", "embeddings", "sse"]
    content: str = ""
    # text / half_stream
    pieces: int = 4  # how many content deltas a streamed reply is split into
    finish_reason: str | None = "stop"
    delay: float = 0.0  # seconds between streamed chunks
    role_chunk: bool = True  # first chunk carries only {"role": "assistant", "content": ""} as OpenAI does
    null_content_chunk: bool = False  # a chunk whose delta has content None (llama.cpp, vLLM do this)
    empty_choices_chunk: bool = False  # a chunk with "choices": [] (Azure's filter results, usage chunks)
    stream: bool | None = None  # None: follow the request's "stream" flag; False: always reply with JSON
    # Streamed text: after the first ``gate_after`` content deltas, wait (at most ``gate_timeout`` s) until the
    # test sets ``gate``; lets a test prove deltas reach it while the server is still holding the rest.
    gate: threading.Event | None = field(default=None, compare=False)
    gate_after: int = 1
    gate_timeout: float = 5.0
    # error
    status: int = 200
    message: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    # garbage / sse
    body: bytes = b""
    content_type: str = "application/json"
    events: tuple[str, ...] = ()
    # half_stream: chunked=True cuts a chunked body (the client sees a protocol error); False closes an
    # EOF-delimited body cleanly (the client sees a normal end with no [DONE] and no finish_reason).
    chunked: bool = True
    keep: int = 2  # half_stream: content deltas sent before the cut
    # hang
    seconds: float = 0.0
    # embeddings
    dimension: int | None = None

    # -- constructors -------------------------------------------------------------------------------

    @classmethod
    def text(cls, content: str, *, pieces: int = 4, finish_reason: str | None = "stop", delay: float = 0.0,
             null_content_chunk: bool = False, empty_choices_chunk: bool = False, role_chunk: bool = True,
             stream: bool | None = None, gate: threading.Event | None = None, gate_after: int = 1,
             gate_timeout: float = 5.0) -> "Reply":
        """A chat answer: streamed as ``pieces`` deltas when the request asks for a stream, else one JSON."""
        return cls("text", content=content, pieces=pieces, finish_reason=finish_reason, delay=delay,
                   null_content_chunk=null_content_chunk, empty_choices_chunk=empty_choices_chunk,
                   role_chunk=role_chunk, stream=stream, gate=gate, gate_after=gate_after,
                   gate_timeout=gate_timeout)

    @classmethod
    def error(cls, status: int, message: str | None = None, *, retry_after_ms: int | None = None,
              code: str | None = None) -> "Reply":
        """An HTTP error with an OpenAI-style ``{"error": {...}}`` body."""
        headers: tuple[tuple[str, str], ...] = ()
        if retry_after_ms is not None:
            headers = (("retry-after-ms", str(retry_after_ms)),)
        kind, default_code = _ERROR_TYPES.get(status, ("server_error", None))
        body = {"error": {"message": message or _DEFAULT_MESSAGES.get(status, f"HTTP {status}"),
                          "type": kind, "param": None, "code": code or default_code}}
        return cls("error", status=status, message=body["error"]["message"], headers=headers,
                   body=json.dumps(body).encode())

    @classmethod
    def garbage(cls, body: bytes = b'{"id": "chatcmpl-x", "choices": [{"delta": {"content": "trunc',
                *, content_type: str = "application/json", status: int = 200) -> "Reply":
        """A 200 whose body is not what the client asked for (malformed JSON by default)."""
        return cls("garbage", body=body, content_type=content_type, status=status)

    @classmethod
    def sse(cls, *events: str, chunked: bool = True) -> "Reply":
        """A stream of raw SSE ``data:`` payloads, sent verbatim (include "[DONE]" yourself if wanted)."""
        return cls("sse", events=tuple(events), chunked=chunked)

    @classmethod
    def half_stream(cls, content: str = "The answer starts here and then", *, pieces: int = 4,
                    keep: int = 2, chunked: bool = True) -> "Reply":
        """Stream the first ``keep`` of ``pieces`` deltas, then close the connection: no finish, no [DONE]."""
        return cls("half_stream", content=content, pieces=pieces, keep=keep, chunked=chunked)

    @classmethod
    def hang(cls, seconds: float = 5.0) -> "Reply":
        """Read the request, say nothing for ``seconds`` (or until the server stops), then close."""
        return cls("hang", seconds=seconds)

    @classmethod
    def drop(cls) -> "Reply":
        """Close the connection without any reply."""
        return cls("drop")

    @classmethod
    def embeddings(cls, dimension: int | None = None) -> "Reply":
        """Deterministic unit vectors, one per input (the default for /embeddings)."""
        return cls("embeddings", dimension=dimension)

    def times(self, n: int) -> list["Reply"]:
        """This reply ``n`` times, for ``server.script(*Reply.error(503).times(2), Reply.text("ok"))``."""
        return [self] * n

    def with_delay(self, delay: float) -> "Reply":
        return replace(self, delay=delay)


class Recorded(NamedTuple):
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # the parsed JSON body, or the raw text when it was not JSON


Responder = Union[Reply, Callable[[dict], Reply]]


def fake_vector(text: str, dimension: int) -> list[float]:
    """A unit vector that depends only on the text: equal texts embed equally, different ones differ."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dimension)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def split_text(text: str, pieces: int) -> list[str]:
    """Split ``text`` into at most ``pieces`` consecutive parts that join back to it exactly."""
    if not text:
        return []
    pieces = max(1, min(pieces, len(text)))
    bounds = [round(i * len(text) / pieces) for i in range(pieces + 1)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def _word_count(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_word_count(v) for v in value)
    if isinstance(value, dict):
        return _word_count(value.get("content", ""))
    return 0


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients drop keep-alive connections and abandon streams all the time; that is not a failure.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class FakeOpenAI:
    """The server. ``base_url`` ends in ``/v1`` like the real API's."""

    def __init__(self, *, dimension: int = 32, models: set[str] | None = None, api_key: str | None = None,
                 default_chat: Responder | None = None) -> None:
        """
        dimension: length of the fake embedding vectors.
        models: when given, requests for any other model get a 404 "model not found", as OpenAI replies.
        api_key: when given, requests without ``Authorization: Bearer <api_key>`` get a 401.
        default_chat: what /chat/completions answers when its script is empty.
        """
        self.dimension = dimension
        self.models = models
        self.api_key = api_key
        self.default_chat: Responder = default_chat or Reply.text("This is a fake answer [1].")
        self.requests: list[Recorded] = []
        self.gate_timeouts = 0  # how often a gated reply gave up waiting for its test to open the gate
        self._scripts: dict[str, deque[Reply]] = {"chat": deque(), "embeddings": deque()}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> "FakeOpenAI":
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        httpd = _QuietServer((HOST, 0), handler)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, wake any hanging handler and close every open connection."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start the server first"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    # -- scripting and inspection -------------------------------------------------------------------------

    def script(self, *replies: Reply, endpoint: Endpoint = "chat") -> "FakeOpenAI":
        """Queue replies for the next requests to ``endpoint``, in order."""
        with self._lock:
            self._scripts[endpoint].extend(replies)
        return self

    def fail_then(self, failures: int, failure: Reply, success: Reply, *, endpoint: Endpoint = "chat") -> "FakeOpenAI":
        """``failure`` for the next ``failures`` requests, then ``success`` (to exercise retries)."""
        return self.script(*failure.times(failures), success, endpoint=endpoint)

    def pending(self, endpoint: Endpoint = "chat") -> int:
        with self._lock:
            return len(self._scripts[endpoint])

    def requests_to(self, endpoint: Endpoint | None = None) -> list[Recorded]:
        with self._lock:
            recorded = list(self.requests)
        if endpoint is None:
            return recorded
        suffix = "/chat/completions" if endpoint == "chat" else "/embeddings"
        return [r for r in recorded if r.path.endswith(suffix)]

    def count(self, endpoint: Endpoint | None = None) -> int:
        """How many requests reached ``endpoint`` (all endpoints when None), retries included."""
        return len(self.requests_to(endpoint))

    @property
    def last_chat(self) -> dict:
        chats = self.requests_to("chat")
        assert chats, "no chat request was made"
        return chats[-1].body

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            for queue in self._scripts.values():
                queue.clear()

    # -- used by the handler ------------------------------------------------------------------------------

    def _record(self, entry: Recorded) -> None:
        with self._lock:
            self.requests.append(entry)

    def _next(self, endpoint: Endpoint, body: Any) -> Reply:
        with self._lock:
            queue = self._scripts[endpoint]
            if queue:
                return queue.popleft()
        if endpoint == "embeddings":
            return Reply.embeddings()
        default = self.default_chat
        return default(body if isinstance(body, dict) else {}) if callable(default) else default

    def _track(self, conn: socket.socket, open_: bool) -> None:
        with self._lock:
            (self._connections.add if open_ else self._connections.discard)(conn)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI  # set on the per-server subclass
    protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, like real servers
    timeout = 10  # an idle keep-alive connection ends its thread after this long

    def setup(self) -> None:
        super().setup()
        self.fake._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.fake._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    # -- routing --------------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        self.fake._record(Recorded(path, {k.lower(): v for k, v in self.headers.items()}, None))
        if path.endswith("/models"):
            names = sorted(self.fake.models or {"fake-model"})
            self._send_json(200, {"object": "list", "data": [
                {"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in names]})
        else:
            self._send_json(404, {"error": {"message": f"no route {path}", "type": "invalid_request_error",
                                            "param": None, "code": None}})

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else {}
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake._record(Recorded(path, headers, body))

        if path.endswith("/chat/completions"):
            endpoint: Endpoint = "chat"
        elif path.endswith("/embeddings"):
            endpoint = "embeddings"
        else:
            self._send_json(404, {"error": {"message": f"no route {path}", "type": "invalid_request_error",
                                            "param": None, "code": "unknown_url"}})
            return

        refusal = self._check(headers, body)
        reply = refusal or self.fake._next(endpoint, body)
        self._perform(reply, endpoint, body if isinstance(body, dict) else {})

    def _check(self, headers: dict[str, str], body: Any) -> Reply | None:
        """What a strict server refuses before looking at the script: bad key, unknown model, bad JSON."""
        fake = self.fake
        if fake.api_key is not None and headers.get("authorization") != f"Bearer {fake.api_key}":
            return Reply.error(401)
        if not isinstance(body, dict):
            return Reply.error(400, "We could not parse the JSON body of your request.")
        if fake.models is not None and body.get("model") not in fake.models:
            return Reply.error(404, f"The model `{body.get('model')}` does not exist or you do not have access to it.")
        return None

    # -- behaviours ------------------------------------------------------------------------------------

    def _perform(self, reply: Reply, endpoint: Endpoint, body: dict) -> None:
        kind = reply.kind
        if kind == "error":
            self._send_bytes(reply.status, reply.body, "application/json", reply.headers)
        elif kind == "garbage":
            self._send_bytes(reply.status, reply.body, reply.content_type)
        elif kind == "hang":
            self.fake._stopping.wait(reply.seconds)
            self.close_connection = True
        elif kind == "drop":
            self.close_connection = True
        elif kind == "embeddings" or endpoint == "embeddings":
            self._send_embeddings(body, reply.dimension or self.fake.dimension)
        elif kind == "sse":
            self._send_sse((f"data: {e}\n\n".encode() for e in reply.events), chunked=reply.chunked)
        elif kind == "half_stream":
            deltas = [c for c in self._chunks(body, replace(reply, finish_reason=None)) if c.startswith(b"data: {")]
            kept = deltas[: int(reply.role_chunk) + reply.keep]
            self._send_sse(iter(kept), chunked=reply.chunked, cut=True)
        else:  # text
            streaming = bool(body.get("stream")) if reply.stream is None else reply.stream
            if streaming:
                self._send_sse(self._chunks(body, reply), delay=reply.delay)
            else:
                self._send_json(200, self._completion(body, reply))

    def _completion(self, body: dict, reply: Reply) -> dict:
        prompt_tokens = _word_count(body.get("messages", []))
        completion_tokens = len(reply.content.split())
        return {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake-model"), "system_fingerprint": "fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content, "refusal": None},
                         "logprobs": None, "finish_reason": reply.finish_reason}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }

    def _chunks(self, body: dict, reply: Reply) -> Iterator[bytes]:
        """The SSE lines of a streamed completion, ending with ``data: [DONE]``."""
        model = body.get("model", "fake-model")
        created = int(time.time())

        def chunk(delta: dict, finish: str | None = None, choices: bool = True) -> bytes:
            payload = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
                       "model": model, "system_fingerprint": "fake",
                       "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
                       if choices else []}
            return f"data: {json.dumps(payload)}\n\n".encode()

        if reply.empty_choices_chunk:
            yield chunk({}, choices=False)
        if reply.role_chunk:
            yield chunk({"role": "assistant", "content": ""})
        for i, piece in enumerate(split_text(reply.content, reply.pieces)):
            if reply.gate is not None and i == reply.gate_after:
                if not reply.gate.wait(reply.gate_timeout):
                    with self.fake._lock:
                        self.fake.gate_timeouts += 1
            if reply.null_content_chunk and i == 1:
                yield chunk({"content": None})
            yield chunk({"content": piece})
        if reply.finish_reason is not None:
            yield chunk({}, reply.finish_reason)
        if reply.empty_choices_chunk:
            yield chunk({}, choices=False)
        yield b"data: [DONE]\n\n"

    def _send_embeddings(self, body: dict, dimension: int) -> None:
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs]
        base64_wanted = body.get("encoding_format") == "base64"
        data = []
        for i, text in enumerate(texts):
            vector = fake_vector(text, dimension)
            encoded: Any = (base64.b64encode(struct.pack(f"<{dimension}f", *vector)).decode()
                            if base64_wanted else vector)
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        tokens = sum(len(t.split()) for t in texts)
        self._send_json(200, {"object": "list", "data": data, "model": body.get("model", "fake-embedding"),
                              "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    # -- wire ------------------------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Any) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json")

    def _send_bytes(self, status: int, data: bytes, content_type: str,
                    extra: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_sse(self, lines: Iterator[bytes], *, chunked: bool = True, cut: bool = False,
                  delay: float = 0.0) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")  # the body ends when the connection does
            self.close_connection = True
        self.end_headers()
        try:
            for line in lines:
                if self.fake._stopping.is_set():
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line) if chunked else line)
                self.wfile.flush()
                if delay:
                    self.fake._stopping.wait(delay)
            if cut:
                self.close_connection = True  # no terminating chunk: the client sees the body cut short
            elif chunked:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (closed its stream): nothing to do
