"""Turn the rows of the catalog queries into a :class:`~linkgress_async.catalog.Catalog`.

Pure and synchronous. Every family is read in one pass into dicts keyed by table oid, so the
work grows linearly with the size of the schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from linkgress_async.catalog import (
    SERIAL_STORAGE_TYPES,
    Catalog,
    Column,
    DatabaseSetting,
    Enum,
    ExtendedStatistics,
    Function,
    Identity,
    Index,
    MaterializedView,
    QualifiedName,
    Sequence,
    SequenceOptions,
    Table,
    View,
)
from linkgress_async.catalog.shared import shared_column
from linkgress_async.errors import LinkgressError
from linkgress_async.render.quote import object_name

from ._assemble_constraints import ConstraintParts, add_constraint
from ._assemble_indexes import index_of
from ._assemble_kinds import (
    aggregate_of,
    composite_types_of,
    dependencies_of,
    domain_of,
    extension_of,
)
from ._assemble_security import attach_security
from ._assemble_tables import (
    generated_of,
    owned_sequences,
    sequence_options,
    table_properties,
)
from ._queries import Family
from ._row import Row

__all__ = ["Row", "assemble", "function_of", "materialized_view_of", "view_of", "view_query"]


# The serial spelling of each integer type, per the catalog's convention.
_SERIAL_TYPES: Final[Mapping[str, str]] = {
    stored: serial for serial, stored in SERIAL_STORAGE_TYPES.items()
}


_INTEGER_MAX: Final[Mapping[str, int]] = {
    "smallint": 2**15 - 1,
    "integer": 2**31 - 1,
    "bigint": 2**63 - 1,
}


class _TableParts(ConstraintParts):
    """The pieces of one table, gathered while the rows stream past."""

    __slots__ = ("_copies", "columns", "index_copies", "indexes", "properties", "schema")

    def __init__(self, schema: str, name: str) -> None:
        super().__init__(name)
        self.schema = schema
        self.columns: list[Column] = []
        self.indexes: list[Index] = []
        self.index_copies: list[Index] = []
        self.properties: Row | None = None
        self._copies: _TableParts | None = None

    @property
    def copies(self) -> _TableParts:
        """Where a partition's copies of its parent's keys are gathered."""
        if self._copies is None:
            self._copies = _TableParts(self.schema, self.name)
            self._copies.column_names = self.column_names
        return self._copies

    def build(self) -> Table:
        columns = self.columns
        if self.not_null_names:
            named = self.not_null_names
            columns = [
                attrs.evolve(c, not_null_name=named[c.name]) if c.name in named else c
                for c in columns
            ]
        return Table(
            schema=self.schema,
            name=self.name,
            columns=tuple(columns),
            primary_key=self.primary_key,
            uniques=self.uniques,
            checks=self.checks,
            foreign_keys=self.foreign_keys,
            indexes=self.indexes,
            exclusions=self.exclusions,
            index_copies=self.index_copies,
            primary_key_copy=None if self._copies is None else self._copies.primary_key,
            unique_copies=() if self._copies is None else self._copies.uniques,
            **table_properties(self.properties),
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
    # Most columns repeat across tables (ids, timestamps, flags): one Column value per
    # distinct row is built and shared, which also makes comparing them cheap later.
    columns: dict[tuple[Any, ...], Column] = {}
    # The column_sequences rows that make a column serial; the column's other owned
    # sequences are standalone sequences OWNED BY it.
    serial_sequences: set[int] = set()
    for row in rows[Family.TABLES_COLUMNS]:
        schema, name = row["schema_name"], row["table_name"]
        if exclude_tables and QualifiedName(schema, name) in exclude_tables:
            continue
        oid = row["table_oid"]
        gathered = tables[oid] = _TableParts(schema, name)
        is_partition: bool = row["is_partition"]
        for values in row["columns"] or ():
            number = values[0]
            gathered.column_names[number] = values[1]
            # A classic inheritance child declares only its local columns (the others are
            # its parents'); a partition lists all of its own, in its own order.
            if not (values[_IS_LOCAL] or is_partition):
                continue
            owned = column_sequences.get((oid, number)) if oid in sequence_tables else None
            # The key leaves out the table and the column's position. A column that owns a
            # sequence (serial, or OWNED BY) is keyed by its table too; an identity column
            # by what its Column holds of its sequence, so the identity keys of most tables
            # share one value.
            key = (is_partition, *values[1:])
            if owned is not None:
                if any(s["dependency"] == "a" for s in owned):
                    column_row = _column_row(values, is_partition)
                    serial = _serial_sequence(column_row, gathered.name, owned)
                    if serial is not None:
                        serial_sequences.add(id(serial))
                    key = (*key, gathered.name, id(owned))
                else:
                    key = (*key, *_identity_key(owned, gathered.name, values[1]))
            column = columns.get(key)
            if column is None:
                column_row = _column_row(values, is_partition)
                column = _column(column_row, gathered.name, owned or ())
                column = columns[key] = shared_column(column)
            gathered.columns.append(column)

    for row in rows.get(Family.TABLE_PROPERTIES, ()):
        parts = tables.get(row["table_oid"])
        if parts is not None:
            parts.properties = row

    sequences.extend(owned_sequences(column_sequences, tables, serial_sequences))

    for row in rows[Family.CONSTRAINTS]:
        parts = tables.get(row["table_oid"])
        if parts is not None:
            add_constraint(parts.copies if row["is_copy"] else parts, row)

    # Views and materialized views come in one family; a materialized view's indexes are
    # among the indexes' rows, keyed by its oid, their keys named by its column numbers.
    view_rows = rows.get(Family.VIEWS, ())
    matview_rows = {row["relation_oid"]: row for row in view_rows if row["kind"] == "m"}
    matview_indexes: dict[int, list[Index]] = {oid: [] for oid in matview_rows}
    for row in rows[Family.INDEXES]:
        oid = row["table_oid"]
        parts = tables.get(oid)
        if parts is not None:
            found = parts.index_copies if row["is_copy"] else parts.indexes
            found.append(index_of(row, parts.column_names))
        elif oid in matview_rows:
            names = dict(enumerate(matview_rows[oid]["column_names"] or (), start=1))
            matview_indexes[oid].append(index_of(row, names))

    return Catalog(
        schemas=schemas,
        enums=enums,
        sequences=sequences,
        **attach_security(
            [parts.build() for parts in tables.values()],
            [view_of(row) for row in view_rows if row["kind"] != "m"],
            rows,
        ),
        functions=[function_of(row) for row in rows.get(Family.FUNCTIONS, ())],
        extensions=[extension_of(row) for row in rows.get(Family.EXTENSIONS, ())],
        database_settings=[
            DatabaseSetting(row["setting_name"], row["setting_value"])
            for row in rows.get(Family.DATABASE_SETTINGS, ())
        ],
        statistics=[
            ExtendedStatistics(
                row["schema_name"],
                row["statistics_name"],
                QualifiedName(row["table_schema"], row["table_name"]),
                tuple(row["columns"]),
                tuple(row["expressions"]),
                tuple(row["kinds"]),
            )
            for row in rows.get(Family.STATISTICS, ())
        ],
        domains=[domain_of(row) for row in rows.get(Family.DOMAINS, ())],
        composite_types=composite_types_of(rows.get(Family.COMPOSITE_TYPES, ())),
        materialized_views=[
            materialized_view_of(row, matview_indexes[oid]) for oid, row in matview_rows.items()
        ],
        aggregates=[aggregate_of(row) for row in rows.get(Family.AGGREGATES, ())],
        dependencies=dependencies_of(rows.get(Family.DEPENDENCIES, ())),
    )


def view_query(definition: str) -> str:
    """A view's query as ``pg_get_viewdef`` prints it, without its layout's ends."""
    return definition.strip().removesuffix(";").rstrip()


def _used(row: Row) -> tuple[QualifiedName, ...]:
    used = zip(row["dep_schemas"] or (), row["dep_names"] or (), strict=True)
    return tuple(QualifiedName(schema, name) for schema, name in used)


def view_of(row: Row) -> View:
    """A view from a row of ``views.sql``."""
    return View(
        schema=row["schema_name"],
        name=row["view_name"],
        definition=view_query(row["definition"]),
        depends_on=_used(row),
        options=tuple(row["options"] or ()),
    )


def materialized_view_of(row: Row, indexes: Iterable[Index] = ()) -> MaterializedView:
    """A materialized view from a row of ``views.sql`` (kind ``m``), with its indexes."""
    return MaterializedView(
        schema=row["schema_name"],
        name=row["view_name"],
        definition=view_query(row["definition"]),
        indexes=tuple(indexes),
        options=tuple(row["options"] or ()),
        depends_on=_used(row),
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
        # JSON writes a whole float8 as an integer.
        cost=float(row["proc_cost"]),
        rows=float(row["proc_rows"]),
        config=tuple(row["config"] or ()),
        definition=row["definition"],
        kind=row["kind"],
    )


def _sequence(row: Row) -> Sequence:
    return Sequence(
        schema=row["schema_name"],
        name=row["sequence_name"],
        options=sequence_options(row),
        data_type=row["data_type"],
    )


# A column of tables_columns.sql: these six, then (only when any is set) the identity kind,
# collation, generated kind and generated expression.
_COLUMN_FIELDS: Final = (
    "column_number",
    "column_name",
    "data_type",
    "not_null",
    "default_expr",
    "is_local",
    "identity_kind",
    "collation",
    "generated_kind",
    "generated_expr",
)
_IS_LOCAL: Final = _COLUMN_FIELDS.index("is_local")
_PLAIN_COLUMN: Final = {
    "identity_kind": "",
    "collation": None,
    "generated_kind": "",
    "generated_expr": None,
}


def _column_row(values: list[Any], is_partition: bool) -> dict[str, Any]:
    """One column of a ``tables_columns.sql`` row as a row of its own."""
    row = dict(_PLAIN_COLUMN, is_partition=is_partition)
    row.update(zip(_COLUMN_FIELDS, values, strict=False))
    return row


def _identity_key(owned: list[Row], table: str, column: str) -> tuple[Any, ...]:
    """What :func:`_column` reads of an identity column's sequence (``owned``: identity
    sequences only): its name where it is not the default one, and its options."""
    sequence = next(s for s in owned if s["dependency"] == "i")
    name = sequence["sequence_name"]
    return (
        None if name == f"{table}_{column}_seq" else name,
        sequence["start_with"],
        sequence["increment_by"],
        sequence["min_value"],
        sequence["max_value"],
        sequence["cache"],
        sequence["cycle"],
    )


def _column(row: Row, table: str, owned: Iterable[Row]) -> Column:
    """One column; ``owned`` are the rows of the sequences that belong to it."""
    name: str = row["column_name"]
    data_type: str = row["data_type"]
    default: str | None = row["default_expr"]
    if _serial_sequence(row, table, owned) is not None:
        data_type = _SERIAL_TYPES[data_type]
        default = None
    identity = None
    kind: str | None = row["identity_kind"]
    sequence = next((s for s in owned if s["dependency"] == "i"), None) if kind else None
    # A partition's identity column (PostgreSQL 17+) uses its parent's sequence: the identity
    # is the parent's declaration, which ATTACH PARTITION gives the partition.
    if kind and not (sequence is None and row["is_partition"]):
        if sequence is None:
            raise LinkgressError(
                f"identity column {table}.{name} has no identity sequence in pg_depend; "
                "the catalog is inconsistent, check the table with \\d in psql"
            )
        sequence_name: str = sequence["sequence_name"]
        identity = Identity(
            always=kind == "a",
            options=sequence_options(sequence),
            sequence_name=None if sequence_name == f"{table}_{name}_seq" else sequence_name,
        )
    return Column(
        name=name,
        data_type=data_type,
        nullable=not row["not_null"],
        default=default,
        identity=identity,
        collation=row["collation"],
        generated=generated_of(row),
    )


def _serial_sequence(row: Row, table: str, owned: Iterable[Row]) -> Row | None:
    """The owned sequence that makes the column ``serial``: an integer column whose default is
    exactly ``nextval()`` of a sequence it owns that ``serial`` would have made (its name,
    the column's type, PostgreSQL's default options). Any other such sequence is a sequence
    of its own, owned by the column: declaring the column ``serial`` would lose its name,
    type or options."""
    data_type: str = row["data_type"]
    if data_type not in _SERIAL_TYPES:
        return None
    default = row["default_expr"]
    name = object_name(table, row["column_name"], "seq")
    plain = SequenceOptions(1, 1, 1, _INTEGER_MAX[data_type])
    return next(
        (
            s
            for s in owned
            if s["dependency"] == "a"
            and s["serial_default"] == default
            and s["sequence_name"] == name
            and s["data_type"] == data_type
            and sequence_options(s) == plain
        ),
        None,
    )
