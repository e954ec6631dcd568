"""Put operations in an order PostgreSQL accepts.

Drops of dependent objects come first (foreign keys, indexes, constraints, then tables and
columns), then creations from the outside in (schemas, types, sequences, tables, columns,
keys), then drops of types and sequences nothing uses any more, and last foreign keys and
indexes, which may reference any table of the plan. Within a phase the diff's order is kept,
so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable

from linkgress_async.ops import MigrationOperation

__all__ = ["PHASES", "order_operations"]

PHASES: tuple[tuple[str, ...], ...] = (
    ("drop_foreign_key",),
    ("drop_index",),
    ("drop_unique_constraint", "drop_check_constraint"),
    ("drop_primary_key",),
    ("drop_table",),
    ("drop_column",),
    ("create_schema",),
    ("create_enum", "add_enum_value"),
    ("rebuild_enum",),
    ("create_sequence", "alter_sequence"),
    ("create_table",),
    ("add_column",),
    ("alter_column",),
    ("add_primary_key",),
    ("create_unique_constraint", "create_check_constraint"),
    ("drop_sequence",),
    ("drop_enum",),
    ("drop_schema",),
    ("create_foreign_key",),
    ("create_index",),
)
_PHASE_OF = {kind: number for number, kinds in enumerate(PHASES) for kind in kinds}


def order_operations(operations: Iterable[MigrationOperation]) -> list[MigrationOperation]:
    """Sort operations into dependency phases, keeping the diff's order within a phase."""
    return sorted(operations, key=lambda op: _PHASE_OF[op.type])
