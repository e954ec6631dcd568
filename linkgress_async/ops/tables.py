"""Operations on tables, columns, keys, constraints and indexes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    QualifiedName,
    Table,
    UniqueConstraint,
)
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation


# --- tables and columns --------------------------------------------------------------------


@frozen
class CreateTable(BaseOperation):
    """``CREATE TABLE`` with its columns, primary key, unique and check constraints.

    Foreign keys and indexes of the new table are separate operations later in the plan, so
    that tables can reference each other in any order.
    """

    type: ClassVar[str] = "create_table"
    table_name: str
    schema_name: str
    table: Table

    def describe(self) -> str:
        return f"Create table '{display(self.schema_name, self.table_name)}'"

    def reverse(self) -> MigrationOperation:
        return DropTable(self.table_name, self.schema_name, self.table)


@frozen
class DropTable(BaseOperation):
    """``DROP TABLE ... CASCADE``.

    ``recreated`` marks a drop the plan undoes later: the table is declared, but its
    partitioning changes, which PostgreSQL cannot do in place (its partitions are detached
    first and attached again to the new table).
    """

    type: ClassVar[str] = "drop_table"
    destructive: ClassVar[bool] = True
    table_name: str
    schema_name: str = "public"
    table: Table | None = None
    recreated: bool = False

    def describe(self) -> str:
        suffix = " (created again below, with its new partitioning)" if self.recreated else ""
        return f"Drop table '{display(self.schema_name, self.table_name)}'{suffix}"

    def reverse(self) -> MigrationOperation | None:
        return None  # the rows are gone


@frozen
class AddColumn(BaseOperation):
    """``ALTER TABLE ... ADD COLUMN``."""

    type: ClassVar[str] = "add_column"
    table_name: str
    column_name: str
    column: Column
    schema_name: str = "public"

    def describe(self) -> str:
        return f"Add column '{display(self.schema_name, self.table_name)}.{self.column_name}'"

    def reverse(self) -> MigrationOperation:
        return DropColumn(self.table_name, self.column_name, self.schema_name, self.column)


@frozen
class DropColumn(BaseOperation):
    """``ALTER TABLE [ONLY] ... DROP COLUMN``.

    The drop reaches the tables that inherit the column (partitions, classic inheritance
    children that do not declare it themselves): ``inheritors`` names them, so the plan says
    who loses it. ``only`` drops it from this table alone; the children then keep the column
    and its values as their own (``ALTER TABLE ONLY``; not possible for a partitioned table).
    """

    type: ClassVar[str] = "drop_column"
    destructive: ClassVar[bool] = True
    table_name: str
    column_name: str
    schema_name: str = "public"
    column: Column | None = None
    only: bool = False
    inheritors: tuple[QualifiedName, ...] = ()

    def describe(self) -> str:
        text = f"Drop column '{display(self.schema_name, self.table_name)}.{self.column_name}'"
        if self.only:
            return text + " from this table only (inheriting tables keep theirs)"
        if self.inheritors:
            names = ", ".join(f"'{display(t.schema, t.name)}'" for t in self.inheritors[:5])
            more = len(self.inheritors) - 5
            if more > 0:
                names += f" and {more} more"
            text += f" and from the tables inheriting it: {names}"
        return text

    def reverse(self) -> MigrationOperation | None:
        return None  # the values are gone


@frozen
class AlterColumn(BaseOperation):
    """Change a column in place: type (with a ``USING`` cast), collation, nullability, default,
    identity, generation expression (``SET EXPRESSION``, PostgreSQL 17+; ``DROP EXPRESSION``
    makes a stored generated column a regular one, keeping its values)."""

    type: ClassVar[str] = "alter_column"
    table_name: str
    column_name: str
    from_: Column
    to: Column
    schema_name: str = "public"
    regenerated: tuple[Column, ...] = ()
    """Generated columns computed from this one, whose type changes: PostgreSQL cannot change
    the type of a column a generated column uses, so they are dropped first and added again
    after (as the target has them; values are recomputed, they move to the end)."""
    added_after: tuple[Column, ...] = ()
    """New generated columns computed from this one: added once it has its new type."""

    @property
    def changes(self) -> tuple[str, ...]:
        """Which aspects change: ``type``, ``nullable``, ``default``, ``identity``,
        ``not_null_name`` (the name of PostgreSQL 18's NOT NULL constraint), ``collation``,
        ``generated``."""
        aspects = (
            "data_type",
            "nullable",
            "default",
            "identity",
            "not_null_name",
            "collation",
            "generated",
        )
        return tuple(
            "type" if a == "data_type" else a
            for a in aspects
            if getattr(self.from_, a) != getattr(self.to, a)
        )

    def describe(self) -> str:
        name = f"{display(self.schema_name, self.table_name)}.{self.column_name}"
        details = []
        for change in self.changes:
            if change == "type":
                details.append(f"type {self.from_.data_type} -> {self.to.data_type}")
            elif change == "nullable":
                details.append("drop NOT NULL" if self.to.nullable else "set NOT NULL")
            elif change == "default":
                details.append("drop default" if self.to.default is None else "set default")
            elif change == "not_null_name":
                if not (self.from_.nullable or self.to.nullable):
                    details.append("rename NOT NULL constraint")
            elif change == "collation":
                details.append(f"collation {self.to.collation or 'default'}")
            elif change == "generated":
                generated = self.to.generated
                details.append("drop expression" if generated is None else "set expression")
            else:
                details.append("identity")
        if self.regenerated:
            users = ", ".join(f"'{c.name}'" for c in self.regenerated)
            details.append(f"re-creating generated {users}, which move to the end of the table")
        if self.added_after:
            added = ", ".join(f"'{c.name}'" for c in self.added_after)
            details.append(f"then adding generated {added}")
        return f"Alter column '{name}' ({', '.join(details)})"

    def reverse(self) -> MigrationOperation | None:
        if self.added_after:
            # Undoing it would drop the added columns first: not one column's change.
            return None
        return AlterColumn(
            self.table_name,
            self.column_name,
            self.to,
            self.from_,
            self.schema_name,
            self.regenerated,
        )


# --- keys and constraints ------------------------------------------------------------------


@frozen
class AddPrimaryKey(BaseOperation):
    """``ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY``."""

    type: ClassVar[str] = "add_primary_key"
    table_name: str
    constraint: PrimaryKey
    schema_name: str = "public"

    def describe(self) -> str:
        return (
            f"Add primary key '{self.constraint.name}' on "
            f"'{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropPrimaryKey(
            self.table_name, self.constraint.name, self.schema_name, self.constraint
        )


@frozen
class DropPrimaryKey(BaseOperation):
    """``ALTER TABLE ... DROP CONSTRAINT`` of the primary key."""

    type: ClassVar[str] = "drop_primary_key"
    table_name: str
    constraint_name: str
    schema_name: str = "public"
    constraint: PrimaryKey | None = None

    def describe(self) -> str:
        return (
            f"Drop primary key '{self.constraint_name}' on "
            f"'{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return AddPrimaryKey(self.table_name, self.constraint, self.schema_name)


@frozen
class CreateUniqueConstraint(BaseOperation):
    """``ALTER TABLE ... ADD CONSTRAINT ... UNIQUE``."""

    type: ClassVar[str] = "create_unique_constraint"
    table_name: str
    constraint: UniqueConstraint
    schema_name: str = "public"

    def describe(self) -> str:
        return (
            f"Create unique constraint '{self.constraint.name}' on "
            f"'{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropUniqueConstraint(
            self.table_name, self.constraint.name, self.schema_name, self.constraint
        )


@frozen
class DropUniqueConstraint(BaseOperation):
    """``ALTER TABLE ... DROP CONSTRAINT`` of a unique constraint."""

    type: ClassVar[str] = "drop_unique_constraint"
    table_name: str
    constraint_name: str
    schema_name: str = "public"
    constraint: UniqueConstraint | None = None

    def describe(self) -> str:
        return (
            f"Drop unique constraint '{self.constraint_name}' on "
            f"'{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return CreateUniqueConstraint(self.table_name, self.constraint, self.schema_name)


@frozen
class CreateCheckConstraint(BaseOperation):
    """``ALTER TABLE ... ADD CONSTRAINT ... CHECK``."""

    type: ClassVar[str] = "create_check_constraint"
    table_name: str
    constraint: CheckConstraint
    schema_name: str = "public"
    not_valid: bool = False
    """``NOT VALID``: existing rows are checked later, by ``VALIDATE CONSTRAINT``."""

    @property
    def checks_rows(self) -> bool:
        """Whether adding it reads every row (not ``NOT VALID``, not ``NOT ENFORCED``)."""
        return self.constraint.enforced and not (self.not_valid or self.constraint.not_valid)

    def describe(self) -> str:
        return (
            f"Create check constraint '{self.constraint.name}' on "
            f"'{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropCheckConstraint(
            self.table_name, self.constraint.name, self.schema_name, self.constraint
        )


@frozen
class DropCheckConstraint(BaseOperation):
    """``ALTER TABLE ... DROP CONSTRAINT`` of a check constraint."""

    type: ClassVar[str] = "drop_check_constraint"
    table_name: str
    constraint_name: str
    schema_name: str = "public"
    constraint: CheckConstraint | None = None

    def describe(self) -> str:
        return (
            f"Drop check constraint '{self.constraint_name}' on "
            f"'{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return CreateCheckConstraint(self.table_name, self.constraint, self.schema_name)


@frozen
class CreateForeignKey(BaseOperation):
    """``ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY``."""

    type: ClassVar[str] = "create_foreign_key"
    table_name: str
    constraint: ForeignKey
    schema_name: str = "public"
    not_valid: bool = False
    """``NOT VALID``: existing rows are checked later, by ``VALIDATE CONSTRAINT``."""

    @property
    def checks_rows(self) -> bool:
        """Whether adding it reads every row (not ``NOT VALID``, not ``NOT ENFORCED``)."""
        return self.constraint.enforced and not (self.not_valid or self.constraint.not_valid)

    def describe(self) -> str:
        target = self.constraint.referenced_table
        return (
            f"Create foreign key '{self.constraint.name}' "
            f"'{display(self.schema_name, self.table_name)}' -> "
            f"'{display(target.schema, target.name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropForeignKey(
            self.table_name, self.constraint.name, self.schema_name, self.constraint
        )


@frozen
class DropForeignKey(BaseOperation):
    """``ALTER TABLE ... DROP CONSTRAINT`` of a foreign key."""

    type: ClassVar[str] = "drop_foreign_key"
    table_name: str
    constraint_name: str
    schema_name: str = "public"
    constraint: ForeignKey | None = None

    def describe(self) -> str:
        return (
            f"Drop foreign key '{self.constraint_name}' on "
            f"'{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return CreateForeignKey(self.table_name, self.constraint, self.schema_name)


# --- indexes -------------------------------------------------------------------------------


@frozen
class CreateIndex(BaseOperation):
    """``CREATE [UNIQUE] INDEX``."""

    type: ClassVar[str] = "create_index"
    table_name: str
    index_name: str
    columns: tuple[IndexElement, ...]
    schema_name: str = "public"
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    concurrently: bool = False
    """``CONCURRENTLY``: writes go on meanwhile; it cannot run inside a transaction."""
    nulls_not_distinct: bool = False
    options: tuple[str, ...] = ()
    """Storage parameters (``fillfactor=70``), as :class:`~linkgress_async.catalog.Index`."""

    @classmethod
    def of(
        cls, schema_name: str, table_name: str, index: Index, *, concurrently: bool = False
    ) -> CreateIndex:
        """The operation that creates ``index`` on ``schema_name.table_name`` (with the
        model's own predicate where the server spells it differently: see
        ``Index.written_where``)."""
        return cls(
            table_name,
            index.name,
            index.elements,
            schema_name,
            index.unique,
            index.method,
            index.written_where or index.where,
            index.include,
            concurrently,
            index.nulls_not_distinct,
            index.options,
        )

    @property
    def index(self) -> Index:
        """The index this operation creates."""
        return Index(
            self.index_name,
            self.columns,
            self.unique,
            self.method,
            self.where,
            self.include,
            nulls_not_distinct=self.nulls_not_distinct,
            options=self.options,
        )

    def describe(self) -> str:
        kind = "unique index" if self.unique else "index"
        return (
            f"Create {kind} '{self.index_name}' on '{display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropIndex(
            self.table_name, self.index_name, self.schema_name, self.index, self.concurrently
        )


@frozen
class DropIndex(BaseOperation):
    """``DROP INDEX``."""

    type: ClassVar[str] = "drop_index"
    table_name: str
    index_name: str
    schema_name: str = "public"
    index: Index | None = None
    concurrently: bool = False
    """``CONCURRENTLY IF EXISTS``: no lock on the table's writes; outside a transaction."""

    def describe(self) -> str:
        text = f"Drop index '{self.index_name}' on '{display(self.schema_name, self.table_name)}'"
        if self.index is not None and not self.index.valid:
            text += " (invalid: the server does not use it)"
        return text

    def reverse(self) -> MigrationOperation | None:
        if self.index is None:
            return None
        return CreateIndex.of(
            self.schema_name, self.table_name, self.index, concurrently=self.concurrently
        )
