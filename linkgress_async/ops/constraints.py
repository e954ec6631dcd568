"""Operations on exclusion constraints, on the flags of checks and foreign keys, and on the
storage parameters of indexes (standalone, or behind a primary key or unique constraint).

None of them can delete stored data: a constraint or an index holds none of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import CheckConstraint, ExclusionConstraint, ForeignKey
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation

__all__ = [
    "AlterConstraint",
    "AlterIndexOptions",
    "CreateExclusionConstraint",
    "DropExclusionConstraint",
    "FlaggedConstraint",
    "constraint_flag_changes",
]

FlaggedConstraint = CheckConstraint | ForeignKey
"""The constraints whose flags :class:`AlterConstraint` changes."""


@frozen
class CreateExclusionConstraint(BaseOperation):
    """``ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE``."""

    type: ClassVar[str] = "create_exclusion_constraint"
    table_name: str
    constraint: ExclusionConstraint
    schema_name: str = "public"

    def describe(self) -> str:
        return (
            f"Create exclusion constraint '{self.constraint.name}' on "
            f"'{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropExclusionConstraint(
            self.table_name, self.constraint.name, self.schema_name, self.constraint
        )


@frozen
class DropExclusionConstraint(BaseOperation):
    """``ALTER TABLE ... DROP CONSTRAINT`` of an exclusion constraint."""

    type: ClassVar[str] = "drop_exclusion_constraint"
    table_name: str
    constraint_name: str
    schema_name: str = "public"
    constraint: ExclusionConstraint | None = None

    def describe(self) -> str:
        return (
            f"Drop exclusion constraint '{self.constraint_name}' on "
            f"'{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return CreateExclusionConstraint(self.table_name, self.constraint, self.schema_name)


def constraint_flag_changes(old: FlaggedConstraint, new: FlaggedConstraint) -> tuple[str, ...]:
    """What changes between two versions of a constraint that differ only in flags.

    Words for the plan: ``deferrable``, ``not deferrable``, ``initially deferred``,
    ``initially immediate``, ``validate``, ``not valid``, ``enforced``, ``not enforced``,
    ``no inherit``, ``inherit``.
    """
    changes: list[str] = []
    if isinstance(old, ForeignKey) and isinstance(new, ForeignKey):
        if old.deferrable != new.deferrable:
            changes.append("deferrable" if new.deferrable else "not deferrable")
        if old.initially_deferred != new.initially_deferred:
            changes.append(
                "initially deferred" if new.initially_deferred else "initially immediate"
            )
    if (
        isinstance(old, CheckConstraint)
        and isinstance(new, CheckConstraint)
        and old.no_inherit != new.no_inherit
    ):
        changes.append("no inherit" if new.no_inherit else "inherit")
    if old.enforced != new.enforced:
        changes.append("enforced" if new.enforced else "not enforced")
    if old.not_valid != new.not_valid:
        changes.append("not valid" if new.not_valid else "validate")
    return tuple(changes)


@frozen
class AlterConstraint(BaseOperation):
    """Change the flags of a check or foreign key: the same constraint, other flags.

    ``from_`` and ``to`` differ only in ``deferrable``, ``initially_deferred``, ``not_valid``,
    ``enforced`` or ``no_inherit``. What PostgreSQL can change in place is changed in place
    (``ALTER CONSTRAINT ... DEFERRABLE``, ``ENFORCED``, ``VALIDATE CONSTRAINT``); the rest
    (marking a valid constraint ``NOT VALID``, a check's ``NO INHERIT`` or enforcement) drops
    the constraint and adds it again, which deletes no data.
    """

    type: ClassVar[str] = "alter_constraint"
    table_name: str
    from_: FlaggedConstraint
    to: FlaggedConstraint
    schema_name: str = "public"

    @property
    def constraint_name(self) -> str:
        """The constraint's name (the same before and after)."""
        return self.to.name

    @property
    def changes(self) -> tuple[str, ...]:
        """What changes, in the plan's words (see :func:`constraint_flag_changes`)."""
        return constraint_flag_changes(self.from_, self.to)

    def describe(self) -> str:
        kind = "foreign key" if isinstance(self.to, ForeignKey) else "check constraint"
        return (
            f"Alter {kind} '{self.to.name}' on '{display(self.schema_name, self.table_name)}' "
            f"({', '.join(self.changes)})"
        )

    def reverse(self) -> MigrationOperation:
        return AlterConstraint(self.table_name, self.to, self.from_, self.schema_name)


@frozen
class AlterIndexOptions(BaseOperation):
    """``ALTER INDEX ... SET (...)`` / ``RESET (...)``: an index's storage parameters.

    Works on any index, including the one behind a primary key or unique constraint (which
    has the constraint's name). Some parameters (``fillfactor``) apply to pages written from
    then on; ``REINDEX`` rewrites the rest.
    """

    type: ClassVar[str] = "alter_index_options"
    table_name: str
    index_name: str
    from_options: tuple[str, ...]
    to_options: tuple[str, ...]
    schema_name: str = "public"

    def describe(self) -> str:
        changes = [f"set {o}" for o in self.to_options if o not in self.from_options]
        old_names = {o.partition("=")[0] for o in self.from_options}
        kept = {o.partition("=")[0] for o in self.to_options}
        changes += [f"reset {name}" for name in sorted(old_names - kept)]
        return (
            f"Alter index '{self.index_name}' on "
            f"'{display(self.schema_name, self.table_name)}' ({', '.join(changes)})"
        )

    def reverse(self) -> MigrationOperation:
        return AlterIndexOptions(
            self.table_name, self.index_name, self.to_options, self.from_options, self.schema_name
        )
