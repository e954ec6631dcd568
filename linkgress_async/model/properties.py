"""The property builder: one entity property's column."""

from __future__ import annotations

from collections.abc import Sequence

from linkgress_async.errors import ModelError
from linkgress_async.model._args import check_identifier, privileges, roles
from linkgress_async.model._args import expression as sql_expression
from linkgress_async.model.specs import DefaultSpec, EntitySpec, GrantSpec, PropertySpec
from linkgress_async.model.types import ColumnType, GeneratedSpec
from linkgress_async.render.quote import RawSql

__all__ = ["PropertyBuilder"]


class PropertyBuilder:
    """Configures one property's column: ``e.property("email").has_type(text("email"))``."""

    __slots__ = ("_entity", "_spec")

    def __init__(self, entity: EntitySpec, spec: PropertySpec) -> None:
        self._entity = entity
        self._spec = spec

    @property
    def _where(self) -> str:
        return f"{self._entity.label}, property {self._spec.name!r}"

    def has_type(self, column_type: ColumnType) -> PropertyBuilder:
        """Set the column's name and type from a type builder such as ``integer("id")``."""
        if not isinstance(column_type, ColumnType):
            raise ModelError(
                f"{self._where}: has_type takes a type builder such as "
                f"text({self._spec.name!r}), not {column_type!r}"
            )
        self._spec.column_type = column_type
        return self

    def is_required(self, required: bool = True, *, name: str | None = None) -> PropertyBuilder:
        """Make the column NOT NULL (``name``: the name of its NOT NULL constraint, which
        PostgreSQL 18 names ``{table}_{column}_not_null`` by default).

        ``is_required(False)`` on a serial column lets it hold NULL (a serial column is NOT
        NULL otherwise)."""
        if not isinstance(required, bool):
            raise ModelError(f"{self._where}: is_required takes True or False, not {required!r}")
        if name is not None:
            if not required:
                raise ModelError(f"{self._where}: a NOT NULL name needs is_required(True)")
            check_identifier(name, f"{self._where}: NOT NULL constraint name")
        self._spec.required = required
        self._spec.nullable_serial = not required
        self._spec.not_null_name = name
        return self

    def is_unique(self, name: str | None = None) -> PropertyBuilder:
        """Add a unique constraint on this column (default name ``{table}_{column}_key``)."""
        self._spec.unique = True
        self._spec.unique_name = name
        return self

    def has_default_value(self, value: object) -> PropertyBuilder:
        """Default to a Python value, written as a safe literal (``sql(...)`` is verbatim)."""
        self._spec.default = DefaultSpec(value)
        return self

    def has_default_sql(self, expression: str | RawSql) -> PropertyBuilder:
        """Default to an SQL expression such as ``now()``."""
        # A plain string is the usual argument: checked here, the message's context is
        # spelled only when it is not usable.
        if isinstance(expression, str) and expression.strip():
            text = expression
        else:
            text = sql_expression(expression, self._where)
        self._spec.default = DefaultSpec(text, is_sql=True)
        return self

    def renamed_from(self, old_column: str) -> PropertyBuilder:
        """The column's previous name: migrations rename it (keeping its values), not drop it."""
        check_identifier(old_column, f"{self._where}: renamed_from")
        self._spec.renamed_from = old_column
        return self

    def has_collation(self, collation: str) -> PropertyBuilder:
        """``COLLATE collation`` on the column (Linkgress ``hasCollation``): ``"C"``,
        ``'"en-x-icu"'``, ``"public.mycoll"``, as SQL writes the name."""
        if not isinstance(collation, str) or not collation.strip() or "\x00" in collation:
            raise ModelError(f"{self._where}: has_collation takes a collation name")
        self._spec.collation = collation.strip()
        return self

    def generated_always_as(self, sql: str | RawSql, *, stored: bool = True) -> PropertyBuilder:
        """``GENERATED ALWAYS AS (sql) STORED`` (``stored=False``: ``VIRTUAL``, which needs
        PostgreSQL 18): the column is computed from the row's other columns."""
        text = sql_expression(sql, self._where + ", generated_always_as")
        self._spec.generated = GeneratedSpec(text.strip(), stored)
        return self

    def has_comment(self, comment: str) -> PropertyBuilder:
        """``COMMENT ON COLUMN``."""
        if not isinstance(comment, str):
            raise ModelError(f"{self._where}: has_comment takes a string, not {comment!r}")
        self._spec.comment = comment
        return self

    def grant(
        self, *privilege: str, to: str | Sequence[str], with_grant_option: bool = False
    ) -> PropertyBuilder:
        """Column privileges (``SELECT``, ``INSERT``, ``UPDATE``, ``REFERENCES``) to roles."""
        where = self._where + ", grant"
        grant = GrantSpec(privileges(privilege, where), roles(to, where), with_grant_option)
        self._spec.grants += (grant,)
        return self

    def has_sequence_comment(self, comment: str) -> PropertyBuilder:
        """``COMMENT ON SEQUENCE`` of the column's identity or serial sequence."""
        if not isinstance(comment, str):
            raise ModelError(f"{self._where}: has_sequence_comment takes a string, not {comment!r}")
        self._spec.sequence_comment = comment
        return self

    def grant_on_sequence(
        self, *privilege: str, to: str | Sequence[str], with_grant_option: bool = False
    ) -> PropertyBuilder:
        """Privileges (``USAGE``, ``SELECT``, ``UPDATE``) on the column's identity or serial
        sequence, to roles."""
        where = self._where + ", grant_on_sequence"
        grant = GrantSpec(privileges(privilege, where), roles(to, where), with_grant_option)
        self._spec.sequence_grants += (grant,)
        return self
