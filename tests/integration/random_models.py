"""Hypothesis strategies for random models the builder accepts.

Names come from small pools so that two drawn models overlap: the same table with other
columns, the same column with another type, the same enum with other values. That makes
``migrate`` from one to the other exercise alterations, not just drops and creates.

Tables also draw what hangs off them (issue 11's kinds): a comment on the table and on a
column, ``fillfactor``, row-level security (forced or not), a grant to :data:`ROLE` (which
the test creates), a trigger calling the model's trigger function, a descending index key,
a generated column, a column collation and a column of the model's domain.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

import attrs
from attrs import frozen
from hypothesis import strategies as st

from linkgress_async import (
    DbContext,
    DbModelConfig,
    bigint,
    bigserial,
    boolean,
    custom_type,
    date,
    enum_column,
    index_key,
    integer,
    jsonb,
    numeric,
    serial,
    smallint,
    sql,
    text,
    timestamptz,
    uuid,
    varchar,
)
from linkgress_async.catalog import Function
from linkgress_async.model import ColumnType, EntityBuilder

SCHEMAS = ["public", "app", "Odd Schema"]
TABLES = ["users", "posts", "order", "Tags & Things"]
COLUMNS = ["a", "b", "Name", "select", "c d", "e"]
ENUM_NAMES = ["status", "Mood"]
ENUM_VALUES = ["draft", "live", "it's", "Ünï", "archived"]
ROLE = "lk_random_reader"
"""The role tables grant to; the test creates it (roles belong to the cluster)."""
COMMENTS = [None, "a table", "it's ünï"]
COLLATIONS = [None, '"C"', '"POSIX"']
TRIGGER_FUNCTION = "touch_row"
DOMAIN = "positive"


@frozen
class ColumnSpec:
    name: str
    kind: str
    required: bool
    default: Any
    unique: bool
    array: bool
    comment: str | None = None
    collation: str | None = None


@frozen
class TableSpec:
    schema: str
    name: str
    pk: str
    columns: tuple[ColumnSpec, ...]
    index_on: tuple[str, ...]
    partial: bool
    check_on: str | None
    references: int | None  # position of another table in the model
    comment: str | None = None
    fillfactor: int | None = None
    rls: str | None = None  # "enabled" or "forced"
    grant: bool = False
    trigger: bool = False
    descending: bool = False
    generated: bool = False


@frozen
class ModelSpec:
    enums: tuple[tuple[str, tuple[str, ...]], ...]
    tables: tuple[TableSpec, ...]


# kind -> (type builder, defaults to draw from)
KINDS: dict[str, tuple[Callable[[str], ColumnType], list[Any]]] = {
    "integer": (integer, [None, 0, 42]),
    "smallint": (smallint, [None, 1]),
    "bigint": (bigint, [None, 7]),
    "numeric": (lambda n: numeric(n, 10, 2), [None, decimal.Decimal("1.50")]),
    "text": (text, [None, "x", "it's", sql("'a' || 'b'")]),
    "varchar": (lambda n: varchar(n, 50), [None, "v"]),
    "boolean": (boolean, [None, True]),
    "date": (date, [None, sql("CURRENT_DATE")]),
    "timestamptz": (timestamptz, [None, sql("now()")]),
    "jsonb": (jsonb, [None, {"a": 1}]),
    "uuid": (uuid, [None, sql("gen_random_uuid()")]),
    "enum": (text, [None]),  # replaced by the model's first enum when there is one
    "domain": (lambda n: custom_type(n, "public.positive"), [None, 3]),
}
PK_KINDS = ["identity", "identity_by_default", "serial", "bigserial", "bigint"]


@st.composite
def column_specs(draw: st.DrawFn, name: str) -> ColumnSpec:
    kind = draw(st.sampled_from(sorted(KINDS)))
    array = kind in ("integer", "text") and draw(st.booleans())
    default = None if array else draw(st.sampled_from(KINDS[kind][1]))
    return ColumnSpec(
        name,
        kind,
        draw(st.booleans()),
        default,
        not array and kind not in ("jsonb",) and draw(st.booleans()),
        array,
        draw(st.sampled_from(COMMENTS)),
        draw(st.sampled_from(COLLATIONS)) if kind in ("text", "varchar") else None,
    )


@st.composite
def table_specs(draw: st.DrawFn, schema: str, name: str, position: int) -> TableSpec:
    names = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=4, unique=True))
    columns = tuple(draw(column_specs(n)) for n in names)
    indexable = [c.name for c in columns if not c.array and c.kind != "jsonb"]
    index_on = (
        tuple(draw(st.lists(st.sampled_from(indexable), max_size=2, unique=True)))
        if indexable
        else ()
    )
    numeric_columns = [
        c.name for c in columns if c.kind in ("integer", "smallint", "numeric") and not c.array
    ]
    check_on = draw(st.sampled_from([None, *numeric_columns]))
    references = draw(st.sampled_from([None, *range(position)])) if position else None
    return TableSpec(
        schema,
        name,
        draw(st.sampled_from(PK_KINDS)),
        columns,
        index_on,
        draw(st.booleans()),
        check_on,
        references,
        comment=draw(st.sampled_from(COMMENTS)),
        fillfactor=draw(st.sampled_from([None, 70, 90])),
        rls=draw(st.sampled_from([None, "enabled", "forced"])),
        grant=draw(st.booleans()),
        trigger=draw(st.booleans()),
        descending=bool(index_on) and draw(st.booleans()),
        generated=draw(st.booleans()),
    )


@st.composite
def model_specs(draw: st.DrawFn) -> ModelSpec:
    enum_names = draw(st.lists(st.sampled_from(ENUM_NAMES), max_size=2, unique=True))
    enums = tuple(
        (
            n,
            tuple(
                draw(st.lists(st.sampled_from(ENUM_VALUES), min_size=1, max_size=4, unique=True))
            ),
        )
        for n in enum_names
    )
    table_names = draw(st.lists(st.sampled_from(TABLES), min_size=1, max_size=3, unique=True))
    tables = tuple(
        draw(table_specs(draw(st.sampled_from(SCHEMAS)), name, position))
        for position, name in enumerate(table_names)
    )
    return ModelSpec(enums, tables)


def _column_type(spec: ColumnSpec, model: ModelSpec, enum_handles: list[Any]) -> ColumnType:
    if spec.kind == "enum" and enum_handles:
        return enum_column(spec.name, enum_handles[0])
    column = KINDS[spec.kind][0](spec.name)
    return column.array() if spec.array else column


def _pk_type(kind: str) -> ColumnType:
    match kind:
        case "identity":
            return integer("id").primary_key().generated_always_as_identity()
        case "identity_by_default":
            return bigint("id").primary_key().generated_by_default_as_identity(start_with=10)
        case "serial":
            return serial("id").primary_key()
        case "bigserial":
            return bigserial("id").primary_key()
        case _:
            return bigint("id").primary_key()


def _fk_type(kind: str) -> ColumnType:
    return integer("ref_id") if kind in ("identity", "serial") else bigint("ref_id")


def renamed(spec: ModelSpec, suffix: str = "2") -> ModelSpec:
    """``spec`` with every enum, table and column name suffixed (see ``context_for``)."""
    return ModelSpec(
        tuple((name + suffix, values) for name, values in spec.enums),
        tuple(
            attrs.evolve(
                t,
                name=t.name + suffix,
                columns=tuple(attrs.evolve(c, name=c.name + suffix) for c in t.columns),
                index_on=tuple(n + suffix for n in t.index_on),
                check_on=None if t.check_on is None else t.check_on + suffix,
            )
            for t in spec.tables
        ),
    )


def without_extras(spec: ModelSpec) -> ModelSpec:
    """``spec`` without what may hang off its tables (comments, row-level security, grants,
    triggers): for tests that add those by hand and expect them to be the only ones."""
    return ModelSpec(
        spec.enums,
        tuple(
            attrs.evolve(
                t,
                comment=None,
                rls=None,
                grant=False,
                trigger=False,
                columns=tuple(attrs.evolve(c, comment=None) for c in t.columns),
            )
            for t in spec.tables
        ),
    )


def context_for(spec: ModelSpec, renamed_from: str | None = None) -> type[DbContext]:
    """A DbContext subclass whose setup_model declares ``spec``.

    With ``renamed_from``, ``spec`` is ``renamed(old, renamed_from)`` and every enum, table and
    column says so with a hint.
    """
    suffix = renamed_from or ""

    def old(name: str) -> str | None:
        return name.removesuffix(suffix) if renamed_from else None

    classes = [
        type(
            f"Entity{i}",
            (),
            {
                "__annotations__": {c.name: Any for c in t.columns}
                | {"id": int, "ref_id": int, "gen": int}
            },
        )
        for i, t in enumerate(spec.tables)
    ]

    def setup_model(self: DbContext, model: DbModelConfig) -> None:
        handles = [
            model.enum(name, list(values), renamed_from=old(name)) for name, values in spec.enums
        ]
        columns = [c for t in spec.tables for c in t.columns]
        if any(c.kind == "domain" for c in columns):
            model.domain(DOMAIN, "integer", checks={"positive_check": "VALUE > 0"})
        touch = (
            model.function(TRIGGER_FUNCTION, TOUCH) if any(t.trigger for t in spec.tables) else None
        )
        for cls, table in zip(classes, spec.tables, strict=True):
            entity: EntityBuilder[Any] = model.entity(cls)
            with entity as e:
                e.to_table(table.name, schema=table.schema, renamed_from=old(table.name))
                e.property("id").has_type(_pk_type(table.pk))
                for column in table.columns:
                    prop = e.property(column.name).has_type(_column_type(column, spec, handles))
                    hint = old(column.name)
                    if hint is not None:
                        prop.renamed_from(hint)
                    if column.required:
                        prop.is_required()
                    if column.unique:
                        prop.is_unique()
                    default = column.default
                    if column.kind == "enum" and handles:
                        default = spec.enums[0][1][0] if column.required else None
                    if default is not None:
                        prop.has_default_value(default)
                    if column.comment is not None:
                        prop.has_comment(column.comment)
                    if column.collation is not None:
                        prop.has_collation(column.collation)
                if table.generated:
                    e.property("gen").has_type(bigint("gen")).generated_always_as('"id" + 1')
                if table.index_on:
                    first, *rest = table.index_on
                    keys: list[Any] = (
                        [index_key(first, descending=True)] if table.descending else [first]
                    )
                    e.has_index(
                        f"ix_{table.name}"[:40],
                        [*keys, *rest],
                        where=f"{_q(table.index_on[0])} IS NOT NULL" if table.partial else None,
                    )
                _extras(e, table, touch)
                if table.check_on is not None:
                    e.has_check(f"ck_{table.name}"[:40], f"{_q(table.check_on)} >= 0")
                if table.references is not None:
                    target = spec.tables[table.references]
                    e.property("ref_id").has_type(_fk_type(target.pk))
                    e.has_one("target", classes[table.references]).with_foreign_key(
                        "ref_id"
                    ).on_delete("cascade")

    return type("RandomDatabase", (DbContext,), {"setup_model": setup_model})


TOUCH = "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"


def _extras(e: EntityBuilder[Any], table: TableSpec, touch: Function | None) -> None:
    """What hangs off the table: comment, storage, row-level security, grant, trigger."""
    if table.comment is not None:
        e.has_comment(table.comment)
    if table.fillfactor is not None:
        e.has_storage_parameters(fillfactor=table.fillfactor)
    if table.rls is not None:
        e.has_row_level_security(force=table.rls == "forced")
    if table.grant:
        e.grant("SELECT", to=ROLE)
    if table.trigger and touch is not None:
        # One name on every table (a trigger's name is its table's): renames keep it.
        e.has_trigger("tg_touch", touch, timing="before", events="insert", for_each="row")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
