"""rag inside LlamaIndex pipelines: the hybrid retriever as a ``BaseRetriever``, and the cited, verified answers
as a ``BaseQueryEngine``.

    from rag import Settings
    from rag.integrations.llama_index import RagQueryEngine, RagRetriever

    retriever = RagRetriever(Settings(corpus_dir="corpus", index_dir=".rag"), top_k=5)
    nodes = retriever.retrieve("Who co-founded Sakana AI?")        # NodeWithScore, best first

    engine = RagQueryEngine(retriever.assistant)                    # shares the loaded models and index
    response = engine.query("Who co-founded Sakana AI?")
    response.response, response.source_nodes, response.metadata["sentences"]

Importing this module imports llama-index-core (a dependency of rag already); ``import rag`` does not.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import AsyncStreamingResponse, Response, StreamingResponse
from llama_index.core.callbacks.base import CallbackManager
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from ..assistant import Assistant
from ..config import Settings
from ..models import Answer, Citation

if TYPE_CHECKING:
    from ..retrieve import Mode

__all__ = ["RagQueryEngine", "RagRetriever", "answer_metadata", "citation_node"]

# Node metadata an LLM or an embedding model has no use for (LlamaIndex prints metadata above a node's text).
_BOOKKEEPING = ["file_path", "start", "end", "chunk_id", "citation", "sentence", "sentence_start", "sentence_end"]


def _assistant_of(source: Assistant | Settings | None) -> Assistant:
    if isinstance(source, Assistant):
        return source
    if source is None or isinstance(source, Settings):
        return Assistant(source)
    raise TypeError(f"expected a rag Assistant or Settings, got {type(source).__name__}")


def citation_node(citation: Citation, corpus_dir: Path, *, cited: bool = False) -> NodeWithScore:
    """One passage as a LlamaIndex node: its id is the chunk id, its offsets those of the document's extracted text.

    Metadata holds nothing that varies with the question (no rank, no score), so that the same passage found by
    two retrievers is the same node to LlamaIndex (fusion retrievers merge nodes by ``node.hash``). A ``cited``
    passage also carries its [n] (``citation``) and the sentence the answer rests on, with that sentence's offsets.
    """
    metadata: dict[str, Any] = {
        "doc_id": citation.doc_id, "title": citation.title, "file_path": str(corpus_dir / citation.doc_id),
        "start": citation.start, "end": citation.end, "chunk_id": citation.chunk_id,
    }
    if cited:
        metadata |= {"citation": citation.number, "sentence": citation.sentence,
                     "sentence_start": citation.sentence_start, "sentence_end": citation.sentence_end}
    node = TextNode(
        id_=citation.chunk_id or f"{citation.doc_id}:{citation.start}", text=citation.text, metadata=metadata,
        start_char_idx=citation.start, end_char_idx=citation.end,
        excluded_llm_metadata_keys=list(_BOOKKEEPING), excluded_embed_metadata_keys=list(_BOOKKEEPING),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=citation.doc_id)},
    )
    return NodeWithScore(node=node, score=citation.score)


def answer_metadata(answer: Answer) -> dict[str, Any]:
    """What LlamaIndex's ``Response.metadata`` carries of an Answer: plain data (JSON-ready).

    ``sentences``: each answer sentence with the [n] it cites and whether the judge found those passages support
    it (``verified``). ``citations``: each cited passage with the sentence(s) it supports the answer with, as
    document offsets. ``abstained``: the documents do not answer (the text says so, and nothing is cited).
    """
    return {
        "abstained": answer.abstained,
        "sentences": [{"text": s.text, "citations": list(s.citations), "verified": s.supported, "score": s.score}
                      for s in answer.sentences],
        "citations": [{"citation": c.number, "doc_id": c.doc_id, "title": c.title, "chunk_id": c.chunk_id,
                       "start": c.start, "end": c.end, "sentence": c.sentence, "sentence_start": c.sentence_start,
                       "sentence_end": c.sentence_end, "supporting": [list(span) for span in c.supporting]}
                      for c in answer.citations],
        "withheld": [{"text": s.text, "citations": list(s.citations), "reason": s.reason} for s in answer.withheld],
        "removed_citations": list(answer.removed_citations),
        "retrieved": len(answer.sources),
        "notice": answer.notice,
        "backend": answer.backend,
        "model": answer.model,
        "seconds": answer.seconds,
    }


class RagRetriever(BaseRetriever):
    """rag's hybrid retrieval (dense + BM25, fused by reciprocal rank) as a LlamaIndex retriever.

    ``source``: an Assistant (its loaded models and open index are shared), Settings, or None for
    ``Settings()`` (defaults and ``RAG_*`` variables). ``mode`` 'dense' or 'lexical' uses one side only.
    """

    def __init__(
        self, source: Assistant | Settings | None = None, *, top_k: int | None = None, mode: "Mode" = "hybrid",
        callback_manager: CallbackManager | None = None, verbose: bool = False,
    ) -> None:
        self.assistant = _assistant_of(source)
        self.top_k = self.assistant._check_top_k(top_k)  # a bad value fails here, not at the first question
        self.mode = mode
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        corpus_dir = self.assistant.settings.corpus_dir.resolve()
        found = self.assistant.retrieve(query_bundle.query_str, self.top_k, mode=self.mode)
        return [citation_node(c, corpus_dir) for c in found]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # Embedding the question and searching are blocking work: off the event loop.
        return await asyncio.to_thread(self._retrieve, query_bundle)


class RagQueryEngine(BaseQueryEngine):
    """rag's answers as a LlamaIndex query engine: the text with its [n] markers, the cited passages as
    ``source_nodes`` (``metadata["citation"]`` is the n), and the verification in ``metadata`` (see
    ``answer_metadata``). An abstention is ``metadata["abstained"] is True`` with no source nodes.

    ``streaming=True``: ``query`` returns a StreamingResponse and ``aquery`` an AsyncStreamingResponse, as
    LlamaIndex's own engines do; their ``source_nodes`` and ``metadata`` are filled when the stream ends,
    because the citations are verified against the finished answer. ``backend``: the rag answerer
    ('extractive', 'openai'; default: settings.llm). LlamaIndex's ``Settings.llm`` is never used.
    """

    def __init__(
        self, source: Assistant | Settings | None = None, *, backend: str | None = None, top_k: int | None = None,
        streaming: bool = False, callback_manager: CallbackManager | None = None,
    ) -> None:
        self.assistant = _assistant_of(source)
        self.backend = backend
        self.top_k = self.assistant._check_top_k(top_k)
        self.streaming = streaming
        super().__init__(callback_manager=callback_manager)

    @property
    def retriever(self) -> RagRetriever:
        """The same retrieval as a LlamaIndex retriever (what ``query`` shows the answerer)."""
        return RagRetriever(self.assistant, top_k=self.top_k, callback_manager=self.callback_manager)

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.retriever.retrieve(query_bundle)

    def _get_prompt_modules(self) -> PromptMixinType:
        return {}  # rag's answerers keep their own prompts

    def _response(self, answer: Answer) -> Response:
        corpus_dir = self.assistant.settings.corpus_dir.resolve()
        return Response(answer.text, [citation_node(c, corpus_dir, cited=True) for c in answer.citations],
                        answer_metadata(answer))

    def _finish(self, answer: Answer, streamed: StreamingResponse | AsyncStreamingResponse) -> None:
        """Fill a streaming response's sources and metadata; its text too, so that ``get_response()`` and
        ``str()`` still give the answer after someone read ``response_gen`` directly."""
        final = self._response(answer)
        streamed.source_nodes.extend(final.source_nodes)
        assert streamed.metadata is not None
        streamed.metadata.update(final.metadata or {})
        streamed.response_txt = answer.text

    def _query(self, query_bundle: QueryBundle) -> Response | StreamingResponse:
        events = self.assistant.stream(query_bundle.query_str, backend=self.backend, top_k=self.top_k)
        if not self.streaming:
            *_, answer = events
            return self._response(answer)
        # The first event comes after retrieval: an empty question, a missing index or a failing endpoint is
        # raised by query() itself, not later by whoever reads the stream.
        first = next(events)
        streamed = StreamingResponse(iter(()), source_nodes=[], metadata={})

        def text() -> Iterator[str]:
            event = first
            while not isinstance(event, Answer):
                yield event.text
                event = next(events)
            self._finish(event, streamed)

        streamed.response_gen = text()
        return streamed

    async def _aquery(self, query_bundle: QueryBundle) -> Response | AsyncStreamingResponse:
        events = self.assistant.astream(query_bundle.query_str, backend=self.backend, top_k=self.top_k)
        if not self.streaming:
            answer = None
            async for answer in events:
                pass
            assert isinstance(answer, Answer)
            return self._response(answer)
        first = await anext(events)
        streamed = AsyncStreamingResponse(_nothing(), source_nodes=[], metadata={})

        async def text() -> AsyncIterator[str]:
            event = first
            while not isinstance(event, Answer):
                yield event.text
                event = await anext(events)
            self._finish(event, streamed)

        streamed.response_gen = text()
        return streamed


async def _nothing() -> AsyncIterator[str]:
    """A placeholder stream, replaced as soon as the response that holds it exists."""
    return
    yield
