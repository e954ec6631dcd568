"""Do the migration files produce the model? Replay them into a scratch database and diff.

Django's ``makemigrations --check`` for this library: no live database is needed. Every file
is applied, in order, to an empty database (a temporary embedded server by default, or an
empty database the caller names); then the schema manager compares the model with the result.
Any operation it plans is a change of the model that no file carries yet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from attrs import frozen

from linkgress_async.client import PgClient
from linkgress_async.context import DbContext
from linkgress_async.errors import MigrationError, counted
from linkgress_async.manager import DbSchemaManager
from linkgress_async.migrations.drift import require_empty
from linkgress_async.migrations.files import load_directory
from linkgress_async.ops import MigrationOperation
from linkgress_async.plan.report import numbered_steps
from linkgress_async.render.sql import plan_sql
from linkgress_async.scratch_database import EMBEDDED, scratch_server, temporary_database

__all__ = ["CheckReport", "check_migrations"]


@frozen
class CheckReport:
    """What the model has that the replayed files do not produce (``operations``)."""

    operations: tuple[MigrationOperation, ...]
    replayed: tuple[str, ...]

    @property
    def matches(self) -> bool:
        """Whether the files produce exactly the model."""
        return not self.operations

    def describe(self) -> str:
        """One line when they match; else the operations a new migration file needs."""
        files = counted(len(self.replayed), "file")
        if self.matches:
            return f"The migration files produce the model ({files} replayed)."
        lines = [
            f"The migration files ({files} replayed) do not produce the model "
            f"({counted(len(self.operations), 'difference')}); a new migration needs:"
        ]
        return "\n".join([*lines, *numbered_steps(self.operations)])

    def sql(self) -> list[str]:
        """The statements that would bring the replay to the model."""
        return plan_sql(self.operations)


async def check_migrations(
    context: Callable[[PgClient], DbContext],
    migrations_directory: str | Path = "./migrations",
    *,
    scratch_dsn: str | None = None,
    journal_table: str | None = None,
    journal_schema: str | None = None,
    manager_options: Mapping[str, Any] | None = None,
    logger: Callable[[str], object] | None = None,
) -> CheckReport:
    """Replay every file of ``migrations_directory`` into an empty database and compare the
    result with the model of ``context(client)``.

    ``scratch_dsn`` names an empty database to replay into; by default a temporary embedded
    server is started and removed afterwards. No other database is contacted.
    """
    # Imported here: the runner imports this package's other modules.
    from linkgress_async.migrations.runner import MigrationRunner

    directory = Path(migrations_directory)
    # A file that does not load is reported before a server is started.
    files = await load_directory(directory)
    async with _scratch(scratch_dsn, logger) as client:
        db = context(client)
        async with db:
            schema = journal_schema or db.journal_schema
            table = journal_table or db.journal_table
            runner = MigrationRunner(
                db,
                directory,
                journal_table=table,
                journal_schema=schema,
                verbose=logger is not None,
                logger=logger or _quiet,
            )
            # Every file, in filename order, as a fresh database would get them.
            result = await runner.up(
                allow_destructive=True, interactive=False, allow_out_of_order=True
            )
            if result.failed is not None:
                raise MigrationError(
                    f"Migration {result.failed.filename} failed when replayed into an empty "
                    f"database ({result.failed.error}); the files cannot build a fresh "
                    "database, so fix that file"
                ) from result.failed.error
            plan = await DbSchemaManager(db, out=_quiet, **dict(manager_options or {})).plan()
    return CheckReport(tuple(plan.operations), tuple(file.filename for file in files))


@asynccontextmanager
async def _scratch(
    scratch_dsn: str | None, logger: Callable[[str], object] | None
) -> AsyncIterator[PgClient]:
    if scratch_dsn is not None:
        client = PgClient(dsn=scratch_dsn, min_size=1, max_size=4)
        try:
            await require_empty(client, "check")
            yield client
        finally:
            with anyio.CancelScope(shield=True):
                await client.close()
        return
    async with (
        scratch_server(EMBEDDED) as options,
        temporary_database(
            options,
            purpose="check",
            prefix="linkgress_check_",
            logger=logger,
            error=MigrationError,
        ) as client,
    ):
        yield client


def _quiet(_message: str) -> None:
    """The logger when nobody listens."""
