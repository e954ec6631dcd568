"""Table constraints from the rows of ``constraints.sql``: keys, checks, foreign keys,
exclusion constraints, and the names of PostgreSQL 18's NOT NULL constraints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from linkgress_async.catalog import (
    CheckConstraint,
    ExclusionConstraint,
    ForeignKey,
    ForeignKeyAction,
    ForeignKeyMatch,
    PrimaryKey,
    QualifiedName,
    UniqueConstraint,
)
from linkgress_async.errors import LinkgressError
from linkgress_async.render.quote import object_name

from ._row import Row

__all__ = ["ConstraintParts", "add_constraint", "default_not_null_name"]

_FK_ACTIONS: Final[Mapping[str, ForeignKeyAction]] = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}

_MATCH_TYPES: Final[Mapping[str, ForeignKeyMatch]] = {
    "s": "simple",
    "f": "full",
    "p": "partial",
}


class ConstraintParts:
    """The constraints of one table, gathered while the rows stream past."""

    __slots__ = (
        "checks",
        "column_names",
        "exclusions",
        "foreign_keys",
        "name",
        "not_null_names",
        "primary_key",
        "uniques",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.column_names: dict[int, str] = {}
        self.primary_key: PrimaryKey | None = None
        self.uniques: list[UniqueConstraint] = []
        self.checks: list[CheckConstraint] = []
        self.foreign_keys: list[ForeignKey] = []
        self.exclusions: list[ExclusionConstraint] = []
        self.not_null_names: dict[str, str] = {}
        """Column name -> its NOT NULL constraint's name, where not the default."""


def default_not_null_name(table: str, column: str) -> str:
    """The name PostgreSQL 18 gives a NOT NULL constraint: ``{table}_{column}_not_null``."""
    return object_name(table, column, "not_null")


def _index_parts(row: Row, names: Mapping[int, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The INCLUDE columns and storage parameters of a key's index."""
    keys = row["index_keys"] or ()
    include = tuple(names[int(number)] for number in keys[row["index_key_count"] :])
    return include, tuple(row["index_options"] or ())


def _exclusion_definition(row: Row) -> str:
    """``pg_get_constraintdef`` without the deferral clauses it ends with."""
    definition: str = row["definition"]
    if row["initially_deferred"]:
        definition = definition.removesuffix(" INITIALLY DEFERRED")
    if row["is_deferrable"]:
        definition = definition.removesuffix(" DEFERRABLE")
    return definition


def add_constraint(parts: ConstraintParts, row: Row) -> None:
    """Add the constraint of one row to its table's ``parts``."""
    name: str = row["constraint_name"]
    names = parts.column_names
    columns = tuple(names[int(number)] for number in row["columns"] or ())
    deferrable: bool = row["is_deferrable"]
    deferred: bool = row["initially_deferred"]
    enforced: bool = row["enforced"]
    # A constraint that is not enforced is never validated; NOT VALID says nothing more.
    not_valid = enforced and not row["validated"]
    match row["kind"]:
        case "p":
            include, options = _index_parts(row, names)
            parts.primary_key = PrimaryKey(
                name,
                columns,
                include=include,
                deferrable=deferrable,
                initially_deferred=deferred,
                without_overlaps=row["period"],
                options=options,
            )
        case "u":
            include, options = _index_parts(row, names)
            parts.uniques.append(
                UniqueConstraint(
                    name,
                    columns,
                    include=include,
                    nulls_not_distinct=bool(row["nulls_not_distinct"]),
                    deferrable=deferrable,
                    initially_deferred=deferred,
                    without_overlaps=row["period"],
                    options=options,
                )
            )
        case "c":
            parts.checks.append(
                CheckConstraint(
                    name,
                    row["expression"],
                    not_valid=not_valid,
                    no_inherit=row["no_inherit"],
                    enforced=enforced,
                )
            )
        case "f":
            parts.foreign_keys.append(_foreign_key(row, name, names, not_valid))
        case "x":
            parts.exclusions.append(
                ExclusionConstraint(
                    name,
                    _exclusion_definition(row),
                    deferrable=deferrable,
                    initially_deferred=deferred,
                )
            )
        case "n":
            (column,) = columns
            if name != default_not_null_name(parts.name, column):
                parts.not_null_names[column] = name
        case other:
            raise LinkgressError(f"constraint {name!r} has unexpected kind {other!r}")


def _foreign_key(row: Row, name: str, names: Mapping[int, str], not_valid: bool) -> ForeignKey:
    return ForeignKey(
        name=name,
        columns=tuple(names[int(number)] for number in row["columns"]),
        referenced_table=QualifiedName(row["referenced_schema"], row["referenced_table"]),
        referenced_columns=tuple(row["referenced_columns"]),
        on_delete=_FK_ACTIONS[row["on_delete"]],
        on_update=_FK_ACTIONS[row["on_update"]],
        match=_MATCH_TYPES[row["match_type"]],
        deferrable=row["is_deferrable"],
        initially_deferred=row["initially_deferred"],
        not_valid=not_valid,
        enforced=row["enforced"],
        period=row["period"],
        delete_set_columns=tuple(names[int(number)] for number in row["delete_set_columns"] or ()),
    )
