"""Types and other schema-level objects that are not relations or routines: enums, domains,
composite types, standalone sequences, extensions."""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from attrs import frozen

from linkgress_async.catalog.columns import SequenceOptions
from linkgress_async.catalog.names import QualifiedName

__all__ = [
    "CompositeAttribute",
    "CompositeType",
    "Domain",
    "DomainCheck",
    "Enum",
    "Extension",
    "Sequence",
]


@frozen
class Enum:
    """An enum type with its labels in sort order."""

    schema: str
    name: str
    values: tuple[str, ...]
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""

    @property
    def qualified_name(self) -> QualifiedName:
        """The type's schema-qualified name."""
        return QualifiedName(self.schema, self.name)


@frozen
class DomainCheck:
    """A ``CHECK`` constraint of a domain; ``expression`` uses ``VALUE`` and is spelled by
    ``pg_get_expr`` (``(VALUE > 0)``). ``not_valid``: added ``NOT VALID``, not yet checked
    against the columns that use the domain."""

    name: str
    expression: str
    not_valid: bool = False


def _sorted_checks(items: Iterable[DomainCheck]) -> tuple[DomainCheck, ...]:
    return tuple(sorted(items, key=lambda check: check.name))


@frozen
class Domain:
    """``CREATE DOMAIN name AS data_type [COLLATE] [DEFAULT] [NOT NULL] [CHECK ...]``.

    ``data_type`` and ``default`` follow the column conventions (``format_type`` and
    ``pg_get_expr`` spellings); ``collation`` only when not the base type's default.
    ``not_null_name`` is the name of the ``NOT NULL`` constraint (PostgreSQL 17 and later
    name it) when it is not the default ``{name}_not_null``.
    """

    schema: str
    name: str
    data_type: str
    default: str | None = None
    nullable: bool = True
    collation: str | None = None
    checks: tuple[DomainCheck, ...] = attrs.field(default=(), converter=_sorted_checks)
    not_null_name: str | None = None

    @property
    def qualified_name(self) -> QualifiedName:
        """The domain's schema-qualified name."""
        return QualifiedName(self.schema, self.name)


@frozen
class CompositeAttribute:
    """One attribute of a composite type."""

    name: str
    data_type: str
    collation: str | None = None


@frozen
class CompositeType:
    """``CREATE TYPE name AS (attributes)``; attributes keep their order."""

    schema: str
    name: str
    attributes: tuple[CompositeAttribute, ...] = ()

    @property
    def qualified_name(self) -> QualifiedName:
        """The type's schema-qualified name."""
        return QualifiedName(self.schema, self.name)


@frozen
class Sequence:
    """A standalone sequence (not one owned by a serial or identity column).

    ``owned_by`` is the ``(table, column)`` of ``ALTER SEQUENCE ... OWNED BY`` when the
    sequence belongs to a column whose default is not exactly its ``nextval`` (such a
    column would be spelled ``serial`` instead).
    """

    schema: str
    name: str
    options: SequenceOptions
    data_type: str = "bigint"
    owned_by: tuple[QualifiedName, str] | None = None

    @property
    def qualified_name(self) -> QualifiedName:
        """The sequence's schema-qualified name."""
        return QualifiedName(self.schema, self.name)


@frozen
class Extension:
    """``CREATE EXTENSION name WITH SCHEMA schema``.

    Objects an extension owns are never read into a catalog, declared or dropped: declaring
    the extension stands for them. ``version`` is compared only when the model names one
    (``None``: whatever the server installs by default).
    """

    name: str
    schema: str
    version: str | None = None
