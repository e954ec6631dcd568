"""The parts of assembly that concern tables as a whole and what columns generate: table
properties (persistence, storage parameters, partitioning, inheritance), generated columns,
and sequences a column owns without being ``serial``.

Pure and synchronous, like :mod:`._assemble`, which calls it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TypedDict

from linkgress_async.catalog import Generated, QualifiedName, Sequence, SequenceOptions

from ._row import Row

if TYPE_CHECKING:
    from ._assemble import _TableParts

__all__ = ["Row", "generated_of", "owned_sequences", "sequence_options", "table_properties"]


class TableProperties(TypedDict, total=False):
    """The :class:`~linkgress_async.catalog.Table` fields ``table_properties.sql`` fills."""

    unlogged: bool
    options: tuple[str, ...]
    partition_by: str | None
    partition_of: QualifiedName | None
    partition_bound: str | None
    inherits: tuple[QualifiedName, ...]


def table_properties(row: Row | None) -> TableProperties:
    """A table's fields from its ``table_properties.sql`` row (none: all defaults)."""
    if row is None:
        return {}
    parents = tuple(
        QualifiedName(schema, name)
        for schema, name in zip(row["parent_schemas"], row["parent_names"], strict=True)
    )
    is_partition: bool = row["is_partition"]
    return TableProperties(
        unlogged=row["unlogged"],
        options=tuple(row["options"]),
        partition_by=row["partition_by"],
        # A partition has exactly one parent, its partitioned table, in pg_inherits.
        partition_of=parents[0] if is_partition and parents else None,
        partition_bound=row["partition_bound"],
        inherits=() if is_partition else parents,
    )


def generated_of(row: Row) -> Generated | None:
    """``GENERATED ALWAYS AS (...) STORED | VIRTUAL`` of a ``tables_columns.sql`` row."""
    kind: str = row["generated_kind"] or ""
    if not kind:
        return None
    return Generated(row["generated_expr"], "virtual" if kind == "v" else "stored")


def sequence_options(row: Row) -> SequenceOptions:
    """The options of a sequence row (``sequences.sql`` or ``column_sequences.sql``)."""
    return SequenceOptions(
        start_with=row["start_with"],
        increment_by=row["increment_by"],
        min_value=row["min_value"],
        max_value=row["max_value"],
        cache=row["cache"],
        cycle=row["cycle"],
    )


def owned_sequences(
    column_sequences: Mapping[tuple[int, int], Iterable[Row]],
    tables: Mapping[int, _TableParts],
    serial_sequences: set[int],
) -> list[Sequence]:
    """Sequences owned by a column (``OWNED BY``) that do not make it ``serial``.

    ``serial_sequences`` holds the ``id()`` of the rows that did. OWNED BY needs the
    sequence in its table's schema, so the sequence's schema is the table's.
    """
    found: list[Sequence] = []
    for (oid, number), rows in column_sequences.items():
        parts = tables.get(oid)
        if parts is None:
            continue  # an excluded table
        column = parts.column_names[number]
        found.extend(
            Sequence(
                schema=parts.schema,
                name=row["sequence_name"],
                options=sequence_options(row),
                data_type=row["data_type"],
                owned_by=(QualifiedName(parts.schema, parts.name), column),
            )
            for row in rows
            if row["dependency"] == "a" and id(row) not in serial_sequences
        )
    return found
