"""Build one entity's table: columns, primary key, unique and check constraints, indexes.

Foreign keys need every table first, so :mod:`linkgress_async.model.relationships` adds them
to the :class:`TableDraft` values made here.
"""

from __future__ import annotations

import enum as _enum

import attrs
from attrs import define, field

from linkgress_async.catalog import (
    CheckConstraint,
    Column,
    Comment,
    ExclusionConstraint,
    ForeignKey,
    Generated,
    Grant,
    Identity,
    Index,
    ObjectRef,
    Owner,
    Policy,
    PrimaryKey,
    QualifiedName,
    SequenceOptions,
    Table,
    Trigger,
    UniqueConstraint,
)
from linkgress_async.errors import ModelError
from linkgress_async.model._args import check_identifier
from linkgress_async.model._values import BuildValues, ColumnKey
from linkgress_async.model.sequences import complete_sequence_options, default_sequence_options
from linkgress_async.model.specs import EntitySpec, PropertySpec
from linkgress_async.model.types import ColumnType, IdentitySpec, pg_enum
from linkgress_async.render.quote import object_name, render_literal

__all__ = ["TableDraft", "build_table", "check_identifier"]

_IDENTITY_TYPES = frozenset({"smallint", "integer", "bigint"})


@define
class TableDraft:
    """A table being built, with what the later stages need to know about its columns."""

    entity: EntitySpec
    schema: str
    name: str
    columns: dict[str, Column] = field(factory=dict)
    types: dict[str, ColumnType] = field(factory=dict)
    property_columns: dict[str, str] = field(factory=dict)
    primary_key: PrimaryKey | None = None
    uniques: list[UniqueConstraint] = field(factory=list)
    checks: list[CheckConstraint] = field(factory=list)
    indexes: list[Index] = field(factory=list)
    foreign_keys: list[ForeignKey] = field(factory=list)
    exclusions: list[ExclusionConstraint] = field(factory=list)
    triggers: list[Trigger] = field(factory=list)
    policies: list[Policy] = field(factory=list)
    partition_by: str | None = None
    partition_of: QualifiedName | None = None
    inherits: tuple[QualifiedName, ...] = ()
    comments: list[Comment] = field(factory=list)
    grants: list[Grant] = field(factory=list)
    owners: list[Owner] = field(factory=list)
    owned_sequences: list[tuple[str, str]] = field(factory=list)
    """(sequence name, what it is) of identity and serial sequences, for the name checks."""
    values: BuildValues = field(kw_only=True)
    """Shared by the tables of one build."""
    # Made once: the build stages ask for them per column, index and key of every table.
    qualified_name: QualifiedName = field(init=False)
    """The table's schema-qualified name."""
    label: str = field(init=False)
    """The entity and its table, as error messages name them."""

    def __attrs_post_init__(self) -> None:
        self.qualified_name = QualifiedName(self.schema, self.name)
        self.label = f"{self.entity.label} (table {self.schema}.{self.name})"

    def column_of(self, name: object) -> str | None:
        """The column :meth:`resolve` returns, or ``None`` where it raises: the build asks
        for thousands of columns and needs the message's context only for a bad name."""
        if not isinstance(name, str):
            return None
        column = self.property_columns.get(name)
        if column is None:
            return name if name in self.columns else None
        return column if column == name or name not in self.columns else None

    def resolve(self, name: str, where: str) -> str:
        """The column a property name (or an unambiguous column name) refers to."""
        column = self.column_of(name)
        if column is not None:
            return column
        if not isinstance(name, str):
            raise ModelError(f"{where}: expected a property name, not {name!r}")
        if name not in self.property_columns:
            known = ", ".join(self.property_columns) or "none"
            raise ModelError(
                f"{where}: {self.entity.label} has no configured property {name!r} "
                f"(configured: {known}); configure it with "
                f"property({name!r}).has_type(...) or name an existing property"
            )
        raise ModelError(
            f"{where}: {name!r} is ambiguous in {self.entity.label}: it is a property "
            f"mapped to column {self.property_columns[name]!r} and also the name of "
            "another column; rename the column"
        )

    def require(self, column: str) -> None:
        """Make ``column`` NOT NULL."""
        found = self.columns[column]
        if found.nullable:  # a primary key column usually is NOT NULL already
            self.columns[column] = attrs.evolve(found, nullable=False)

    def finish(self) -> Table:
        """The frozen table."""
        return Table(
            schema=self.schema,
            name=self.name,
            columns=tuple(self.columns.values()),
            primary_key=self.primary_key,
            uniques=self.uniques,
            checks=self.checks,
            foreign_keys=self.foreign_keys,
            indexes=self.indexes,
            renamed_from=self.entity.renamed_from,
            exclusions=self.exclusions,
            triggers=self.triggers,
            policies=self.policies,
            rls_enabled=self.entity.rls_enabled,
            rls_forced=self.entity.rls_forced,
            unlogged=self.entity.unlogged,
            options=self.entity.storage,
            partition_by=self.partition_by,
            partition_of=self.partition_of,
            partition_bound=self.entity.partition_bound if self.partition_of else None,
            inherits=self.inherits,
        )


def build_table(
    entity: EntitySpec,
    enums: list[pg_enum],
    *,
    identity_names: bool = True,
    values: BuildValues,
) -> TableDraft:
    """Check one entity's own configuration and make its table (without foreign keys);
    ``identity_names=False`` gives identity sequences their default name whatever the
    declaration says (``naming="linkgress-ts"``); ``values`` are those of the tables built
    before it."""
    if entity.table is None:
        raise ModelError(
            f"{entity.label} is not mapped to a table; call to_table(name) on its builder"
        )
    schema = entity.schema if entity.schema is not None else "public"
    check_identifier(schema, lambda: f"{entity.label}: schema name")
    check_identifier(entity.table, lambda: f"{entity.label}: table name")
    draft = TableDraft(entity=entity, schema=schema, name=entity.table, values=values)
    for prop in entity.properties.values():
        _add_column(draft, prop, enums, identity_names)
    _add_primary_key(draft)
    _add_uniques(draft)
    for check in entity.checks:
        where = f"{draft.label}, check constraint {check.name!r}"
        check_identifier(check.name, where)
        draft.checks.append(
            CheckConstraint(
                check.name,
                check.expression,
                check.renamed_from,
                # A check the server does not enforce is never validated: no NOT VALID.
                check.not_valid and check.enforced,
                check.no_inherit,
                check.enforced,
            )
        )
    return draft


def _where(draft: TableDraft, prop: PropertySpec) -> str:
    """How messages name a property. Spelled only for a message: a large model has tens
    of thousands of properties, and spelling it for each was a tenth of the build."""
    return f"{draft.label}, property {prop.name!r}"


def _add_column(
    draft: TableDraft, prop: PropertySpec, enums: list[pg_enum], identity_names: bool = True
) -> None:
    column_type = prop.column_type
    if column_type is None:
        raise ModelError(
            f"{_where(draft, prop)} has no type; call has_type(...) with a type builder such "
            f"as integer({prop.name!r})"
        )
    name = column_type.name
    checked = draft.values.names  # a model repeats its column names table after table
    if type(name) is not str or name not in checked:
        check_identifier(name, lambda: f"{_where(draft, prop)}: column name")
        checked.add(name)
    # Columns and property_columns' values are the same names: a lookup, not a scan.
    if name in draft.columns:
        other = next(p for p, column in draft.property_columns.items() if column == name)
        raise ModelError(
            f"{_where(draft, prop)}: column {name!r} is already the column of property "
            f"{other!r}; give each property its own column name"
        )
    serial = column_type.family == "serial"
    if serial and column_type.is_array:
        raise ModelError(
            f"{_where(draft, prop)}: {column_type.base_type} cannot be an array; use "
            f"an integer array, or drop .array()"
        )
    enum = column_type.enum
    if enum is not None and enum not in enums:
        raise ModelError(
            f"{_where(draft, prop)}: the enum {enum.schema}.{enum.name} is not declared in "
            "this model; declare it with model.enum(...) and use the handle it returns"
        )
    identity = (
        None
        if column_type.identity is None
        else _identity(draft, prop, column_type, identity_names)
    )
    if serial:
        draft.owned_sequences.append(
            (f"{draft.name}_{name}_seq", f"the sequence of serial column {draft.name}.{name}")
        )
    default = None if prop.default is None else _default(draft, prop, column_type, identity)
    generated = (
        None
        if prop.generated is None and column_type.generated is None
        else _generated(draft, prop, column_type, default, identity)
    )
    serial_not_null = serial and not prop.nullable_serial
    nullable = not (prop.required or column_type.is_primary_key or identity or serial_not_null)
    if serial and prop.nullable_serial and column_type.is_primary_key:
        raise ModelError(
            f"{_where(draft, prop)}: a primary key column cannot allow NULL; drop "
            "is_required(False)"
        )
    collation = prop.collation if prop.collation is not None else column_type.collation
    # Column's arguments, by which the build's equal columns share one object (BuildValues).
    key: ColumnKey = (
        name,
        column_type.data_type,
        nullable,
        default,
        identity,
        prop.renamed_from,
        collation,
        generated,
        None if prop.not_null_name is None else _not_null_name(draft, prop, name, nullable),
    )
    draft.columns[name] = draft.values.column(key)
    draft.types[name] = column_type
    draft.property_columns[prop.name] = name
    if prop.unique:
        unique_name = f"{draft.name}_{name}_key" if prop.unique_name is None else prop.unique_name
        check_identifier(
            unique_name,
            f"{_where(draft, prop)}: unique constraint name",
            "; pass a shorter name to is_unique(name=...)" if prop.unique_name is None else "",
        )
        draft.uniques.append(UniqueConstraint(unique_name, (name,)))


def _not_null_name(
    draft: TableDraft, prop: PropertySpec, column: str, nullable: bool
) -> str | None:
    """The NOT NULL constraint's name as the catalog has it: only when it is not the one
    PostgreSQL 18 gives it."""
    if prop.not_null_name is None or nullable:
        return None
    return (
        None
        if prop.not_null_name == object_name(draft.name, column, "not_null")
        else prop.not_null_name
    )


def _generated(
    draft: TableDraft,
    prop: PropertySpec,
    column_type: ColumnType,
    default: str | None,
    identity: Identity | None,
) -> Generated | None:
    spec = prop.generated if prop.generated is not None else column_type.generated
    if spec is None:
        return None
    if default is not None or identity is not None or column_type.is_serial:
        raise ModelError(
            f"{_where(draft, prop)}: a generated column computes its value, so it cannot also "
            "have a default, an identity or a serial type; drop one of them"
        )
    return Generated(spec.expression, "stored" if spec.stored else "virtual")


def _identity(
    draft: TableDraft, prop: PropertySpec, column_type: ColumnType, identity_names: bool = True
) -> Identity | None:
    spec = column_type.identity
    if spec is None:
        return None
    if column_type.family not in _IDENTITY_TYPES or column_type.is_array:
        raise ModelError(
            f"{_where(draft, prop)}: an identity column must be smallint, integer or bigint, "
            f"not {column_type.data_type}; change its type or drop the identity"
        )
    options = _identity_options(draft, prop, column_type, spec)
    implicit = f"{draft.name}_{column_type.name}_seq"
    what = f"the identity sequence of column {draft.name}.{column_type.name}"
    if spec.name is None or spec.name == implicit or not identity_names:
        # PostgreSQL shortens a default name that is too long, which the catalog could
        # not predict; asking for an explicit name keeps the model and database equal.
        check_identifier(
            implicit,
            lambda: f"{_where(draft, prop)}: identity sequence name",
            "; name the sequence: generated_..._as_identity(name=...)",
        )
        draft.owned_sequences.append((implicit, what))
        return Identity(spec.always, options, None)
    check_identifier(spec.name, f"{_where(draft, prop)}: identity sequence name")
    draft.owned_sequences.append((spec.name, what))
    return Identity(spec.always, options, spec.name)


def _identity_options(
    draft: TableDraft, prop: PropertySpec, column_type: ColumnType, spec: IdentitySpec
) -> SequenceOptions:
    unset = spec.start_with is None and spec.increment_by is None and spec.min_value is None
    unset = unset and spec.max_value is None and spec.cache is None and spec.cycle is None
    try:
        if unset:  # most identities: the defaults, made once per type
            return default_sequence_options(column_type.base_type)
        return complete_sequence_options(
            column_type.base_type,
            start_with=spec.start_with,
            increment_by=spec.increment_by,
            min_value=spec.min_value,
            max_value=spec.max_value,
            cache=spec.cache,
            cycle=spec.cycle,
        )
    except ModelError as error:
        raise ModelError(f"{_where(draft, prop)}: identity options: {error}") from None


def _default(
    draft: TableDraft, prop: PropertySpec, column_type: ColumnType, identity: Identity | None
) -> str | None:
    default = prop.default
    if default is None:
        return None
    if identity is not None or column_type.is_serial:
        kind = "an identity" if identity is not None else f"a {column_type.base_type}"
        raise ModelError(
            f"{_where(draft, prop)} is {kind} column, which generates its own values and "
            "cannot have a default; remove has_default_value/has_default_sql"
        )
    if default.is_sql:
        assert isinstance(default.value, str)
        return default.value
    if default.value is None:
        # PostgreSQL stores no default for DEFAULT NULL, so the model must not either.
        return None
    if column_type.enum is not None:
        _check_enum_default(draft, prop, column_type.enum, default.value)
    try:
        return render_literal(default.value, array=column_type.is_array)
    except (TypeError, ValueError) as error:
        raise ModelError(f"{_where(draft, prop)}: bad default value: {error}") from None


def _check_enum_default(
    draft: TableDraft, prop: PropertySpec, enum: pg_enum, value: object
) -> None:
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        label = item.value if isinstance(item, _enum.Enum) else item
        if isinstance(label, str) and label not in enum.values:
            raise ModelError(
                f"{_where(draft, prop)}: the default {label!r} is not a value of the enum "
                f"{enum.schema}.{enum.name} ({', '.join(enum.values)})"
            )


def _resolve_columns(draft: TableDraft, names: tuple[str, ...], where: str) -> tuple[str, ...]:
    columns = tuple(draft.resolve(name, where) for name in names)
    if not columns:
        raise ModelError(f"{where}: name at least one property")
    for column in columns:
        if columns.count(column) > 1:
            raise ModelError(f"{where}: column {column!r} is listed twice")
    return columns


def _add_primary_key(draft: TableDraft) -> None:
    entity = draft.entity
    marked = tuple(name for name, t in draft.types.items() if t.is_primary_key)
    if entity.primary_key is not None:
        where = f"{draft.label}, primary key"
        columns = _resolve_columns(draft, entity.primary_key, where)
        if marked and set(marked) != set(columns):
            raise ModelError(
                f"{where}: has_primary_key names {', '.join(columns)} but the columns "
                f"marked .primary_key() are {', '.join(marked)}; use one or the other"
            )
    elif marked:
        columns = marked
    else:
        return
    name = f"{draft.name}_pkey" if entity.primary_key_name is None else entity.primary_key_name
    check_identifier(
        name,
        lambda: f"{draft.label}: primary key name",
        "; pass a shorter name to has_primary_key(columns, name=...)",
    )
    options = entity.primary_key_options
    include = options.include
    if include:
        include = _resolve_include(draft, include, f"{draft.label}, primary key")
    draft.primary_key = PrimaryKey(
        name,
        columns,
        include,
        options.deferrable,
        options.initially_deferred,
        options.without_overlaps,
        options.options,
    )
    if options.comment is not None:
        draft.comments.append(
            Comment(ObjectRef("constraint", draft.schema, draft.name, name), options.comment)
        )
    for column in columns:
        draft.require(column)


def _add_uniques(draft: TableDraft) -> None:
    for unique in draft.entity.uniques:
        where = f"{draft.label}, unique constraint"
        if unique.name is not None:
            where += f" {unique.name!r}"
        columns = _resolve_columns(draft, unique.properties, where)
        name = f"{draft.name}_{'_'.join(columns)}_key" if unique.name is None else unique.name
        check_identifier(
            name,
            f"{where}: name",
            "; pass a shorter name to has_unique(name, columns)" if unique.name is None else "",
        )
        key = unique.key
        draft.uniques.append(
            UniqueConstraint(
                name,
                columns,
                unique.renamed_from,
                _resolve_include(draft, key.include, where),
                key.nulls_not_distinct,
                key.deferrable,
                key.initially_deferred,
                key.without_overlaps,
                key.options,
            )
        )
        if key.comment is not None:
            draft.comments.append(
                Comment(ObjectRef("constraint", draft.schema, draft.name, name), key.comment)
            )


def _resolve_include(draft: TableDraft, names: tuple[str, ...], where: str) -> tuple[str, ...]:
    return tuple(draft.resolve(name, where + ", include") for name in names)
