"""Partitions and classic inheritance: attaching a table to a parent and detaching it.

None of these moves or deletes rows. Attaching checks that the table's rows fit (the
partition bound, the parent's ``CHECK`` constraints); detaching leaves the table with copies
of what it had from its parent (its columns and checks become its own, and a partition keeps
the foreign keys and indexes cloned from the parent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import CheckConstraint, Column, QualifiedName
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation

__all__ = ["AttachPartition", "DetachPartition", "InheritTable", "NoInheritTable"]


def _shown(name: QualifiedName) -> str:
    return display(name.schema, name.name)


@frozen
class AttachPartition(BaseOperation):
    """``ALTER TABLE parent ATTACH PARTITION table FOR VALUES ...`` (or ``DEFAULT``).

    PostgreSQL refuses to attach a table that lacks one of the parent's ``CHECK``
    constraints (by name): ``parent_checks`` are those the table does not have yet, added
    first. Attaching scans the table to check its rows fit ``bound`` (and the parent's default
    partition for rows that would now belong here) under a ``SHARE UPDATE EXCLUSIVE`` lock on
    the parent; the parent's indexes, foreign keys and triggers are cloned onto the table.
    """

    type: ClassVar[str] = "attach_partition"
    table_name: str
    schema_name: str
    parent: QualifiedName
    bound: str
    parent_checks: tuple[CheckConstraint, ...] = ()

    def describe(self) -> str:
        return (
            f"Attach '{display(self.schema_name, self.table_name)}' as a partition of "
            f"'{_shown(self.parent)}' ({self.bound})"
        )

    def reverse(self) -> MigrationOperation:
        return DetachPartition(self.table_name, self.schema_name, self.parent, self.bound)


@frozen
class DetachPartition(BaseOperation):
    """``ALTER TABLE parent DETACH PARTITION table``: the table keeps its rows, standalone."""

    type: ClassVar[str] = "detach_partition"
    table_name: str
    schema_name: str
    parent: QualifiedName
    bound: str | None = None
    """The bound it had, so the detach can be reversed (``None``: not known)."""

    def describe(self) -> str:
        return (
            f"Detach partition '{display(self.schema_name, self.table_name)}' from "
            f"'{_shown(self.parent)}' (it keeps its rows)"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.bound is None:
            return None
        return AttachPartition(self.table_name, self.schema_name, self.parent, self.bound)


@frozen
class InheritTable(BaseOperation):
    """``ALTER TABLE table INHERIT parent`` (classic inheritance), appended to its parents.

    PostgreSQL needs every column and ``CHECK`` constraint of the parent on the table first:
    ``add_columns`` and ``add_checks`` are those it lacks, added before.
    """

    type: ClassVar[str] = "inherit_table"
    table_name: str
    schema_name: str
    parent: QualifiedName
    add_columns: tuple[Column, ...] = ()
    add_checks: tuple[CheckConstraint, ...] = ()

    def describe(self) -> str:
        return (
            f"Make '{display(self.schema_name, self.table_name)}' inherit '{_shown(self.parent)}'"
        )

    def reverse(self) -> MigrationOperation:
        return NoInheritTable(self.table_name, self.schema_name, self.parent)


@frozen
class NoInheritTable(BaseOperation):
    """``ALTER TABLE table NO INHERIT parent``: inherited columns and checks become its own,
    with their values."""

    type: ClassVar[str] = "no_inherit_table"
    table_name: str
    schema_name: str
    parent: QualifiedName

    def describe(self) -> str:
        return (
            f"Stop '{display(self.schema_name, self.table_name)}' inheriting "
            f"'{_shown(self.parent)}' (it keeps its columns and rows)"
        )

    def reverse(self) -> MigrationOperation:
        return InheritTable(self.table_name, self.schema_name, self.parent)
