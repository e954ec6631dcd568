"""Declarations of extensions, domains and composite types."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from linkgress_async.catalog import (
    Comment,
    CompositeAttribute,
    CompositeType,
    Domain,
    DomainCheck,
    Extension,
    ObjectRef,
)
from linkgress_async.errors import ModelError
from linkgress_async.model._args import check_identifier, expression
from linkgress_async.model.specs import ModelSpec
from linkgress_async.model.types import ColumnType, pg_composite, pg_domain
from linkgress_async.render.quote import RawSql, render_literal

__all__ = ["TypeDeclarations"]


def _type_text(data_type: str | ColumnType, where: str) -> str:
    if isinstance(data_type, ColumnType):
        return data_type.data_type
    if not isinstance(data_type, str) or not data_type.strip() or "\x00" in data_type:
        raise ModelError(f"{where}: the type is a name such as 'integer' or 'text'")
    return data_type.strip()


class TypeDeclarations:
    """``model.extension``, ``model.domain``, ``model.composite_type``."""

    _spec: ModelSpec

    def _comment_on(self, target: ObjectRef, comment: str | None, where: str) -> None:
        if comment is None:
            return
        if not isinstance(comment, str):
            raise ModelError(f"{where}: a comment is a string, not {comment!r}")
        self._spec.comments.append(Comment(target, comment))

    def extension(
        self,
        name: str,
        schema: str | None = None,
        *,
        version: str | None = None,
        comment: str | None = None,
    ) -> Extension:
        """Declare an extension: ``CREATE EXTENSION name WITH SCHEMA schema`` before anything
        else. What it creates (types, functions, operators) is its own: never declared here,
        never dropped by a migration. ``version`` pins one (default: the server's default)."""
        schema = "public" if schema is None else schema
        check_identifier(name, f"extension {name!r}")
        check_identifier(schema, f"extension {name!r}: schema name")
        if version is not None and (not isinstance(version, str) or not version.strip()):
            raise ModelError(f"extension {name!r}: version is a string such as '1.6'")
        if any(other.name == name for other in self._spec.extensions):
            raise ModelError(f"extension {name!r} is declared twice; declare it once")
        extension = Extension(name, schema, version)
        self._spec.extensions.append(extension)
        self._comment_on(ObjectRef("extension", None, name), comment, f"extension {name!r}")
        return extension

    def domain(
        self,
        name: str,
        data_type: str | ColumnType,
        schema: str | None = None,
        *,
        default: object = None,
        default_sql: str | RawSql | None = None,
        not_null: bool = False,
        collation: str | None = None,
        checks: Mapping[str, str | RawSql] | None = None,
        comment: str | None = None,
        not_valid: Iterable[str] = (),
        not_null_name: str | None = None,
    ) -> pg_domain:
        """Declare a domain, ``CREATE DOMAIN name AS data_type``, with an optional default
        (a Python value as a literal, or ``default_sql``), ``NOT NULL``, collation and named
        ``CHECK`` constraints over ``VALUE``; use the handle with ``custom_type(col, handle)``.

        ``not_valid`` names checks added ``NOT VALID`` (not checked against the values the
        columns already hold); ``not_null_name`` names the ``NOT NULL`` constraint
        (PostgreSQL 17+; the default is ``{name}_not_null``).
        """
        schema = "public" if schema is None else schema
        where = f"domain {schema}.{name}"
        check_identifier(name, f"{where}: name")
        check_identifier(schema, f"{where}: schema name")
        if default is not None and default_sql is not None:
            raise ModelError(f"{where}: give default or default_sql, not both")
        default_text = (
            expression(default_sql, where + ", default_sql")
            if default_sql is not None
            else None
            if default is None
            else render_literal(default)
        )
        unchecked = {not_valid} if isinstance(not_valid, str) else set(not_valid)
        unknown = sorted(unchecked - set(checks or {}))
        if unknown:
            raise ModelError(
                f"{where}: not_valid names {', '.join(map(repr, unknown))}, which is not one "
                "of its checks; name checks given in checks="
            )
        domain_checks = []
        for check_name, check in (checks or {}).items():
            check_identifier(check_name, f"{where}: check name")
            domain_checks.append(
                DomainCheck(
                    check_name,
                    expression(check, f"{where}, check"),
                    check_name in unchecked,
                )
            )
        if not_null_name is not None:
            check_identifier(not_null_name, f"{where}: not_null_name")
            if not not_null:
                raise ModelError(f"{where}: not_null_name names NOT NULL; add not_null=True")
        if any(d.schema == schema and d.name == name for d in self._spec.domains):
            raise ModelError(f"{where} is declared twice; declare it once")
        self._spec.domains.append(
            Domain(
                schema,
                name,
                _type_text(data_type, where),
                default_text,
                not not_null,
                None if collation is None else collation.strip(),
                domain_checks,
                None if not_null_name == f"{name}_not_null" else not_null_name,
            )
        )
        self._comment_on(ObjectRef("domain", schema, name), comment, where)
        return pg_domain(schema, name)

    def composite_type(
        self,
        name: str,
        attributes: Mapping[str, str | ColumnType] | Iterable[tuple[str, str | ColumnType]],
        schema: str | None = None,
        *,
        comment: str | None = None,
    ) -> pg_composite:
        """Declare a composite type, ``CREATE TYPE name AS (attribute type, ...)``, in the
        order given; use the handle with ``custom_type(col, handle)``."""
        schema = "public" if schema is None else schema
        where = f"composite type {schema}.{name}"
        check_identifier(name, f"{where}: name")
        check_identifier(schema, f"{where}: schema name")
        pairs = list(attributes.items() if isinstance(attributes, Mapping) else attributes)
        if not pairs:
            raise ModelError(f"{where}: declare at least one attribute")
        declared = []
        for attribute, data_type in pairs:
            check_identifier(attribute, f"{where}: attribute name")
            collation = data_type.collation if isinstance(data_type, ColumnType) else None
            declared.append(CompositeAttribute(attribute, _type_text(data_type, where), collation))
        if len({a.name for a in declared}) != len(declared):
            raise ModelError(f"{where}: an attribute is listed twice")
        if any(c.schema == schema and c.name == name for c in self._spec.composite_types):
            raise ModelError(f"{where} is declared twice; declare it once")
        self._spec.composite_types.append(CompositeType(schema, name, tuple(declared)))
        self._comment_on(ObjectRef("type", schema, name), comment, where)
        return pg_composite(schema, name)
