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
    Function,
    Identity,
    Index,
    IndexElement,
    PrimaryKey,
    QualifiedName,
    Sequence,
    SequenceOptions,
    Table,
    UniqueConstraint,
    View,
)
from linkgress_async.errors import LinkgressError

from ._assemble_security import attach_security
from ._queries import Family

__all__ = ["assemble", "function_of", "view_of", "view_query"]


class Row(Protocol):
    """A result row indexable by column name, such as an ``asyncpg.Record``."""

    def __getitem__(self, key: str | slice, /) -> Any: ...


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
        "column_names",
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
        self.column_names: dict[int, str] = {}
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

    # (table oid, column number) -> the sequences that belong to that column.
    column_sequences: dict[tuple[int, int], list[Row]] = {}
    for row in rows[Family.COLUMN_SEQUENCES]:
        column_sequences.setdefault((row["table_oid"], row["column_number"]), []).append(row)

    sequence_tables = {oid for oid, _number in column_sequences}
    tables: dict[int, _TableParts] = {}
    excluded_oids: set[int] = set()
    # Most columns repeat across tables (ids, timestamps, flags): one Column value per
    # distinct row is built and shared, which also makes comparing them cheap later.
    columns: dict[tuple[Any, ...], Column] = {}
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
        number = row["column_number"]
        if number is not None:
            owned = column_sequences.get((oid, number)) if oid in sequence_tables else None
            # The key leaves out the table and the column's position; a column with a
            # sequence is keyed by its table too, as its sequence name is read relative to it.
            values: tuple[Any, ...] = row[4:]
            key = values if owned is None else (*values, parts.name, id(owned))
            column = columns.get(key)
            if column is None:
                column = columns[key] = _column(row, parts.name, owned or ())
            parts.columns.append(column)
            parts.column_names[number] = column.name

    for row in rows[Family.CONSTRAINTS]:
        parts = tables.get(row["table_oid"])
        if parts is not None:
            _add_constraint(parts, row)

    for row in rows[Family.INDEXES]:
        parts = tables.get(row["table_oid"])
        if parts is not None:
            parts.indexes.append(_index(row, parts.column_names))

    catalog = Catalog(
        schemas=schemas,
        enums=enums,
        sequences=sequences,
        tables=[parts.build() for parts in tables.values()],
        views=[view_of(row) for row in rows.get(Family.VIEWS, ())],
        functions=[function_of(row) for row in rows.get(Family.FUNCTIONS, ())],
    )
    return attach_security(catalog, rows)


def view_query(definition: str) -> str:
    """A view's query as ``pg_get_viewdef`` prints it, without its layout's ends."""
    return definition.strip().removesuffix(";").rstrip()


def view_of(row: Row) -> View:
    """A view from a row of ``views.sql``."""
    used = zip(row["dep_schemas"] or (), row["dep_names"] or (), strict=True)
    return View(
        schema=row["schema_name"],
        name=row["view_name"],
        definition=view_query(row["definition"]),
        depends_on=tuple(QualifiedName(schema, name) for schema, name in used),
    )


def function_of(row: Row) -> Function:
    """A function from a row of ``functions.sql``."""
    return Function(
        schema=row["schema_name"],
        name=row["function_name"],
        identity_args=row["identity_args"],
        arguments=row["arguments"],
        result=row["result"],
        language=row["language"],
        source=row["source"],
        sql_body=row["sql_body"],
        volatility=row["volatility"],
        strict=row["is_strict"],
        security_definer=row["security_definer"],
        leakproof=row["leakproof"],
        parallel=row["parallel"],
        cost=row["proc_cost"],
        rows=row["proc_rows"],
        config=tuple(row["config"] or ()),
        definition=row["definition"],
    )


def _options(row: Row) -> SequenceOptions:
    return SequenceOptions(
        start_with=row["start_with"],
        increment_by=row["increment_by"],
        min_value=row["min_value"],
        max_value=row["max_value"],
        cache=row["cache"],
        cycle=row["cycle"],
    )


def _sequence(row: Row) -> Sequence:
    return Sequence(
        schema=row["schema_name"],
        name=row["sequence_name"],
        options=_options(row),
        data_type=row["data_type"],
    )


def _column(row: Row, table: str, owned: Iterable[Row]) -> Column:
    """One column; ``owned`` are the rows of the sequences that belong to it."""
    name: str = row["column_name"]
    data_type: str = row["data_type"]
    default: str | None = row["default_expr"]
    # serial: an integer column whose default is exactly nextval() of a sequence it owns.
    if data_type in _SERIAL_TYPES and any(
        s["dependency"] == "a" and s["serial_default"] == default for s in owned
    ):
        data_type = _SERIAL_TYPES[data_type]
        default = None
    identity = None
    kind: str | None = row["identity_kind"]
    if kind:
        sequence = next((s for s in owned if s["dependency"] == "i"), None)
        if sequence is None:
            raise LinkgressError(
                f"identity column {table}.{name} has no identity sequence in pg_depend; "
                "the catalog is inconsistent, check the table with \\d in psql"
            )
        sequence_name: str = sequence["sequence_name"]
        identity = Identity(
            always=kind == "a",
            options=_options(sequence),
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
    names = parts.column_names
    columns = tuple(names[int(number)] for number in row["columns"] or ())
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


def _index(row: Row, names: Mapping[int, str]) -> Index:
    keys = [int(number) for number in row["keys"]]
    count: int = row["key_count"]
    expressions: list[str | None] | None = row["key_expressions"]
    elements = tuple(
        IndexElement(column=names[number])
        if number != 0
        else IndexElement(expression=None if expressions is None else expressions[position])
        for position, number in enumerate(keys[:count])
    )
    return Index(
        name=row["index_name"],
        elements=elements,
        unique=row["is_unique"],
        method=row["method"],
        where=row["where_expr"],
        include=tuple(names[number] for number in keys[count:]),
    )
