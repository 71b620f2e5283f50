"""rag inside real LlamaIndex pipelines: our retriever in RetrieverQueryEngine and QueryFusionRetriever, our query
engine through query / aquery / streaming and as an agent tool, over the bundled index (real embeddings, real
Chroma, real BM25). LlamaIndex's MockLLM appears only where a LlamaIndex component insists on an LLM of its own;
every answer checked here is rag's."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from llama_index.core import SummaryIndex
from llama_index.core.base.response.schema import AsyncStreamingResponse, Response, StreamingResponse
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers.no_text import NoText
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import QueryEngineTool

from rag import Assistant
from rag.backends.base import ABSTAIN_TEXT
from rag.errors import ConfigError, NoIndexError, QuestionError
from rag.integrations.llama_index import RagQueryEngine, RagRetriever
from rag.loaders import load_document

from corpus_index import CORPUS, bundled_settings, shared_embedder
from test_assistant import CODE_SHARE, JOURNAL, PERU

pytestmark = pytest.mark.timeout(300)

CODE_SHARE_SENTENCE = "Claude now writes more than 80 percent of the code that gets merged into Anthropic's codebase."
MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def document_at(node: TextNode) -> str:
    """The extracted text of the document a node's metadata points at (read from its file_path)."""
    return load_document(Path(node.metadata["file_path"]), CORPUS, 50_000_000).text


def markers(text: str) -> set[int]:
    return {int(n) for group in MARKER.findall(text) for n in group.split(",")}


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    return Assistant(bundled_settings(), embedder=shared_embedder())


@pytest.fixture(scope="module")
def answered(assistant):
    """question -> our engine's (non-streaming) Response, each question answered once."""
    engine = RagQueryEngine(assistant)
    cache: dict[str, Response] = {}

    def get(question: str) -> Response:
        if question not in cache:
            cache[question] = engine.query(question)
        return cache[question]

    return get


# -- import cost ----------------------------------------------------------------------------------------------------

def test_import_rag_does_not_import_llama_index(tmp_path):
    probe = (
        "import json, sys\n"
        "import rag, rag.integrations, rag.assistant\n"
        "from rag import Assistant, Settings\n"
        "before = 'llama_index' in sys.modules\n"
        "import rag.integrations.llama_index\n"
        "print(json.dumps([before, 'llama_index' in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [False, True]


# -- the retriever --------------------------------------------------------------------------------------------------

def test_retriever_gives_our_passages_as_nodes_with_their_metadata(assistant):
    retriever = RagRetriever(assistant, top_k=4)
    nodes = retriever.retrieve(CODE_SHARE)
    ours = assistant.retrieve(CODE_SHARE, 4)

    assert len(nodes) == 4 and all(isinstance(n, NodeWithScore) and isinstance(n.node, TextNode) for n in nodes)
    # The same passages, in the same order, with the same fused scores: nothing re-ranked on the way.
    assert [(n.node.node_id, n.score) for n in nodes] == [(c.chunk_id, c.score) for c in ours]
    assert CODE_SHARE_SENTENCE in nodes[0].node.text
    for node, citation in zip(nodes, ours):
        meta = node.node.metadata
        assert meta["doc_id"] == citation.doc_id == node.node.ref_doc_id
        assert meta["title"] == citation.title and meta["chunk_id"] == citation.chunk_id
        assert Path(meta["file_path"]) == (CORPUS / citation.doc_id).resolve()
        assert (meta["start"], meta["end"]) == (node.node.start_char_idx, node.node.end_char_idx)
        # The offsets point at this very text in the document the file path names.
        assert document_at(node.node)[meta["start"] : meta["end"]] == node.node.text
        # What LlamaIndex shows its own LLM: the title and the text, not our bookkeeping.
        shown = node.node.get_content(metadata_mode=MetadataMode.LLM)
        assert citation.title in shown and citation.chunk_id not in shown and meta["file_path"] not in shown


async def test_aretrieve_gives_the_same_nodes(assistant):
    retriever = RagRetriever(assistant, top_k=3)
    nodes = await retriever.aretrieve(JOURNAL)
    assert [n.node.node_id for n in nodes] == [n.node.node_id for n in retriever.retrieve(JOURNAL)]
    assert "Nature" in nodes[0].node.text


def test_one_side_of_the_hybrid_can_be_asked_for(assistant):
    dense = RagRetriever(assistant, top_k=5, mode="dense").retrieve(CODE_SHARE)
    lexical = RagRetriever(assistant, top_k=5, mode="lexical").retrieve(CODE_SHARE)
    assert [n.node.node_id for n in dense] == [c.chunk_id for c in assistant.retrieve(CODE_SHARE, 5, mode="dense")]
    assert [n.node.node_id for n in lexical] == [c.chunk_id for c in assistant.retrieve(CODE_SHARE, 5, mode="lexical")]


def test_retriever_query_engine_over_our_retriever(assistant):
    """LlamaIndex's own query engine: our nodes reach its synthesizer, and its prompt carries their text."""
    retriever = RagRetriever(assistant, top_k=3)
    expected = [n.node.node_id for n in retriever.retrieve(CODE_SHARE)]

    # (get_response_synthesizer(response_mode="no_text") would build NoText without the llm it is given, and
    # NoText then asks Settings.llm for an OpenAI model: handed its placeholder directly instead.)
    no_text = RetrieverQueryEngine(retriever, response_synthesizer=NoText(llm=MockLLM()))
    response = no_text.query(CODE_SHARE)
    assert [n.node.node_id for n in response.source_nodes] == expected

    # MockLLM answers with the prompt it was given: what a real LLM would read from our passages.
    echo = RetrieverQueryEngine.from_args(retriever, llm=MockLLM(), response_mode="compact")
    prompt = str(echo.query(CODE_SHARE))
    assert CODE_SHARE_SENTENCE in prompt and CODE_SHARE in prompt
    assert "title: Anthropic Calls for Keeping the Option to Pause Frontier AI" in prompt
    assert "chunk_id" not in prompt and "file_path" not in prompt


def test_query_fusion_retriever_merges_ours_with_a_llamaindex_retriever(assistant):
    """Ours as one retriever among others: the dense and keyword sides fused by LlamaIndex's reciprocal rank
    (through our async path), beside a user's own LlamaIndex index. num_queries=1: no query is generated."""
    notes = SummaryIndex([TextNode(text="Team note: the quarterly review of the RSI reading list is on Friday.",
                                   id_="team-note")])
    fusion = QueryFusionRetriever(
        [RagRetriever(assistant, top_k=5, mode="dense"), RagRetriever(assistant, top_k=5, mode="lexical")],
        llm=MockLLM(), num_queries=1, mode="reciprocal_rerank", similarity_top_k=6, use_async=True,
    )
    fused = fusion.retrieve(CODE_SHARE)
    ids = [n.node.node_id for n in fused]
    assert len(ids) == len(set(ids))  # a passage both sides found is one node: same id, same hash
    both = {c.chunk_id for c in assistant.retrieve(CODE_SHARE, 5, mode="dense")} & {
        c.chunk_id for c in assistant.retrieve(CODE_SHARE, 5, mode="lexical")}
    assert both and both <= set(ids)
    assert CODE_SHARE_SENTENCE in fused[0].node.text

    mixed = QueryFusionRetriever([RagRetriever(assistant, top_k=3), notes.as_retriever()], llm=MockLLM(),
                                 num_queries=1, mode="simple", similarity_top_k=4, use_async=False)
    got = mixed.retrieve(CODE_SHARE)
    assert "team-note" in [n.node.node_id for n in got]
    assert {n.node.node_id for n in got} - {"team-note"} == {c.chunk_id for c in assistant.retrieve(CODE_SHARE, 3)}


# -- the query engine -----------------------------------------------------------------------------------------------

def test_query_gives_our_answer_with_cited_nodes_and_verified_sentences(assistant, answered):
    response = answered(CODE_SHARE)
    answer = assistant.ask(CODE_SHARE)

    assert isinstance(response, Response)
    assert response.response == answer.text and CODE_SHARE_SENTENCE in response.response
    meta = response.metadata
    assert meta["abstained"] is False
    # Per sentence: its text, the [n] it cites, and the judge's verdict.
    assert [(s["text"], s["citations"], s["verified"]) for s in meta["sentences"]] == [
        (s.text, list(s.citations), s.supported) for s in answer.sentences]
    assert all(s["verified"] for s in meta["sentences"])
    assert meta["sentences"][0]["text"] == CODE_SHARE_SENTENCE
    # source_nodes: exactly the cited passages, each carrying the [n] the text uses.
    numbers = [n.node.metadata["citation"] for n in response.source_nodes]
    assert numbers == [c["citation"] for c in meta["citations"]] and set(numbers) == markers(response.response)
    assert [n.node.node_id for n in response.source_nodes] == [c.chunk_id for c in answer.citations]
    assert meta["retrieved"] == assistant.settings.top_k
    json.dumps(meta)  # plain data: loggable, storable


def test_cited_nodes_point_at_the_sentence_the_answer_rests_on(answered):
    response = answered(CODE_SHARE)
    cited = response.source_nodes[0].node
    document = document_at(cited)
    meta = cited.metadata
    assert document[cited.start_char_idx : cited.end_char_idx] == cited.text
    assert meta["start"] <= meta["sentence_start"] < meta["sentence_end"] <= meta["end"]
    assert document[meta["sentence_start"] : meta["sentence_end"]] == meta["sentence"] == CODE_SHARE_SENTENCE
    spans = response.metadata["citations"][0]["supporting"]
    assert spans[0] == [meta["sentence_start"], meta["sentence_end"]]
    assert all(meta["start"] <= a < b <= meta["end"] for a, b in spans)


def test_unanswerable_question_abstains_clearly(answered):
    response = answered(PERU)
    assert response.metadata["abstained"] is True
    assert response.response == ABSTAIN_TEXT
    assert response.source_nodes == [] and response.metadata["sentences"] == [] and response.metadata["citations"] == []
    assert response.metadata["retrieved"] == 5  # passages were searched and shown; none answered


def test_streaming_query_streams_then_fills_sources_and_verification(assistant, answered):
    engine = RagQueryEngine(assistant, streaming=True)
    streamed = engine.query(JOURNAL)
    assert isinstance(streamed, StreamingResponse)
    assert streamed.source_nodes == [] and streamed.metadata == {}  # verified once the answer is complete
    pieces = list(streamed.response_gen)
    assert pieces and all(isinstance(p, str) for p in pieces)

    whole = answered(JOURNAL)
    assert "".join(pieces) == whole.response and "Nature" in whole.response
    assert [n.node.node_id for n in streamed.source_nodes] == [n.node.node_id for n in whole.source_nodes]
    assert {k: v for k, v in streamed.metadata.items() if k != "seconds"} == {
        k: v for k, v in whole.metadata.items() if k != "seconds"}
    # LlamaIndex's own helpers see the whole text though the stream was read directly.
    assert streamed.get_response().response == str(streamed) == whole.response
    again = engine.query(JOURNAL)
    assert again.get_response().response == whole.response and again.source_nodes  # read by LlamaIndex


async def test_aquery_and_async_streaming(assistant, answered):
    response = await RagQueryEngine(assistant).aquery(JOURNAL)
    assert isinstance(response, Response) and response.response == answered(JOURNAL).response

    streamed = await RagQueryEngine(assistant, streaming=True).aquery(QueryBundle(PERU))
    assert isinstance(streamed, AsyncStreamingResponse)
    pieces = [piece async for piece in streamed.async_response_gen()]
    assert "".join(pieces) == ABSTAIN_TEXT
    assert streamed.metadata["abstained"] is True and streamed.source_nodes == []
    assert (await streamed.get_response()).response == ABSTAIN_TEXT

    direct = await RagQueryEngine(assistant, streaming=True).aquery(JOURNAL)
    assert "".join([piece async for piece in direct.response_gen]) == answered(JOURNAL).response
    assert (await direct.get_response()).response == answered(JOURNAL).response and direct.source_nodes


async def test_engine_as_an_agent_tool(assistant):
    tool = QueryEngineTool.from_defaults(RagQueryEngine(assistant), name="corpus",
                                         description="Answers questions from the company research notes.")
    output = tool.call(input=CODE_SHARE)
    assert CODE_SHARE_SENTENCE in output.content and output.raw_output.metadata["abstained"] is False
    output = await tool.acall(input=PERU)
    assert output.content == ABSTAIN_TEXT and output.raw_output.metadata["abstained"] is True


def test_engine_retrieve_is_what_the_answerer_was_shown(assistant):
    engine = RagQueryEngine(assistant, top_k=3)
    shown = [n.node.node_id for n in engine.retrieve(QueryBundle(CODE_SHARE))]
    assert shown == [c.chunk_id for c in assistant.retrieve(CODE_SHARE, 3)]


# -- a generated answer: verification as LlamaIndex sees it ---------------------------------------------------------

_SOURCE = re.compile(r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', re.DOTALL)


def _citing_the_code_share_passage(body: dict):
    """A model that quotes the passage holding the 80 percent figure, then adds a claim no source makes."""
    from fake_openai import Reply

    number = next(n for n, text in _SOURCE.findall(body["messages"][-1]["content"]) if "80 percent" in text)
    return Reply.text(f"{CODE_SHARE_SENTENCE[:-1]} [{number}]. Claude was first trained on the Moon in 1850 "
                      f"[{number}].", pieces=6)


@pytest.mark.parametrize("strict", [False, True])
def test_generated_answer_carries_each_sentences_verdict(strict):
    from fake_openai import FakeOpenAI

    with FakeOpenAI() as server:
        server.default_chat = _citing_the_code_share_passage
        settings = bundled_settings(llm="openai", openai_base_url=server.base_url, openai_api_key="test",
                                    openai_max_retries=0, openai_timeout=10, strict=strict)
        streamed = RagQueryEngine(Assistant(settings, embedder=shared_embedder()), streaming=True).query(CODE_SHARE)
        pieces = list(streamed.response_gen)
    meta = streamed.metadata
    assert meta["abstained"] is False and meta["backend"] == "openai"
    n = streamed.source_nodes[0].node.metadata["citation"]
    if strict:  # only verified sentences are shown; the other is reported as withheld
        assert [(s["text"], s["verified"]) for s in meta["sentences"]] == [(CODE_SHARE_SENTENCE, True)]
        assert [s["text"] for s in meta["withheld"]] == ["Claude was first trained on the Moon in 1850."]
        assert "Moon" not in "".join(pieces)
    else:  # the model's text as written, as it streamed; the unsupported sentence is flagged
        assert len(pieces) > 1 and "Moon" in "".join(pieces)
        assert [(s["text"], s["citations"], s["verified"]) for s in meta["sentences"]] == [
            (CODE_SHARE_SENTENCE, [n], True), ("Claude was first trained on the Moon in 1850.", [n], False)]
    assert len(streamed.source_nodes) == 1 and CODE_SHARE_SENTENCE in streamed.source_nodes[0].node.text


# -- bad input ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("streaming", [False, True])
def test_empty_question_is_rejected_by_query_itself(assistant, streaming):
    with pytest.raises(QuestionError, match="empty"):
        RagQueryEngine(assistant, streaming=streaming).query("   ")


def test_bad_top_k_is_rejected_when_built(assistant):
    with pytest.raises(ConfigError, match="top_k"):
        RagRetriever(assistant, top_k=0)
    with pytest.raises(ConfigError, match="top_k"):
        RagQueryEngine(assistant, top_k=500)
    with pytest.raises(TypeError, match="Assistant or Settings"):
        RagRetriever("corpus")  # type: ignore[arg-type]


def test_built_from_settings_with_no_index_says_what_to_do(tmp_path):
    from rag import Settings

    retriever = RagRetriever(Settings(corpus_dir=tmp_path, index_dir=tmp_path / "index"))
    with pytest.raises(NoIndexError, match="rag ingest"):
        retriever.retrieve("Who co-founded Sakana AI?")
