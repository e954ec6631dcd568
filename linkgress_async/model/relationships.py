"""Turn ``has_one`` / ``has_many`` declarations into foreign keys.

A relationship may be declared from both ends (``Post.has_one("user", User)`` and
``User.has_many("posts", Post)``); declarations that describe the same key columns become one
foreign key, and a declaration without ``with_foreign_key`` is the other end of one that has it.
"""

from __future__ import annotations

import re

from attrs import define, field

from linkgress_async.catalog import (
    ForeignKey,
    ForeignKeyAction,
    ForeignKeyMatch,
    storage_type,
)
from linkgress_async.errors import ModelError, counted
from linkgress_async.model.specs import RelationshipSpec, entity_name
from linkgress_async.model.tables import TableDraft, check_identifier
from linkgress_async.model.types import ColumnType

__all__ = [
    "LINKGRESS_TS_NAMING",
    "NAMINGS",
    "add_foreign_keys",
    "comparable_type",
    "key_types_match",
]

LINKGRESS_TS_NAMING = "linkgress-ts"
NAMINGS = ("default", LINKGRESS_TS_NAMING)

_TYPE_MODIFIER = re.compile(r"\(\s*-?\d+\s*(?:,\s*-?\d+\s*)?\)")

_INTEGERS = ("smallint", "integer", "bigint")
_FLOATS = ("real", "double precision")
_STRINGS = ("character varying", "text", "character", "name")

# (referencing type, referenced type) pairs of different built-in types that PostgreSQL
# accepts in a foreign key: the referenced column's btree operator family has an equality
# operator between them, or the referencing type is implicitly cast to the referenced one.
# Read off PostgreSQL 15 and 18 by creating each pair; any other pair of built-in types
# (arrays of different types among them) is refused with "foreign key constraint ... cannot
# be implemented".
_FOREIGN_KEY_PAIRS: frozenset[tuple[str, str]] = frozenset(
    [(a, b) for a in _INTEGERS for b in _INTEGERS]
    + [(a, b) for a in (*_INTEGERS, "numeric") for b in ("numeric", *_FLOATS)]
    + [("real", "double precision"), ("double precision", "real")]
    + [(a, b) for a in _STRINGS for b in ("character varying", "text")]
    + [("character varying", "character"), ("text", "character")]
    + [(a, "name") for a in ("character varying", "text", "character")]
    + [(a, "oid") for a in _INTEGERS]
    + [
        ("date", "timestamp without time zone"),
        ("date", "timestamp with time zone"),
        ("timestamp without time zone", "date"),
        ("timestamp with time zone", "date"),
        ("timestamp without time zone", "timestamp with time zone"),
        ("timestamp with time zone", "timestamp without time zone"),
        ("time without time zone", "time with time zone"),
        ("time without time zone", "interval"),
        ("inet", "cidr"),
        ("cidr", "inet"),
    ]
)
_BUILT_IN: frozenset[str] = frozenset(
    {name for pair in _FOREIGN_KEY_PAIRS for name in pair}
    | {"boolean", "uuid", "json", "jsonb", "bytea", "interval", "money", "macaddr"}
)


def comparable_type(column_type: ColumnType) -> str:
    """The type a foreign key column is compared as: its storage type without modifiers."""
    if column_type.enum is not None:
        base = column_type.enum.data_type
    else:
        base = storage_type(column_type.base_type)
        # A length or precision does not stop PostgreSQL from comparing the values.
        if "(" in base:
            base = _TYPE_MODIFIER.sub("", base)
    return base + "[]" if column_type.is_array else base


def key_types_match(referencing: ColumnType, referenced: ColumnType) -> bool:
    """Whether PostgreSQL accepts a foreign key from a ``referencing`` column to a
    ``referenced`` one: the same type, or two built-in types it can compare (``integer`` to
    ``bigint``, ``text`` to ``varchar``, ``date`` to ``timestamp``...).

    A type the library does not know (``custom_type``: a domain, an extension's type) may
    compare with others through casts only the server knows, so it is left to the server.
    """
    mine, theirs = comparable_type(referencing), comparable_type(referenced)
    if mine == theirs or (mine, theirs) in _FOREIGN_KEY_PAIRS:
        return True
    custom = referencing.family == "custom" or referenced.family == "custom"
    return custom and not ({mine, theirs} <= _BUILT_IN)


@define
class _Draft:
    dependent: TableDraft
    columns: tuple[str, ...]
    principal: TableDraft
    referenced: tuple[str, ...]
    sources: list[RelationshipSpec] = field(factory=list)
    on_delete: ForeignKeyAction | None = None
    on_update: ForeignKeyAction | None = None
    name: str | None = None
    required: bool = False
    renamed_from: str | None = None
    any_key_types: bool = False
    delete_set_columns: tuple[str, ...] | None = None
    match: ForeignKeyMatch | None = None
    deferrable: bool | None = None
    initially_deferred: bool | None = None
    not_valid: bool | None = None
    enforced: bool | None = None
    period: bool | None = None

    def merge(self, spec: RelationshipSpec) -> None:
        for option in _OPTIONS:
            mine, theirs = getattr(self, option), getattr(spec, option)
            if mine is not None and theirs is not None and mine != theirs:
                raise ModelError(
                    f"{spec.describe()} and {self.sources[0].describe()} describe the same "
                    f"foreign key but disagree on {option} ({theirs!r} vs {mine!r}); make "
                    "them agree or configure the option on one side only"
                )
            if mine is None:
                setattr(self, option, theirs)
        self.required = self.required or spec.required
        self.any_key_types = self.any_key_types or spec.any_key_types
        self.sources.append(spec)

    def describe(self) -> str:
        return " and ".join(source.describe() for source in self.sources)


# The options either end of a relationship may set; both ends must agree.
_OPTIONS = (
    "on_delete",
    "on_update",
    "name",
    "renamed_from",
    "delete_set_columns",
    "match",
    "deferrable",
    "initially_deferred",
    "not_valid",
    "enforced",
    "period",
)


def add_foreign_keys(tables: dict[type, TableDraft], *, naming: str = "default") -> None:
    """Resolve every relationship of every entity and add the foreign keys to the tables.

    Under ``naming="linkgress-ts"`` only ``has_one`` declarations with a foreign key make
    one, as in Linkgress (``has_many`` and navigations without a key are navigations only),
    and default names end with the first key column.
    """
    linkgress = naming == LINKGRESS_TS_NAMING
    # Relationships over the same columns and key are one foreign key, unless one end
    # names different constraints: PostgreSQL lets a table have both.
    # Keyed by plain names: hashing QualifiedName values cost more than the rest of a key.
    by_key: dict[tuple[str, str, tuple[str, ...], str, str, tuple[str, ...]], list[_Draft]] = {}
    inverse_only: list[RelationshipSpec] = []
    for table in tables.values():
        for spec in table.entity.relationships:
            if spec.target not in tables:
                raise ModelError(
                    f"{spec.describe()}: {entity_name(spec.target)} is not configured as an "
                    f"entity; add model.entity({entity_name(spec.target)}) with to_table(...)"
                )
            if spec.inverse or (linkgress and (spec.kind == "many" or spec.foreign_key is None)):
                continue
            if spec.foreign_key is None:
                inverse_only.append(spec)
                continue
            dependent, principal = tables[spec.dependent], tables[spec.principal]
            columns = _columns(dependent, spec.foreign_key, spec, "foreign key")
            referenced = _referenced(principal, spec)
            if len(columns) != len(referenced):
                raise ModelError(
                    f"{spec.describe()}: the foreign key has {counted(len(columns), 'column')} "
                    f"({', '.join(columns)}) but the principal key has {len(referenced)} "
                    f"({', '.join(referenced)}); list matching columns in the same order"
                )
            key = (
                dependent.schema,
                dependent.name,
                columns,
                principal.schema,
                principal.name,
                referenced,
            )
            same_key = by_key.setdefault(key, [])
            draft = _named_alike(same_key, spec)
            if draft is None:
                draft = _Draft(dependent, columns, principal, referenced)
                same_key.append(draft)
            draft.merge(spec)
    drafts = [draft for same_key in by_key.values() for draft in same_key]
    for spec in inverse_only:
        _merge_inverse(spec, tables, drafts)
    default_names: dict[tuple[str, str, str], _Draft] = {}
    for draft in drafts:
        foreign_key = _finish(draft, linkgress)
        if draft.name is None:
            table = draft.dependent
            clash = default_names.get((table.schema, table.name, foreign_key.name))
            if clash is not None:
                raise ModelError(
                    f"{draft.describe()} and {clash.describe()} are two foreign keys of table "
                    f"{draft.dependent.schema}.{draft.dependent.name} with the same default "
                    f"name {foreign_key.name!r}; name one with .has_db_name(...)"
                )
            default_names[(table.schema, table.name, foreign_key.name)] = draft
        draft.dependent.foreign_keys.append(foreign_key)
        if draft.required:
            for column in draft.columns:
                draft.dependent.require(column)


def _named_alike(drafts: list[_Draft], spec: RelationshipSpec) -> _Draft | None:
    """The draft ``spec`` describes, if any. A draft named otherwise is another foreign key
    when it was declared on the same end (two ``has_one`` of one entity); from the other end
    it is the same key, and merging reports the disagreement."""
    if spec.name is None or not drafts:
        return drafts[0] if drafts else None
    for draft in drafts:
        if draft.name == spec.name or draft.name is None:
            return draft
    for draft in drafts:
        same_end = any(s.owner is spec.owner and s.kind == spec.kind for s in draft.sources)
        if not same_end:
            return draft
    return None


def _columns(
    table: TableDraft, names: tuple[str, ...], spec: RelationshipSpec, what: str
) -> tuple[str, ...]:
    # The message's context is spelled only for a message: every relationship comes here.
    columns = tuple(
        [
            table.column_of(name) or table.resolve(name, f"{spec.describe()}, {what}")
            for name in names
        ]
    )
    if columns == names:
        columns = names  # the usual case: one tuple kept for the key, not two equal ones
    if not columns:
        raise ModelError(f"{spec.describe()}, {what}: name at least one property")
    for column in columns:
        if columns.count(column) > 1:
            raise ModelError(f"{spec.describe()}, {what}: column {column!r} is listed twice")
    return columns


def _referenced(principal: TableDraft, spec: RelationshipSpec) -> tuple[str, ...]:
    if spec.principal_key is not None:
        return _columns(principal, spec.principal_key, spec, "principal key")
    if principal.primary_key is None:
        raise ModelError(
            f"{spec.describe()}: {principal.label} has no primary key to reference; give it "
            "one or name the referenced properties with .with_principal_key(...)"
        )
    return principal.primary_key.columns


def _merge_inverse(
    spec: RelationshipSpec, tables: dict[type, TableDraft], drafts: list[_Draft]
) -> None:
    dependent, principal = tables[spec.dependent], tables[spec.principal]
    referenced = _referenced(principal, spec) if spec.principal_key is not None else None
    matches = [
        draft
        for draft in drafts
        if draft.dependent is dependent
        and draft.principal is principal
        and (referenced is None or draft.referenced == referenced)
    ]
    if not matches:
        raise ModelError(
            f"{spec.describe()} has no foreign key; call .with_foreign_key(...) naming the "
            f"properties of {dependent.entity.label} that hold the key"
        )
    if len(matches) > 1:
        raise ModelError(
            f"{spec.describe()} could be any of {len(matches)} foreign keys from "
            f"{dependent.entity.label} to {principal.entity.label}; say which with "
            ".with_foreign_key(...)"
        )
    matches[0].merge(spec)


def _finish(draft: _Draft, linkgress: bool = False) -> ForeignKey:
    dependent, principal = draft.dependent, draft.principal
    key = principal.primary_key
    # The primary key is what a foreign key references nearly always.
    if key is None or key.columns != draft.referenced:
        _check_unique_key(draft)
    for column, target in zip(draft.columns, draft.referenced, strict=True):
        mine, theirs = dependent.types[column], principal.types[target]
        if not key_types_match(mine, theirs) and not draft.any_key_types:
            raise ModelError(
                f"{draft.describe()}: foreign key column {dependent.name}.{column} is "
                f"{mine.data_type} but the referenced column {principal.name}.{target} is "
                f"{theirs.data_type}, and PostgreSQL has no equality operator between them "
                "for a foreign key; give them the same type (or types PostgreSQL compares, "
                "such as integer and bigint, or say so with .allow_type_mismatch())"
            )
    default = f"FK_{dependent.name}_{principal.name}"
    if linkgress:
        default += f"_{draft.columns[0]}"
    name = default if draft.name is None else draft.name
    check_identifier(
        name,
        lambda: f"{draft.describe()}: foreign key name",
        "; name it with .has_db_name(...)" if draft.name is None else "",
    )
    enforced = draft.enforced is not False
    return ForeignKey(
        name=name,
        columns=draft.columns,
        referenced_table=principal.qualified_name,
        referenced_columns=draft.referenced,
        on_delete=draft.on_delete or "no action",
        on_update=draft.on_update or "no action",
        renamed_from=draft.renamed_from,
        match=draft.match or "simple",
        deferrable=bool(draft.deferrable),
        initially_deferred=bool(draft.initially_deferred),
        # The server never validates a key it does not enforce: NOT VALID says nothing more.
        not_valid=bool(draft.not_valid) and enforced,
        enforced=enforced,
        period=bool(draft.period),
        delete_set_columns=_delete_set_columns(draft),
    )


def _check_unique_key(draft: _Draft) -> None:
    principal = draft.principal
    wanted = set(draft.referenced)
    candidates = [principal.primary_key.columns] if principal.primary_key is not None else []
    candidates += [unique.columns for unique in principal.uniques]
    candidates += [
        tuple(element.column or "" for element in index.elements)
        for index in principal.indexes
        if index.unique
        and index.where is None
        and all(element.column is not None for element in index.elements)
    ]
    if not any(set(candidate) == wanted for candidate in candidates):
        raise ModelError(
            f"{draft.describe()}: the referenced columns ({', '.join(draft.referenced)}) of "
            f"{principal.label} are not its primary key or a unique constraint, and "
            "PostgreSQL only references unique keys; reference the primary key or add "
            "has_unique(...) on those properties"
        )


def _delete_set_columns(draft: _Draft) -> tuple[str, ...]:
    if draft.delete_set_columns is None:
        return ()
    where = f"{draft.describe()}, on_delete columns"
    columns = tuple(draft.dependent.resolve(name, where) for name in draft.delete_set_columns)
    for column in columns:
        if column not in draft.columns:
            raise ModelError(
                f"{where}: {column!r} is not a column of the foreign key "
                f"({', '.join(draft.columns)}); name only key properties"
            )
        if columns.count(column) > 1:
            raise ModelError(f"{where}: column {column!r} is listed twice")
    return columns
