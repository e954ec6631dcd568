"""Scratch copies of the model's tables, and how the server's reading of them maps back.

Two kinds of scratch table, both temporary:

* *slot tables* spell columns: one column per distinct (type, default, collation) that the
  server must spell, shared by every table that has such a column (real schemas repeat
  ``id``, ``created_at`` and flags across thousands of tables);
* *shapes* spell what belongs to a table as a whole: generated columns, check and exclusion
  constraints, indexes with expressions, predicates or key options, and the partition key.
  A shape is the model table rendered by the real renderer (:mod:`linkgress_async.render.sql`)
  under a scratch name, without what needs no spelling (foreign keys, keys, persistence).

Both are read back by the introspection queries, so a model table and a live one are read
by the same code; this module maps the scratch tables' values onto the model's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs
from attrs import frozen

from linkgress_async.canonical._types import is_builtin_type
from linkgress_async.catalog import (
    SERIAL_STORAGE_TYPES,
    CheckConstraint,
    Column,
    ExclusionConstraint,
    Index,
    Table,
    storage_type,
)
from linkgress_async.render.quote import quote_ident
from linkgress_async.render.sql import index_definition, table_definition

__all__ = [
    "SHAPE_PREFIX",
    "SLOT_PREFIX",
    "Shape",
    "Slot",
    "index_needs_server",
    "needs_server",
    "shape_of",
    "shape_statements",
    "slot_statements",
    "spelled_columns",
    "spelled_table",
    "table_needs_server",
]

SLOT_PREFIX = "__linkgress_slots_"
SHAPE_PREFIX = "__linkgress_shape_"
# Each slot table stays well below PostgreSQL's 1,600-column limit.
_COLUMNS_PER_SLOT_TABLE = 1000


@frozen
class Slot:
    """One scratch column: what of a model column the server must spell."""

    data_type: str
    default: str | None
    collation: str | None = None


def needs_server(column: Column) -> bool:
    """Whether the server must spell some of ``column`` (its type, default or collation)."""
    return (
        column.default is not None
        or column.collation is not None
        or not is_builtin_type(column.data_type)
    )


def slot_of(column: Column) -> Slot:
    """The slot that spells ``column``."""
    return Slot(column.data_type, column.default, column.collation)


def _slot_column(number: int, slot: Slot) -> str:
    text = f"c{number} {storage_type(slot.data_type)}"
    if slot.collation is not None:
        text += f" COLLATE {slot.collation}"
    if slot.default is not None:
        text += f" DEFAULT {slot.default}"
    return text


def slot_statements(slots: Sequence[Slot]) -> list[tuple[str, Sequence[Slot], str]]:
    """(table name, its slots, CREATE statement) for each slot table."""
    tables = []
    for start in range(0, len(slots), _COLUMNS_PER_SLOT_TABLE):
        chunk = slots[start : start + _COLUMNS_PER_SLOT_TABLE]
        name = f"{SLOT_PREFIX}{start}"
        columns = ", ".join(_slot_column(start + i, slot) for i, slot in enumerate(chunk))
        tables.append((name, chunk, f"CREATE TEMPORARY TABLE {quote_ident(name)} ({columns})"))
    return tables


def spelled_slots(
    tables: Iterable[tuple[str, Sequence[Slot], str]], scratch: Mapping[str, Table]
) -> dict[Slot, Slot]:
    """Each slot as the server spelled it, from the scratch tables read back."""
    spelled: dict[Slot, Slot] = {}
    for name, chunk, _ in tables:
        columns = scratch[name].columns
        for slot, column in zip(chunk, columns, strict=True):
            # A serial spelling stays (its storage type is what the scratch table holds).
            data_type = (
                slot.data_type if slot.data_type in SERIAL_STORAGE_TYPES else column.data_type
            )
            spelled[slot] = Slot(data_type, column.default, column.collation)
    return spelled


def table_needs_server(table: Table) -> bool:
    """Whether ``table`` has parts only a shape can spell."""
    if table.checks or table.exclusions or table.partition_by is not None:
        return True
    if any(column.generated is not None for column in table.columns):
        return True
    return any(index_needs_server(index) for index in table.indexes)


def index_needs_server(index: Index) -> bool:
    """Whether the server must spell some of ``index`` (a predicate, an expression, a key
    option that names something)."""
    return index.where is not None or any(
        element.expression is not None
        or element.opclass is not None
        or element.collation is not None
        for element in index.elements
    )


@frozen
class Shape:
    """A model table reduced to what only a shape can spell (names are the model's)."""

    table: Table


def shape_of(table: Table) -> Shape:
    """The shape that spells ``table``'s table-level parts."""
    columns = tuple(
        attrs.evolve(
            column,
            data_type=storage_type(column.data_type),
            default=None,
            identity=None,
            renamed_from=None,
        )
        for column in table.columns
    )
    return Shape(
        Table(
            schema="pg_temp",
            name="",
            columns=columns,
            checks=[attrs.evolve(check, renamed_from=None) for check in table.checks],
            exclusions=[attrs.evolve(x, renamed_from=None) for x in table.exclusions],
            indexes=[
                attrs.evolve(index, renamed_from=None)
                for index in table.indexes
                if index_needs_server(index)
            ],
            partition_by=table.partition_by,
        )
    )


def _scratch_index_name(shape_name: str, number: int) -> str:
    return f"{shape_name}_i{number}"


def _scratch_exclusion_name(shape_name: str, number: int) -> str:
    return f"{shape_name}_x{number}"


def shape_statements(number: int, shape: Shape) -> tuple[str, list[str]]:
    """The scratch table's name and the statements that build ``shape`` under it.

    Index and exclusion names live in the schema's namespace, so each gets a scratch name
    (mapped back by position); check names are the table's own.
    """
    name = f"{SHAPE_PREFIX}{number}"
    table = attrs.evolve(
        shape.table,
        name=name,
        # CREATE TABLE leaves NOT VALID checks out; the scratch needs every check's spelling.
        checks=[attrs.evolve(check, not_valid=False) for check in shape.table.checks],
        exclusions=[
            attrs.evolve(x, name=_scratch_exclusion_name(name, i))
            for i, x in enumerate(shape.table.exclusions)
        ],
    )
    statements = [table_definition(attrs.evolve(table, indexes=()))]
    statements.extend(
        index_definition("pg_temp", name, attrs.evolve(index, name=_scratch_index_name(name, i)))
        for i, index in enumerate(shape.table.indexes)
    )
    return name, statements


def spelled_columns(columns: Iterable[Column], slots: Mapping[Slot, Slot]) -> dict[Column, Column]:
    """Each distinct model column with its type, default and collation as spelled."""
    spelled: dict[Column, Column] = {}
    for column in columns:
        if not needs_server(column):
            spelled[column] = column
            continue
        slot = slots[slot_of(column)]
        if (slot.data_type, slot.default, slot.collation) == (
            column.data_type,
            column.default,
            column.collation,
        ):
            spelled[column] = column
        else:
            spelled[column] = attrs.evolve(
                column, data_type=slot.data_type, default=slot.default, collation=slot.collation
            )
    return spelled


def _respelled(column: Column, spelled_columns: Mapping[Column, Column]) -> Column:
    spelled = spelled_columns[column]
    # Columns equal but for the rename hint share one entry; keep this column's hint.
    if spelled is column or spelled.renamed_from == column.renamed_from:
        return spelled
    return attrs.evolve(spelled, renamed_from=column.renamed_from)


def spelled_table(
    table: Table,
    columns: Mapping[Column, Column],
    shape: tuple[str, Shape] | None,
    scratch: Mapping[str, Table],
) -> Table:
    """``table`` in the server's spelling: columns from the slots, the rest from its shape."""
    spelled = tuple(_respelled(column, columns) for column in table.columns)
    if shape is None:
        if all(new is old for new, old in zip(spelled, table.columns, strict=True)):
            return table
        return attrs.evolve(table, columns=spelled)
    name, reduced = shape
    read = scratch[name]
    generated = {c.name: c.generated for c in read.columns}
    spelled = tuple(
        column
        if column.generated is None
        else attrs.evolve(column, generated=generated[column.name])
        for column in spelled
    )
    checks_read = {check.name: check for check in read.checks}
    checks = tuple(
        _spelled_check(check, checks_read[check.name].expression) for check in table.checks
    )
    exclusions_read = {x.name: x for x in read.exclusions}
    exclusions: list[ExclusionConstraint] = []
    for number, exclusion in enumerate(table.exclusions):
        found = exclusions_read[_scratch_exclusion_name(name, number)]
        exclusions.append(
            attrs.evolve(
                found,
                name=exclusion.name,
                renamed_from=exclusion.renamed_from,
                written=_written(exclusion.written or exclusion.definition, found.definition),
            )
        )
    indexes_read = {index.name: index for index in read.indexes}
    spelled_indexes = {
        index.name: indexes_read[_scratch_index_name(name, number)]
        for number, index in enumerate(reduced.table.indexes)
    }
    indexes = tuple(
        index
        if index.name not in spelled_indexes
        else attrs.evolve(
            spelled_indexes[index.name],
            name=index.name,
            renamed_from=index.renamed_from,
            written_where=_written(
                index.written_where or index.where, spelled_indexes[index.name].where
            ),
        )
        for index in table.indexes
    )
    return attrs.evolve(
        table,
        columns=spelled,
        checks=checks,
        exclusions=exclusions,
        indexes=indexes,
        partition_by=read.partition_by,
    )


def _written(model_text: str | None, spelled: str | None) -> str | None:
    """The model's text to keep for creating the object, when the server spelled it
    differently (its printed text may not parse back into the same expression)."""
    return None if model_text is None or model_text == spelled else model_text


def _spelled_check(check: CheckConstraint, spelled: str) -> CheckConstraint:
    if spelled == check.expression:
        return check
    written = _written(check.written or check.expression, spelled)
    return attrs.evolve(check, expression=spelled, written=written)
