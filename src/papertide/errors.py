"""Every error papertide reports to a user derives from PapertideError.

The CLI prints ``str(error)`` as a single line and exits non-zero, so each message must
say what went wrong, where (file and line, or config key), and what to do about it.
"""


class PapertideError(Exception):
    """Root of papertide's user-facing errors."""


class ConfigError(PapertideError):
    """The configuration file is missing or invalid."""


class InputError(PapertideError):
    """An input file cannot be read: missing, unknown format or malformed."""


class QuerySyntaxError(PapertideError):
    """A topic's keyword query cannot be parsed."""


class StoreError(PapertideError):
    """The store cannot be opened, migrated or written."""


class LockedError(StoreError):
    """Another papertide run holds the store's lock."""


class MalformedInputError(InputError):
    """The material is damaged or incomplete (malformed or truncated XML): fetching it again
    may help."""


class ArxivUnreachableError(PapertideError):
    """arXiv did not answer (or kept refusing) within the bounded wait."""


class IncompleteHarvestError(ArxivUnreachableError):
    """arXiv ended a list with fewer records than it declared (OAI-PMH ``completeListSize``):
    what came is stored, the harvest stays open, and the next run completes it."""


class LLMError(PapertideError):
    """The LLM backend cannot be used: unreachable, key missing or refused, model unknown.
    A run stops writing, publishes what it has, and the next run fills in the rest."""


class WriteupFailedError(PapertideError):
    """The model's answer for one paper stayed unusable after the repair attempt; the paper is
    marked failed and retried on a later run."""
