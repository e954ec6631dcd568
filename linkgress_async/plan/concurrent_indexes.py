"""``migrate(concurrent_indexes=True)``: index builds on existing tables run concurrently.

Linkgress' ``concurrentIndexes``. ``CREATE INDEX CONCURRENTLY`` lets writes to the table go on
while the index is built, but cannot run inside a transaction: those builds leave the plan's
transaction and run one by one after it commits. What must stay in the transaction does:
indexes of tables the plan creates (empty, so nothing to wait for), of partitioned tables
(PostgreSQL refuses CONCURRENTLY there), a unique index a new foreign key of the plan needs,
and an index another operation of the plan names (a comment, new storage options).
A concurrent build that fails leaves an invalid index behind; it is dropped before the error
is raised, so the next migration builds it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncpg
import attrs

from linkgress_async.catalog import Catalog, QualifiedName
from linkgress_async.client import PgClient
from linkgress_async.errors import SchemaApplyError, one_line
from linkgress_async.ops import CreateForeignKey, CreateIndex, CreateTable, MigrationOperation
from linkgress_async.render.quote import qualified, quote_ident
from linkgress_async.render.sql import plan_sql

__all__ = ["build_concurrently", "split_concurrent"]


def split_concurrent(
    operations: Sequence[MigrationOperation], model: Catalog
) -> tuple[list[MigrationOperation], list[CreateIndex]]:
    """The operations that stay in the transaction, and the index builds that leave it
    (marked ``concurrently``), each list in plan order."""
    new_tables = {
        QualifiedName(op.schema_name, op.table_name)
        for op in operations
        if isinstance(op, CreateTable)
    }
    partitioned = {
        QualifiedName(table.schema, table.name)
        for table in model.tables
        if table.partition_by is not None
    }
    referenced = {
        (fk.constraint.referenced_table, frozenset(fk.constraint.referenced_columns))
        for fk in operations
        if isinstance(fk, CreateForeignKey)
    }
    candidates = [
        op
        for op in operations
        if isinstance(op, CreateIndex)
        and QualifiedName(op.schema_name, op.table_name) not in new_tables | partitioned
        and not (
            op.unique
            and op.where is None
            and (
                QualifiedName(op.schema_name, op.table_name),
                frozenset(e.column for e in op.columns if e.column is not None),
            )
            in referenced
        )
    ]
    if not candidates:
        return list(operations), []
    others = "\n".join(plan_sql([op for op in operations if not isinstance(op, CreateIndex)]))
    leaving = {id(op) for op in candidates if quote_ident(op.index_name) not in others}
    kept = [op for op in operations if id(op) not in leaving]
    moved = [attrs.evolve(op, concurrently=True) for op in candidates if id(op) in leaving]
    return kept, moved


async def build_concurrently(
    client: PgClient, indexes: Sequence[CreateIndex], out: Callable[[str], object]
) -> None:
    """Build ``indexes`` with ``CREATE INDEX CONCURRENTLY``, one at a time, outside any
    transaction; a failed build's invalid index is dropped and the error raised."""
    if not indexes:
        return
    async with client.acquire() as conn:
        for number, index in enumerate(indexes):
            (statement,) = plan_sql([index])
            out(f"Building index {index.index_name} concurrently ...")
            try:
                await conn.execute(statement)
            except asyncpg.PostgresError as error:
                await conn.execute(
                    "DROP INDEX CONCURRENTLY IF EXISTS "
                    + qualified(index.schema_name, index.index_name)
                )
                left = [i.index_name for i in indexes[number + 1 :]]
                rest = f"; not built: {', '.join(left)}" if left else ""
                raise SchemaApplyError(
                    f"The migration was applied but building index {index.index_name} "
                    f"concurrently failed: {one_line(error)}. The invalid index was dropped"
                    f"{rest}; fix the cause and migrate again to build "
                    f"{'them' if left else 'it'}"
                ) from error
    built = "1 index" if len(indexes) == 1 else f"{len(indexes)} indexes"
    out(f"Built {built} concurrently.")
