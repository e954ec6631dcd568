"""Put operations in an order PostgreSQL accepts.

Triggers and policies that go are dropped first (they use functions and columns, and are
named by their tables' current names), then views and functions. Renames follow (enums,
tables, columns, then constraints, indexes, triggers and policies), as the diff names
everything else by the new names. Then drops of
dependent objects (foreign keys, indexes, constraints, then tables and columns), then
creations from the outside in (schemas, types, sequences, tables, columns, keys), then drops
of types and sequences nothing uses any more, then foreign keys and indexes, which may
reference any table of the plan, then functions and views, then the triggers and policies
that use them, and last what attaches to any object: comments, privileges, then owners (a
role that gives an object away may no longer grant on it). Within a phase the diff's order
is kept, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable

from linkgress_async.ops import MigrationOperation

__all__ = ["PHASES", "order_operations"]

PHASES: tuple[tuple[str, ...], ...] = (
    # Triggers and policies go before the functions they call and the columns they use;
    # they are named by their tables' names before the plan's renames.
    ("drop_trigger", "drop_policy"),
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
    ("rename_constraint", "rename_index", "rename_trigger", "rename_policy"),
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
    ("create_function",),
    ("create_view",),
    ("create_trigger", "alter_trigger_enabled"),
    ("create_policy", "alter_policy", "alter_row_security"),
    ("set_comment",),
    ("revoke_privileges", "grant_privileges"),
    ("alter_owner",),
)
_PHASE_OF = {kind: number for number, kinds in enumerate(PHASES) for kind in kinds}


def order_operations(operations: Iterable[MigrationOperation]) -> list[MigrationOperation]:
    """Sort operations into dependency phases, keeping the diff's order within a phase."""
    return sorted(operations, key=lambda op: _PHASE_OF[op.type])
