"""Operations on extensions, domains and composite types."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import (
    CompositeAttribute,
    CompositeType,
    Domain,
    DomainCheck,
    Extension,
)
from linkgress_async.errors import counted
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation


# --- extensions ----------------------------------------------------------------------------


@frozen
class CreateExtension(BaseOperation):
    """``CREATE EXTENSION IF NOT EXISTS ... WITH SCHEMA ... [VERSION ...]``."""

    type: ClassVar[str] = "create_extension"
    extension_name: str
    extension: Extension

    def describe(self) -> str:
        version = "" if self.extension.version is None else f" {self.extension.version}"
        return f"Create extension '{self.extension_name}'{version} in '{self.extension.schema}'"

    def reverse(self) -> MigrationOperation:
        return DropExtension(self.extension_name, self.extension)


@frozen
class AlterExtension(BaseOperation):
    """``ALTER EXTENSION ... UPDATE TO`` (when ``to`` names another version) and ``SET
    SCHEMA`` (when it names another schema)."""

    type: ClassVar[str] = "alter_extension"
    extension_name: str
    from_: Extension
    to: Extension

    @property
    def updates(self) -> bool:
        """Whether the extension moves to another version."""
        return self.to.version is not None and self.to.version != self.from_.version

    @property
    def moves(self) -> bool:
        """Whether the extension moves to another schema."""
        return self.to.schema != self.from_.schema

    def describe(self) -> str:
        changes = []
        if self.updates:
            changes.append(f"update from {self.from_.version} to {self.to.version}")
        if self.moves:
            changes.append(f"move from '{self.from_.schema}' to '{self.to.schema}'")
        return f"Alter extension '{self.extension_name}' ({', '.join(changes)})"

    def reverse(self) -> MigrationOperation:
        return AlterExtension(self.extension_name, self.to, self.from_)


@frozen
class DropExtension(BaseOperation):
    """``DROP EXTENSION``: it drops every object the extension owns, with their data (an
    extension may own tables), so it is destructive. It fails while objects outside the
    extension still use one of its members."""

    type: ClassVar[str] = "drop_extension"
    destructive: ClassVar[bool] = True
    extension_name: str
    extension: Extension | None = None

    def describe(self) -> str:
        return f"Drop extension '{self.extension_name}'"

    def reverse(self) -> MigrationOperation | None:
        if self.extension is None:
            return None
        return CreateExtension(self.extension_name, self.extension)


# --- domains -------------------------------------------------------------------------------


@frozen
class CreateDomain(BaseOperation):
    """``CREATE DOMAIN`` with its default, ``NOT NULL`` and checks (a ``NOT VALID`` check is
    added by ``ALTER DOMAIN`` right after, as ``CREATE DOMAIN`` cannot say so)."""

    type: ClassVar[str] = "create_domain"
    domain_name: str
    schema_name: str
    domain: Domain

    def describe(self) -> str:
        return f"Create domain '{display(self.schema_name, self.domain_name)}'"

    def reverse(self) -> MigrationOperation:
        return DropDomain(self.domain_name, self.schema_name, self.domain)


@frozen
class DropDomain(BaseOperation):
    """``DROP DOMAIN`` (a domain holds no data; it fails while a column still uses it)."""

    type: ClassVar[str] = "drop_domain"
    domain_name: str
    schema_name: str
    domain: Domain | None = None

    def describe(self) -> str:
        return f"Drop domain '{display(self.schema_name, self.domain_name)}'"

    def reverse(self) -> MigrationOperation | None:
        if self.domain is None:
            return None
        return CreateDomain(self.domain_name, self.schema_name, self.domain)


@frozen
class AlterDomain(BaseOperation):
    """``ALTER DOMAIN ... SET/DROP DEFAULT`` and ``SET/DROP NOT NULL`` (and the name of the
    ``NOT NULL`` constraint, PostgreSQL 17+). ``SET NOT NULL`` checks the columns that use
    the domain and fails if one holds a null."""

    type: ClassVar[str] = "alter_domain"
    domain_name: str
    schema_name: str
    from_: Domain
    to: Domain

    def describe(self) -> str:
        changes = []
        if self.from_.default != self.to.default:
            changes.append("drop default" if self.to.default is None else "set default")
        if self.from_.nullable != self.to.nullable:
            changes.append("drop not null" if self.to.nullable else "set not null")
        elif self.from_.not_null_name != self.to.not_null_name:
            changes.append("rename not null constraint")
        name = display(self.schema_name, self.domain_name)
        return f"Alter domain '{name}' ({', '.join(changes)})"

    def reverse(self) -> MigrationOperation:
        return AlterDomain(self.domain_name, self.schema_name, self.to, self.from_)


@frozen
class AddDomainConstraint(BaseOperation):
    """``ALTER DOMAIN ... ADD CONSTRAINT ... CHECK (...) [NOT VALID]``: without ``NOT
    VALID`` it checks every column that uses the domain."""

    type: ClassVar[str] = "add_domain_constraint"
    domain_name: str
    schema_name: str
    constraint: DomainCheck

    def describe(self) -> str:
        name = display(self.schema_name, self.domain_name)
        suffix = " (NOT VALID)" if self.constraint.not_valid else ""
        return f"Add constraint '{self.constraint.name}' to domain '{name}'{suffix}"

    def reverse(self) -> MigrationOperation:
        return DropDomainConstraint(
            self.domain_name, self.schema_name, self.constraint.name, self.constraint
        )


@frozen
class DropDomainConstraint(BaseOperation):
    """``ALTER DOMAIN ... DROP CONSTRAINT``."""

    type: ClassVar[str] = "drop_domain_constraint"
    domain_name: str
    schema_name: str
    constraint_name: str
    constraint: DomainCheck | None = None

    def describe(self) -> str:
        name = display(self.schema_name, self.domain_name)
        return f"Drop constraint '{self.constraint_name}' of domain '{name}'"

    def reverse(self) -> MigrationOperation | None:
        if self.constraint is None:
            return None
        return AddDomainConstraint(self.domain_name, self.schema_name, self.constraint)


@frozen
class AlterDomainConstraint(BaseOperation):
    """A domain check that stays but changes: ``RENAME CONSTRAINT`` (same expression, new
    name), ``VALIDATE CONSTRAINT`` (``NOT VALID`` no longer), or, for a new expression or
    a check that becomes ``NOT VALID``, ``DROP CONSTRAINT`` + ``ADD CONSTRAINT``."""

    type: ClassVar[str] = "alter_domain_constraint"
    domain_name: str
    schema_name: str
    from_: DomainCheck
    to: DomainCheck

    @property
    def replaces(self) -> bool:
        """Whether the check is dropped and added again (it cannot change in place)."""
        return self.from_.expression != self.to.expression or (
            self.to.not_valid and not self.from_.not_valid
        )

    @property
    def renames(self) -> bool:
        """Whether the check is renamed in place."""
        return not self.replaces and self.from_.name != self.to.name

    @property
    def validates(self) -> bool:
        """Whether ``VALIDATE CONSTRAINT`` checks the rows the ``NOT VALID`` check skipped."""
        return not self.replaces and self.from_.not_valid and not self.to.not_valid

    def describe(self) -> str:
        name = display(self.schema_name, self.domain_name)
        if self.replaces:
            return f"Replace constraint '{self.from_.name}' of domain '{name}'"
        actions = []
        if self.renames:
            actions.append(
                f"Rename constraint '{self.from_.name}' of domain '{name}' to '{self.to.name}'"
            )
        if self.validates:
            actions.append(f"Validate constraint '{self.to.name}' of domain '{name}'")
        return "; ".join(actions)

    def reverse(self) -> MigrationOperation:
        return AlterDomainConstraint(self.domain_name, self.schema_name, self.to, self.from_)


@frozen
class DomainColumnUse:
    """A table column whose type is a domain being rebuilt (``is_array``: an array of it),
    with the default to restore after its conversion.

    A column that changes to another type later in the plan (``keeps_type`` false) stays on
    the old base type instead, so that its own alteration converts it.
    """

    schema_name: str
    table_name: str
    column_name: str
    is_array: bool = False
    default: str | None = None
    keeps_type: bool = True


@frozen
class RebuildDomain(BaseOperation):
    """A domain whose base type or collation changes, which ``ALTER DOMAIN`` cannot do.

    The columns that use it are converted to the old base type, the domain is dropped and
    created anew, and the columns are converted to it (``USING column::domain``). The
    conversion can round or fail on stored values, so with columns it is destructive.
    """

    type: ClassVar[str] = "rebuild_domain"
    domain_name: str
    schema_name: str
    from_: Domain
    to: Domain
    columns: tuple[DomainColumnUse, ...] = ()

    @property
    def destructive(self) -> bool:  # type: ignore[override]
        """Stored values are converted from one base type to another."""
        return bool(self.columns)

    def describe(self) -> str:
        name = display(self.schema_name, self.domain_name)
        change = f"as {self.to.data_type}" if self.to.data_type != self.from_.data_type else ""
        if self.to.collation != self.from_.collation:
            collation = self.to.collation or "the default collation"
            change = f"{change} with {collation}".strip()
        used = f", converting {counted(len(self.columns), 'column')}" if self.columns else ""
        return f"Rebuild domain '{name}' {change}{used}"

    def reverse(self) -> MigrationOperation | None:
        if self.destructive:
            return None  # converted values may have been rounded or cut
        return RebuildDomain(self.domain_name, self.schema_name, self.to, self.from_, self.columns)


# --- composite types -----------------------------------------------------------------------


@frozen
class CreateCompositeType(BaseOperation):
    """``CREATE TYPE ... AS (...)``."""

    type: ClassVar[str] = "create_composite_type"
    type_name: str
    schema_name: str
    composite: CompositeType

    def describe(self) -> str:
        return f"Create type '{display(self.schema_name, self.type_name)}'"

    def reverse(self) -> MigrationOperation:
        return DropCompositeType(self.type_name, self.schema_name, self.composite)


@frozen
class DropCompositeType(BaseOperation):
    """``DROP TYPE`` of a composite type (it fails while a column uses it).

    ``recreated`` marks a drop the plan undoes later (its attributes change in a way
    ``ALTER TYPE`` cannot express, such as a new order).
    """

    type: ClassVar[str] = "drop_composite_type"
    type_name: str
    schema_name: str
    composite: CompositeType | None = None
    recreated: bool = False

    def describe(self) -> str:
        suffix = " (recreated below)" if self.recreated else ""
        return f"Drop type '{display(self.schema_name, self.type_name)}'{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.composite is None:
            return None
        return CreateCompositeType(self.type_name, self.schema_name, self.composite)


@frozen
class AddCompositeAttribute(BaseOperation):
    """``ALTER TYPE ... ADD ATTRIBUTE`` (at the end)."""

    type: ClassVar[str] = "add_composite_attribute"
    type_name: str
    schema_name: str
    attribute: CompositeAttribute

    def describe(self) -> str:
        name = display(self.schema_name, self.type_name)
        return f"Add attribute '{self.attribute.name}' to type '{name}'"

    def reverse(self) -> MigrationOperation:
        return DropCompositeAttribute(
            self.type_name, self.schema_name, self.attribute.name, self.attribute
        )


@frozen
class DropCompositeAttribute(BaseOperation):
    """``ALTER TYPE ... DROP ATTRIBUTE``: columns of the type lose that attribute's values,
    so it is destructive."""

    type: ClassVar[str] = "drop_composite_attribute"
    destructive: ClassVar[bool] = True
    type_name: str
    schema_name: str
    attribute_name: str
    attribute: CompositeAttribute | None = None

    def describe(self) -> str:
        name = display(self.schema_name, self.type_name)
        return f"Drop attribute '{self.attribute_name}' of type '{name}'"

    def reverse(self) -> MigrationOperation | None:
        return None  # the values columns of the type held are gone


@frozen
class AlterCompositeAttribute(BaseOperation):
    """``ALTER TYPE ... ALTER ATTRIBUTE ... TYPE ... [COLLATE]`` (PostgreSQL refuses it
    while a table column uses the type)."""

    type: ClassVar[str] = "alter_composite_attribute"
    type_name: str
    schema_name: str
    from_: CompositeAttribute
    to: CompositeAttribute

    def describe(self) -> str:
        name = display(self.schema_name, self.type_name)
        return f"Alter attribute '{self.to.name}' of type '{name}' to {self.to.data_type}"

    def reverse(self) -> MigrationOperation:
        return AlterCompositeAttribute(self.type_name, self.schema_name, self.to, self.from_)
