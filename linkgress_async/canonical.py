"""The server's own spelling of the model's types, defaults and expressions.

A model says ``has_default_value("draft")``; the catalog will say ``'draft'::public.status``.
Rather than imitate PostgreSQL's deparser with regexes, the model's expressions are built on
scratch tables inside a transaction that is always rolled back, and read back with
``format_type``, ``pg_get_expr`` and ``pg_get_indexdef`` under ``search_path = pg_catalog`` —
the same functions and setting introspection uses, so equal means equal.

Missing schemas and enums are created inside that transaction, and an enum whose values
differ from the model's is renamed out of the way and declared afresh, so expressions may use
values a migration has not added yet. Nothing of it survives the rollback.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping

import asyncpg
import attrs
from attrs import frozen

from linkgress_async._gc import paused_gc
from linkgress_async.catalog import (
    SERIAL_STORAGE_TYPES,
    Catalog,
    Column,
    IndexElement,
    QualifiedName,
    Table,
    storage_type,
)
from linkgress_async.client import AnyConnection, using
from linkgress_async.diff import DiffContext, type_changes
from linkgress_async.errors import ModelError
from linkgress_async.introspect._queries import SESSION_SETUP
from linkgress_async.render.quote import qualified, quote_ident, render_literal

__all__ = [
    "Canonical",
    "canonicalize",
    "castable_pairs",
    "diff_context",
    "enum_spellings",
    "is_builtin_type",
]

_BUILTIN = re.compile(
    r"(smallint|integer|bigint|smallserial|serial|bigserial|real|double precision|text"
    r"|boolean|date|time(\(\d\))? with(out)? time zone|timestamp(\(\d\))? with(out)? time zone"
    r"|interval(\(\d\))?|uuid|json|jsonb|bytea|inet|cidr"
    r"|numeric(\(\d+,\d+\))?|character varying(\(\d+\))?|character\(\d+\))(\[\])*"
)
# Each scratch table stays well below PostgreSQL's 1,600-column limit.
_COLUMNS_PER_SCRATCH_TABLE = 1000


@functools.lru_cache(maxsize=4096)
def is_builtin_type(data_type: str) -> bool:
    """Whether ``data_type`` is already spelled as ``format_type`` spells a built-in type."""
    return _BUILTIN.fullmatch(data_type) is not None


@frozen
class Canonical:
    """The model in the server's spelling, plus each enum's spelling as a column type."""

    catalog: Catalog
    enum_type_names: dict[QualifiedName, str] = attrs.field(factory=dict)


@frozen
class _Slot:
    """One scratch column: a type and an optional default to spell."""

    data_type: str
    default: str | None


@frozen
class _Shape:
    """A scratch table shaped like a model table, for its checks and index expressions."""

    columns: tuple[tuple[str, str], ...]
    checks: tuple[str, ...]
    indexes: tuple[tuple[str, tuple[IndexElement, ...], str | None], ...]


def _needs_server(column: Column) -> bool:
    return column.default is not None or not is_builtin_type(column.data_type)


def _table_needs_server(table: Table) -> bool:
    if table.checks:
        return True
    return any(
        index.where is not None or any(e.expression is not None for e in index.elements)
        for index in table.indexes
    )


async def _prepare_types(conn: AnyConnection, model: Catalog) -> None:
    """Inside the scratch transaction: make the model's schemas and enums exist as declared."""
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
        await conn.execute(";\n".join(statements))


def _slot_sql(number: int, slot: _Slot) -> str:
    text = f"c{number} {storage_type(slot.data_type)}"
    if slot.default is not None:
        text += f" DEFAULT {slot.default}"
    return text


def _slot_tables(slots: list[_Slot]) -> list[tuple[str, list[_Slot], str]]:
    """(table name, its slots, CREATE statement) for each scratch table of slots."""
    tables = []
    for start in range(0, len(slots), _COLUMNS_PER_SCRATCH_TABLE):
        chunk = slots[start : start + _COLUMNS_PER_SCRATCH_TABLE]
        name = f"pg_temp.__linkgress_slots_{start}"
        columns = ", ".join(_slot_sql(start + i, slot) for i, slot in enumerate(chunk))
        tables.append((name, chunk, f"CREATE TEMPORARY TABLE {name} ({columns})"))
    return tables


async def _read_slots(
    conn: AnyConnection, tables: list[tuple[str, list[_Slot], str]]
) -> dict[_Slot, _Slot]:
    spelled: dict[_Slot, _Slot] = {}
    for name, chunk, _ in tables:
        rows = await conn.fetch(
            "SELECT a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,"
            " pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS def"
            " FROM pg_catalog.pg_attribute a"
            " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped"
            " ORDER BY a.attnum",
            name,
        )
        for slot, row in zip(chunk, rows, strict=True):
            data_type = row["data_type"]
            if slot.data_type in SERIAL_STORAGE_TYPES:
                data_type = slot.data_type
            spelled[slot] = _Slot(data_type, row["def"])
    return spelled


def _shape_sql(name: str, shape: _Shape) -> list[str]:
    columns = ", ".join(f"{quote_ident(c)} {storage_type(t)}" for c, t in shape.columns)
    checks = "".join(
        f", CONSTRAINT {quote_ident(f'c{i}')} CHECK ({expr})" for i, expr in enumerate(shape.checks)
    )
    statements = [f"CREATE TEMPORARY TABLE {name} ({columns}{checks})"]
    for i, (method, elements, where) in enumerate(shape.indexes):
        keys = ", ".join(
            quote_ident(e.column) if e.column is not None else f"({e.expression})" for e in elements
        )
        text = f"CREATE INDEX {quote_ident(f'{name[8:]}_i{i}')} ON {name} USING {method} ({keys})"
        if where is not None:
            text += f" WHERE {where}"
        statements.append(text)
    return statements


_SpelledShape = tuple[list[str], list[tuple[tuple[IndexElement, ...], str | None]]]


async def _read_shape(conn: AnyConnection, name: str, shape: _Shape) -> _SpelledShape:
    checks = await conn.fetch(
        "SELECT pg_catalog.pg_get_expr(conbin, conrelid) AS expr FROM pg_catalog.pg_constraint"
        " WHERE conrelid = $1::regclass AND contype = 'c'"
        " ORDER BY substr(conname, 2)::int",
        name,
    )
    indexes = await conn.fetch(
        "SELECT array(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)"
        "       FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS defs,"
        " pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS pred, c.relname"
        " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = $1::regclass",
        name,
    )
    by_number = sorted(indexes, key=lambda r: int(r["relname"].rsplit("_i", 1)[1]))
    spelled_indexes = []
    for (_method, elements, _where), row in zip(shape.indexes, by_number, strict=True):
        spelled_elements = tuple(
            element
            if element.column is not None
            else IndexElement(expression=row["defs"][position])
            for position, element in enumerate(elements)
        )
        spelled_indexes.append((spelled_elements, row["pred"]))
    return [r["expr"] for r in checks], spelled_indexes


async def _spell(
    conn: AnyConnection, slots: list[_Slot], shapes: list[_Shape]
) -> tuple[dict[_Slot, _Slot], dict[_Shape, _SpelledShape]]:
    """Build the scratch objects under the caller's search_path, read them under pg_catalog.

    Parsing must see the user's search_path (as the migration will); printing must not, so
    that names come out schema-qualified exactly as introspection prints them.
    """
    slot_tables = _slot_tables(slots)
    shape_names = [f"pg_temp.__linkgress_shape_{n}" for n in range(len(shapes))]
    statements = [create for _, _, create in slot_tables]
    for name, shape in zip(shape_names, shapes, strict=True):
        statements.extend(_shape_sql(name, shape))
    if statements:
        await conn.execute(";\n".join(statements))
    saved = await conn.fetchval("SELECT pg_catalog.current_setting('search_path')")
    # Read with introspection's own settings (search path, time zone, date style).
    await conn.execute(SESSION_SETUP)
    spelled_slots = await _read_slots(conn, slot_tables)
    spelled_shapes = {
        shape: await _read_shape(conn, name, shape)
        for name, shape in zip(shape_names, shapes, strict=True)
    }
    await conn.execute("SELECT pg_catalog.set_config('search_path', $1, true)", saved)
    return spelled_slots, spelled_shapes


async def _probe(
    conn: AnyConnection, slots: list[_Slot], shapes: list[_Shape]
) -> asyncpg.PostgresError | None:
    """Spell ``slots`` and ``shapes`` in a savepoint that is always rolled back.

    Rolling back on success too matters: the scratch tables reuse their names, so a probe
    that left its tables behind would make the next one fail for the wrong reason.
    """
    savepoint = conn.transaction()
    await savepoint.start()
    try:
        await _spell(conn, slots, shapes)
    except asyncpg.PostgresError as failure:
        return failure
    finally:
        await savepoint.rollback()
    return None


async def _locate_failure(conn: AnyConnection, model: Catalog, error: Exception) -> None:
    """Name the model object whose expression the server rejected, as a ModelError."""
    for table in model.tables:
        for column in table.columns:
            if not _needs_server(column):
                continue
            failure = await _probe(conn, [_Slot(column.data_type, column.default)], [])
            if failure is not None:
                raise ModelError(
                    f"column '{table.schema}.{table.name}.{column.name}': the server rejects "
                    f"its type {column.data_type!r} or default {column.default!r}: {failure}"
                ) from failure
        if _table_needs_server(table):
            failure = await _probe(conn, [], [_shape_of(table)])
            if failure is not None:
                raise ModelError(
                    f"table '{table.schema}.{table.name}': the server rejects a check or index "
                    f"expression: {failure}"
                ) from failure
    raise ModelError(f"the server rejects part of the model: {error}") from error


def _shape_of(table: Table) -> _Shape:
    return _Shape(
        tuple((c.name, c.data_type) for c in table.columns),
        tuple(c.expression for c in table.checks),
        tuple((i.method, i.elements, i.where) for i in table.indexes),
    )


async def _enum_spellings(conn: AnyConnection, model: Catalog) -> dict[QualifiedName, str]:
    # Runs where search_path is pg_catalog already (the caller's transaction).
    if not model.enums:
        return {}
    # The names enums were renamed from are spelled too (when they exist), so that the diff
    # finds the columns that use them.
    keys = [e.qualified_name for e in model.enums]
    keys += [QualifiedName(e.schema, e.renamed_from) for e in model.enums if e.renamed_from]
    rows = await conn.fetch(
        "SELECT n, pg_catalog.format_type(pg_catalog.to_regtype(n), NULL) AS spelled"
        " FROM unnest($1::text[]) WITH ORDINALITY AS u(n, o) ORDER BY o",
        [qualified(key.schema, key.name) for key in keys],
    )
    return {
        key: row["spelled"]
        for key, row in zip(keys, rows, strict=True)
        if row["spelled"] is not None
    }


class _Memo:
    """What canonicalizing one model object needs, and its last answer from a server.

    The questions (slots, shapes) are a pure function of the immutable model, so they are
    computed once per model object. The server is asked every time, since its answers depend
    on it; only when they equal the previous answers is the previous result reused instead
    of being assembled again.
    """

    __slots__ = ("answers", "distinct_columns", "result", "shapes", "slots", "table_shapes")

    def __init__(self, model: Catalog) -> None:
        # Real schemas repeat the same columns (ids, timestamps, flags) across many tables:
        # each distinct column is looked at once.
        self.distinct_columns = {c for t in model.tables for c in t.columns}
        self.slots = sorted(
            {_Slot(c.data_type, c.default) for c in self.distinct_columns if _needs_server(c)},
            key=lambda s: (s.data_type, s.default or ""),
        )
        # Each table's shape is computed once: it keys the server's answer for that table too.
        self.table_shapes = [_shape_of(t) if _table_needs_server(t) else None for t in model.tables]
        self.shapes = sorted({s for s in self.table_shapes if s is not None}, key=repr)
        self.answers: object = None
        self.result: Canonical | None = None


_MEMO_SIZE = 8
_memos: dict[int, tuple[weakref.ref[Catalog], _Memo]] = {}


def _memo(model: Catalog) -> _Memo:
    """The memo of this very model object (models are immutable; a few are kept)."""
    entry = _memos.get(id(model))
    if entry is not None and entry[0]() is model:
        return entry[1]
    memo = _Memo(model)
    if len(_memos) >= _MEMO_SIZE:
        _memos.pop(next(iter(_memos)))
    key = id(model)
    _memos[key] = (weakref.ref(model, lambda _ref: _memos.pop(key, None)), memo)
    return memo


async def canonicalize(conn: AnyConnection, model: Catalog) -> Canonical:
    """The model with every type, default and expression in the server's spelling."""
    memo = _memo(model)
    slots, table_shapes, shapes = memo.slots, memo.table_shapes, memo.shapes
    if not slots and not shapes and not model.enums:
        return Canonical(model)
    transaction = conn.transaction()
    await transaction.start()
    try:
        try:
            await _prepare_types(conn, model)
            spelled_slots, spelled_shapes = await _spell(conn, slots, shapes)
        except asyncpg.PostgresError as error:
            await transaction.rollback()
            transaction = conn.transaction()
            await transaction.start()
            await _prepare_types(conn, model)
            await _locate_failure(conn, model, error)
            raise  # pragma: no cover - _locate_failure always raises
        await conn.execute("SET LOCAL search_path = pg_catalog")
        enum_names = await _enum_spellings(conn, model)
    finally:
        await transaction.rollback()
    answers = (spelled_slots, spelled_shapes, enum_names)
    if memo.result is not None and memo.answers == answers:
        return memo.result
    with paused_gc():
        spelled_columns = {c: _spelled_column(c, spelled_slots) for c in memo.distinct_columns}
        tables = [
            _spelled_table(t, spelled_columns, None if shape is None else spelled_shapes[shape])
            for t, shape in zip(model.tables, table_shapes, strict=True)
        ]
    memo.answers = answers
    memo.result = Canonical(attrs.evolve(model, tables=tables), enum_names)
    return memo.result


def _spelled_column(column: Column, slots: dict[_Slot, _Slot]) -> Column:
    if not _needs_server(column):
        return column
    spelled = slots[_Slot(column.data_type, column.default)]
    if spelled.data_type == column.data_type and spelled.default == column.default:
        return column
    return attrs.evolve(column, data_type=spelled.data_type, default=spelled.default)


def _respelled(column: Column, spelled_columns: dict[Column, Column]) -> Column:
    spelled = spelled_columns[column]
    # Columns equal but for the rename hint share one entry; keep this column's hint.
    if spelled is column or spelled.renamed_from == column.renamed_from:
        return spelled
    return attrs.evolve(spelled, renamed_from=column.renamed_from)


def _spelled_table(
    table: Table, spelled_columns: dict[Column, Column], shape: _SpelledShape | None
) -> Table:
    """``table`` with the server's spelling of its columns, checks and index expressions."""
    columns = tuple(_respelled(column, spelled_columns) for column in table.columns)
    if shape is None:
        if all(new is old for new, old in zip(columns, table.columns, strict=True)):
            return table
        return attrs.evolve(table, columns=columns)
    check_texts, index_parts = shape
    checks = tuple(
        attrs.evolve(c, expression=text) for c, text in zip(table.checks, check_texts, strict=True)
    )
    indexes = tuple(
        attrs.evolve(i, elements=elements, where=where)
        for i, (elements, where) in zip(table.indexes, index_parts, strict=True)
    )
    return attrs.evolve(table, columns=columns, checks=checks, indexes=indexes)


async def enum_spellings(conn: AnyConnection, catalog: Catalog) -> dict[QualifiedName, str]:
    """How the server spells the type of each enum of ``catalog`` (and of the names they were
    renamed from) in a column type, as introspection reads column types."""
    if not catalog.enums:
        return {}
    async with conn.transaction():
        await conn.execute("SET LOCAL search_path = pg_catalog")
        return await _enum_spellings(conn, catalog)


async def diff_context(
    source: asyncpg.Pool | AnyConnection,
    current: Catalog,
    target: Catalog,
    enum_type_names: Mapping[QualifiedName, str],
) -> DiffContext:
    """The diff's context for turning ``current`` into ``target`` on the database of
    ``source``: which of the type changes an explicit cast converts there (the others are
    drop + add). A pool is only used when there is a type change to ask about."""
    pairs = type_changes(current, target, DiffContext(enum_type_names=enum_type_names))
    accepted: frozenset[tuple[str, str]] = frozenset()
    if pairs:
        async with using(source) as conn:
            accepted = await castable_pairs(conn, target, pairs)

    def castable(old: str, new: str) -> bool:
        return (old, new) in accepted

    return DiffContext(castable=castable, enum_type_names=enum_type_names)


async def castable_pairs(
    conn: AnyConnection, model: Catalog, pairs: Iterable[tuple[str, str]]
) -> frozenset[tuple[str, str]]:
    """The (from, to) type pairs an explicit cast converts (so ``USING col::to`` works)."""

    async def casts(old: str, new: str) -> bool:
        await conn.execute(f"SELECT NULL::{old}::{new}")
        return True

    return await probe_pairs(conn, pairs, lambda: _prepare_types(conn, model), casts)


async def probe_pairs(
    conn: AnyConnection,
    pairs: Iterable[tuple[str, str]],
    setup: Callable[[], Awaitable[None]],
    accepts: Callable[[str, str], Awaitable[bool]],
) -> frozenset[tuple[str, str]]:
    """The pairs ``accepts`` holds for, each tried in a savepoint after ``setup``, all in one
    transaction that is rolled back; a pair the server rejects (an error) is not accepted."""
    pairs = sorted(set(pairs))
    if not pairs:
        return frozenset()
    accepted: set[tuple[str, str]] = set()
    transaction = conn.transaction()
    await transaction.start()
    try:
        await setup()
        for old, new in pairs:
            try:
                async with conn.transaction():
                    if await accepts(old, new):
                        accepted.add((old, new))
            except asyncpg.PostgresError:
                continue
    finally:
        await transaction.rollback()
    return frozenset(accepted)
