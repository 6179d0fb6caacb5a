"""Errors a user can act on: their message is shown as-is, never a traceback."""


class ZhikuError(Exception):
    """Base class for errors whose message is meant for the user."""


class ConfigError(ZhikuError):
    """The configuration asks for something that cannot be had."""


class EmbeddingMismatchError(ZhikuError):
    """A knowledge base was built with a different embedding model than the one configured."""


class ModelNotFoundError(ZhikuError):
    """A configured model file or package is missing."""


class AccessDeniedError(ZhikuError):
    """A private knowledge base asked for by someone other than its owner."""


class UnknownKBError(ZhikuError):
    """A read from a knowledge base, or of a document, that does not exist (a write creates the KB)."""
