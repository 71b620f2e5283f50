"""The Chroma side of the index: one collection per corpus, embedded or on a server.

Chroma never embeds anything here: every write and query passes vectors we computed, and the
collection is opened with no embedding function, so its default (which downloads a model) never runs.
"""

from __future__ import annotations

import re
import shutil
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from .errors import IndexBusyError, IndexMismatchError, IndexStateError, NoIndexError

if TYPE_CHECKING:
    import numpy as np

    from .chunking import Chunk
    from .config import Settings

WRITE_BATCH = 1000
# Chunks read per request. Chroma holds ~10 kB per chunk returned while it answers (20,000 at once: +430 MB for
# texts, more for metadata); 1,000 at a time costs ~20 MB and no more time.
READ_PAGE = 1000


def _client(settings: "Settings"):
    from .embeddings import offline_environment

    offline_environment()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_host:
        return _bounded_http_client(settings, chroma_settings)
    path = chroma_path(settings)
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path.resolve()), settings=chroma_settings)
    except Exception as exc:
        _forget_client(path)  # Chroma would otherwise hand the half-started store out again, with a stranger error
        raise IndexStateError(
            f"the index at {path} cannot be opened ({_one_line(exc)}): run `rag ingest --rebuild` to rebuild it"
        ) from None


def _silent_server(settings: "Settings", doing: str) -> IndexStateError:
    return IndexStateError(
        f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} did not answer within "
        f"{settings.chroma_timeout:g} s while {doing} (RAG_CHROMA_TIMEOUT): check that it is running and not "
        "stopped, then try again"
    )


def _bounded_http_client(settings: "Settings", chroma_settings: Any):
    """chromadb's HTTP client, with every request it sends bounded by ``settings.chroma_timeout``.

    Its httpx session is made with no timeout, and building the client already sends requests (the tenant
    and database checks), so the build runs on a thread that is given up after the timeout; from then on
    the session's own timeout bounds connect, send and every read of each request.
    """
    import threading

    import chromadb
    import httpx

    built: dict[str, Any] = {}

    def build() -> None:
        try:
            built["client"] = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:  # chromadb raises bare ValueError/ConnectionError types here
            built["error"] = exc

    worker = threading.Thread(target=build, name="rag-chroma-connect", daemon=True)
    worker.start()
    worker.join(settings.chroma_timeout)
    if worker.is_alive():  # left blocked on a silent socket; being a daemon, it does not hold the process
        raise _silent_server(settings, "connecting")
    if "error" in built:
        raise IndexStateError(
            f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
            f"({_one_line(built['error'])}): start it with `chroma run --host 127.0.0.1 --port <port> --path <dir>` "
            "or unset RAG_CHROMA_HOST"
        ) from None
    client = built["client"]
    client._server._session.timeout = httpx.Timeout(settings.chroma_timeout)
    return client


def _forget_client(path: Path) -> None:
    """Stop and forget the store Chroma keeps open for this path, so that the next open reads the disk afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(path.resolve()), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path.resolve()), None)
    if system is not None:
        try:
            system.stop()
        except Exception:
            pass  # it was broken already; forgetting it is what matters


_SEGMENT_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _sweep_orphan_segments(path: Path) -> None:
    """Delete the vector-segment folders that no collection of this store refers to any more.

    Chroma 1.x removes a deleted collection from its catalogue but leaves the collection's HNSW folder
    on disk (chroma-core/chroma#5259, #5520), so every `rag ingest --rebuild` would leak a full copy of
    the vectors. A folder is swept only when its name is a segment id missing from the catalogue.
    """
    import sqlite3

    catalogue = path / "chroma.sqlite3"
    if not catalogue.is_file():
        return
    try:
        with closing(sqlite3.connect(f"{catalogue.resolve().as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            referenced = {row[0] for row in db.execute("SELECT id FROM segments")}
    except sqlite3.Error:
        return  # an unreadable catalogue is not ours to judge; leaving a folder behind loses nothing
    for child in path.iterdir():
        if child.is_dir() and _SEGMENT_DIR.match(child.name) and child.name not in referenced:
            shutil.rmtree(child, ignore_errors=True)


def chroma_path(settings: "Settings") -> Path:
    return settings.index_dir / "chroma"


def _location(s: "Settings") -> str:
    return f"{s.chroma_host}:{s.chroma_port}/{s.collection}" if s.chroma_host else str(chroma_path(s))


def _timed_out(exc: BaseException) -> bool:
    import httpx

    return isinstance(exc, httpx.TimeoutException) or isinstance(exc.__cause__, httpx.TimeoutException)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0][:200] if text else exc.__class__.__name__)


def _foreign(settings: "Settings", meta: dict[str, Any]) -> IndexMismatchError:
    return IndexMismatchError(
        f"collection '{settings.collection}' on the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
        f"belongs to another index ({meta.get('owner_index', '?')} on {meta.get('owner_host', '?')}, corpus "
        f"{meta.get('owner_corpus', '?')}): set RAG_COLLECTION to a name of this index's own"
    )


SERVER_LEASE_SECONDS = 300  # a writer that has not renewed its claim for this long is taken to be dead
_RENEW_EVERY = 30


@contextmanager
def server_writer_lock(settings: "Settings") -> Iterator[None]:
    """One writer per server collection, across processes and machines.

    A lock file guards an index folder on one machine only, and a server is shared. The claim is a small
    collection named after the one written: creating a collection is atomic on the server, so of two
    writers one gets it and the other is told who holds it. The holder renews the claim while it works;
    a claim left by a writer that died is broken once it is older than the lease (at once when the dead
    process was on this machine)."""
    import os
    import socket
    import threading
    import time

    if not settings.chroma_host:
        yield
        return
    client = _client(settings)
    name = f"{settings.collection}-writer"
    me = {"pid": os.getpid(), "host": socket.gethostname(), "index": str(settings.index_dir.resolve())}

    def claim() -> Any:
        return client.create_collection(name, embedding_function=None,
                                        metadata=me | {"renewed": time.time(), "since": time.time()})

    try:
        try:
            lock = claim()
        except Exception as exc:
            if _timed_out(exc):
                raise _silent_server(settings, "claiming the collection") from None
            held = client.get_collection(name, embedding_function=None)
            meta = dict(held.metadata or {})
            if not _claim_is_dead(meta, me):
                since = time.strftime("%H:%M:%S", time.localtime(float(meta.get("since", 0))))
                raise IndexBusyError(
                    f"another `rag ingest` (pid {meta.get('pid')} on {meta.get('host')}, index {meta.get('index')}) "
                    f"has been writing collection '{settings.collection}' on {settings.chroma_host}:"
                    f"{settings.chroma_port} since {since}: wait for it to finish and try again"
                )
            client.delete_collection(name)
            lock = claim()  # if another writer broke the same dead claim first, this one is refused
    except IndexStateError:
        raise
    except Exception as exc:
        if _timed_out(exc):
            raise _silent_server(settings, "claiming the collection") from None
        raise IndexBusyError(
            f"another `rag ingest` is writing collection '{settings.collection}' on {settings.chroma_host}:"
            f"{settings.chroma_port} ({_one_line(exc)}): wait for it to finish and try again"
        ) from None

    done = threading.Event()

    def renew() -> None:
        while not done.wait(_RENEW_EVERY):
            try:
                lock.modify(metadata=me | {"renewed": time.time(), "since": lock.metadata.get("since", 0)})
            except Exception:
                pass  # a failed renewal only shortens the claim; the writes themselves will report the server

    renewer = threading.Thread(target=renew, name="rag-claim-renewal", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        try:
            client.delete_collection(name)
        except Exception:
            pass  # the lease runs out by itself


def _claim_is_dead(meta: dict[str, Any], me: dict[str, Any]) -> bool:
    import os
    import time

    if time.time() - float(meta.get("renewed", 0)) > SERVER_LEASE_SECONDS:
        return True
    if meta.get("host") == me["host"] and meta.get("index") == me["index"]:
        return True  # this index folder's own claim, left behind: its writer lock, which we hold, shows it is over
    if meta.get("host") == me["host"]:
        try:
            os.kill(int(meta.get("pid", 0)), 0)
        except ProcessLookupError:
            return True
        except (OSError, ValueError):
            return False
    return False


def owner_id(index_dir: Path, *, create: bool) -> str | None:
    """This index folder's identity, recorded in the collections it writes; made on first need."""
    path = index_dir / "owner-id"
    try:
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text
    except OSError:
        pass
    if not create:
        return None
    import uuid

    text = uuid.uuid4().hex
    index_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return text


def owner_metadata(settings: "Settings") -> dict[str, str]:
    import socket

    return {"owner": owner_id(settings.index_dir, create=True) or "", "owner_host": socket.gethostname(),
            "owner_index": str(settings.index_dir.resolve()), "owner_corpus": str(Path(settings.corpus_dir).resolve())}


class VectorStore:
    """A Chroma collection tagged with the embedding model that filled it."""

    def __init__(self, settings: "Settings", model_id: str, dimension: int, *, create: bool) -> None:
        self.settings = settings
        self.model_id = model_id
        self.dimension = dimension
        self._client = _client(settings)
        try:
            if create:
                self._collection = self._client.get_or_create_collection(
                    settings.collection,
                    embedding_function=None,
                    metadata={"hnsw:space": "cosine", "embedding_model": model_id, "dimension": dimension,
                              "created_by": "rag-assistant"} | owner_metadata(settings),
                )
            else:
                self._collection = self._client.get_collection(settings.collection, embedding_function=None)
        except IndexStateError:
            raise
        except Exception as exc:
            if not create and ("does not exist" in str(exc) or exc.__class__.__name__ == "NotFoundError"):
                raise NoIndexError(f"no index in {self.location}: run `rag ingest` first") from None
            if _timed_out(exc):
                raise _silent_server(settings, "opening the collection") from None
            raise IndexStateError(
                f"the index at {self.location} cannot be opened ({_one_line(exc)}): {self._advice()}"
            ) from None
        self._check_model()
        if settings.chroma_host:
            self._check_owner(claim=create)

    def _check_owner(self, *, claim: bool) -> None:
        """A server collection belongs to one index folder: another index writing into it would replace that
        index's chunks with its own, and the first would then answer from the second's corpus.

        A writer claims an unowned collection (one built before owners were recorded); a reader whose index
        folder has never written (a second machine asking a shared server) may read any collection."""
        meta = dict(self._collection.metadata or {})
        mine = owner_id(self.settings.index_dir, create=claim)
        owner = meta.get("owner")
        if owner is None or mine is None:
            if owner is None and claim:
                record = {k: v for k, v in meta.items() if not k.startswith("hnsw:")} | owner_metadata(self.settings)
                with self._failing("recording the owner of the collection"):
                    self._collection.modify(metadata=record)
            return
        if owner != mine:
            raise _foreign(self.settings, meta)

    @staticmethod
    def refuse_foreign(settings: "Settings") -> None:
        """Before a writer touches anything: refuse a server collection that another index owns."""
        if not settings.chroma_host:
            return
        described = VectorStore.describe(settings)
        if described is not None and described[1].get("owner") not in (None, owner_id(settings.index_dir, create=True)):
            raise _foreign(settings, described[1])

    @contextmanager
    def _failing(self, doing: str) -> Iterator[None]:
        """Chroma's own errors (a server gone, a damaged file) become one line that says what to do."""
        try:
            yield
        except IndexStateError:
            raise
        except Exception as exc:
            if _timed_out(exc):
                raise _silent_server(self.settings, doing) from None
            raise IndexStateError(
                f"the index at {self.location} failed while {doing} ({_one_line(exc)}): {self._advice()}"
            ) from None

    def _advice(self) -> str:
        if self.settings.chroma_host:
            return "check that the Chroma server is running (`chroma run`) and try again"
        return "run `rag ingest --rebuild` to rebuild it"

    @property
    def location(self) -> str:
        return _location(self.settings)

    def _check_model(self) -> None:
        meta = self._collection.metadata or {}
        built_with = meta.get("embedding_model")
        if built_with is None:
            raise IndexMismatchError(
                f"collection '{self.settings.collection}' at {self.location} was not built by rag: "
                "choose another RAG_COLLECTION or run `rag ingest --rebuild` to replace it"
            )
        if built_with != self.model_id or int(meta.get("dimension", self.dimension)) != self.dimension:
            raise IndexMismatchError(
                f"the index at {self.location} was built with embedding model {built_with} "
                f"({meta.get('dimension')} dims), but this run uses {self.model_id} ({self.dimension} dims): "
                "run `rag ingest --rebuild` or switch back to that model"
            )

    @staticmethod
    def describe(settings: "Settings") -> tuple[int, dict[str, Any]] | None:
        """Chunk count and collection metadata, without loading a model; None when there is no collection."""
        if not settings.chroma_host and not (chroma_path(settings) / "chroma.sqlite3").exists():
            return None  # opening would create an empty store as a side effect
        client = _client(settings)
        try:
            collection = client.get_collection(settings.collection, embedding_function=None)
            return collection.count(), dict(collection.metadata or {})
        except Exception as exc:
            if "does not exist" in str(exc) or exc.__class__.__name__ == "NotFoundError":
                return None
            if _timed_out(exc):
                raise _silent_server(settings, "reading the index") from None
            raise IndexStateError(
                f"the index at {_location(settings)} cannot be read ({_one_line(exc)}): run `rag ingest --rebuild`"
            ) from None

    @staticmethod
    def drop(settings: "Settings", *, collection_only: bool = False) -> None:
        """Remove the collection, leaving any other collection of the same store alone.

        An embedded store too damaged to open goes as a whole folder, unless ``collection_only`` (the
        store holds another collection worth keeping, as during a rebuild): then the failure is raised.
        Deleting the files of a store
        that this process has open is no good: Chroma keeps one open store per path per process and
        would go on writing into the deleted files, so the collection is deleted through Chroma.
        """
        try:
            _client(settings).delete_collection(settings.collection)
            if not settings.chroma_host:
                _sweep_orphan_segments(chroma_path(settings))
            return
        except IndexStateError:
            if settings.chroma_host:
                raise
        except Exception as exc:
            if "does not exist" in str(exc) or exc.__class__.__name__ == "NotFoundError":
                return  # nothing to drop
            if settings.chroma_host and _timed_out(exc):
                raise _silent_server(settings, "dropping the collection") from None
            if settings.chroma_host:
                raise IndexStateError(
                    f"cannot drop collection '{settings.collection}' on {settings.chroma_host}:{settings.chroma_port} "
                    f"({_one_line(exc)}): delete it on the server and run `rag ingest` again"
                ) from None
        if collection_only:
            raise IndexStateError(
                f"cannot drop collection '{settings.collection}' from the index at {chroma_path(settings)}: "
                "run `rag ingest --rebuild` to rebuild it"
            )
        _forget_client(chroma_path(settings))
        shutil.rmtree(chroma_path(settings), ignore_errors=True)

    # Reads ---------------------------------------------------------------------------------------
    def count(self) -> int:
        with self._failing("counting chunks"):
            return self._collection.count()

    def all_metadata(self) -> tuple[list[str], list[dict[str, Any]]]:
        ids: list[str] = []
        metas: list[dict[str, Any]] = []
        for page_ids, page_metas in self.iter_metadata():
            ids.extend(page_ids)
            metas.extend(page_metas)
        return ids, metas

    def iter_metadata(self, page: int = READ_PAGE) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
        """Every chunk's id and metadata, a page at a time: a large index's whole metadata is hundreds of MB."""
        total = self.count()
        for offset in range(0, total, page):
            with self._failing("reading chunks"):
                got = self._collection.get(include=["metadatas"], limit=page, offset=offset)
            yield got["ids"], got["metadatas"]

    def all_documents(self) -> tuple[list[str], list[str]]:
        ids: list[str] = []
        texts: list[str] = []
        for page_ids, page_texts in self.iter_documents():
            ids.extend(page_ids)
            texts.extend(page_texts)
        return ids, texts

    def iter_documents(self, page: int = READ_PAGE) -> Iterator[tuple[list[str], list[str]]]:
        """Every chunk's id and text, a page at a time."""
        total = self.count()
        for offset in range(0, total, page):
            with self._failing("reading chunks"):
                got = self._collection.get(include=["documents"], limit=page, offset=offset)
            yield got["ids"], got["documents"]

    def get(self, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        if not ids:
            return {}
        with self._failing("reading chunks"):
            got = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        return {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    def embeddings(self, ids: Sequence[str]) -> dict[str, "np.ndarray"]:
        ids = list(dict.fromkeys(ids))  # Chroma refuses a request that names an id twice
        out = {}
        for i in range(0, len(ids), WRITE_BATCH):
            with self._failing("reading vectors"):
                got = self._collection.get(ids=list(ids[i : i + WRITE_BATCH]), include=["embeddings"])
            out.update(zip(got["ids"], got["embeddings"]))
        return out

    def query(self, vector: "np.ndarray", n: int) -> list[tuple[str, str, dict[str, Any], float]]:
        """Nearest chunks as (id, text, metadata, cosine similarity), best first."""
        n = min(n, self.count())
        if n <= 0:
            return []
        with self._failing("searching"):
            got = self._collection.query(
                query_embeddings=[vector.tolist()], n_results=n, include=["documents", "metadatas", "distances"]
            )
        return [
            (i, d, m, 1.0 - float(dist))
            for i, d, m, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        ]

    # Writes --------------------------------------------------------------------------------------
    def upsert(self, chunks: Sequence["Chunk"], vectors: "np.ndarray") -> None:
        for i in range(0, len(chunks), WRITE_BATCH):
            part = chunks[i : i + WRITE_BATCH]
            with self._failing("writing chunks"):
                self._collection.upsert(
                    ids=[c.chunk_id for c in part],
                    documents=[c.text for c in part],
                    metadatas=[c.metadata() for c in part],
                    embeddings=vectors[i : i + WRITE_BATCH],
                )

    def rename(self, name: str) -> None:
        """Give the collection another name (a finished rebuild taking the place of the old index)."""
        with self._failing("renaming the collection"):
            self._collection.modify(name=name)
        self.settings = self.settings.model_copy(update={"collection": name})

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), WRITE_BATCH):
            with self._failing("deleting chunks"):
                self._collection.delete(ids=ids[i : i + WRITE_BATCH])
