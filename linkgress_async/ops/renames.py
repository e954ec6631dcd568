"""Renames: the object keeps its contents under a new name."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation


@frozen
class RenameEnum(BaseOperation):
    """``ALTER TYPE ... RENAME TO``: columns of the type keep their values."""

    type: ClassVar[str] = "rename_enum"
    schema_name: str
    enum_name: str
    new_name: str

    def describe(self) -> str:
        return f"Rename enum '{display(self.schema_name, self.enum_name)}' to '{self.new_name}'"

    def reverse(self) -> MigrationOperation:
        return RenameEnum(self.schema_name, self.new_name, self.enum_name)


@frozen
class RenameTable(BaseOperation):
    """``ALTER TABLE ... RENAME TO``, with its rows, keys and indexes.

    ``sequence_columns`` are the identity or serial columns whose owned sequence carries the
    table's name (``{table}_{column}_seq``); those sequences are renamed along, so the table
    looks as if it had been created under its new name. So are the NOT NULL constraints of
    ``not_null_columns`` (PostgreSQL 18 names them ``{table}_{column}_not_null``), where they
    have that name.
    """

    type: ClassVar[str] = "rename_table"
    schema_name: str
    table_name: str
    new_name: str
    sequence_columns: tuple[str, ...] = ()
    not_null_columns: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"Rename table '{display(self.schema_name, self.table_name)}' to '{self.new_name}'"

    def reverse(self) -> MigrationOperation:
        return RenameTable(
            self.schema_name,
            self.new_name,
            self.table_name,
            self.sequence_columns,
            self.not_null_columns,
        )


@frozen
class RenameColumn(BaseOperation):
    """``ALTER TABLE ... RENAME COLUMN``: the values stay."""

    type: ClassVar[str] = "rename_column"
    schema_name: str
    table_name: str
    column_name: str
    new_name: str
    owns_sequence: bool = False
    """The column's identity or serial sequence carries its name and is renamed along."""
    not_null: bool = False
    """The column is NOT NULL: PostgreSQL 18's constraint, where it has the name the server
    gave it (``{table}_{column}_not_null``), is renamed along."""

    def describe(self) -> str:
        name = f"{display(self.schema_name, self.table_name)}.{self.column_name}"
        return f"Rename column '{name}' to '{self.new_name}'"

    def reverse(self) -> MigrationOperation:
        return RenameColumn(
            self.schema_name,
            self.table_name,
            self.new_name,
            self.column_name,
            self.owns_sequence,
            self.not_null,
        )


@frozen
class RenameIndex(BaseOperation):
    """``ALTER INDEX ... RENAME TO``."""

    type: ClassVar[str] = "rename_index"
    schema_name: str
    table_name: str
    index_name: str
    new_name: str

    def describe(self) -> str:
        return (
            f"Rename index '{self.index_name}' on "
            f"'{display(self.schema_name, self.table_name)}' to '{self.new_name}'"
        )

    def reverse(self) -> MigrationOperation:
        return RenameIndex(self.schema_name, self.table_name, self.new_name, self.index_name)


@frozen
class RenameConstraint(BaseOperation):
    """``ALTER TABLE ... RENAME CONSTRAINT`` (primary key, unique, check or foreign key)."""

    type: ClassVar[str] = "rename_constraint"
    schema_name: str
    table_name: str
    constraint_name: str
    new_name: str

    def describe(self) -> str:
        return (
            f"Rename constraint '{self.constraint_name}' on "
            f"'{display(self.schema_name, self.table_name)}' to '{self.new_name}'"
        )

    def reverse(self) -> MigrationOperation:
        return RenameConstraint(
            self.schema_name, self.table_name, self.new_name, self.constraint_name
        )
