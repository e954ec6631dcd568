"""MigrationRunner.up_many: running the migration files on many databases, via the fleet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from linkgress_async.context import DbContext
from linkgress_async.deadlines import UNSET, Unset
from linkgress_async.execute.retry import DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from linkgress_async.client import PgClient
    from linkgress_async.fleet import FleetResult, RecordLike, TargetLike, TargetResult, WaveLike

__all__ = ["ManyDatabases"]


class ManyDatabases:
    """The classmethod :class:`~linkgress_async.migrations.runner.MigrationRunner` inherits
    to run its files on many databases at once; it only forwards to the fleet."""

    @classmethod
    async def up_many(
        cls,
        context: Callable[[PgClient], DbContext],
        targets: Iterable[TargetLike],
        *,
        migrations_directory: str | Path = "./migrations",
        concurrency: int = 4,
        canary: int = 0,
        stop_on_failure: bool = False,
        journal_table: str = "__migrations",
        journal_schema: str = "public",
        lock_timeout: float = 60.0,
        accept_changed: bool = False,
        logger: Callable[[str], object] | None = None,
        client_options: Mapping[str, Any] | None = None,
        on_result: Callable[[TargetResult], object] | None = None,
        allow_destructive: bool = False,
        ddl_lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
        lock_retries: int = DEFAULT_LOCK_RETRIES,
        target_timeout: float | None = None,
        deadline: float | None = None,
        per_host: int | None = None,
        capacity_retries: int = 3,
        connect_timeout: float | None = None,
        network_timeout: float | None = None,
        idle_timeout: float | Unset | None = UNSET,
        waves: Sequence[WaveLike] | None = None,
        record: RecordLike | None = None,
        resume: bool = False,
    ) -> FleetResult:
        """Apply the pending files to many databases or tenant schemas; see docs/fleet.md.

        The keywords are those of :func:`linkgress_async.fleet.up_many`.
        """
        # Imported here: the fleet module builds on this one.
        from linkgress_async.fleet import up_many

        return await up_many(
            context,
            targets,
            migrations_directory=migrations_directory,
            concurrency=concurrency,
            canary=canary,
            stop_on_failure=stop_on_failure,
            journal_table=journal_table,
            journal_schema=journal_schema,
            lock_timeout=lock_timeout,
            accept_changed=accept_changed,
            logger=logger,
            client_options=client_options,
            on_result=on_result,
            allow_destructive=allow_destructive,
            ddl_lock_timeout=ddl_lock_timeout,
            lock_retries=lock_retries,
            target_timeout=target_timeout,
            deadline=deadline,
            per_host=per_host,
            capacity_retries=capacity_retries,
            connect_timeout=connect_timeout,
            network_timeout=network_timeout,
            idle_timeout=idle_timeout,
            waves=waves,
            record=record,
            resume=resume,
        )
