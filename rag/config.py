"""Settings: one object, read once (from arguments, then ``RAG_*`` variables, then ``.env``) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FIELDS = ("openai_api_key", "embedding_api_key")


def mask_secret(secret: str) -> str:
    """Enough of a key to tell two apart, never enough to use."""
    return "****" + secret[-4:] if len(secret) >= 16 else "****"


class Settings(BaseSettings):
    """Everything the assistant can be told. Each field is also an environment variable: ``RAG_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # Where things are.
    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to index (searched recursively).")
    index_dir: Path = Field(Path(".rag"), description="Where the index, its lock and the chat history live.")

    # Chunking, measured in the embedding model's own word pieces.
    chunk_size: int = Field(200, ge=32, le=8192, description="Word pieces per chunk; never above the model's window.")
    chunk_overlap: int = Field(30, ge=0, description="Word pieces shared by consecutive chunks.")
    # Ingest streams a file through chunking and embedding, so memory grows with its text only (bench/memory.py:
    # a 100 MB text file peaks at about 1.6 GB with the model loaded); the limit keeps a stray dump out.
    max_file_mb: float = Field(200.0, gt=0, description="Files larger than this are skipped with a warning.")

    # Embeddings.
    embedding_backend: Literal["local", "openai"] = Field(
        "local", description="'local': all-MiniLM-L6-v2 shipped by a PyPI package, offline. 'openai': any OpenAI-compatible /embeddings endpoint."
    )
    embedding_model: str = Field(
        "all-MiniLM-L6-v2", description="Embedding model id (for 'openai', e.g. text-embedding-3-small)."
    )
    model_runtime: Literal["onnx", "torch"] = Field(
        "onnx", description="Runtime of the local models (embedder, cross-encoder): 'onnx' (onnxruntime: loads in a "
        "fraction of a second, no torch) or 'torch' (sentence-transformers and transformers: seconds to load). "
        "Both give the same vectors and scores.",
    )
    embedding_batch_size: int = Field(64, ge=1, description="Texts embedded per batch.")
    embedding_base_url: str | None = Field(None, description="Embeddings endpoint; defaults to openai_base_url.")
    embedding_api_key: SecretStr | None = Field(None, description="Embeddings key; defaults to openai_api_key.")

    # Vector store.
    chroma_host: str | None = Field(None, description="Chroma server host; unset means embedded Chroma in index_dir.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_timeout: float = Field(10.0, gt=0, description="Seconds to wait for a Chroma server to answer.")
    collection: str = Field("corpus", description="Chroma collection name.")

    # Retrieval and answering.
    top_k: int = Field(5, ge=1, le=50, description="Passages shown to the answerer.")
    llm: str = Field(
        "extractive", description="Answerer: 'extractive' (offline, quotes the sources) or 'openai' (any compatible endpoint)."
    )
    strict: bool = Field(
        True, description="Generated answers show only sentences that the judge finds supported by their citations; "
        "the rest are withheld (answer.withheld). Off: the model's text as written, unsupported sentences flagged.")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are rejected with a message.")

    # OpenAI-compatible generation (OpenAI, vLLM, Ollama, llama.cpp server).
    openai_base_url: str | None = Field(None, description="Endpoint, e.g. http://127.0.0.1:11434/v1; unset means api.openai.com.")
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("openai_api_key", "RAG_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key (also read from OPENAI_API_KEY).",
    )
    openai_model: str = Field("gpt-4o-mini", description="Chat model name.")
    openai_max_tokens: int = Field(
        400, ge=16, le=32768, description="Longest answer the model may write (small models can run on and on).")
    openai_evidence: Literal["sentences", "passages"] = Field(
        "sentences", description="What the model reads: 'sentences', the best sentences of the retrieved passages "
        "(by the learned reader; short prompts), or 'passages', the passages whole.")
    openai_evidence_sentences: int = Field(10, ge=1, le=100, description="How many sentences, for 'sentences'.")
    openai_output: Literal["auto", "json", "text"] = Field(
        "auto", description="How the model writes citations: 'json', sentences each with their source numbers "
        "(a JSON schema the server enforces: llama.cpp, vLLM, OpenAI); 'text', [n] markers in prose; "
        "'auto', JSON unless the server rejects the schema.")
    local_model: str = Field(
        "qwen2.5-coder-0.5b", description="Model of the 'local' answerer (llama.cpp in this process): `rag llm list`.")
    local_threads: int | None = Field(None, ge=1, le=256, description="CPU threads for it (default: all cores).")
    openai_timeout: float = Field(
        30.0, gt=0, description="Seconds to wait for the server: to connect, for the first token, between tokens.")
    openai_total_timeout: float = Field(
        180.0, gt=0, description="Seconds for a whole request, first byte to last, however the server trickles.")
    openai_max_retries: int = Field(2, ge=0, le=10, description="Retries (with backoff) on timeouts, 429 and 5xx.")

    # Evaluation.
    judge: Literal["combined", "heuristic", "llm"] = Field(
        "combined", description="Support judge for citations and evaluation: 'combined' (checks + the project's own "
        "entailment model, offline), 'heuristic' (checks only) or 'llm' (the OpenAI-compatible endpoint)."
    )

    @field_validator("llm")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        from .backends import BACKENDS

        if value not in BACKENDS:
            raise ValueError(f"unknown backend '{value}': choose one of {', '.join(BACKENDS)}")
        return value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> "Settings":
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    @property
    def chroma_mode(self) -> str:
        return f"server {self.chroma_host}:{self.chroma_port}" if self.chroma_host else "embedded"

    def masked(self) -> dict[str, object]:
        """The effective settings as plain values, secrets replaced by a mask."""
        out: dict[str, object] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in SECRET_FIELDS:
                value = None if value is None else mask_secret(value.get_secret_value())
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        return out
