"""The exceptions linkgress_async raises.

Every error derives from :class:`LinkgressError`, so ``except LinkgressError`` catches
everything the library itself reports (driver errors from asyncpg pass through unchanged
only where they are the user's own SQL)::

    LinkgressError
    ├── ModelError                   the declared model is inconsistent (raised at build time)
    ├── DestructiveMigrationError    a plan would delete data and was not confirmed
    ├── NoSchemaDifferencesError     scaffold found nothing to write
    ├── PostgresServerError          an embedded/temporary server could not be set up or run
    ├── ConnectionFailedError        PgClient could not connect (host, port, database, role)
    ├── ScratchUnavailableError      the session cannot spell the model (read-only, no TEMP)
    ├── ScratchDatabaseError         a scratch database is unusable (version, not empty, rights)
    ├── ConnectionLostError          the connection broke mid-call; .outcome says what applied
    │   └── ServerUnresponsiveError  the server stopped answering (partition, lost reply)
    ├── StatementTimeoutError        a statement ran past the pool's command_timeout
    ├── PullError                    pull was asked for something it cannot do (no such schema,
    │                                an unusable class name)
    ├── SchemaApplyError             a plan failed while running and was rolled back
    │   ├── LockTableExhaustedError  the plan needs more locks than the server allows
    │   ├── TableLockTimeoutError    a table stayed locked by others through every retry
    │   └── DeadlockError            the plan lost a deadlock on every retry
    └── MigrationError               file migrations: a bad file, a changed or missing file,
        ├── MigrationFileError         a file that cannot be loaded or defines no migration
        ├── ChecksumMismatchError      an applied file was edited afterwards
        ├── MissingMigrationError      an applied file is gone
        ├── MigrationLockTimeoutError  another migration held the migration lock too long
        ├── JournalError               the journal table is unusable (altered by hand, no rights)
        ├── DestructiveFilesError      files that delete data (or cannot be undone) unconfirmed
        ├── OutOfOrderMigrationError   a pending file is older than an applied one
        ├── SquashError                squash refused (files not all applied, not equivalent)
        ├── PartlySquashedError        a database applied only part of a squashed run
        └── UnresolvedMigrationError   a non-transactional file failed or was interrupted
            └── TransactionEndedError    a file ran COMMIT or ROLLBACK itself

Messages name the object or file involved and say what to do about it. Two helpers serve
the code that writes them: :func:`one_line` quotes an error inside a sentence, and
:func:`caused_by` looks through an error's causes for a driver error type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

if TYPE_CHECKING:
    from linkgress_async.migrations.guard import FileHazard
    from linkgress_async.ops import MigrationOperation

__all__ = [
    "APPLIED",
    "NOT_APPLIED",
    "PARTIAL",
    "UNKNOWN",
    "ChecksumMismatchError",
    "ConnectionFailedError",
    "ConnectionLostError",
    "DeadlockError",
    "DestructiveFilesError",
    "DestructiveMigrationError",
    "JournalError",
    "LinkgressError",
    "LockTableExhaustedError",
    "MigrationError",
    "MigrationFileError",
    "MigrationLockTimeoutError",
    "MissingMigrationError",
    "ModelError",
    "NoSchemaDifferencesError",
    "OutOfOrderMigrationError",
    "Outcome",
    "PartlySquashedError",
    "PostgresServerError",
    "PullError",
    "SchemaApplyError",
    "ScratchDatabaseError",
    "ScratchUnavailableError",
    "ServerUnresponsiveError",
    "SquashError",
    "StatementTimeoutError",
    "TableLockTimeoutError",
    "TransactionEndedError",
    "UnresolvedMigrationError",
    "caused_by",
    "one_line",
]

Outcome: TypeAlias = Literal["applied", "not applied", "partial", "unknown"]
"""What a call that lost its connection had done to the database."""
APPLIED: Final = "applied"
NOT_APPLIED: Final = "not applied"
PARTIAL: Final = "partial"
UNKNOWN: Final = "unknown"


class LinkgressError(Exception):
    """Base class of every error raised by linkgress_async."""


class ModelError(LinkgressError):
    """The model declared in ``setup_model`` is inconsistent."""


class EnumRebuildBlockedError(LinkgressError):
    """A model's enum would be rebuilt without a value that a column outside the model's
    schemas defaults to: that column is not the model's to change, so nothing runs."""


class DestructiveMigrationError(LinkgressError):
    """A plan contains operations that delete data and they were not confirmed."""

    def __init__(self, message: str, operations: Sequence[MigrationOperation]) -> None:
        super().__init__(message)
        self.operations: list[MigrationOperation] = list(operations)


class NoSchemaDifferencesError(LinkgressError):
    """The database already matches the model, so there is nothing to scaffold."""


class PostgresServerError(LinkgressError):
    """The PostgreSQL server binaries are missing, or initdb or the server failed."""


class ConnectionFailedError(LinkgressError):
    """PgClient could not open a connection; the message names where and why (no password)."""


class ConnectionLostError(LinkgressError):
    """The database connection broke mid-way; the message and :attr:`outcome` say what of
    the interrupted work is in the database, and whether its locks are gone."""

    def __init__(self, message: str, outcome: Outcome = NOT_APPLIED) -> None:
        super().__init__(message)
        self.outcome: Outcome = outcome
        """``"not applied"`` (rolled back or never sent), ``"applied"`` (committed before
        the reply was lost), ``"partial"`` (ran outside a transaction) or ``"unknown"``."""


class ServerUnresponsiveError(ConnectionLostError):
    """The server stopped answering within ``network_timeout`` (a network partition, a hung
    server or a lost reply); the connection was closed so that the call could end."""


class StatementTimeoutError(LinkgressError):
    """A statement was cancelled: it ran longer than the pool's ``command_timeout`` or the
    server's ``statement_timeout``, or the server was asked to cancel it."""


class ScratchUnavailableError(LinkgressError):
    """Spelling the model needs temporary objects this session cannot create (a read-only
    transaction or replica, a role without TEMPORARY or CREATE): give a scratch database."""


class ScratchDatabaseError(LinkgressError):
    """A scratch database given to the analysis or to drift cannot be used: another PostgreSQL
    major version, not empty, or no right to create it."""


class PullError(LinkgressError):
    """``pull`` cannot do what it was asked: a schema does not exist, or the class name
    cannot be used in the module."""


class SchemaApplyError(LinkgressError):
    """A statement of a plan failed; the plan's transaction was rolled back."""

    def __init__(self, message: str, statement: str | None = None) -> None:
        super().__init__(message)
        self.statement = statement


class LockTableExhaustedError(SchemaApplyError):
    """The plan touches more objects than the server's lock table holds in one transaction."""


class TableLockTimeoutError(SchemaApplyError):
    """A statement waited past ``lock_timeout`` for a lock on every attempt; nothing applied."""

    def __init__(self, message: str, statement: str | None = None, attempts: int = 1) -> None:
        super().__init__(message, statement)
        self.attempts = attempts


class DeadlockError(SchemaApplyError):
    """The server chose the plan's transaction as a deadlock victim on every attempt."""

    def __init__(self, message: str, statement: str | None = None, attempts: int = 1) -> None:
        super().__init__(message, statement)
        self.attempts = attempts


class MigrationError(LinkgressError):
    """A file migration could not be loaded, verified or run."""


class MigrationFileError(MigrationError):
    """A migration file does not import or does not define exactly one migration."""


class ChecksumMismatchError(MigrationError):
    """An applied migration file was changed after it was applied."""


class MissingMigrationError(MigrationError):
    """A migration recorded as applied no longer exists on disk."""


class MigrationLockTimeoutError(MigrationError):
    """Another runner (or ``migrate()``) held the migration lock longer than the lock timeout."""


class JournalError(MigrationError):
    """The journal table cannot be used: altered by hand, or the role may not create it."""


class DestructiveFilesError(MigrationError):
    """Migration files that delete data, or whose ``down`` cannot restore everything, were not
    confirmed; nothing was run. ``.hazards`` names each file and what it deletes."""

    def __init__(self, message: str, hazards: Sequence[FileHazard]) -> None:
        super().__init__(message)
        self.hazards: list[FileHazard] = list(hazards)


class OutOfOrderMigrationError(MigrationError):
    """A pending file sorts before a file already applied (a merge brought in an older one)."""

    def __init__(self, message: str, filenames: Sequence[str]) -> None:
        super().__init__(message)
        self.filenames: list[str] = list(filenames)


class UnresolvedMigrationError(MigrationError):
    """A non-transactional migration failed or was interrupted and may be partially applied."""

    def __init__(self, message: str, filename: str) -> None:
        super().__init__(message)
        self.filename = filename


class TransactionEndedError(UnresolvedMigrationError):
    """A migration file ran ``COMMIT`` or ``ROLLBACK`` itself, ending the runner's transaction:
    what it ran before may be committed without its journal row, so it is recorded as failed."""


class SquashError(MigrationError):
    """``squash`` refused: the files or the database are not in a state it can squash, or the
    squashed file would not build what the originals build. Nothing was changed."""


class PartlySquashedError(MigrationError):
    """The database applied some, not all, of the files a squashed file replaces, so it can
    take neither the squashed file nor the files after it."""


def one_line(error: BaseException) -> str:
    """``Type: message`` on one line (whitespace runs collapsed), to quote in a message."""
    message = " ".join(str(error).split())
    name = type(error).__name__
    return f"{name}: {message}" if message else name


def caused_by(
    error: BaseException, types: type[BaseException] | tuple[type[BaseException], ...]
) -> bool:
    """Whether ``error`` or any error in its ``__cause__``/``__context__`` chain is ``types``."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, types):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def counted(number: int, noun: str) -> str:
    """``number`` and ``noun``, plural unless the number is one: ``"3 operations"``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
