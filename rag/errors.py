"""Errors a user can act on. Each message is one line that says what to do next."""


class RagError(Exception):
    """Base class: the CLI and the UI show ``str(error)`` and nothing else."""


class ConfigError(RagError):
    pass


class CorpusError(RagError):
    pass


class IndexStateError(RagError):
    """The index is missing, busy, corrupted or built with another model."""


class NoIndexError(IndexStateError):
    pass


class IndexBusyError(IndexStateError):
    pass


class IndexMismatchError(IndexStateError):
    pass


class QuestionError(RagError):
    pass


class BackendError(RagError):
    """The generative or embedding endpoint failed (refused, timed out, answered garbage)."""
