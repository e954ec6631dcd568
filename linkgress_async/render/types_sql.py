"""Extension, domain and composite-type operations -> SQL statements.

Like :mod:`linkgress_async.render.sql`, which dispatches to :func:`type_operation_sql`:
identifiers through :func:`quote_ident`, values through :func:`render_literal`; data types,
defaults, collations and check expressions are already SQL (the server's spelling) and are
inserted as they are.
"""

from __future__ import annotations

from typing import assert_never

from linkgress_async.catalog import CompositeAttribute, CompositeType, Domain, DomainCheck
from linkgress_async.ops import (
    AddCompositeAttribute,
    AddDomainConstraint,
    AlterCompositeAttribute,
    AlterDomain,
    AlterDomainConstraint,
    AlterExtension,
    CreateCompositeType,
    CreateDomain,
    CreateExtension,
    DomainColumnUse,
    DropCompositeAttribute,
    DropCompositeType,
    DropDomain,
    DropDomainConstraint,
    DropExtension,
    RebuildDomain,
)
from linkgress_async.render.columns import alter_table
from linkgress_async.render.quote import qualified, quote_ident, render_literal

__all__ = ["TypeOperation", "composite_definition", "domain_definition", "type_operation_sql"]

TypeOperation = (
    CreateExtension
    | AlterExtension
    | DropExtension
    | CreateDomain
    | DropDomain
    | AlterDomain
    | AddDomainConstraint
    | DropDomainConstraint
    | AlterDomainConstraint
    | RebuildDomain
    | CreateCompositeType
    | DropCompositeType
    | AddCompositeAttribute
    | DropCompositeAttribute
    | AlterCompositeAttribute
)
"""The operations this module renders."""


def _check(check: DomainCheck) -> str:
    return f"CONSTRAINT {quote_ident(check.name)} CHECK ({check.expression})"


def _default_not_null_name(domain: Domain) -> str:
    return f"{domain.name}_not_null"


def domain_definition(domain: Domain) -> list[str]:
    """``CREATE DOMAIN`` with everything it can say, then the ``NOT VALID`` checks, which
    only ``ALTER DOMAIN`` can add."""
    parts = [f"CREATE DOMAIN {qualified(domain.schema, domain.name)} AS {domain.data_type}"]
    if domain.collation is not None:
        parts.append(f"COLLATE {domain.collation}")
    if domain.default is not None:
        parts.append(f"DEFAULT {domain.default}")
    if not domain.nullable:
        named = domain.not_null_name
        parts.append("NOT NULL" if named is None else f"CONSTRAINT {quote_ident(named)} NOT NULL")
    parts.extend(_check(check) for check in domain.checks if not check.not_valid)
    statements = [" ".join(parts)]
    statements.extend(
        _add_constraint(domain.schema, domain.name, check)
        for check in domain.checks
        if check.not_valid
    )
    return statements


def _alter_domain(schema: str, name: str, action: str) -> str:
    return f"ALTER DOMAIN {qualified(schema, name)} {action}"


def _add_constraint(schema: str, name: str, check: DomainCheck) -> str:
    suffix = " NOT VALID" if check.not_valid else ""
    return _alter_domain(schema, name, f"ADD {_check(check)}{suffix}")


def _alter_domain_sql(op: AlterDomain) -> list[str]:
    old, new = op.from_, op.to
    statements: list[str] = []
    if old.default != new.default:
        action = "DROP DEFAULT" if new.default is None else f"SET DEFAULT {new.default}"
        statements.append(_alter_domain(op.schema_name, op.domain_name, action))
    if old.nullable != new.nullable:
        action = "DROP NOT NULL" if new.nullable else "SET NOT NULL"
        statements.append(_alter_domain(op.schema_name, op.domain_name, action))
    # PostgreSQL 17+ names the NOT NULL constraint; SET NOT NULL gives it the default name.
    old_name = None if old.nullable else old.not_null_name or _default_not_null_name(old)
    if old.nullable != new.nullable:
        old_name = None if new.nullable else _default_not_null_name(new)
    new_name = None if new.nullable else new.not_null_name or _default_not_null_name(new)
    if old_name is not None and new_name is not None and old_name != new_name:
        action = f"RENAME CONSTRAINT {quote_ident(old_name)} TO {quote_ident(new_name)}"
        statements.append(_alter_domain(op.schema_name, op.domain_name, action))
    return statements


def _alter_constraint_sql(op: AlterDomainConstraint) -> list[str]:
    schema, name = op.schema_name, op.domain_name
    if op.replaces:
        return [
            _alter_domain(schema, name, f"DROP CONSTRAINT {quote_ident(op.from_.name)}"),
            _add_constraint(schema, name, op.to),
        ]
    statements: list[str] = []
    if op.renames:
        action = f"RENAME CONSTRAINT {quote_ident(op.from_.name)} TO {quote_ident(op.to.name)}"
        statements.append(_alter_domain(schema, name, action))
    if op.validates:
        statements.append(
            _alter_domain(schema, name, f"VALIDATE CONSTRAINT {quote_ident(op.to.name)}")
        )
    return statements


def _rebuild_domain(op: RebuildDomain) -> list[str]:
    # Columns are parked on the old base type (a binary-compatible conversion that keeps
    # their values) while the domain is dropped and created anew, then converted to it.
    # Defaults are set again afterwards, as the old one may not convert implicitly.
    domain = qualified(op.schema_name, op.domain_name)

    def column(use: DomainColumnUse, action: str) -> str:
        prefix = f"ALTER COLUMN {quote_ident(use.column_name)}"
        return alter_table(use.schema_name, use.table_name, f"{prefix} {action}")

    def convert(use: DomainColumnUse, to: str) -> str:
        target = to + ("[]" if use.is_array else "")
        return column(use, f"TYPE {target} USING {quote_ident(use.column_name)}::{target}")

    statements: list[str] = []
    for use in op.columns:
        if use.default is not None:
            statements.append(column(use, "DROP DEFAULT"))
        statements.append(convert(use, op.from_.data_type))
    statements.append(f"DROP DOMAIN {domain}")
    statements.extend(domain_definition(op.to))
    for use in op.columns:
        if not use.keeps_type:
            continue  # its own alteration, later in the plan, converts it
        statements.append(convert(use, domain))
        if use.default is not None:
            statements.append(column(use, f"SET DEFAULT {use.default}"))
    return statements


def _attribute(attribute: CompositeAttribute) -> str:
    collate = "" if attribute.collation is None else f" COLLATE {attribute.collation}"
    return f"{quote_ident(attribute.name)} {attribute.data_type}{collate}"


def composite_definition(composite: CompositeType) -> str:
    """``CREATE TYPE ... AS (attributes)``."""
    attributes = ", ".join(_attribute(a) for a in composite.attributes)
    return f"CREATE TYPE {qualified(composite.schema, composite.name)} AS ({attributes})"


def _alter_type(schema: str, name: str, action: str) -> str:
    return f"ALTER TYPE {qualified(schema, name)} {action}"


def _extension(op: CreateExtension) -> str:
    extension = op.extension
    text = (
        f"CREATE EXTENSION IF NOT EXISTS {quote_ident(op.extension_name)} "
        f"WITH SCHEMA {quote_ident(extension.schema)}"
    )
    if extension.version is not None:
        text += f" VERSION {render_literal(extension.version)}"
    return text


def _alter_extension(op: AlterExtension) -> list[str]:
    name = quote_ident(op.extension_name)
    statements = []
    if op.updates:
        assert op.to.version is not None
        statements.append(f"ALTER EXTENSION {name} UPDATE TO {render_literal(op.to.version)}")
    if op.moves:
        statements.append(f"ALTER EXTENSION {name} SET SCHEMA {quote_ident(op.to.schema)}")
    return statements


def type_operation_sql(op: TypeOperation) -> list[str]:
    """The statements that carry out one extension, domain or composite-type operation."""
    match op:
        case CreateExtension():
            return [_extension(op)]
        case AlterExtension():
            return _alter_extension(op)
        case DropExtension():
            return [f"DROP EXTENSION {quote_ident(op.extension_name)}"]
        case CreateDomain():
            return domain_definition(op.domain)
        case DropDomain():
            return [f"DROP DOMAIN {qualified(op.schema_name, op.domain_name)}"]
        case AlterDomain():
            return _alter_domain_sql(op)
        case AddDomainConstraint():
            return [_add_constraint(op.schema_name, op.domain_name, op.constraint)]
        case DropDomainConstraint():
            action = f"DROP CONSTRAINT {quote_ident(op.constraint_name)}"
            return [_alter_domain(op.schema_name, op.domain_name, action)]
        case AlterDomainConstraint():
            return _alter_constraint_sql(op)
        case RebuildDomain():
            return _rebuild_domain(op)
        case CreateCompositeType():
            return [composite_definition(op.composite)]
        case DropCompositeType():
            return [f"DROP TYPE {qualified(op.schema_name, op.type_name)}"]
        case AddCompositeAttribute():
            action = f"ADD ATTRIBUTE {_attribute(op.attribute)}"
            return [_alter_type(op.schema_name, op.type_name, action)]
        case DropCompositeAttribute():
            action = f"DROP ATTRIBUTE {quote_ident(op.attribute_name)}"
            return [_alter_type(op.schema_name, op.type_name, action)]
        case AlterCompositeAttribute():
            action = f"ALTER ATTRIBUTE {quote_ident(op.to.name)} TYPE {op.to.data_type}"
            if op.to.collation is not None:
                action += f" COLLATE {op.to.collation}"
            return [_alter_type(op.schema_name, op.type_name, action)]
        case _:
            assert_never(op)
