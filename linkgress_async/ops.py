"""Migration operations: immutable values produced by the diff and consumed by the renderers.

Each operation has a ``type`` string (``"create_table"``), snake_case fields, ``destructive``
(true exactly when running it can delete stored data), ``describe()`` for the plan print-out,
and ``reverse()``: the operation that undoes it, or ``None`` when it cannot be undone because
data is lost (a dropped column's values, an enum value PostgreSQL cannot remove).

Table-level operations carry ``schema_name`` after the fields API.md names.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen

from linkgress_async.catalog import (
    CheckConstraint,
    Column,
    ForeignKey,
    Function,
    Index,
    IndexElement,
    PrimaryKey,
    Sequence,
    Table,
    UniqueConstraint,
    View,
)

__all__ = [
    "AddColumn",
    "AddEnumValue",
    "AddPrimaryKey",
    "AlterColumn",
    "AlterSequence",
    "CreateCheckConstraint",
    "CreateEnum",
    "CreateForeignKey",
    "CreateFunction",
    "CreateIndex",
    "CreateSchema",
    "CreateSequence",
    "CreateTable",
    "CreateUniqueConstraint",
    "CreateView",
    "DropCheckConstraint",
    "DropColumn",
    "DropEnum",
    "DropForeignKey",
    "DropFunction",
    "DropIndex",
    "DropPrimaryKey",
    "DropSchema",
    "DropSequence",
    "DropTable",
    "DropUniqueConstraint",
    "DropView",
    "EnumColumnUse",
    "MigrationOperation",
    "RebuildEnum",
    "RenameColumn",
    "RenameConstraint",
    "RenameEnum",
    "RenameIndex",
    "RenameTable",
]


def _display(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


@frozen
class _Operation:
    type: ClassVar[str] = ""
    destructive: ClassVar[bool] = False

    def describe(self) -> str:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def reverse(self) -> MigrationOperation | None:  # pragma: no cover - overridden
        raise NotImplementedError


# --- schemas -------------------------------------------------------------------------------


@frozen
class CreateSchema(_Operation):
    """``CREATE SCHEMA``."""

    type: ClassVar[str] = "create_schema"
    schema_name: str

    def describe(self) -> str:
        return f"Create schema '{self.schema_name}'"

    def reverse(self) -> MigrationOperation:
        return DropSchema(self.schema_name)


@frozen
class DropSchema(_Operation):
    """``DROP SCHEMA ... CASCADE`` (used by ``ensure_deleted``)."""

    type: ClassVar[str] = "drop_schema"
    destructive: ClassVar[bool] = True
    schema_name: str

    def describe(self) -> str:
        return f"Drop schema '{self.schema_name}'"

    def reverse(self) -> MigrationOperation | None:
        return None


# --- enums ---------------------------------------------------------------------------------


@frozen
class CreateEnum(_Operation):
    """``CREATE TYPE ... AS ENUM``."""

    type: ClassVar[str] = "create_enum"
    enum_name: str
    values: tuple[str, ...]
    schema_name: str = "public"

    def describe(self) -> str:
        return f"Create enum '{_display(self.schema_name, self.enum_name)}'"

    def reverse(self) -> MigrationOperation:
        return DropEnum(self.enum_name, self.schema_name, self.values)


@frozen
class DropEnum(_Operation):
    """``DROP TYPE`` of an enum no column uses any more."""

    type: ClassVar[str] = "drop_enum"
    destructive: ClassVar[bool] = True
    enum_name: str
    schema_name: str = "public"
    values: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"Drop enum '{_display(self.schema_name, self.enum_name)}'"

    def reverse(self) -> MigrationOperation:
        return CreateEnum(self.enum_name, self.values, self.schema_name)


@frozen
class AddEnumValue(_Operation):
    """``ALTER TYPE ... ADD VALUE`` at its declared position."""

    type: ClassVar[str] = "add_enum_value"
    enum_name: str
    value: str
    schema_name: str = "public"
    before: str | None = None
    after: str | None = None

    def describe(self) -> str:
        where = ""
        if self.before is not None:
            where = f" before '{self.before}'"
        elif self.after is not None:
            where = f" after '{self.after}'"
        return (
            f"Add value '{self.value}' to enum "
            f"'{_display(self.schema_name, self.enum_name)}'{where}"
        )

    def reverse(self) -> MigrationOperation | None:
        return None  # PostgreSQL cannot remove an enum value in place.


@frozen
class EnumColumnUse:
    """A column whose type is an enum being rebuilt, with its default to restore.

    A column that changes to another type later in the plan (``keeps_type`` false) is parked
    as ``text`` instead, so that the old type can be dropped.
    """

    schema_name: str
    table_name: str
    column_name: str
    is_array: bool = False
    default: str | None = None
    keeps_type: bool = True


@frozen
class RebuildEnum(_Operation):
    """Replace an enum's values when they were removed or reordered.

    PostgreSQL cannot drop or move enum values, so the type is renamed, created anew, every
    column using it converted through ``text``, and the old type dropped.
    """

    type: ClassVar[str] = "rebuild_enum"
    enum_name: str
    schema_name: str
    from_values: tuple[str, ...]
    to_values: tuple[str, ...]
    columns: tuple[EnumColumnUse, ...] = ()
    rows_hold_removed_values: bool | None = field(default=None, eq=False)
    """Whether rows hold a value being removed: a fact of the data, found by the manager
    (``None``: not known, taken as yes). Not part of equality, as data can change."""

    @property
    def removed_values(self) -> tuple[str, ...]:
        """Values of the old type that the new one lacks."""
        return tuple(v for v in self.from_values if v not in self.to_values)

    @property
    def added_values(self) -> tuple[str, ...]:
        """Values of the new type that the old one lacks."""
        return tuple(v for v in self.to_values if v not in self.from_values)

    @property
    def destructive(self) -> bool:  # type: ignore[override]
        """Rows holding a removed value cannot keep it: destructive unless none do."""
        return bool(self.removed_values) and self.rows_hold_removed_values is not False

    def describe(self) -> str:
        name = _display(self.schema_name, self.enum_name)
        if self.removed_values:
            removed = ", ".join(f"'{v}'" for v in self.removed_values)
            return f"Rebuild enum '{name}' without {removed}"
        if self.added_values:
            added = ", ".join(f"'{v}'" for v in self.added_values)
            return f"Rebuild enum '{name}' with {added} (used in the same plan)"
        return f"Rebuild enum '{name}' with values reordered"

    def reverse(self) -> MigrationOperation | None:
        # Undoing an addition removes values rows may hold, as AddEnumValue cannot be undone.
        if self.destructive or self.added_values:
            return None
        return RebuildEnum(
            self.enum_name, self.schema_name, self.to_values, self.from_values, self.columns
        )


# --- sequences -----------------------------------------------------------------------------


@frozen
class CreateSequence(_Operation):
    """``CREATE SEQUENCE``."""

    type: ClassVar[str] = "create_sequence"
    sequence_name: str
    schema_name: str
    sequence: Sequence

    def describe(self) -> str:
        return f"Create sequence '{_display(self.schema_name, self.sequence_name)}'"

    def reverse(self) -> MigrationOperation:
        return DropSequence(self.sequence_name, self.schema_name, self.sequence)


@frozen
class DropSequence(_Operation):
    """``DROP SEQUENCE`` (its current value is lost)."""

    type: ClassVar[str] = "drop_sequence"
    destructive: ClassVar[bool] = True
    sequence_name: str
    schema_name: str
    sequence: Sequence | None = None

    def describe(self) -> str:
        return f"Drop sequence '{_display(self.schema_name, self.sequence_name)}'"

    def reverse(self) -> MigrationOperation | None:
        if self.sequence is None:
            return None
        return CreateSequence(self.sequence_name, self.schema_name, self.sequence)


@frozen
class AlterSequence(_Operation):
    """``ALTER SEQUENCE`` to new options or data type."""

    type: ClassVar[str] = "alter_sequence"
    sequence_name: str
    schema_name: str
    from_: Sequence
    to: Sequence

    def describe(self) -> str:
        return f"Alter sequence '{_display(self.schema_name, self.sequence_name)}'"

    def reverse(self) -> MigrationOperation:
        return AlterSequence(self.sequence_name, self.schema_name, self.to, self.from_)


# --- tables and columns --------------------------------------------------------------------


@frozen
class CreateTable(_Operation):
    """``CREATE TABLE`` with its columns, primary key, unique and check constraints.

    Foreign keys and indexes of the new table are separate operations later in the plan, so
    that tables can reference each other in any order.
    """

    type: ClassVar[str] = "create_table"
    table_name: str
    schema_name: str
    table: Table

    def describe(self) -> str:
        return f"Create table '{_display(self.schema_name, self.table_name)}'"

    def reverse(self) -> MigrationOperation:
        return DropTable(self.table_name, self.schema_name, self.table)


@frozen
class DropTable(_Operation):
    """``DROP TABLE ... CASCADE``."""

    type: ClassVar[str] = "drop_table"
    destructive: ClassVar[bool] = True
    table_name: str
    schema_name: str = "public"
    table: Table | None = None

    def describe(self) -> str:
        return f"Drop table '{_display(self.schema_name, self.table_name)}'"

    def reverse(self) -> MigrationOperation | None:
        return None  # the rows are gone


@frozen
class AddColumn(_Operation):
    """``ALTER TABLE ... ADD COLUMN``."""

    type: ClassVar[str] = "add_column"
    table_name: str
    column_name: str
    column: Column
    schema_name: str = "public"

    def describe(self) -> str:
        return f"Add column '{_display(self.schema_name, self.table_name)}.{self.column_name}'"

    def reverse(self) -> MigrationOperation:
        return DropColumn(self.table_name, self.column_name, self.schema_name, self.column)


@frozen
class DropColumn(_Operation):
    """``ALTER TABLE ... DROP COLUMN``."""

    type: ClassVar[str] = "drop_column"
    destructive: ClassVar[bool] = True
    table_name: str
    column_name: str
    schema_name: str = "public"
    column: Column | None = None

    def describe(self) -> str:
        return f"Drop column '{_display(self.schema_name, self.table_name)}.{self.column_name}'"

    def reverse(self) -> MigrationOperation | None:
        return None  # the values are gone


@frozen
class AlterColumn(_Operation):
    """Change a column in place: type (with a ``USING`` cast), nullability, default, identity."""

    type: ClassVar[str] = "alter_column"
    table_name: str
    column_name: str
    from_: Column
    to: Column
    schema_name: str = "public"

    @property
    def changes(self) -> tuple[str, ...]:
        """Which aspects change: ``type``, ``nullable``, ``default``, ``identity``."""
        aspects = ("data_type", "nullable", "default", "identity")
        return tuple(
            "type" if a == "data_type" else a
            for a in aspects
            if getattr(self.from_, a) != getattr(self.to, a)
        )

    def describe(self) -> str:
        name = f"{_display(self.schema_name, self.table_name)}.{self.column_name}"
        details = []
        for change in self.changes:
            if change == "type":
                details.append(f"type {self.from_.data_type} -> {self.to.data_type}")
            elif change == "nullable":
                details.append("drop NOT NULL" if self.to.nullable else "set NOT NULL")
            elif change == "default":
                details.append("drop default" if self.to.default is None else "set default")
            else:
                details.append("identity")
        return f"Alter column '{name}' ({', '.join(details)})"

    def reverse(self) -> MigrationOperation:
        return AlterColumn(self.table_name, self.column_name, self.to, self.from_, self.schema_name)


# --- keys and constraints ------------------------------------------------------------------


@frozen
class AddPrimaryKey(_Operation):
    """``ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY``."""

    type: ClassVar[str] = "add_primary_key"
    table_name: str
    constraint: PrimaryKey
    schema_name: str = "public"

    def describe(self) -> str:
        return (
            f"Add primary key '{self.constraint.name}' on "
            f"'{_display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropPrimaryKey(
            self.table_name, self.constraint.name, self.schema_name, self.constraint
        )


@frozen
class DropPrimaryKey(_Operation):
    """``ALTER TABLE ... DROP CONSTRAINT`` of the primary key."""

    type: ClassVar[str] = "drop_primary_key"
    table_name: str
    constraint_name: str
    schema_name: str = "public"
    constraint: PrimaryKey | None = None

    def describe(self) -> str:
        return (
            f"Drop primary key '{self.constraint_name}' on "
            f"'{_display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return AddPrimaryKey(self.table_name, self.constraint, self.schema_name)


@frozen
class CreateUniqueConstraint(_Operation):
    """``ALTER TABLE ... ADD CONSTRAINT ... UNIQUE``."""

    type: ClassVar[str] = "create_unique_constraint"
    table_name: str
    constraint: UniqueConstraint
    schema_name: str = "public"

    def describe(self) -> str:
        return (
            f"Create unique constraint '{self.constraint.name}' on "
            f"'{_display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropUniqueConstraint(
            self.table_name, self.constraint.name, self.schema_name, self.constraint
        )


@frozen
class DropUniqueConstraint(_Operation):
    """``ALTER TABLE ... DROP CONSTRAINT`` of a unique constraint."""

    type: ClassVar[str] = "drop_unique_constraint"
    table_name: str
    constraint_name: str
    schema_name: str = "public"
    constraint: UniqueConstraint | None = None

    def describe(self) -> str:
        return (
            f"Drop unique constraint '{self.constraint_name}' on "
            f"'{_display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return CreateUniqueConstraint(self.table_name, self.constraint, self.schema_name)


@frozen
class CreateCheckConstraint(_Operation):
    """``ALTER TABLE ... ADD CONSTRAINT ... CHECK``."""

    type: ClassVar[str] = "create_check_constraint"
    table_name: str
    constraint: CheckConstraint
    schema_name: str = "public"
    not_valid: bool = False
    """``NOT VALID``: existing rows are checked later, by ``VALIDATE CONSTRAINT``."""

    def describe(self) -> str:
        return (
            f"Create check constraint '{self.constraint.name}' on "
            f"'{_display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropCheckConstraint(
            self.table_name, self.constraint.name, self.schema_name, self.constraint
        )


@frozen
class DropCheckConstraint(_Operation):
    """``ALTER TABLE ... DROP CONSTRAINT`` of a check constraint."""

    type: ClassVar[str] = "drop_check_constraint"
    table_name: str
    constraint_name: str
    schema_name: str = "public"
    constraint: CheckConstraint | None = None

    def describe(self) -> str:
        return (
            f"Drop check constraint '{self.constraint_name}' on "
            f"'{_display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return CreateCheckConstraint(self.table_name, self.constraint, self.schema_name)


@frozen
class CreateForeignKey(_Operation):
    """``ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY``."""

    type: ClassVar[str] = "create_foreign_key"
    table_name: str
    constraint: ForeignKey
    schema_name: str = "public"
    not_valid: bool = False
    """``NOT VALID``: existing rows are checked later, by ``VALIDATE CONSTRAINT``."""

    def describe(self) -> str:
        target = self.constraint.referenced_table
        return (
            f"Create foreign key '{self.constraint.name}' "
            f"'{_display(self.schema_name, self.table_name)}' -> "
            f"'{_display(target.schema, target.name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropForeignKey(
            self.table_name, self.constraint.name, self.schema_name, self.constraint
        )


@frozen
class DropForeignKey(_Operation):
    """``ALTER TABLE ... DROP CONSTRAINT`` of a foreign key."""

    type: ClassVar[str] = "drop_foreign_key"
    table_name: str
    constraint_name: str
    schema_name: str = "public"
    constraint: ForeignKey | None = None

    def describe(self) -> str:
        return (
            f"Drop foreign key '{self.constraint_name}' on "
            f"'{_display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return CreateForeignKey(self.table_name, self.constraint, self.schema_name)


# --- indexes -------------------------------------------------------------------------------


@frozen
class CreateIndex(_Operation):
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

    @classmethod
    def of(
        cls, schema_name: str, table_name: str, index: Index, *, concurrently: bool = False
    ) -> CreateIndex:
        """The operation that creates ``index`` on ``schema_name.table_name``."""
        return cls(
            table_name,
            index.name,
            index.elements,
            schema_name,
            index.unique,
            index.method,
            index.where,
            index.include,
            concurrently,
        )

    @property
    def index(self) -> Index:
        """The index this operation creates."""
        return Index(
            self.index_name, self.columns, self.unique, self.method, self.where, self.include
        )

    def describe(self) -> str:
        kind = "unique index" if self.unique else "index"
        return (
            f"Create {kind} '{self.index_name}' on '{_display(self.schema_name, self.table_name)}'"
        )

    def reverse(self) -> MigrationOperation:
        return DropIndex(
            self.table_name, self.index_name, self.schema_name, self.index, self.concurrently
        )


@frozen
class DropIndex(_Operation):
    """``DROP INDEX``."""

    type: ClassVar[str] = "drop_index"
    table_name: str
    index_name: str
    schema_name: str = "public"
    index: Index | None = None
    concurrently: bool = False
    """``CONCURRENTLY IF EXISTS``: no lock on the table's writes; outside a transaction."""

    def describe(self) -> str:
        return f"Drop index '{self.index_name}' on '{_display(self.schema_name, self.table_name)}'"

    def reverse(self) -> MigrationOperation | None:
        if self.index is None:
            return None
        return CreateIndex.of(
            self.schema_name, self.table_name, self.index, concurrently=self.concurrently
        )


# --- renames -------------------------------------------------------------------------------


@frozen
class RenameEnum(_Operation):
    """``ALTER TYPE ... RENAME TO``: columns of the type keep their values."""

    type: ClassVar[str] = "rename_enum"
    schema_name: str
    enum_name: str
    new_name: str

    def describe(self) -> str:
        return f"Rename enum '{_display(self.schema_name, self.enum_name)}' to '{self.new_name}'"

    def reverse(self) -> MigrationOperation:
        return RenameEnum(self.schema_name, self.new_name, self.enum_name)


@frozen
class RenameTable(_Operation):
    """``ALTER TABLE ... RENAME TO``, with its rows, keys and indexes.

    ``sequence_columns`` are the identity or serial columns whose owned sequence carries the
    table's name (``{table}_{column}_seq``); those sequences are renamed along, so the table
    looks as if it had been created under its new name.
    """

    type: ClassVar[str] = "rename_table"
    schema_name: str
    table_name: str
    new_name: str
    sequence_columns: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"Rename table '{_display(self.schema_name, self.table_name)}' to '{self.new_name}'"

    def reverse(self) -> MigrationOperation:
        return RenameTable(self.schema_name, self.new_name, self.table_name, self.sequence_columns)


@frozen
class RenameColumn(_Operation):
    """``ALTER TABLE ... RENAME COLUMN``: the values stay."""

    type: ClassVar[str] = "rename_column"
    schema_name: str
    table_name: str
    column_name: str
    new_name: str
    owns_sequence: bool = False
    """The column's identity or serial sequence carries its name and is renamed along."""

    def describe(self) -> str:
        name = f"{_display(self.schema_name, self.table_name)}.{self.column_name}"
        return f"Rename column '{name}' to '{self.new_name}'"

    def reverse(self) -> MigrationOperation:
        return RenameColumn(
            self.schema_name, self.table_name, self.new_name, self.column_name, self.owns_sequence
        )


@frozen
class RenameIndex(_Operation):
    """``ALTER INDEX ... RENAME TO``."""

    type: ClassVar[str] = "rename_index"
    schema_name: str
    table_name: str
    index_name: str
    new_name: str

    def describe(self) -> str:
        return (
            f"Rename index '{self.index_name}' on "
            f"'{_display(self.schema_name, self.table_name)}' to '{self.new_name}'"
        )

    def reverse(self) -> MigrationOperation:
        return RenameIndex(self.schema_name, self.table_name, self.new_name, self.index_name)


@frozen
class RenameConstraint(_Operation):
    """``ALTER TABLE ... RENAME CONSTRAINT`` (primary key, unique, check or foreign key)."""

    type: ClassVar[str] = "rename_constraint"
    schema_name: str
    table_name: str
    constraint_name: str
    new_name: str

    def describe(self) -> str:
        return (
            f"Rename constraint '{self.constraint_name}' on "
            f"'{_display(self.schema_name, self.table_name)}' to '{self.new_name}'"
        )

    def reverse(self) -> MigrationOperation:
        return RenameConstraint(
            self.schema_name, self.table_name, self.new_name, self.constraint_name
        )


# --- views and functions ----------------------------------------------------------------


@frozen
class CreateView(_Operation):
    """``CREATE VIEW ... AS <query>``."""

    type: ClassVar[str] = "create_view"
    view_name: str
    schema_name: str
    view: View

    def describe(self) -> str:
        return f"Create view '{_display(self.schema_name, self.view_name)}'"

    def reverse(self) -> MigrationOperation:
        return DropView(self.view_name, self.schema_name, self.view)


@frozen
class DropView(_Operation):
    """``DROP VIEW`` (a view holds no data).

    ``view`` is the dropped view's definition, so that the drop can be reversed.
    ``recreated`` marks a drop the plan undoes later (the view changes, or an object it
    uses does), as opposed to dropping a view nobody declares any more.
    """

    type: ClassVar[str] = "drop_view"
    view_name: str
    schema_name: str
    view: View | None = None
    recreated: bool = False

    def describe(self) -> str:
        suffix = " (recreated below)" if self.recreated else ""
        return f"Drop view '{_display(self.schema_name, self.view_name)}'{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.view is None:
            return None
        return CreateView(self.view_name, self.schema_name, self.view)


def _signature(schema: str, name: str, identity_args: str | None) -> str:
    arguments = "" if identity_args is None else f"({identity_args})"
    return f"{_display(schema, name)}{arguments}"


@frozen
class CreateFunction(_Operation):
    """``CREATE [OR REPLACE] FUNCTION``.

    ``or_replace`` replaces the live function of the same signature in place (``previous``,
    when known): views that use it stay valid.
    """

    type: ClassVar[str] = "create_function"
    function_name: str
    schema_name: str
    function: Function
    or_replace: bool = False
    previous: Function | None = None

    def describe(self) -> str:
        verb = "Replace" if self.previous is not None else "Create"
        name = _signature(self.schema_name, self.function_name, self.function.identity_args)
        return f"{verb} function '{name}'"

    def reverse(self) -> MigrationOperation:
        if self.previous is not None:
            return CreateFunction(
                self.function_name, self.schema_name, self.previous, True, self.function
            )
        return DropFunction(
            self.function_name, self.schema_name, self.function.identity_args, self.function
        )


@frozen
class DropFunction(_Operation):
    """``DROP FUNCTION name(argument types)``; without known arguments, by name alone."""

    type: ClassVar[str] = "drop_function"
    function_name: str
    schema_name: str
    identity_args: str | None
    function: Function | None = None
    recreated: bool = False

    def describe(self) -> str:
        name = _signature(self.schema_name, self.function_name, self.identity_args)
        suffix = " (recreated below)" if self.recreated else ""
        return f"Drop function '{name}'{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.function is None or not self.function.definition:
            return None
        return CreateFunction(self.function_name, self.schema_name, self.function)


MigrationOperation = (
    CreateSchema
    | DropSchema
    | CreateEnum
    | DropEnum
    | AddEnumValue
    | RebuildEnum
    | CreateSequence
    | DropSequence
    | AlterSequence
    | CreateTable
    | DropTable
    | AddColumn
    | DropColumn
    | AlterColumn
    | AddPrimaryKey
    | DropPrimaryKey
    | CreateUniqueConstraint
    | DropUniqueConstraint
    | CreateCheckConstraint
    | DropCheckConstraint
    | CreateForeignKey
    | DropForeignKey
    | CreateIndex
    | DropIndex
    | RenameEnum
    | RenameTable
    | RenameColumn
    | RenameIndex
    | RenameConstraint
    | CreateView
    | DropView
    | CreateFunction
    | DropFunction
)
"""Every operation the diff can produce (a closed union: handle it with ``match``)."""
