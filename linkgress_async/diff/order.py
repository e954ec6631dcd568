"""Put operations in an order PostgreSQL accepts.

Views and functions that go are dropped first. Renames follow (enums, tables, columns, then
constraints and indexes), as the diff names everything else by the new names. Tables leave
their parents (detach, no inherit) and sequences their owning columns. Then drops of
dependent objects (foreign keys, indexes, constraints, then tables and columns), then
creations from the outside in (schemas, types, sequences, tables, columns, keys, attaching
partitions and children, sequence owners), then drops of types and sequences nothing uses
any more, then foreign keys, the flags of constraints (validation last, once the rows are
final) and indexes, which may reference any table of the plan, and last functions and
views. Within a phase the diff's
order is kept, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable

from linkgress_async.ops import MigrationOperation

__all__ = ["PHASES", "order_operations"]

PHASES: tuple[tuple[str, ...], ...] = (
    # Views and functions go first, before anything they use is renamed, dropped or altered
    # (a function is dropped by its argument types' old names; a scaffolded down() recreates
    # the old view last, after the renames are undone). They come back last of all, once
    # everything they may use exists, functions first: views may call them.
    ("drop_view",),
    ("drop_function",),
    # Then renames: every later operation names objects by their new names.
    ("rename_enum",),
    ("rename_table",),
    ("rename_column",),
    ("rename_constraint", "rename_index"),
    # A table leaves its parent before anything is dropped, so that a parent's drop (or its
    # column's) cannot take a kept child along; a sequence leaves its owning column for the
    # same reason.
    ("detach_partition", "no_inherit_table"),
    ("disown_sequence",),
    ("drop_foreign_key",),
    ("drop_index",),
    ("drop_unique_constraint", "drop_check_constraint", "drop_exclusion_constraint"),
    ("drop_primary_key",),
    ("drop_table",),
    ("drop_column",),
    ("create_schema",),
    ("create_enum", "add_enum_value"),
    ("rebuild_enum",),
    ("create_sequence", "alter_sequence"),
    ("create_table",),
    ("add_column",),
    ("alter_column", "replace_generated_column"),
    ("set_table_options", "set_table_logged"),
    ("add_primary_key",),
    ("create_unique_constraint", "create_check_constraint", "create_exclusion_constraint"),
    # Once a table's own columns and checks are what its parent needs.
    ("attach_partition", "inherit_table"),
    ("set_sequence_owner",),
    ("drop_sequence",),
    ("drop_enum",),
    ("drop_schema",),
    ("create_foreign_key",),
    # Flags of checks and foreign keys change once the rows and keys they check are final.
    ("alter_constraint",),
    ("create_index", "alter_index_options"),
    ("create_function",),
    ("create_view",),
)
_PHASE_OF = {kind: number for number, kinds in enumerate(PHASES) for kind in kinds}


def order_operations(operations: Iterable[MigrationOperation]) -> list[MigrationOperation]:
    """Sort operations into dependency phases, keeping the diff's order within a phase."""
    return sorted(operations, key=lambda op: _PHASE_OF[op.type])
