"""diff(current, target) -> the ordered operations that turn ``current`` into ``target``.

Pure and synchronous. One comparator module per object kind (:mod:`.objects` for schemas,
enums and sequences, :mod:`.tables` for tables and what hangs off them); :mod:`.order` puts
the result in an order PostgreSQL accepts.
"""

from __future__ import annotations

from linkgress_async.catalog import Catalog
from linkgress_async.diff.context import DiffContext, type_changes
from linkgress_async.diff.objects import diff_enums, diff_schemas, diff_sequences
from linkgress_async.diff.order import order_operations
from linkgress_async.diff.tables import diff_tables
from linkgress_async.ops import MigrationOperation

__all__ = ["DiffContext", "diff", "type_changes"]


def diff(
    current: Catalog, target: Catalog, context: DiffContext | None = None
) -> list[MigrationOperation]:
    """The operations that make a database described by ``current`` match ``target``."""
    context = context or DiffContext()
    operations: list[MigrationOperation] = []
    operations.extend(diff_schemas(current, target))
    enum_ops, rebuilt = diff_enums(current, target, context)
    operations.extend(enum_ops)
    operations.extend(diff_sequences(current, target))
    operations.extend(diff_tables(current, target, context, rebuilt))
    return order_operations(operations)
