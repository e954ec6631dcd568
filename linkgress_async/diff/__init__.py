"""diff(current, target) -> the ordered operations that turn ``current`` into ``target``.

Pure and synchronous. :mod:`.renames` first turns the model's ``renamed_from`` hints into
renames; then one comparator module per object kind (:mod:`.objects` for schemas,
enums and sequences, :mod:`.types` for extensions, domains and composite types, :mod:`.tables`
for tables and what hangs off them, :mod:`.routines` for views, materialized views, functions
and aggregates, :mod:`.security` for triggers and row-level security, which must know what
the others do, and last :mod:`.attached` for comments, privileges and owners, which must know
what everything else does); :mod:`.order` puts the result in an order PostgreSQL accepts, by
phases and the database's own dependencies (:mod:`.dependencies`).
"""

from __future__ import annotations

from linkgress_async.catalog import Catalog
from linkgress_async.diff.attached import diff_attached
from linkgress_async.diff.candidates import RenameCandidate, rename_candidates, with_renames
from linkgress_async.diff.context import DiffContext, needs_server_version
from linkgress_async.diff.context import type_changes as _type_changes
from linkgress_async.diff.objects import diff_enums, diff_schemas, diff_sequences
from linkgress_async.diff.order import order_operations
from linkgress_async.diff.renames import apply_renames
from linkgress_async.diff.routines import diff_routines
from linkgress_async.diff.security import diff_security
from linkgress_async.diff.settings import diff_database_settings
from linkgress_async.diff.statistics import diff_statistics
from linkgress_async.diff.tables import diff_tables
from linkgress_async.diff.types import diff_types
from linkgress_async.ops import MigrationOperation

__all__ = [
    "DiffContext",
    "RenameCandidate",
    "diff",
    "needs_server_version",
    "rename_candidates",
    "type_changes",
    "with_renames",
]


def diff(
    current: Catalog, target: Catalog, context: DiffContext | None = None
) -> list[MigrationOperation]:
    """The operations that make a database described by ``current`` match ``target``."""
    context = context or DiffContext()
    renamed = apply_renames(current, target, context)
    current = renamed.current
    operations: list[MigrationOperation] = list(renamed.operations)
    operations.extend(diff_schemas(current, target))
    operations.extend(diff_types(current, target))
    enum_ops, rebuilt = diff_enums(current, target, context)
    operations.extend(enum_ops)
    operations.extend(diff_sequences(current, target))
    operations.extend(diff_tables(current, target, context, rebuilt))
    operations.extend(diff_routines(current, target, operations))
    operations.extend(diff_security(current, target, operations))
    operations.extend(diff_attached(current, target, operations))
    operations.extend(diff_database_settings(current, target))
    operations.extend(diff_statistics(current, target))
    return order_operations(operations, current=current.dependencies, target=target.dependencies)


def type_changes(
    current: Catalog, target: Catalog, context: DiffContext | None = None
) -> set[tuple[str, str]]:
    """Every (from, to) storage-type pair of a column whose type changes, renames applied."""
    renamed = apply_renames(current, target, context or DiffContext())
    return _type_changes(renamed.current, target)
