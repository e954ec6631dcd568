"""Put operations in an order PostgreSQL accepts.

Triggers and policies that go are dropped first (they use functions and columns, and are
named by their tables' current names), then views, materialized views, aggregates and
functions. Renames follow (enums, tables, columns, then constraints, indexes, triggers and
policies), as the diff names everything else by the new names. Tables leave their parents
(detach, no inherit) and sequences their owning columns. Then drops of dependent objects
(foreign keys, indexes, constraints, then tables and columns), then creations from the
outside in (schemas, extensions, types, sequences, tables, columns, keys, attaching
partitions and children, sequence owners), then drops of types, sequences and extensions
nothing uses any more, then foreign keys, the flags of constraints (validation last, once
the rows are final) and indexes, which may reference any table of the plan, then functions,
aggregates and views, then the triggers and policies that use them, and last what attaches
to any object: comments, privileges, then owners (a role that gives an object away may no
longer grant on it). Within a phase the diff's order is kept, so the result is
deterministic.

Phases are the usual order; the database's own dependencies (:mod:`.dependencies`) override
them where they disagree: an operation that must wait for another (a function dropped after
the domain whose check calls it) moves down to just after it, and everything else keeps its
place.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from linkgress_async.catalog import Dependency
from linkgress_async.diff.dependencies import ordering_edges
from linkgress_async.ops import MigrationOperation

__all__ = ["PHASES", "order_operations"]

PHASES: tuple[tuple[str, ...], ...] = (
    # Triggers and policies go before the functions they call and the columns they use;
    # they are named by their tables' names before the plan's renames.
    ("drop_trigger", "drop_policy"),
    # Views and functions go first, before anything they use is renamed, dropped or altered
    # (a function is dropped by its argument types' old names; a scaffolded down() recreates
    # the old view last, after the renames are undone). They come back last of all, once
    # everything they may use exists, functions first: views may call them. Aggregates go
    # before the functions they are made of, and come back after them.
    ("drop_view", "drop_materialized_view"),
    ("drop_aggregate",),
    ("drop_function",),
    # Then renames: every later operation names objects by their new names.
    ("rename_enum",),
    ("rename_table",),
    ("rename_column",),
    ("rename_constraint", "rename_index", "rename_trigger", "rename_policy"),
    # A table leaves its parent before anything is dropped, so that a parent's drop (or its
    # column's) cannot take a kept child along; a sequence leaves its owning column for the
    # same reason.
    ("detach_partition", "no_inherit_table"),
    ("disown_sequence",),
    ("drop_foreign_key",),
    ("drop_index", "drop_statistics"),
    (
        "drop_unique_constraint",
        "drop_check_constraint",
        "drop_exclusion_constraint",
        "drop_domain_constraint",
    ),
    ("drop_primary_key",),
    ("drop_table",),
    ("drop_column",),
    ("create_schema",),
    # Extensions before everything in the schemas: their types and functions may be used.
    ("create_extension", "alter_extension"),
    ("create_enum", "add_enum_value"),
    ("rebuild_enum",),
    # Domains and composite types may use each other: the diff orders them in one phase.
    ("create_domain", "create_composite_type"),
    ("drop_composite_attribute", "add_composite_attribute", "alter_composite_attribute"),
    ("rebuild_domain",),
    ("create_sequence", "alter_sequence"),
    ("create_table",),
    ("add_column",),
    ("alter_column", "replace_generated_column"),
    ("set_table_options", "set_table_logged"),
    # Domain checks and NOT NULL check the columns: after they have their new types.
    ("alter_domain", "alter_domain_constraint", "add_domain_constraint"),
    ("add_primary_key",),
    ("create_unique_constraint", "create_check_constraint", "create_exclusion_constraint"),
    # Once a table's own columns and checks are what its parent needs.
    ("attach_partition", "inherit_table"),
    ("set_sequence_owner",),
    ("drop_sequence",),
    ("drop_composite_type",),
    ("drop_domain",),
    ("drop_enum",),
    ("drop_extension",),
    ("drop_schema",),
    ("create_foreign_key",),
    # Flags of checks and foreign keys change once the rows and keys they check are final.
    ("alter_constraint",),
    ("create_index", "alter_index_options"),
    ("create_statistics",),
    ("create_function",),
    ("create_aggregate",),
    ("create_view", "create_materialized_view", "alter_view_options"),
    ("create_trigger", "alter_trigger_enabled"),
    ("create_policy", "alter_policy", "alter_row_security"),
    ("set_comment",),
    ("revoke_privileges", "grant_privileges"),
    ("alter_owner",),
    ("set_database_setting",),
)
_PHASE_OF = {kind: number for number, kinds in enumerate(PHASES) for kind in kinds}


def order_operations(
    operations: Iterable[MigrationOperation],
    *,
    current: Iterable[Dependency] = (),
    target: Iterable[Dependency] = (),
) -> list[MigrationOperation]:
    """Sort operations into dependency phases, keeping the diff's order within a phase;
    then move each operation that must wait for another (by the ``current`` database's
    dependencies for drops, the ``target``'s for creations) to just after it."""
    phased = sorted(operations, key=lambda op: _PHASE_OF[op.type])
    edges = set(ordering_edges(phased, current, target))
    if not edges:
        return phased
    waits_for = [0] * len(phased)
    followers: list[list[int]] = [[] for _ in phased]
    for before, after in edges:
        followers[before].append(after)
        waits_for[after] += 1
    # Whatever may run, the earliest in phase order runs first.
    ready = [number for number, count in enumerate(waits_for) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        number = heapq.heappop(ready)
        order.append(number)
        for follower in followers[number]:
            waits_for[follower] -= 1
            if waits_for[follower] == 0:
                heapq.heappush(ready, follower)
    if len(order) != len(phased):
        return phased  # the dependencies contradict each other: keep the phases
    return [phased[number] for number in order]
