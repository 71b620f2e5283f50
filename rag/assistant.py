"""The public face of the library: ingest a corpus, ask questions, get cited and verified answers."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, AsyncIterator, Callable, Generator, Iterator

from .config import Settings
from .errors import ConfigError, NoIndexError, QuestionError
from .models import Answer, Citation, IndexStatus, IngestReport, TextDelta

if TYPE_CHECKING:
    from .backends.base import Answerer
    from .embeddings import Embedder
    from .files import FileStatusReport
    from .judge import Judge
    from .learned.cross_encoder import CrossEncoder
    from .reader import Reader
    from .retrieve import HybridRetriever, Mode
    from .store import VectorStore
    from .watch import FileChange

Event = TextDelta | Answer


class Assistant:
    """Question answering over one corpus. Heavy parts (model, index) load on first use.

    >>> assistant = Assistant(Settings(corpus_dir="docs", index_dir=".rag"))
    >>> assistant.ingest()
    >>> answer = assistant.ask("Who co-founded Sakana AI?")
    """

    def __init__(self, settings: Settings | None = None, *, embedder: "Embedder | None" = None) -> None:
        """``embedder`` lets several assistants share one loaded model (it must match the settings)."""
        self.settings = settings if settings is not None else Settings()
        self._lock = threading.RLock()
        self._embedder: Embedder | None = embedder
        self._answer_embedder: Embedder | None = None
        self._judge: Judge | None = None
        self._cross_encoder: CrossEncoder | None = None
        self._reader: Reader | None = None
        self._retriever: HybridRetriever | None = None
        self._retriever_stamp: int | None = None
        self._answerers: dict[str, Answerer] = {}

    # Parts -------------------------------------------------------------------------------------
    @property
    def embedder(self) -> "Embedder":
        with self._lock:
            if self._embedder is None:
                from .embeddings import make_embedder

                self._embedder = make_embedder(self.settings)
            return self._embedder

    @property
    def answer_embedder(self) -> "Embedder":
        """The embedder of the answer path (answerers, judge): it remembers passages' sentences it has seen."""
        with self._lock:
            if self._answer_embedder is None:
                from .embeddings import CachedEmbedder

                self._answer_embedder = CachedEmbedder(self.embedder)
            return self._answer_embedder

    @property
    def cross_encoder(self) -> "CrossEncoder":
        """The project's own cross-encoder (rag/weights): the reader and the combined judge share it."""
        with self._lock:
            if self._cross_encoder is None:
                from .learned.cross_encoder import CrossEncoder

                self._cross_encoder = CrossEncoder(runtime=self.settings.model_runtime)
            return self._cross_encoder

    @property
    def reader(self) -> "Reader":
        """Ranks the sentences of retrieved passages: the offline answer, and the evidence a model is shown."""
        with self._lock:
            if self._reader is None:
                from .reader import Reader

                self._reader = Reader(self.answer_embedder, self.cross_encoder)
            return self._reader

    @property
    def judge(self) -> "Judge":
        """The support judge used to verify citations (and by the evaluation harness)."""
        with self._lock:
            if self._judge is None:
                from .judge import make_judge

                local = self.settings.judge in ("combined", "heuristic")
                self._judge = make_judge(
                    self.settings, self.answer_embedder if local else None, lambda: self.cross_encoder
                )
            return self._judge

    def warm(self) -> None:
        """Load now what the first question would wait for: the models, the answerer and (if there is one) the
        index. The chat calls this in the background at start-up; calling it again costs nothing."""
        from .errors import NoIndexError

        # A runtime's first runs allocate their buffers and start its worker threads: one small batch, and one
        # large enough to be shared out over the cores as a reader's sentences are.
        self.embedder.embed(["warm-up"])
        self.embedder.embed([f"warm-up {i} " + "word " * 400 for i in range(2)])
        self.answerer()
        self.judge  # noqa: B018 - built on first use
        if self._cross_encoder is not None:  # the reader or the combined judge uses it
            self._cross_encoder.score("question", [(f"warm-up {i}", "warm-up") for i in range(2)])
        try:
            self.retriever.retrieve("warm-up", 1)  # opens the store and the keyword index, reads the vectors
        except NoIndexError:
            pass  # nothing to search yet: ingest builds it

    def _store(self, create: bool, settings: Settings | None = None) -> "VectorStore":
        from .store import VectorStore

        embedder = self.embedder
        return VectorStore(settings or self.settings, embedder.model_id, embedder.dimension, create=create)

    def index_stamp(self) -> int | None:
        """A value that changes whenever an ingest (here or in another process) finishes writing the index."""
        from .ingest import state_path

        try:
            return state_path(self.settings.index_dir).stat().st_mtime_ns
        except OSError:
            return None

    def _require_index(self) -> None:
        """Fail before any model loads when there is nothing to search."""
        from .ingest import ingest_activity, read_state

        if not read_state(self.settings.index_dir) and not self.settings.chroma_host:
            if ingest_activity(self.settings.index_dir, {}).running:
                raise NoIndexError(f"`rag ingest` is building the first index in {self.settings.index_dir}: "
                                   "ask again when it finishes")
            raise NoIndexError(f"no index in {self.settings.index_dir}: run `rag ingest` first")

    def index_notice(self) -> str | None:
        """One line when the index is being written by an ingest now, or the last ingest did not finish."""
        from .ingest import ingest_activity, read_state

        state = read_state(self.settings.index_dir)
        return ingest_activity(self.settings.index_dir, state).notice(state.get("last_ingest"))

    @property
    def retriever(self) -> "HybridRetriever":
        """The hybrid retriever over the current index, reloaded when an ingest has changed the index since."""
        with self._lock:
            stamp = self.index_stamp()
            if self._retriever is None or stamp != self._retriever_stamp:
                from .lexical import LexicalIndex
                from .retrieve import HybridRetriever

                from .ingest import read_state

                self._require_index()
                complete = read_state(self.settings.index_dir).get("ingest_complete") is True
                store = self._store(create=False)
                lexical = LexicalIndex.load_or_rebuild(self.settings.index_dir, store, complete=complete)
                # While an ingest is writing (or after one that died), the store holds chunks of two states; the
                # keyword index names exactly the chunks of the last complete one, so only those are answered from.
                allowed = frozenset(lexical.ids) if lexical is not None and not complete else None
                self._retriever = HybridRetriever(store, lexical, self.embedder, allowed=allowed)
                self._retriever_stamp = stamp
            return self._retriever

    def answerer(self, name: str | None = None) -> "Answerer":
        """The answerer called ``name`` (default: settings.llm), built once and kept."""
        from .backends import BACKENDS

        name = name or self.settings.llm
        with self._lock:
            if name not in self._answerers:
                backend = BACKENDS.get(name)
                if backend is None:
                    raise ConfigError(f"unknown backend '{name}': choose one of {', '.join(BACKENDS)}")
                self._answerers[name] = backend.build(self.settings, self)
            return self._answerers[name]

    # Index ---------------------------------------------------------------------------------------
    def ingest(
        self, progress: Callable[[int, int, str], None] | None = None, *, rebuild: bool = False,
        warn: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Bring the index in step with the corpus folder; only new or changed text is embedded.

        The model loads only once the writer lock is held and the corpus folder has documents, so that
        a busy index or a wrong folder is reported at once.
        """
        from . import ingest as ingest_module

        with self._lock:
            self._retriever = None
            return ingest_module.ingest(
                self.settings, lambda: self.embedder, lambda s: self._store(create=True, settings=s), model_id=self._model_id(),
                rebuild=rebuild,
                progress=progress, warn=warn,
            )

    def _model_id(self) -> str:
        """The embedding model this assistant uses, known without loading it."""
        if self._embedder is not None:
            return self._embedder.model_id
        from .embeddings import LOCAL_MODEL_ID

        return LOCAL_MODEL_ID if self.settings.embedding_backend == "local" else self.settings.embedding_model

    def status(self) -> IndexStatus:
        """What the index holds, read from the store itself; needs no model, so it answers at once."""
        from .ingest import read_state
        from .store import VectorStore

        state = read_state(self.settings.index_dir)
        described = VectorStore.describe(self.settings)
        chunks, meta = described if described is not None else (0, {})
        model = meta.get("embedding_model") or state.get("embedding_model") or self.settings.embedding_model
        return IndexStatus(
            location=str(self.settings.index_dir.resolve()), chroma=self.settings.chroma_mode,
            collection=self.settings.collection, documents=int(state.get("documents", 0)) if chunks else 0,
            chunks=chunks, embedding_model=str(model), dimension=meta.get("dimension"),
            last_ingest=state.get("last_ingest"), corpus=state.get("corpus_dir") if chunks else None,
        )

    def file_status(self) -> "FileStatusReport":
        """Every file of the corpus and what the last ingest made of it (indexed, skipped and why, ...), with the
        files changed, added or deleted since; one stat per file, nothing read, no model loaded."""
        from .files import file_status

        return file_status(self.settings)

    def watch(
        self, on_change: "Callable[[FileChange], None]", *, on_notice: Callable[[str], None] | None = None,
        on_ingest: Callable[[IngestReport], None] | None = None, stop: threading.Event | None = None,
        progress: Callable[[int, int, str], None] | None = None, debounce_ms: int = 2000, quiet_ms: int = 300,
        retry_seconds: float = 2.0,
    ) -> int:
        """Ingest, then follow the corpus folder and re-ingest what changes until ``stop`` is set; returns the
        number of ingests made. One ``on_change`` per file an ingest added, changed, removed or skipped; one
        ``on_notice`` line for the rest (waiting for a busy index, ...). See rag.watch."""
        from .watch import watch

        return watch(self, on_change=on_change, on_notice=on_notice or (lambda message: None), on_ingest=on_ingest,
                     stop=stop, progress=progress, debounce_ms=debounce_ms, quiet_ms=quiet_ms,
                     retry_seconds=retry_seconds)

    # Questions -----------------------------------------------------------------------------------
    def _check(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QuestionError("the question is empty: type a question about your documents")
        question = question.strip()
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(question):,} characters; the limit is {self.settings.max_question_chars:,} "
                "(RAG_MAX_QUESTION_CHARS): shorten it"
            )
        return question

    def _check_top_k(self, top_k: int | None) -> int:
        if top_k is None:
            return self.settings.top_k
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 50:
            raise ConfigError(f"top_k is {top_k!r}; it must be a whole number from 1 to 50")
        return top_k

    def retrieve(self, question: str, top_k: int | None = None, *, mode: "Mode" = "hybrid") -> list[Citation]:
        """The passages that would be shown to the answerer, best first. ``mode`` 'dense' or 'lexical'
        uses one side of the hybrid only, for comparison."""
        from .guard import strip_instructions

        question = self._check(question)
        top_k = self._check_top_k(top_k)
        if mode not in ("hybrid", "dense", "lexical"):
            raise ConfigError(f"unknown retrieval mode '{mode}': choose 'hybrid', 'dense' or 'lexical'")
        return self.retriever.retrieve(strip_instructions(question), top_k, mode)

    def stream(self, question: str, backend: str | None = None, top_k: int | None = None) -> Iterator[Event]:
        """Text deltas as they arrive, then the final Answer.

        The Answer's text is the joined deltas with markers that name no source removed and the ends
        trimmed (see ``citations.clean_markers``); the extractive answerer's deltas come through unchanged.
        """
        from .citations import build_answer

        started = time.perf_counter()
        question = self._check(question)
        top_k = self._check_top_k(top_k)
        self._require_index()  # before the answerer loads a model for nothing
        answerer = self.answerer(backend)
        sources = self.retrieve(question, top_k)
        notices = [n for n in (self.index_notice(),) if n]
        if sources and self.settings.strict and answerer.name != "extractive":
            answer = yield from self._strict(question, answerer, sources, started, notices)
        else:
            pieces: list[str] = []
            if sources:
                for delta in answerer.stream(question, sources):
                    if delta:
                        pieces.append(delta)
                        yield TextDelta(text=delta)
            else:
                from .backends.base import ABSTAIN_TEXT

                pieces.append(ABSTAIN_TEXT)
                yield TextDelta(text=ABSTAIN_TEXT)
            # The judge is consulted only for sentences that are not word-for-word quotes of their sources.
            answer = build_answer(question, "".join(pieces), sources, self.judge, backend=answerer.name,
                                  model=answerer.model, seconds=time.perf_counter() - started)
        yield answer.model_copy(update={"notice": " ".join(notices)}) if notices else answer

    def _strict(
        self, question: str, answerer: "Answerer", sources: list[Citation], started: float, notices: list[str],
    ) -> Generator[Event, None, Answer]:
        """A generated answer, shown a verified sentence at a time; when none holds, the extractive answer."""
        from .backends.base import is_abstention
        from .citations import build_answer
        from .strict import StrictVerifier

        verifier = StrictVerifier(sources, self.judge)
        for delta in answerer.stream(question, sources):
            for shown in verifier.feed(delta):
                yield TextDelta(text=shown)
        for shown in verifier.finish():
            yield TextDelta(text=shown)
        if verifier.kept:
            answer = build_answer(question, verifier.text, sources, self.judge, backend=answerer.name,
                                  model=answerer.model, seconds=time.perf_counter() - started)
            return answer.model_copy(update={"withheld": verifier.withheld, "removed_citations": verifier.removed})
        # Nothing the model wrote is supported (or it declined): the reader's quotes, or a plain abstention.
        fallback = self.answerer("extractive")
        text = "".join(fallback.stream(question, sources))
        answer = build_answer(question, text, sources, self.judge, backend=fallback.name, model=fallback.model,
                              seconds=time.perf_counter() - started)
        if not answer.abstained:
            declined = is_abstention(verifier.raw)
            notices.append(f"{answerer.name} {'found no answer' if declined else 'wrote nothing the sources support'}; "
                           "these are the sentences of the sources that answer")
        yield TextDelta(text=answer.text)
        return answer.model_copy(update={"withheld": verifier.withheld, "removed_citations": verifier.removed})

    def ask(self, question: str, backend: str | None = None, top_k: int | None = None) -> Answer:
        """Answer a question from the corpus, with citations, or abstain."""
        answer = None
        for event in self.stream(question, backend=backend, top_k=top_k):
            answer = event
        assert isinstance(answer, Answer)
        return answer

    async def aask(self, question: str, backend: str | None = None, top_k: int | None = None) -> Answer:
        return await asyncio.to_thread(self.ask, question, backend, top_k)

    async def astream(self, question: str, backend: str | None = None, top_k: int | None = None) -> AsyncIterator[Event]:
        """``stream`` for event loops: the work runs in a thread, events arrive as they are made.

        Leaving the loop early (break, cancellation) stops the work at the next event.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        done = object()
        stop = threading.Event()

        def emit(item: object) -> bool:
            if stop.is_set():
                return False
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the event loop has closed: nobody is listening
                stop.set()
                return False
            return True

        def work() -> None:
            try:
                for event in self.stream(question, backend=backend, top_k=top_k):
                    if not emit(event):
                        return  # closes the stream, and with it any request in flight
            except BaseException as exc:  # handed to the awaiting side, raised there
                emit(exc)
            emit(done)

        threading.Thread(target=work, name="rag-astream", daemon=True).start()
        try:
            while (item := await queue.get()) is not done:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
