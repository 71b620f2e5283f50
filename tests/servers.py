"""Real servers the tests start: wait until one answers, and stop it however it was left."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from pathlib import Path


def wait_until_serving(server: subprocess.Popen, url: str, log: Path, seconds: float, what: str) -> None:
    """Return once ``url`` answers; fail with the server's log if it exits, or if ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        assert server.poll() is None, log.read_text(errors="replace")[-2000:]
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            assert time.monotonic() < deadline, f"{what} did not answer within {seconds:g} s"
            time.sleep(0.2)


def stop(server: subprocess.Popen, grace: float = 15) -> None:
    """Terminate (waking it first, should a test have stopped it with SIGSTOP); kill if it lingers."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGCONT)
    server.terminate()
    try:
        server.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
