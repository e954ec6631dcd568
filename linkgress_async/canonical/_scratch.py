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

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from linkgress_async._locks import MIGRATE_LOCK_KEY
from linkgress_async.catalog import Catalog
from linkgress_async.client import AnyConnection
from linkgress_async.errors import ScratchUnavailableError
from linkgress_async.introspect._assemble import assemble
from linkgress_async.introspect._fetch import fetch_set_up, set_up_reading
from linkgress_async.introspect._queries import SPELLING
from linkgress_async.render.quote import qualified, quote_ident, render_literal

__all__ = [
    "ENVIRONMENT_ERRORS",
    "hold_migration_lock_shared",
    "is_model_error",
    "prepare_schemas_enums_sequences",
    "read_scratch",
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


@asynccontextmanager
async def scratch_transaction(conn: AnyConnection, state: str = "") -> AsyncIterator[str]:
    """A transaction (a savepoint inside one) that is always rolled back, holding the
    migration lock shared; it yields the value of the SQL expression ``state`` read as it
    starts, before any scratch object exists (in the lock's round trip; "" without one)."""
    transaction = conn.transaction()
    await transaction.start()
    try:
        if state:
            token: str = await conn.fetchval(
                f"SELECT {state} FROM pg_catalog.pg_advisory_xact_lock_shared($1)",
                MIGRATE_LOCK_KEY,
            )
            yield token
        else:
            await hold_migration_lock_shared(conn)
            yield ""
    finally:
        await transaction.rollback()


async def hold_migration_lock_shared(conn: AnyConnection) -> None:
    """Take the migration lock shared until the transaction ends, in one round trip."""
    # A simple query (the key as a literal): a parameter would cost a round trip to prepare.
    await conn.execute(
        f"SELECT pg_catalog.pg_advisory_xact_lock_shared({render_literal(MIGRATE_LOCK_KEY)})"
    )


async def prepare_schemas_enums_sequences(conn: AnyConnection, model: Catalog) -> None:
    """Inside a scratch transaction: make the model's schemas, enums and sequences exist as
    declared, so that types and expressions naming them can be spelled (the first step of
    :func:`~linkgress_async.canonical._named_types.prepare_named_objects`).

    An enum whose labels differ from the model's is renamed out of the way and declared
    afresh, so expressions may use labels a migration has not added yet. The caller holds
    the migration lock (:func:`scratch_transaction` takes it).
    """
    rows = await conn.fetch(
        "SELECT n.nspname, t.typname,"
        " array(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e"
        "       WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels"
        " FROM pg_catalog.pg_namespace n"
        " LEFT JOIN pg_catalog.pg_type t ON t.typnamespace = n.oid AND t.typtype = 'e'"
        " WHERE n.nspname = ANY($1::text[])",
        list(model.schemas),
    )
    schemas = {row["nspname"] for row in rows}
    enums = {(r["nspname"], r["typname"]): tuple(r["labels"]) for r in rows if r["typname"]}
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
