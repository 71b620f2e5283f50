"""One place that builds the official ``openai`` client from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from .bounded_http import Deadline, bounded_client

if TYPE_CHECKING:
    import openai
    from pydantic import SecretStr

    from ..config import Settings


def make_client(
    settings: "Settings", base_url: str | None = None, api_key: "SecretStr | None" = None,
    deadline: "Deadline | None" = None,
) -> "openai.OpenAI":
    """``deadline``: when given, every read of the client's sockets is also cut at its bounds (see
    bounded_http), so the caller can bound a whole request and the waits between tokens."""
    import openai

    base_url = base_url or settings.openai_base_url
    key = api_key or settings.openai_api_key
    if key is None:
        if base_url is None:
            raise ConfigError(
                "no API key for the OpenAI endpoint: set OPENAI_API_KEY (or RAG_OPENAI_BASE_URL for a local server), "
                "or use the offline answerer with --backend extractive"
            )
        key_text = "not-needed"  # local servers (vLLM, Ollama, llama.cpp) accept any key
    else:
        key_text = key.get_secret_value()
    return openai.OpenAI(
        base_url=base_url,
        api_key=key_text,
        timeout=settings.openai_timeout,
        max_retries=settings.openai_max_retries,
        http_client=bounded_client(deadline, settings.openai_timeout) if deadline is not None else None,
    )
