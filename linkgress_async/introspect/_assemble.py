"""Turn the rows of the catalog queries into a :class:`~linkgress_async.catalog.Catalog`.

Pure and synchronous. Every family is read in one pass into dicts keyed by table oid, so the
work grows linearly with the size of the schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol

from linkgress_async.catalog import (
    SERIAL_STORAGE_TYPES,
    Catalog,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    ForeignKeyAction,
    Identity,
    Index,
    IndexElement,
    PrimaryKey,
    QualifiedName,
    Sequence,
    SequenceOptions,
    Table,
    UniqueConstraint,
)
from linkgress_async.errors import LinkgressError

from ._queries import Family

__all__ = ["assemble"]


class Row(Protocol):
    """A result row indexable by column name, such as an ``asyncpg.Record``."""

    def __getitem__(self, key: str, /) -> Any: ...


# The serial spelling of each integer type, per the catalog's convention.
_SERIAL_TYPES: Final[Mapping[str, str]] = {
    stored: serial for serial, stored in SERIAL_STORAGE_TYPES.items()
}

_FK_ACTIONS: Final[Mapping[str, ForeignKeyAction]] = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}


class _TableParts:
    """The pieces of one table, gathered while the rows stream past."""

    __slots__ = (
        "checks",
        "columns",
        "foreign_keys",
        "indexes",
        "name",
        "primary_key",
        "schema",
        "uniques",
    )

    def __init__(self, schema: str, name: str) -> None:
        self.schema = schema
        self.name = name
        self.columns: list[Column] = []
        self.primary_key: PrimaryKey | None = None
        self.uniques: list[UniqueConstraint] = []
        self.checks: list[CheckConstraint] = []
        self.foreign_keys: list[ForeignKey] = []
        self.indexes: list[Index] = []

    def build(self) -> Table:
        return Table(
            schema=self.schema,
            name=self.name,
            columns=tuple(self.columns),
            primary_key=self.primary_key,
            uniques=self.uniques,
            checks=self.checks,
            foreign_keys=self.foreign_keys,
            indexes=self.indexes,
        )


def assemble(
    rows: Mapping[Family, Iterable[Row]], exclude_tables: frozenset[QualifiedName] = frozenset()
) -> Catalog:
    """Build the catalog from each family's rows, leaving out ``exclude_tables``."""
    schemas: list[str] = []
    enums: list[Enum] = []
    for row in rows[Family.SCHEMAS_ENUMS]:
        schema = row["schema_name"]
        schemas.append(schema)
        if row["enum_name"] is not None:
            enums.append(Enum(schema, row["enum_name"], tuple(row["labels"] or ())))

    sequences = [_sequence(row) for row in rows[Family.SEQUENCES]]

    tables: dict[int, _TableParts] = {}
    excluded_oids: set[int] = set()
    for row in rows[Family.TABLES_COLUMNS]:
        oid = row["table_oid"]
        parts = tables.get(oid)
        if parts is None:
            if oid in excluded_oids:
                continue
            schema, name = row["schema_name"], row["table_name"]
            if QualifiedName(schema, name) in exclude_tables:
                excluded_oids.add(oid)
                continue
            parts = tables[oid] = _TableParts(schema, name)
        if row["column_name"] is not None:
            parts.columns.append(_column(row, parts.name))

    for row in rows[Family.CONSTRAINTS]:
        parts = tables.get(row["table_oid"])
        if parts is not None:
            _add_constraint(parts, row)

    for row in rows[Family.INDEXES]:
        parts = tables.get(row["table_oid"])
        if parts is not None:
            parts.indexes.append(_index(row))

    return Catalog(
        schemas=schemas,
        enums=enums,
        sequences=sequences,
        tables=[parts.build() for parts in tables.values()],
    )


def _options(row: Row, prefix: str = "") -> SequenceOptions:
    return SequenceOptions(
        start_with=row[f"{prefix}start_with"],
        increment_by=row[f"{prefix}increment_by"],
        min_value=row[f"{prefix}min_value"],
        max_value=row[f"{prefix}max_value"],
        cache=row[f"{prefix}cache"],
        cycle=row[f"{prefix}cycle"],
    )


def _sequence(row: Row) -> Sequence:
    return Sequence(
        schema=row["schema_name"],
        name=row["sequence_name"],
        options=_options(row),
        data_type=row["data_type"],
    )


def _column(row: Row, table: str) -> Column:
    name: str = row["column_name"]
    data_type: str = row["data_type"]
    default: str | None = row["default_expr"]
    if row["is_serial"]:
        data_type = _SERIAL_TYPES[data_type]
        default = None
    identity = None
    kind: str | None = row["identity_kind"]
    if kind:
        sequence_name: str | None = row["identity_sequence"]
        if sequence_name is None:
            raise LinkgressError(
                f"identity column {table}.{name} has no identity sequence in pg_depend; "
                "the catalog is inconsistent, check the table with \\d in psql"
            )
        identity = Identity(
            always=kind == "a",
            options=_options(row, "identity_"),
            sequence_name=None if sequence_name == f"{table}_{name}_seq" else sequence_name,
        )
    return Column(
        name=name,
        data_type=data_type,
        nullable=not row["not_null"],
        default=default,
        identity=identity,
    )


def _add_constraint(parts: _TableParts, row: Row) -> None:
    name: str = row["constraint_name"]
    columns = tuple(row["columns"])
    match row["kind"]:
        case "p":
            parts.primary_key = PrimaryKey(name, columns)
        case "u":
            parts.uniques.append(UniqueConstraint(name, columns))
        case "c":
            parts.checks.append(CheckConstraint(name, row["expression"]))
        case "f":
            parts.foreign_keys.append(
                ForeignKey(
                    name=name,
                    columns=columns,
                    referenced_table=QualifiedName(
                        row["referenced_schema"], row["referenced_table"]
                    ),
                    referenced_columns=tuple(row["referenced_columns"]),
                    on_delete=_FK_ACTIONS[row["on_delete"]],
                    on_update=_FK_ACTIONS[row["on_update"]],
                )
            )
        case other:
            raise LinkgressError(f"constraint {name!r} has unexpected kind {other!r}")


def _index(row: Row) -> Index:
    elements = tuple(
        IndexElement(column=column) if column is not None else IndexElement(expression=expr)
        for column, expr in zip(row["key_columns"], row["key_expressions"], strict=True)
    )
    return Index(
        name=row["index_name"],
        elements=elements,
        unique=row["is_unique"],
        method=row["method"],
        where=row["where_expr"],
        include=tuple(row["include_columns"]),
    )
