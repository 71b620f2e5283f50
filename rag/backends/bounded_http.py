"""An HTTP client for the ``openai`` library whose requests end at a deadline, however the server trickles.

httpx's timeouts bound each socket operation, not a request: a server that sends its headers a byte
every two seconds, or a stream of ``: keep-alive`` comments and never a token, resets the read timeout
with every byte and holds the caller for ever. Here every read of a socket is also cut at the deadline
of the request in flight on that thread (:class:`Deadline`), and the error names the bound that was hit.

The client reads on the thread that iterates the stream, so a thread-local deadline is the request's.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    import httpx2


class Deadline(threading.local):
    """The bounds of the request in flight on this thread: the whole request, and the current wait
    (for the first token, or for the next one). A read is cut at whichever ends first."""

    total: float | None = None
    total_seconds: float = 0.0
    wait: float | None = None
    wait_name: str = ""
    wait_seconds: float = 0.0

    @property
    def until(self) -> float | None:
        ends = [t for t in (self.total, self.wait) if t is not None]
        return min(ends) if ends else None

    @contextmanager
    def request(self, seconds: float) -> Iterator["Deadline"]:
        """Bound everything read on this thread inside the block to ``seconds`` in all."""
        self.total, self.total_seconds = time.monotonic() + seconds, seconds
        self.wait = None
        try:
            yield self
        finally:
            self.total = self.wait = None

    def expect(self, name: str, seconds: float) -> None:
        """The next read must bring something within ``seconds`` ('first token', 'next token')."""
        self.wait, self.wait_name, self.wait_seconds = time.monotonic() + seconds, name, seconds

    def hit(self) -> str | None:
        """Which bound has passed, in words, or None."""
        now = time.monotonic() + 0.05  # a read cut at the deadline returns a hair before it
        if self.total is not None and now >= self.total and (self.wait is None or self.total <= self.wait):
            return f"the whole answer took longer than {self.total_seconds:g}s (RAG_OPENAI_TOTAL_TIMEOUT)"
        if self.wait is not None and now >= self.wait:
            return f"no {self.wait_name} within {self.wait_seconds:g}s (RAG_OPENAI_TIMEOUT)"
        return None


def _wrap_stream(stream: Any, deadline: Deadline) -> Any:
    import httpcore2

    class DeadlineStream(httpcore2.NetworkStream):
        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            if deadline.until is not None:
                remaining = deadline.until - time.monotonic()
                if remaining <= 0:
                    raise httpcore2.ReadTimeout(deadline.hit() or "deadline passed")
                timeout = remaining if timeout is None else min(timeout, remaining)
            return stream.read(max_bytes, timeout)

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            stream.write(buffer, timeout)

        def close(self) -> None:
            stream.close()

        def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                      timeout: float | None = None) -> Any:
            return _wrap_stream(stream.start_tls(ssl_context, server_hostname, timeout), deadline)

        def get_extra_info(self, info: str) -> Any:
            return stream.get_extra_info(info)

    return DeadlineStream()


def bounded_client(deadline: Deadline, timeout: float) -> "httpx2.Client":
    """An ``httpx2.Client`` (what ``openai`` uses) whose sockets honour ``deadline``."""
    import httpcore2
    import httpx2

    class DeadlineBackend(httpcore2.SyncBackend):
        def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
            return _wrap_stream(super().connect_tcp(*args, **kwargs), deadline)

        def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:
            return _wrap_stream(super().connect_unix_socket(*args, **kwargs), deadline)

    transport = httpx2.HTTPTransport()
    if isinstance(transport._pool, httpcore2.ConnectionPool):
        # httpx2 takes no network backend of its own; the pool is rebuilt with one (proxies keep theirs,
        # and with them only the per-read timeout).
        transport._pool = httpcore2.ConnectionPool(ssl_context=transport._pool._ssl_context,
                                                   network_backend=DeadlineBackend())
    return httpx2.Client(transport=transport, timeout=timeout, follow_redirects=True)
