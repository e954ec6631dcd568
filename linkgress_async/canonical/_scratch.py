"""The scratch transaction the canonical stage spells the model in.

Everything happens in one transaction that is always rolled back: the model's schemas, enums,
sequences, extensions, domains and composite types that do not exist yet are created under
their real names (types and expressions name them; see :mod:`._named_types`), everything
else is built as temporary objects, and the result is read back with the introspection
queries themselves, run on the session's temporary schema, so that a model
object and its live counterpart are read by the very same code.

The transaction holds the migration lock (:data:`~linkgress_async._locks.MIGRATE_LOCK_KEY`)
*shared*: a migration applying a plan holds it exclusively, so scratch objects never meet a
migration's half-created ones, and concurrent spellings do not block each other.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Final

import asyncpg

from linkgress_async._locks import MIGRATE_LOCK_KEY
from linkgress_async.catalog import Catalog
from linkgress_async.client import AnyConnection
from linkgress_async.errors import ScratchUnavailableError
from linkgress_async.introspect._assemble import assemble
from linkgress_async.introspect._export import NO_DO_STATES, heard, raising
from linkgress_async.introspect._fetch import fetch_set_up, set_up_reading
from linkgress_async.introspect._queries import SPELLING
from linkgress_async.render.quote import qualified, quote_ident, render_literal

__all__ = [
    "ENVIRONMENT_ERRORS",
    "hold_migration_lock_shared",
    "is_model_error",
    "prepare_schemas_enums_sequences",
    "read_scratch",
    "scratch_rows",
    "scratch_transaction",
]

# SQLSTATE classes that say the declaration itself is wrong (and no retry can cure it):
# syntax errors and undefined objects (42, but for 42501 insufficient privilege), data
# exceptions (22, a bad literal) and unsupported features (0A).
_MODEL_ERROR_CLASSES = ("42", "22", "0A")
_NOT_THE_MODELS = frozenset({"42501"})

ENVIRONMENT_ERRORS: tuple[type[asyncpg.PostgresError], ...] = (
    asyncpg.ReadOnlySQLTransactionError,
    asyncpg.InsufficientPrivilegeError,
)
"""Errors that say this session may not create scratch objects at all."""


def is_model_error(error: asyncpg.PostgresError) -> bool:
    """Whether the server rejected a declaration of the model (not the session or a race)."""
    state = error.sqlstate or ""
    return state[:2] in _MODEL_ERROR_CLASSES and state not in _NOT_THE_MODELS


def scratch_unavailable(error: asyncpg.PostgresError) -> ScratchUnavailableError:
    """The error that names what spelling the model needs, and the way around it."""
    return ScratchUnavailableError(
        "Comparing the model with the database needs the server to spell the model's types, "
        "defaults and expressions, which it does with temporary objects (and the model's "
        "missing schemas and types) in a transaction that is always rolled back; this session "
        f"cannot create them ({error.__class__.__name__}: {error}). Grant the role TEMPORARY "
        "on the database (and CREATE where the model adds schemas or types), or give the "
        "analysis a scratch database of the same PostgreSQL major version: "
        "analyze(scratch=...) / linkgress plan --scratch DSN (or --scratch embedded)."
    )


# Whether, in the scratch transaction under way, a DO block can hand a value back as a notice
# (:func:`_raised`): its first round trip found out.
_raising: ContextVar[bool] = ContextVar("linkgress_scratch_raising", default=False)
_TAG: Final = "linkgress scratch value: "


@asynccontextmanager
async def scratch_transaction(conn: AnyConnection, state: str = "") -> AsyncIterator[str]:
    """A transaction (a savepoint inside one) that is always rolled back, holding the
    migration lock shared; it yields the value of the SQL expression ``state`` read once the
    lock is held, before any scratch object exists ("" without one; in the lock's round trip
    where a DO block can hand it back)."""
    transaction = conn.transaction()
    await transaction.start()
    try:
        try:
            # One simple query, so one round trip even on a connection that has prepared
            # nothing yet (a parameter would cost one more to prepare): the lock, then the
            # state read in a snapshot taken once it is held. JIT is off for the rest of
            # the transaction: its few queries are cheap, and a database that sets
            # jit_above_cost low would compile each of them (as for the catalog statements).
            token = await _raise(
                conn,
                f"PERFORM {_LOCK}; PERFORM pg_catalog.set_config('jit', 'off', true);",
                f"coalesce(({state})::text, '')" if state else "''",
            )
        except asyncpg.PostgresError as error:
            if error.sqlstate not in NO_DO_STATES:
                raise
            # No DO here (no plpgsql, or its use revoked): begun again, the lock taken alone.
            await transaction.rollback()
            transaction = conn.transaction()
            await transaction.start()
            await hold_migration_lock_shared(conn)
            token = None
        raising = token is not None
        if token is None:
            # The lock is held (the block ran, its notice lost on the way, or it was taken
            # alone): the state is read in a statement of its own, whose snapshot is taken
            # once the lock is held, not before it was granted.
            token = await conn.fetchval(f"SELECT ({state})::text") if state else ""
        allowed = _raising.set(raising)
        try:
            yield token or ""
        finally:
            _raising.reset(allowed)
    finally:
        await transaction.rollback()


_LOCK: Final = f"pg_catalog.pg_advisory_xact_lock_shared({render_literal(MIGRATE_LOCK_KEY)})"


async def _raise(conn: AnyConnection, work: str, expression: str) -> str | None:
    """Run the PL/pgSQL statements ``work`` and raise the value of the SQL expression
    ``expression`` (text) as a notice, in one simple query: that value, or ``None`` when the
    notice did not arrive (the work was done)."""
    values = await heard(conn, raising(_TAG, expression, before=work), _TAG)
    return values[0] if values else None


async def _raised(conn: AnyConnection, expression: str) -> str | None:
    """Inside :func:`scratch_transaction`: the value of the SQL expression ``expression``
    (text, never NULL) in one simple query, which needs no round trip to prepare; ``None``
    where a DO block cannot hand it back (the caller then runs its own query)."""
    if not _raising.get():
        return None
    return await _raise(conn, "", expression)


async def hold_migration_lock_shared(conn: AnyConnection) -> None:
    """Take the migration lock shared until the transaction ends, in one round trip."""
    # A simple query (the key as a literal): a parameter would cost a round trip to prepare.
    await conn.execute(f"SELECT {_LOCK}")


async def prepare_schemas_enums_sequences(conn: AnyConnection, model: Catalog) -> None:
    """Inside a scratch transaction: make the model's schemas, enums and sequences exist as
    declared, so that types and expressions naming them can be spelled (the first step of
    :func:`~linkgress_async.canonical._named_types.prepare_named_objects`).

    An enum whose labels differ from the model's is renamed out of the way and declared
    afresh, so expressions may use labels a migration has not added yet. The caller holds
    the migration lock (:func:`scratch_transaction` takes it).
    """
    rows = await _existing_schemas_and_enums(conn, list(model.schemas))
    schemas = {schema for schema, _, _ in rows}
    enums = {(schema, enum): tuple(labels) for schema, enum, labels in rows if enum}
    statements = [f"CREATE SCHEMA {quote_ident(s)}" for s in model.schemas if s not in schemas]
    for number, enum in enumerate(model.enums):
        existing = enums.get((enum.schema, enum.name))
        if existing == enum.values:
            continue
        if existing is not None:
            aside = quote_ident(f"__linkgress_scratch_{number}")
            statements.append(f"ALTER TYPE {qualified(enum.schema, enum.name)} RENAME TO {aside}")
        labels = ", ".join(render_literal(v) for v in enum.values)
        statements.append(f"CREATE TYPE {qualified(enum.schema, enum.name)} AS ENUM ({labels})")
    for sequence in model.sequences:
        # Defaults may call nextval() on a sequence the plan has not created yet.
        statements.append(
            f"CREATE SEQUENCE IF NOT EXISTS {qualified(sequence.schema, sequence.name)}"
        )
    if statements:
        try:
            await conn.execute(";\n".join(statements))
        except ENVIRONMENT_ERRORS as error:
            raise scratch_unavailable(error) from error


_SCHEMAS_AND_ENUMS: Final = (
    "SELECT n.nspname, t.typname,"
    " array(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e"
    "       WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels"
    " FROM pg_catalog.pg_namespace n"
    " LEFT JOIN pg_catalog.pg_type t ON t.typnamespace = n.oid AND t.typtype = 'e'"
    " WHERE n.nspname = ANY({names})"
)


async def _existing_schemas_and_enums(
    conn: AnyConnection, schemas: list[str]
) -> list[tuple[str, str | None, list[str]]]:
    """Which of ``schemas`` exist, with their enums' labels: (schema, enum or ``None``,
    labels)."""
    rows = await scratch_rows(conn, _SCHEMAS_AND_ENUMS, schemas, ("nspname", "typname", "labels"))
    return [(schema, enum, list(labels)) for schema, enum, labels in rows]


async def scratch_rows(
    conn: AnyConnection, query: str, names: list[str], columns: Sequence[str]
) -> list[Sequence[Any]]:
    """Inside :func:`scratch_transaction`: the ``columns`` of the rows of ``query``, whose
    ``{names}`` stands for ``names`` as a ``text[]``. One round trip: by :func:`_raised` where
    a DO block can hand them back, else as a prepared statement."""
    listed = f"({render_literal(names, array=True)})::text[]"
    values = ", ".join(f"q.{column}" for column in columns)
    found = await _raised(
        conn,
        f"(SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_array({values})), '[]')"
        f"::text FROM ({query.format(names=listed)}) AS q)",
    )
    if found is not None:
        rows: list[Sequence[Any]] = json.loads(found)
        return rows
    return [
        tuple(row[c] for c in columns)
        for row in await conn.fetch(query.format(names="$1::text[]"), names)
    ]


async def read_scratch(conn: AnyConnection) -> tuple[str, Catalog]:
    """The session's temporary schema and what of it spells a model, read by the
    introspection queries (:data:`~linkgress_async.introspect._queries.SPELLING`; with
    introspection's session settings, which stay set until the rollback)."""
    # Asked in the round trip that sets the session up; NULL before any temporary object.
    temp_schema: str | None = await set_up_reading(
        conn,
        "(SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = pg_catalog.pg_my_temp_schema())",
        own_transaction=True,
    )
    if temp_schema is None:
        return "", Catalog()
    return temp_schema, assemble(await fetch_set_up(conn, [temp_schema], SPELLING))
