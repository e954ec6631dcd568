"""Facts about the stored data that decide how risky a plan is.

The diff is pure and sees only the catalogs; whether a plan loses data can depend on the rows.
An enum rebuilt without some of its values loses nothing when no row holds one of them, so
the manager asks the database before it marks the rebuild destructive.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import attrs

from linkgress_async.client import AnyConnection
from linkgress_async.ops import MigrationOperation, RebuildEnum, RenameColumn, RenameTable
from linkgress_async.render.quote import qualified, quote_ident

__all__ = ["mark_enum_rebuilds"]


def _live_names(
    operations: Sequence[MigrationOperation],
) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str, str], str]]:
    """Maps from names after the plan's renames to the names the database has now."""
    tables: dict[tuple[str, str], str] = {}
    columns: dict[tuple[str, str, str], str] = {}
    for op in operations:
        if isinstance(op, RenameTable):
            tables[(op.schema_name, op.new_name)] = op.table_name
        elif isinstance(op, RenameColumn):
            columns[(op.schema_name, op.table_name, op.new_name)] = op.column_name
    return tables, columns


def _holds_removed_sql(op: RebuildEnum, operations: Sequence[MigrationOperation]) -> str | None:
    """One query: does any column using the enum hold a removed value ($1)?"""
    tables, columns = _live_names(operations)
    tests: list[str] = []
    for use in op.columns:
        table = tables.get((use.schema_name, use.table_name), use.table_name)
        column = columns.get((use.schema_name, use.table_name, use.column_name), use.column_name)
        value = quote_ident(column)
        condition = f"{value}::text[] && $1::text[]" if use.is_array else f"{value}::text = ANY($1)"
        tests.append(
            f"EXISTS (SELECT 1 FROM {qualified(use.schema_name, table)} WHERE {condition})"
        )
    if not tests:
        return None
    return "SELECT " + " OR ".join(tests)


async def _holds(conn: AnyConnection, query: str, values: Sequence[str]) -> bool | None:
    try:
        async with conn.transaction(readonly=True):
            return bool(await conn.fetchval(query, list(values)))
    except asyncpg.PostgresError:
        return None  # unreadable (a privilege, say): assume the worst


async def mark_enum_rebuilds(
    pool: asyncpg.Pool, operations: Sequence[MigrationOperation]
) -> list[MigrationOperation]:
    """``operations`` with each enum rebuild that removes values told whether rows hold them.

    A rebuild whose columns cannot be read stays unknown (``None``), hence destructive.
    """
    if not any(isinstance(op, RebuildEnum) and op.removed_values for op in operations):
        return list(operations)
    result: list[MigrationOperation] = []
    async with pool.acquire() as conn:
        for op in operations:
            if isinstance(op, RebuildEnum) and op.removed_values:
                query = _holds_removed_sql(op, operations)
                holds = False if query is None else await _holds(conn, query, op.removed_values)
                op = attrs.evolve(op, rows_hold_removed_values=holds)
            result.append(op)
    return result
