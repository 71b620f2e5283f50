"""One place that builds the official ``openai`` client from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    import openai
    from pydantic import SecretStr

    from ..config import Settings


def make_client(settings: "Settings", base_url: str | None = None, api_key: "SecretStr | None" = None) -> "openai.OpenAI":
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
    )
