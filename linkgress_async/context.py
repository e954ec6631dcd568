"""DbContext: the user's model, queries routed to the current transaction, and hooks."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from collections.abc import Sequence as SequenceOf
from contextlib import asynccontextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self

import asyncpg

from linkgress_async._gc import paused_gc
from linkgress_async.catalog import Catalog, QualifiedName
from linkgress_async.client import AnyConnection, PgClient
from linkgress_async.model import DbModelConfig

if TYPE_CHECKING:
    from linkgress_async.catalog import Sequence
    from linkgress_async.manager import DbSchemaManager
    from linkgress_async.sequences import DbSequence

__all__ = ["LINKGRESS_JOURNAL_SUFFIX", "DbContext"]

LINKGRESS_JOURNAL_SUFFIX = "_linkgress"
"""What a Linkgress journal imported into this library's journal is renamed with."""

_sql_log = logging.getLogger("linkgress_async.sql")

# One variable for every context: a mapping from id(context) to its innermost transaction's
# connection, replaced (never mutated) so each task sees its own.
_open_transactions: ContextVar[MappingProxyType[int, AnyConnection]] = ContextVar(
    "linkgress_open_transactions", default=MappingProxyType({})
)


class DbContext:
    """Subclass it, declare the model in :meth:`setup_model`, and query through it.

    The model is built (and validated) when the context is constructed, so an inconsistent
    model raises :class:`~linkgress_async.ModelError` before any SQL runs.
    """

    journal_table: str = "__migrations"
    journal_schema: str = "public"
    naming: str = "default"
    """The model's naming convention; ``"linkgress-ts"`` matches databases Linkgress
    (TypeScript) created (see :class:`~linkgress_async.DbModelConfig`)."""

    def __init__(
        self,
        client: PgClient,
        *,
        log_queries: bool = False,
        logger: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.log_queries = log_queries
        self._logger = logger
        config = DbModelConfig(naming=self.naming)
        # Declaring and checking a model allocates many objects and no garbage cycles: the
        # cyclic collector would take a large share of the time (see _gc).
        with paused_gc():
            self.setup_model(config)
            self.model: Catalog = config.build()
        self.model_config = config
        self._journals: set[QualifiedName] = set()
        self.register_journal(self.journal_schema, self.journal_table)
        # The record of online migrations (linkgress_async.online.state).
        self._journals.add(QualifiedName(self.journal_schema, "__online_migrations"))

    def setup_model(self, model: DbModelConfig) -> None:
        """Declare entities, enums, sequences and schemas; override in a subclass."""

    async def on_migration_start(self, client: DbContext) -> None:
        """Runs before a plan's statements, inside its transaction (after the migration lock
        is taken); override to run SQL the plan should follow. Declare an ``operations``
        parameter to receive the operations about to be applied (empty when none)."""

    async def on_migration_complete(self, client: DbContext) -> None:
        """Runs after a plan is applied, inside its transaction; override to add views etc.
        Declare an ``operations`` parameter to receive the operations applied (empty when
        the database already matched), for instance to skip work when nothing changed."""

    async def run_migration_hook(
        self, hook: Callable[..., Awaitable[object]], operations: SequenceOf[object]
    ) -> None:
        """Call ``hook`` (a bound hook method) with this context, and with
        ``operations=`` when its signature takes that keyword: overrides written with the
        one-argument signature keep working."""
        if _takes_operations(hook):
            await hook(self, operations=tuple(operations))
        else:
            await hook(self)

    @property
    def journal_tables(self) -> frozenset[QualifiedName]:
        """Migration journal tables, which the schema manager never touches."""
        return frozenset(self._journals)

    def register_journal(self, schema: str, table: str) -> None:
        """Tell the schema manager about a journal table kept by a migration runner.

        The table a Linkgress journal is archived to by ``import_linkgress_journal()``
        (``{table}_linkgress``) is a journal too: it is kept, never diffed away."""
        self._journals.add(QualifiedName(schema, table))
        self._journals.add(QualifiedName(schema, table + LINKGRESS_JOURNAL_SUFFIX))

    def _log(self, sql: str, args: tuple[Any, ...]) -> None:
        if not self.log_queries:
            return
        message = sql if not args else f"{sql} -- {list(args)!r}"
        if self._logger is not None:
            self._logger(message)
        else:
            _sql_log.info("%s", message)

    @property
    def current_connection(self) -> AnyConnection | None:
        """The connection of the innermost open transaction of this task, if any."""
        return _open_transactions.get().get(id(self))

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Run one statement (``$1..$n`` parameters) in the current transaction or the pool."""
        self._log(sql, args)
        connection = self.current_connection
        if connection is not None:
            return list(await connection.fetch(sql, *args))
        return await self.client.query(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        """Run SQL that returns no rows; without arguments it may hold several statements."""
        self._log(sql, args)
        connection = self.current_connection
        if connection is not None:
            return await connection.execute(sql, *args)
        async with self.client.acquire() as pooled:
            return await pooled.execute(sql, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AnyConnection]:
        """A transaction (a savepoint when nested) that ``db.query`` uses until it ends."""
        connection = self.current_connection
        if connection is not None:
            async with connection.transaction():
                yield connection
            return
        async with (
            self.client.acquire() as connection,
            connection.transaction(),
            self.use_connection(connection),
        ):
            yield connection

    @asynccontextmanager
    async def use_connection(self, connection: AnyConnection) -> AsyncIterator[None]:
        """Route this task's ``db.query`` calls to ``connection`` for the block."""
        routes = dict(_open_transactions.get())
        routes[id(self)] = connection
        token = _open_transactions.set(MappingProxyType(routes))
        try:
            yield
        finally:
            _open_transactions.reset(token)

    def sequence(self, sequence: Sequence | str) -> DbSequence:
        """A declared sequence at run time: ``await db.sequence(seq).next_value()``,
        ``current_value()``, ``resync(value)`` (``seq`` is what ``model.sequence`` returned,
        or its name)."""
        from linkgress_async.sequences import sequence_of

        return sequence_of(self, sequence)

    def get_schema_manager(self, **options: Any) -> DbSchemaManager:
        """The schema manager for this context's model (see :class:`DbSchemaManager`)."""
        from linkgress_async.manager import DbSchemaManager

        return DbSchemaManager(self, **options)

    async def dispose(self) -> None:
        """Close the client's connection pool."""
        await self.client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.dispose()


def _takes_operations(hook: Callable[..., object]) -> bool:
    """Whether ``hook`` accepts ``operations=`` (by name, or through ``**kwargs``)."""
    try:
        parameters = inspect.signature(hook).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: call it the plain way
        return False
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return True
        if parameter.name == "operations" and parameter.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ):
            return True
    return False
