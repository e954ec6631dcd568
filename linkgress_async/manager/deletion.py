"""ensure_deleted's work: drop the model's objects, then its emptied schemas, under the lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkgress_async.canonical import canonicalize_routines
from linkgress_async.client import AnyConnection
from linkgress_async.diff.routines import drop_declared_routines
from linkgress_async.execute.statements import run_statements
from linkgress_async.manager.applying import migration_connection, with_lock_retries
from linkgress_async.ops import (
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropSequence,
    DropTable,
    MigrationOperation,
)
from linkgress_async.plan.lifecycle import children_first, released_sequences
from linkgress_async.render.quote import quote_ident

if TYPE_CHECKING:
    from linkgress_async.manager import DbSchemaManager

__all__ = ["delete_model"]


async def delete_model(manager: DbSchemaManager) -> list[MigrationOperation]:
    """Drop the model's objects (and its schemas other than ``public`` once empty)."""
    current = await manager.introspect()
    model = manager.model
    operations: list[MigrationOperation] = []
    if model.views or model.functions:
        # Views and functions first: they may use the tables. Functions are matched by
        # their argument types, which only the server can spell.
        pool = await manager.db.client.connect()
        async with pool.acquire() as probe:
            spelled = await canonicalize_routines(probe, model)
        operations.extend(drop_declared_routines(current, spelled))
    operations.extend(released_sequences(model, current))
    for table in model.tables:
        live = current.table(table.schema, table.name)
        if live is None:
            continue
        live_fks = {fk.name for fk in live.foreign_keys}
        live_indexes = {index.name for index in live.indexes}
        operations.extend(
            DropForeignKey(table.name, fk.name, table.schema, fk)
            for fk in table.foreign_keys
            if fk.name in live_fks
        )
        operations.extend(
            DropIndex(table.name, index.name, table.schema, index)
            for index in table.indexes
            if index.name in live_indexes
        )
    operations.extend(
        DropTable(t.name, t.schema, t)
        for t in children_first(model.tables)
        if current.table(t.schema, t.name) is not None
    )
    live_sequences = {s.qualified_name for s in current.sequences}
    operations.extend(
        DropSequence(s.name, s.schema, s)
        for s in model.sequences
        if s.qualified_name in live_sequences
    )
    operations.extend(
        DropEnum(e.name, e.schema, e.values)
        for e in model.enums
        if current.enum(e.schema, e.name) is not None
    )

    async def attempt() -> None:
        async with migration_connection(manager) as conn:
            await run_statements(conn, manager.to_sql(operations))
            for schema in model.schemas:
                if schema == "public" or schema not in current.schemas:
                    continue
                if await _schema_is_empty(conn, schema):
                    await conn.execute(f"DROP SCHEMA {quote_ident(schema)}")

    await with_lock_retries(manager, attempt, "Dropping the model's objects")
    return operations


async def _schema_is_empty(conn: AnyConnection, schema: str) -> bool:
    """Whether nothing (no relation, type, function) is left in ``schema``."""
    return bool(
        await conn.fetchval(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
            "  WHERE c.relnamespace = n.oid)"
            " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid)"
            " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid)"
            " FROM pg_catalog.pg_namespace n WHERE n.nspname = $1",
            schema,
        )
    )
