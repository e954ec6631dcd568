"""Operations on schemas, enums and sequences (and which column owns a sequence)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import field, frozen

from linkgress_async.catalog import QualifiedName, Sequence
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation


# --- schemas -------------------------------------------------------------------------------


@frozen
class CreateSchema(BaseOperation):
    """``CREATE SCHEMA``."""

    type: ClassVar[str] = "create_schema"
    schema_name: str

    def describe(self) -> str:
        return f"Create schema '{self.schema_name}'"

    def reverse(self) -> MigrationOperation:
        return DropSchema(self.schema_name)


@frozen
class DropSchema(BaseOperation):
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
class CreateEnum(BaseOperation):
    """``CREATE TYPE ... AS ENUM``."""

    type: ClassVar[str] = "create_enum"
    enum_name: str
    values: tuple[str, ...]
    schema_name: str = "public"

    def describe(self) -> str:
        return f"Create enum '{display(self.schema_name, self.enum_name)}'"

    def reverse(self) -> MigrationOperation:
        return DropEnum(self.enum_name, self.schema_name, self.values)


@frozen
class DropEnum(BaseOperation):
    """``DROP TYPE`` of an enum no column uses any more."""

    type: ClassVar[str] = "drop_enum"
    destructive: ClassVar[bool] = True
    enum_name: str
    schema_name: str = "public"
    values: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"Drop enum '{display(self.schema_name, self.enum_name)}'"

    def reverse(self) -> MigrationOperation:
        return CreateEnum(self.enum_name, self.values, self.schema_name)


@frozen
class AddEnumValue(BaseOperation):
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
            f"Add value '{self.value}' to enum '{display(self.schema_name, self.enum_name)}'{where}"
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
class RebuildEnum(BaseOperation):
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
        name = display(self.schema_name, self.enum_name)
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
class CreateSequence(BaseOperation):
    """``CREATE SEQUENCE``."""

    type: ClassVar[str] = "create_sequence"
    sequence_name: str
    schema_name: str
    sequence: Sequence

    def describe(self) -> str:
        return f"Create sequence '{display(self.schema_name, self.sequence_name)}'"

    def reverse(self) -> MigrationOperation:
        return DropSequence(self.sequence_name, self.schema_name, self.sequence)


@frozen
class DropSequence(BaseOperation):
    """``DROP SEQUENCE`` (its current value is lost)."""

    type: ClassVar[str] = "drop_sequence"
    destructive: ClassVar[bool] = True
    sequence_name: str
    schema_name: str
    sequence: Sequence | None = None

    def describe(self) -> str:
        return f"Drop sequence '{display(self.schema_name, self.sequence_name)}'"

    def reverse(self) -> MigrationOperation | None:
        if self.sequence is None:
            return None
        return CreateSequence(self.sequence_name, self.schema_name, self.sequence)


@frozen
class AlterSequence(BaseOperation):
    """``ALTER SEQUENCE`` to new options or data type."""

    type: ClassVar[str] = "alter_sequence"
    sequence_name: str
    schema_name: str
    from_: Sequence
    to: Sequence

    def describe(self) -> str:
        return f"Alter sequence '{display(self.schema_name, self.sequence_name)}'"

    def reverse(self) -> MigrationOperation:
        return AlterSequence(self.sequence_name, self.schema_name, self.to, self.from_)


SequenceOwner = tuple[QualifiedName, str]
"""The (table, column) a sequence is ``OWNED BY``."""


def _owner(owner: SequenceOwner) -> str:
    table, column = owner
    return f"{display(table.schema, table.name)}.{column}"


@frozen
class SetSequenceOwner(BaseOperation):
    """``ALTER SEQUENCE ... OWNED BY table.column``: dropping the column drops the sequence.

    ``previous`` is the owner it had (``None``: none), so the change can be reversed.
    """

    type: ClassVar[str] = "set_sequence_owner"
    sequence_name: str
    schema_name: str
    owned_by: SequenceOwner
    previous: SequenceOwner | None = None

    def describe(self) -> str:
        name = display(self.schema_name, self.sequence_name)
        return f"Make sequence '{name}' owned by '{_owner(self.owned_by)}'"

    def reverse(self) -> MigrationOperation:
        if self.previous is None:
            return DisownSequence(self.sequence_name, self.schema_name, self.owned_by)
        return SetSequenceOwner(self.sequence_name, self.schema_name, self.previous, self.owned_by)


@frozen
class DisownSequence(BaseOperation):
    """``ALTER SEQUENCE ... OWNED BY NONE``: the sequence no longer goes with its column.

    It runs before columns and tables are dropped, so a sequence that outlives its owner (or
    that the plan drops itself) is not taken along by the owner's drop.
    """

    type: ClassVar[str] = "disown_sequence"
    sequence_name: str
    schema_name: str
    previous: SequenceOwner

    def describe(self) -> str:
        name = display(self.schema_name, self.sequence_name)
        return f"Make sequence '{name}' no longer owned by '{_owner(self.previous)}'"

    def reverse(self) -> MigrationOperation:
        return SetSequenceOwner(self.sequence_name, self.schema_name, self.previous)
