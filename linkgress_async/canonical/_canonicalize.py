"""canonicalize(model): the model in the server's own spelling.

A model says ``has_default_value("draft")``; the catalog will say ``'draft'::public.status``.
Rather than imitate PostgreSQL's deparser, the model's types, defaults and expressions are
built as scratch objects in a transaction that is always rolled back
(:mod:`._scratch`), read back by the introspection queries and mapped onto the model
(:mod:`._tables`, :mod:`._routines`).
"""

from __future__ import annotations

import weakref

import asyncpg
import attrs
from attrs import frozen

from linkgress_async._gc import paused_gc
from linkgress_async.canonical._bounds import BOUND_PREFIX, Bounds, bounds_of, respelled
from linkgress_async.canonical._cache import spelling_cache, state_expression
from linkgress_async.canonical._casts import read_enum_spellings
from linkgress_async.canonical._index_functions import create_index_functions
from linkgress_async.canonical._named_types import TypeProbes, prepare_named_objects
from linkgress_async.canonical._routine_refs import resolve_routine_refs
from linkgress_async.canonical._routines import Routines
from linkgress_async.canonical._scratch import (
    ENVIRONMENT_ERRORS,
    is_model_error,
    read_scratch,
    scratch_transaction,
    scratch_unavailable,
)
from linkgress_async.canonical._tables import (
    SHAPE_PREFIX,
    SLOT_PREFIX,
    Shape,
    needs_server,
    shape_of,
    shape_statements,
    slot_of,
    slot_statements,
    spelled_columns,
    spelled_slots,
    spelled_table,
    table_needs_server,
)
from linkgress_async.catalog import Catalog, QualifiedName
from linkgress_async.catalog.shared import with_shared_values
from linkgress_async.client import AnyConnection, server_version_num
from linkgress_async.errors import ModelError, one_line

__all__ = [
    "Canonical",
    "cached_spelling",
    "canonicalize",
    "canonicalize_routines",
    "spelling_state",
]


@frozen
class Canonical:
    """The model in the server's spelling, plus each enum's spelling as a column type."""

    catalog: Catalog
    enum_type_names: dict[QualifiedName, str] = attrs.field(factory=dict)


class _Questions:
    """What canonicalizing one model needs from the server: a pure function of the model,
    computed once per model object."""

    __slots__ = ("bounds", "distinct_columns", "shapes", "slots", "table_shapes")

    def __init__(self, model: Catalog) -> None:
        # Real schemas repeat the same columns (ids, timestamps, flags) across many tables:
        # each distinct column is looked at once.
        self.distinct_columns = {c for t in model.tables for c in t.columns}
        self.slots = sorted(
            {slot_of(c) for c in self.distinct_columns if needs_server(c)},
            key=lambda s: (s.data_type, s.default or "", s.collation or ""),
        )
        self.table_shapes = [shape_of(t) if table_needs_server(t) else None for t in model.tables]
        self.shapes = sorted({s for s in self.table_shapes if s is not None}, key=repr)
        self.bounds = bounds_of(model)


_MEMO_SIZE = 8
# The savepoint the scratch statements run in (see _build).
_BUILD = "linkgress_scratch_build"
_memos: dict[int, tuple[weakref.ref[Catalog], _Questions]] = {}


def _questions(model: Catalog) -> _Questions:
    """The questions of this very model object (models are immutable; a few are kept)."""
    entry = _memos.get(id(model))
    if entry is not None and entry[0]() is model:
        return entry[1]
    questions = _Questions(model)
    if len(_memos) >= _MEMO_SIZE:
        _memos.pop(next(iter(_memos)))
    key = id(model)
    _memos[key] = (weakref.ref(model, lambda _ref: _memos.pop(key, None)), questions)
    return questions


def spelling_state(model: Catalog) -> str:
    """The SQL expression of the state token the model's spelling is kept under (see
    :mod:`._cache`)."""
    columns = bool(model.views or model.functions or model.aggregates)
    columns = columns or bool(model.materialized_views or model.composite_types)
    return state_expression(columns=columns)


def cached_spelling(model: Catalog, state: str) -> Canonical | None:
    """The spelling of ``model`` made when the server's state token was ``state``, if kept."""
    kept = spelling_cache.get(model, state)
    return kept if isinstance(kept, Canonical) else None


async def canonicalize(conn: AnyConnection, model: Catalog) -> Canonical:
    """The model with every type, default and expression in the server's spelling.

    The answer is kept for the process under the server's state token read as the scratch
    transaction starts (:func:`cached_spelling` finds it; no extra round trip).
    """
    declared = model
    if await server_version_num(conn) < 180000:
        model = _without_not_null_names(model)
    questions = _questions(model)
    nothing = not (questions.slots or questions.shapes or questions.bounds.groups)
    if nothing and not model.enums and not Routines(model) and not TypeProbes(model):
        return Canonical(model)
    async with scratch_transaction(conn, spelling_state(declared)) as state:
        kept = cached_spelling(declared, state)
        if kept is None:
            kept = await _canonicalize(conn, model, questions)
            # Kept for the process: its columns become the very objects each later read
            # of the catalog assembles (comparing them is then an identity check).
            kept = attrs.evolve(kept, catalog=with_shared_values(kept.catalog))
            spelling_cache.put(declared, state, kept)
    return kept


async def _canonicalize(conn: AnyConnection, model: Catalog, questions: _Questions) -> Canonical:
    """:func:`canonicalize` inside its scratch transaction."""
    routines = Routines(model)
    types = TypeProbes(model)
    slot_tables = slot_statements(questions.slots)
    shape_tables = [shape_statements(n, shape) for n, shape in enumerate(questions.shapes)]
    statements = [create for _, _, create in slot_tables]
    statements += [statement for _, built in shape_tables for statement in built]
    statements += questions.bounds.statements()
    await prepare_named_objects(conn, model)
    await types.create(conn)
    await create_index_functions(conn, model)
    await _build(conn, statements, model, questions)
    await routines.create(conn)
    temp_schema, scratch = await read_scratch(conn)
    enum_names = await read_enum_spellings(conn, model)
    with paused_gc():
        scratch_tables = {t.name: t for t in scratch.tables if t.schema == temp_schema}
        slots = spelled_slots(slot_tables, scratch_tables)
        columns = spelled_columns(questions.distinct_columns, slots)
        shape_names = {
            shape: name for shape, (name, _) in zip(questions.shapes, shape_tables, strict=True)
        }
        tables = [
            spelled_table(
                table,
                columns,
                None if shape is None else (shape_names[shape], shape),
                scratch_tables,
            )
            for table, shape in zip(model.tables, questions.table_shapes, strict=True)
        ]
        tables = respelled(tables, questions.bounds.spelled(scratch_tables))
        catalog = routines.spelled(attrs.evolve(model, tables=tables), temp_schema, scratch)
        catalog = types.spelled(catalog, temp_schema, scratch)
    return Canonical(resolve_routine_refs(catalog), enum_names)


def _without_not_null_names(model: Catalog) -> Catalog:
    """``model`` as a server before PostgreSQL 18 keeps it: NOT NULL has no name there."""
    if not any(c.not_null_name for t in model.tables for c in t.columns):
        return model
    tables = [
        attrs.evolve(t, columns=tuple(attrs.evolve(c, not_null_name=None) for c in t.columns))
        for t in model.tables
    ]
    return attrs.evolve(model, tables=tables)


async def canonicalize_routines(conn: AnyConnection, model: Catalog) -> Catalog:
    """``model`` with only its views, functions, aggregates and materialized views in the
    server's spelling."""
    routines = Routines(model)
    if not routines:
        return model
    async with scratch_transaction(conn):
        await prepare_named_objects(conn, model)
        await routines.create(conn)
        temp_schema, scratch = await read_scratch(conn)
    return resolve_routine_refs(routines.spelled(model, temp_schema, scratch))


async def _build(
    conn: AnyConnection, statements: list[str], model: Catalog, questions: _Questions
) -> None:
    """Run the scratch statements in one round trip; when the server rejects one, name the
    model object it came from."""
    if not statements:
        return
    # The savepoint rides in the same simple query (asyncpg's would cost two round trips):
    # a rejected statement is found again in savepoints of its own after rolling back to it.
    try:
        await conn.execute(
            f"SAVEPOINT {_BUILD};\n" + ";\n".join(statements) + f";\nRELEASE SAVEPOINT {_BUILD}"
        )
    except ENVIRONMENT_ERRORS as error:
        raise scratch_unavailable(error) from error
    except asyncpg.PostgresError as error:
        if not is_model_error(error):
            raise
        await conn.execute(f"ROLLBACK TO SAVEPOINT {_BUILD}; RELEASE SAVEPOINT {_BUILD}")
        await _locate_failure(conn, model, questions, error)
        raise  # pragma: no cover - _locate_failure raises when the error is the model's


async def _rejects(conn: AnyConnection, statements: list[str]) -> asyncpg.PostgresError | None:
    """The server's objection to ``statements`` (run in a savepoint rolled back either way)."""
    savepoint = conn.transaction()
    await savepoint.start()
    try:
        await conn.execute(";\n".join(statements))
    except asyncpg.PostgresError as failure:
        return failure
    finally:
        await savepoint.rollback()
    return None


async def _locate_failure(
    conn: AnyConnection, model: Catalog, questions: _Questions, error: Exception
) -> None:
    """Raise a ModelError naming the model object whose declaration the server rejected."""
    for table in model.tables:
        for column in table.columns:
            if not needs_server(column):
                continue
            (_, _, create), *_ = slot_statements([slot_of(column)])
            failure = await _rejects(conn, [create])
            if failure is not None:
                raise ModelError(
                    f"column '{table.schema}.{table.name}.{column.name}': the server rejects "
                    f"its type {column.data_type!r}, default {column.default!r} or collation "
                    f"{column.collation!r}: {_told(failure, _SCRATCH_NAMES, column.name)}"
                ) from failure
    for table, shape in zip(model.tables, questions.table_shapes, strict=True):
        if shape is None:
            continue
        for what, part in _parts(shape):
            failure = await _rejects(conn, shape_statements(0, part)[1])
            if failure is not None:
                raise ModelError(
                    f"table '{table.schema}.{table.name}': the server rejects {what}: "
                    + _told(failure, _SCRATCH_NAMES, f"{table.schema}.{table.name}")
                ) from failure
    for parent, partitions in questions.bounds.groups:
        for partition in partitions:
            failure = await _rejects(conn, Bounds(((parent, (partition,)),)).statements())
            if failure is not None:
                raise ModelError(
                    f"table '{partition.schema}.{partition.name}': the server rejects its "
                    f"partition bound {partition.partition_bound!r} under the key "
                    f"{parent.partition_by!r} of {parent.schema}.{parent.name}: "
                    + _told(failure, (f"{BOUND_PREFIX}0_0", f"{BOUND_PREFIX}0"), partition.name)
                ) from failure
    raise ModelError(f"the server rejects part of the model: {error}") from error


# What the scratch tables of _locate_failure are called; the server names them in its
# messages and hints, which must name the user's table instead.
_SCRATCH_NAMES = (f"{SHAPE_PREFIX}0", f"{SLOT_PREFIX}0")


def _told(failure: asyncpg.PostgresError, scratch: tuple[str, ...], real: str) -> str:
    """The server's objection (with its hint) on one line, naming ``real``, not scratch."""
    text = one_line(failure)
    for name in scratch:
        text = text.replace(f'"{name}".', "").replace(f"{name}.", "").replace(name, real)
    return text


def _parts(shape: Shape) -> list[tuple[str, Shape]]:
    """The shape reduced to one part at a time (its generated columns first), each named
    as the error message names it."""
    table = shape.table
    plain = tuple(attrs.evolve(c, generated=None) for c in table.columns)
    bare = attrs.evolve(
        table, columns=plain, checks=(), exclusions=(), indexes=(), partition_by=None
    )
    generated = [c.name for c in table.columns if c.generated is not None]
    parts = (
        [
            (
                "its generated columns " + ", ".join(repr(n) for n in generated),
                Shape(attrs.evolve(bare, columns=table.columns)),
            )
        ]
        if generated
        else []
    )
    parts += [(f"check {c.name!r}", Shape(attrs.evolve(bare, checks=(c,)))) for c in table.checks]
    parts += [
        (f"exclusion constraint {x.name!r}", Shape(attrs.evolve(bare, exclusions=(x,))))
        for x in table.exclusions
    ]
    parts += [(f"index {i.name!r}", Shape(attrs.evolve(bare, indexes=(i,)))) for i in table.indexes]
    if table.partition_by is not None:
        key = f"partition key {table.partition_by!r}"
        parts.append((key, Shape(attrs.evolve(bare, partition_by=table.partition_by))))
    return parts
