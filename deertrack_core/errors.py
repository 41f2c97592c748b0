"""The DeertrackError tree.

Every error says what was wrong and what to do about it. The UI shows them in one place
(``ui/errors.py``) and the API turns them into responses in one place; the CLI prints them
without a traceback.
"""

from __future__ import annotations


class DeertrackError(Exception):
    """Base of every error DeerTrack raises on purpose.

    ``problem`` says what is wrong, ``fix`` says what the user can do about it.
    """

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}".strip() if fix else problem)


class ConfigurationError(DeertrackError):
    """A setting is missing or has an unusable value."""


class DatabaseNotReadyError(DeertrackError):
    """The database is unreachable or not migrated to the current schema."""


class NotFoundError(DeertrackError):
    """A record the caller named does not exist."""


class IngestError(DeertrackError):
    """A photo or folder could not be ingested."""


class DetectionFileError(DeertrackError):
    """A detector output file (MegaDetector JSON) is malformed; nothing of it was stored."""


class ModelUnavailableError(DeertrackError):
    """An embedding model's weights cannot be loaded."""


class ConflictError(DeertrackError):
    """Someone else changed a record since it was read (optimistic locking)."""


class ValidationError(DeertrackError):
    """A request has one or more invalid fields.

    ``problems`` maps each field to the message for it; all problems are reported at once.
    """

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        text = "; ".join(f"{field}: {msg}" for field, msg in self.problems.items())
        super().__init__(f"Invalid request — {text}", "Correct the fields named and try again.")


class JobError(DeertrackError):
    """A background job failed or cannot be started."""


class AuthenticationError(DeertrackError):
    """Nobody (or nobody valid) is signed in, and the action needs someone who is."""


class PermissionDeniedError(DeertrackError):
    """The signed-in user's role does not allow the action."""
