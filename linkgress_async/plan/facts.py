"""Facts about the stored data that decide how risky a plan is.

The diff is pure and sees only the catalogs; whether a plan loses data can depend on the rows.
An enum rebuilt without some of its values loses nothing when no row holds one of them, so
the manager asks the database before it marks the rebuild destructive. Likewise the diff sees
only the model's schemas, while a table elsewhere may use one of the model's enums: such an
enum is kept rather than dropped, and a rebuild converts that column too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import asyncpg
import attrs

from linkgress_async.client import AnyConnection, using
from linkgress_async.errors import EnumRebuildBlockedError
from linkgress_async.ops import (
    DropEnum,
    EnumColumnUse,
    MigrationOperation,
    RebuildEnum,
    RenameColumn,
    RenameTable,
)
from linkgress_async.render.quote import qualified, quote_ident

__all__ = ["mark_enum_rebuilds", "outside_enum_uses", "respect_outside_uses"]


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
    # One statement, no explicit transaction: its share locks on the tables end with it,
    # even if the client vanishes before the reply (a transaction left open would keep them,
    # blocking DDL, until the server noticed).
    try:
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


async def outside_enum_uses(
    conn: AnyConnection,
    enums: Sequence[tuple[str, str]],
    model_schemas: Iterable[str],
) -> dict[tuple[str, str], list[EnumColumnUse]]:
    """Columns outside ``model_schemas`` whose type is one of ``enums`` (or its array).

    Inside the caller's transaction (the migration's, under its lock) the query sees what
    that transaction sees, and its setting is undone with a savepoint.
    """
    transaction = conn.transaction(readonly=True)
    await transaction.start()
    try:
        await conn.execute("SET LOCAL search_path = pg_catalog")
        rows = await conn.fetch(
            "SELECT n.nspname AS enum_schema, t.typname AS enum_name,"
            " cn.nspname AS table_schema, c.relname AS table_name, a.attname,"
            " a.atttypid = t.typarray AS is_array, pg_get_expr(ad.adbin, ad.adrelid) AS def"
            " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            " JOIN pg_attribute a ON a.atttypid IN (t.oid, t.typarray)"
            "  AND a.attnum > 0 AND NOT a.attisdropped"
            " JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')"
            " JOIN pg_namespace cn ON cn.oid = c.relnamespace"
            " LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
            " WHERE (n.nspname, t.typname) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
            "  AND cn.nspname <> ALL($3::text[])"
            " ORDER BY 3, 4, 5",
            [schema for schema, _ in enums],
            [name for _, name in enums],
            list(model_schemas),
        )
    finally:
        await transaction.rollback()
    uses: dict[tuple[str, str], list[EnumColumnUse]] = {}
    for row in rows:
        uses.setdefault((row["enum_schema"], row["enum_name"]), []).append(
            EnumColumnUse(
                row["table_schema"],
                row["table_name"],
                row["attname"],
                row["is_array"],
                row["def"],
            )
        )
    return uses


async def respect_outside_uses(
    source: asyncpg.Pool | AnyConnection,
    operations: list[MigrationOperation],
    model_schemas: Iterable[str],
    out: Callable[[str], object],
) -> list[MigrationOperation]:
    """Account for columns outside the model's schemas that use the model's enums.

    Those tables are not the model's: an enum they use is kept rather than dropped (which
    would fail, or with CASCADE delete their data), and a rebuilt enum converts them too.
    ``source`` is a pool, or the connection of a transaction that must see the query (one
    that holds the only connection of a small pool, too).
    """
    touched = [op for op in operations if isinstance(op, DropEnum | RebuildEnum)]
    if not touched:
        return operations
    enums = [(op.schema_name, op.enum_name) for op in touched]
    async with using(source) as conn:
        uses = await outside_enum_uses(conn, enums, model_schemas)
    result: list[MigrationOperation] = []
    for op in operations:
        outside = uses.get((op.schema_name, op.enum_name), []) if op in touched else []
        if isinstance(op, DropEnum) and outside:
            out(
                f"Keeping enum '{op.schema_name}.{op.enum_name}': columns outside the "
                "model's schemas use it."
            )
            continue
        if isinstance(op, RebuildEnum) and outside:
            _refuse_lost_defaults(op, outside)
            op = attrs.evolve(op, columns=(*op.columns, *outside))
        result.append(op)
    return result


_QUOTED_LITERAL = re.compile(r"^'((?:[^']|'')*)'::")


def _default_labels(use: EnumColumnUse) -> set[str]:
    """The enum labels a constant default names (``'a'::e``, ``'{a,"b c"}'::e[]``); none
    for an expression, which the server alone can evaluate."""
    match = _QUOTED_LITERAL.match(use.default or "")
    if match is None:
        return set()
    text = match.group(1).replace("''", "'")
    if not use.is_array:
        return {text}
    if not (text.startswith("{") and text.endswith("}")):
        return set()
    items = re.findall(r'"((?:[^"\\]|\\.)*)"|([^,{}]+)', text[1:-1])
    return {re.sub(r"\\(.)", r"\1", quoted) if quoted else bare for quoted, bare in items}


def _refuse_lost_defaults(op: RebuildEnum, outside: Sequence[EnumColumnUse]) -> None:
    """Raise when a column outside the model defaults to a value the rebuild removes."""
    removed = set(op.removed_values)
    lost = [(use, sorted(_default_labels(use) & removed)) for use in outside]
    blocked = [(use, values) for use, values in lost if values]
    if not blocked:
        return
    columns = "; ".join(
        f"{qualified(use.schema_name, use.table_name)}.{quote_ident(use.column_name)} "
        f"defaults to {', '.join(repr(v) for v in values)}"
        for use, values in blocked
    )
    raise EnumRebuildBlockedError(
        f"Cannot rebuild enum {qualified(op.schema_name, op.enum_name)} without "
        f"{', '.join(repr(v) for v in op.removed_values)}: columns outside the model's schemas "
        f"use it ({columns}). They are not the model's to change: give them another default "
        "(ALTER TABLE ... ALTER COLUMN ... SET DEFAULT or DROP DEFAULT), or keep the value in "
        "the model's enum. Nothing was changed."
    )
