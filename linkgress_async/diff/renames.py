"""Rename matching: the model's ``renamed_from`` hints become rename operations.

This step runs before the comparators. A hint applies when the current catalog has the old
name and not the new one: it yields a rename, and the current catalog is rewritten as it will
be once the renames ran, so the comparators then diff the renamed object normally (a renamed
column whose type also changes gets its ``alter_column`` as usual). A hint whose old name is
gone (the rename was applied already) is a no-op, so hints can stay in the model; a hint whose
old and new names both exist is a no-op too, and the old object is then like any other object
the model does not declare.

Inside a renamed table (or one with a renamed column), constraints and indexes whose
definition is unchanged but whose name changed along (``users_pkey`` to ``members_pkey``,
``users_mail_key`` to ``users_email_key``) are renamed as well, when they pair up one to one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal, Protocol, TypeVar

import attrs
from attrs import frozen

from linkgress_async.catalog import (
    SERIAL_STORAGE_TYPES,
    Catalog,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    QualifiedName,
    Table,
    UniqueConstraint,
)
from linkgress_async.diff.context import DiffContext
from linkgress_async.ops import (
    MigrationOperation,
    RenameColumn,
    RenameConstraint,
    RenameEnum,
    RenameIndex,
    RenameTable,
)

__all__ = ["Renamed", "apply_renames"]

_Kind = Literal["unique", "check", "foreign_key", "index"]
_Named = UniqueConstraint | CheckConstraint | ForeignKey | Index
_KINDS: tuple[_Kind, ...] = ("unique", "check", "foreign_key", "index")
_FIELDS: dict[_Kind, str] = {
    "unique": "uniques",
    "check": "checks",
    "foreign_key": "foreign_keys",
    "index": "indexes",
}


class _Hint(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def renamed_from(self) -> str | None: ...


_Hinted = TypeVar("_Hinted", bound=_Hint)
_Found = TypeVar("_Found")


@frozen
class Renamed:
    """The renames a target's hints call for, and the current catalog once they ran."""

    current: Catalog
    operations: tuple[MigrationOperation, ...]


def apply_renames(current: Catalog, target: Catalog, context: DiffContext) -> Renamed:
    """The rename operations the hints in ``target`` call for, applied to ``current``."""
    operations: list[MigrationOperation] = []
    current = _rename_enums(current, target, context, operations)
    current, renamed_tables = _rename_tables(current, target, operations)
    current, reshaped_tables = _rename_columns(current, target, operations)
    current = _rename_constraints(current, target, renamed_tables | reshaped_tables, operations)
    return Renamed(current, tuple(operations))


# --- enums ---------------------------------------------------------------------------------


def _respell_text(text: str, old: str, new: str) -> str:
    """``text`` with casts to the type spelled ``old`` made casts to ``new``."""
    return re.sub("::" + re.escape(old) + r'(?![\w$"])', lambda _m: "::" + new, text)


def _respell(text: str | None, old: str, new: str) -> str | None:
    return None if text is None else _respell_text(text, old, new)


def _respell_table(table: Table, old: str, new: str) -> Table:
    def column(c: Column) -> Column:
        data_type = c.data_type
        if data_type.removesuffix("[]") == old:
            data_type = new + data_type[len(old) :]
        return attrs.evolve(c, data_type=data_type, default=_respell(c.default, old, new))

    def element(e: IndexElement) -> IndexElement:
        if e.expression is None:
            return e
        return attrs.evolve(e, expression=_respell(e.expression, old, new))

    return attrs.evolve(
        table,
        columns=tuple(column(c) for c in table.columns),
        checks=[
            attrs.evolve(c, expression=_respell_text(c.expression, old, new)) for c in table.checks
        ],
        indexes=[
            attrs.evolve(
                i,
                elements=tuple(element(e) for e in i.elements),
                where=_respell(i.where, old, new),
            )
            for i in table.indexes
        ],
    )


def _applicable_hints(
    items: Iterable[_Hinted], find: Callable[[_Hinted, str], _Found | None]
) -> Iterator[tuple[_Hinted, _Found]]:
    """Each item whose hint applies, with the object it renames, until no hint applies.

    A hint applies when ``find(item, name)`` finds the old name and not the new one. ``find``
    must read the caller's catalog as it is after the renames yielded so far, so that a chain
    (a -> b, b -> c) applies once its successor has moved away.
    """
    pending = [(item, item.renamed_from) for item in items if item.renamed_from is not None]
    progress = True
    while progress:
        progress = False
        for item, hint in pending:
            old = find(item, hint)
            if old is None or find(item, item.name) is not None:
                continue
            pending = [p for p in pending if p[0] is not item]
            progress = True
            yield item, old


def _rename_enums(
    current: Catalog, target: Catalog, context: DiffContext, operations: list[MigrationOperation]
) -> Catalog:
    def find(enum: Enum, name: str) -> Enum | None:
        return current.enum(enum.schema, name)

    for enum, old in _applicable_hints(target.enums, find):
        operations.append(RenameEnum(enum.schema, old.name, enum.name))
        before = context.enum_spelling(old.qualified_name)
        after = context.enum_spelling(enum.qualified_name)
        enums = [attrs.evolve(e, name=enum.name) if e is old else e for e in current.enums]
        tables = [_respell_table(t, before, after) for t in current.tables]
        current = attrs.evolve(current, enums=enums, tables=tables)
    return current


# --- tables and columns --------------------------------------------------------------------


def _owns_named_sequence(column: Column) -> bool:
    """Whether the column's sequence is named after its table and column."""
    if column.identity is not None:
        return column.identity.sequence_name is None
    return column.data_type in SERIAL_STORAGE_TYPES


def _has_named_not_null(column: Column) -> bool:
    """Whether the column's NOT NULL constraint (PostgreSQL 18) is named after it and its
    table, as the server names it."""
    return not column.nullable and column.not_null_name is None


def _rename_tables(
    current: Catalog, target: Catalog, operations: list[MigrationOperation]
) -> tuple[Catalog, set[QualifiedName]]:
    def find(table: Table, name: str) -> Table | None:
        return current.table(table.schema, name)

    renamed: set[QualifiedName] = set()
    for wanted, old in _applicable_hints(target.tables, find):
        renamed.add(wanted.qualified_name)
        owning = tuple(c.name for c in old.columns if _owns_named_sequence(c))
        not_null = tuple(c.name for c in old.columns if _has_named_not_null(c))
        operations.append(RenameTable(wanted.schema, old.name, wanted.name, owning, not_null))
        tables = [_after_table_rename(t, old, wanted.name) for t in current.tables]
        before, after = old.qualified_name, wanted.qualified_name
        sequences = [
            attrs.evolve(s, owned_by=(after, s.owned_by[1]))
            if s.owned_by is not None and s.owned_by[0] == before
            else s
            for s in current.sequences
        ]
        current = attrs.evolve(current, tables=tables, sequences=sequences)
    return current, renamed


def _after_table_rename(table: Table, old: Table, new_name: str) -> Table:
    """``table`` once ``old`` is called ``new_name`` (its foreign keys, parent and
    inheritance follow the rename)."""
    before, after = old.qualified_name, QualifiedName(old.schema, new_name)
    if table is old:
        table = attrs.evolve(table, name=new_name)
    keys = [
        attrs.evolve(fk, referenced_table=after) if fk.referenced_table == before else fk
        for fk in table.foreign_keys
    ]
    partition_of = after if table.partition_of == before else table.partition_of
    inherits = tuple(after if parent == before else parent for parent in table.inherits)
    return attrs.evolve(table, foreign_keys=keys, partition_of=partition_of, inherits=inherits)


def _descendants(catalog: Catalog, table: QualifiedName) -> set[QualifiedName]:
    """The tables inheriting from ``table``: its partitions and classic children, and theirs."""
    found: set[QualifiedName] = set()
    frontier = {table}
    while frontier:
        children = {
            t.qualified_name
            for t in catalog.tables
            if (t.partition_of in frontier or frontier.intersection(t.inherits))
            and t.qualified_name not in found
        }
        found |= children
        frontier = children
    return found


def _after_column_rename(table: Table, owner: QualifiedName, old: str, new: str) -> Table:
    """``table`` once column ``old`` of table ``owner`` is called ``new``."""
    if table.qualified_name == owner:
        table = _with_column_renamed(table, old, new)
    return _rename_referenced_column(table, owner, old, new)


_TOKEN = re.compile(
    r"""(?P<string>[eE]?'(?:[^']|'')*')|(?P<quoted>"(?:[^"]|"")*")"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_$]*)|(?P<other>::|.)""",
    re.DOTALL,
)
_BARE = re.compile(r"[a-z_][a-z0-9_]*")


def _spelled(name: str) -> str:
    """How the server prints a column reference (keywords aside, which it would quote)."""
    return name if _BARE.fullmatch(name) else '"' + name.replace('"', '""') + '"'


def _rename_references(text: str, old: str, new: str) -> str:
    """Expression ``text`` with references to column ``old`` made references to ``new``.

    PostgreSQL keeps expressions by column number, so a renamed column's checks and index
    expressions read the new name afterwards; this predicts that text. String literals,
    qualified names and type names are left alone.
    """
    # The server quotes keywords too, so the old name is recognised in either spelling.
    old_spellings = {old if _BARE.fullmatch(old) else None, '"' + old.replace('"', '""') + '"'}
    new_spelled = _spelled(new)
    out: list[str] = []
    previous = ""
    for match in _TOKEN.finditer(text):
        token = match.group()
        kind = match.lastgroup
        if (
            kind in ("word", "quoted")
            and token in old_spellings
            and previous not in (".", "::")
            and not text[match.end() :].lstrip().startswith(("(", "."))
        ):
            token = new_spelled
        out.append(token)
        if not token.isspace():
            previous = token
    return "".join(out)


def _with_column_renamed(table: Table, old: str, new: str) -> Table:
    def name(column: str) -> str:
        return new if column == old else column

    def expression(text: str) -> str:
        return _rename_references(text, old, new)

    def names(columns: Iterable[str]) -> tuple[str, ...]:
        return tuple(name(c) for c in columns)

    def element(e: IndexElement) -> IndexElement:
        if e.expression is not None:
            return attrs.evolve(e, expression=expression(e.expression))
        return e if e.column is None else attrs.evolve(e, column=name(e.column))

    pk = table.primary_key
    return attrs.evolve(
        table,
        columns=tuple(attrs.evolve(c, name=name(c.name)) for c in table.columns),
        primary_key=None if pk is None else attrs.evolve(pk, columns=names(pk.columns)),
        uniques=[attrs.evolve(u, columns=names(u.columns)) for u in table.uniques],
        checks=[attrs.evolve(c, expression=expression(c.expression)) for c in table.checks],
        foreign_keys=[attrs.evolve(f, columns=names(f.columns)) for f in table.foreign_keys],
        indexes=[
            attrs.evolve(
                i,
                elements=tuple(element(e) for e in i.elements),
                include=names(i.include),
                where=None if i.where is None else expression(i.where),
            )
            for i in table.indexes
        ],
    )


def _rename_referenced_column(table: Table, target: QualifiedName, old: str, new: str) -> Table:
    def fk(f: ForeignKey) -> ForeignKey:
        if f.referenced_table != target:
            return f
        return attrs.evolve(
            f, referenced_columns=tuple(new if c == old else c for c in f.referenced_columns)
        )

    return attrs.evolve(table, foreign_keys=[fk(f) for f in table.foreign_keys])


def _rename_columns(
    current: Catalog, target: Catalog, operations: list[MigrationOperation]
) -> tuple[Catalog, set[QualifiedName]]:
    """Apply column hints; also return the tables that had a column renamed."""
    reshaped: set[QualifiedName] = set()
    for wanted in target.tables:
        if "columns" not in wanted.hinted_fields:
            continue  # no lookup: a model of thousands of tables stays linear
        renamed = _rename_columns_of(current, wanted, operations)
        if renamed is not current:
            reshaped.add(wanted.qualified_name)
            current = renamed
    return current, reshaped


def _rename_columns_of(
    current: Catalog, wanted: Table, operations: list[MigrationOperation]
) -> Catalog:
    """Apply the column hints of table ``wanted``."""
    owner = wanted.qualified_name

    def find(_column: Column, name: str) -> Column | None:
        table = current.table(owner.schema, owner.name)
        return None if table is None else table.column(name)

    for column, old in _applicable_hints(wanted.columns, find):
        owns_sequence = _owns_named_sequence(old)
        operations.append(
            RenameColumn(
                owner.schema,
                owner.name,
                old.name,
                column.name,
                owns_sequence,
                _has_named_not_null(old),
            )
        )
        # PostgreSQL renames the column in the tables that inherit it too.
        heirs = _descendants(current, owner)
        tables = [
            _with_column_renamed(t, old.name, column.name) if t.qualified_name in heirs else t
            for t in current.tables
        ]
        tables = [_after_column_rename(t, owner, old.name, column.name) for t in tables]
        sequences = [
            attrs.evolve(s, owned_by=(owner, column.name)) if s.owned_by == (owner, old.name) else s
            for s in current.sequences
        ]
        current = attrs.evolve(current, tables=tables, sequences=sequences)
    return current


# --- constraints and indexes ---------------------------------------------------------------


def _relation_names(catalog: Catalog, schema: str) -> set[str]:
    """Names taken in ``schema``'s relation name space (tables, indexes, sequences)."""
    taken = {s.name for s in catalog.sequences if s.schema == schema}
    for table in catalog.tables:
        if table.schema != schema:
            continue
        taken.add(table.name)
        taken.update(i.name for i in table.indexes)
        taken.update(u.name for u in table.uniques)
        if table.primary_key is not None:
            taken.add(table.primary_key.name)
    return taken


def _constraint_names(table: Table) -> set[str]:
    names = {u.name for u in table.uniques}
    names.update(c.name for c in table.checks)
    names.update(f.name for f in table.foreign_keys)
    if table.primary_key is not None:
        names.add(table.primary_key.name)
    return names


def _name_free(
    catalog: Catalog, table: Table, kind: _Kind | Literal["primary_key"], name: str
) -> bool:
    if kind != "index" and name in _constraint_names(table):
        return False
    if kind in ("unique", "index", "primary_key"):
        return name not in _relation_names(catalog, table.schema)
    return True


def _has_part_hints(table: Table) -> bool:
    """Whether a constraint or index of ``table`` (one of :data:`_KINDS`) has a rename hint."""
    return not table.hinted_fields.isdisjoint(_FIELDS.values())


def _items(table: Table, kind: _Kind) -> tuple[_Named, ...]:
    items: tuple[_Named, ...] = getattr(table, _FIELDS[kind])
    return items


def _pairs_by_shape(
    old_items: tuple[_Named, ...], new_items: tuple[_Named, ...]
) -> list[tuple[str, str]]:
    """(old, new) names of items that differ only by name and pair up one to one."""
    old_names = {o.name for o in old_items}
    new_names = {n.name for n in new_items}
    old_only = [o for o in old_items if o.name not in new_names]
    new_only = [n for n in new_items if n.name not in old_names]
    pairs: list[tuple[str, str]] = []
    for new in new_only:
        matches = [o for o in old_only if attrs.evolve(o, name=new.name) == new]
        if len(matches) != 1:
            continue
        twins = [n for n in new_only if attrs.evolve(matches[0], name=n.name) == n]
        if len(twins) == 1:
            pairs.append((matches[0].name, new.name))
    return pairs


def _renamed_item(table: Table, kind: _Kind, old: str, new: str) -> Table:
    def name(item: _Named) -> str:
        return new if item.name == old else item.name

    renamed: dict[str, Any] = {
        _FIELDS[kind]: [attrs.evolve(item, name=name(item)) for item in _items(table, kind)]
    }
    return attrs.evolve(table, **renamed)


def _rename_constraints(
    current: Catalog,
    target: Catalog,
    reshaped_tables: set[QualifiedName],
    operations: list[MigrationOperation],
) -> Catalog:
    """Apply constraint and index hints; in ``reshaped_tables`` (renamed, or with renamed
    columns) also rename what only changed name along with them."""
    for wanted in target.tables:
        if wanted.qualified_name not in reshaped_tables and not _has_part_hints(wanted):
            continue  # perf: no hint and no reshaping, so nothing of this table is renamed
        table = current.table(wanted.schema, wanted.name)
        if table is None:
            continue
        original = table
        if wanted.qualified_name in reshaped_tables:
            old_pk, new_pk = table.primary_key, wanted.primary_key
            if (
                old_pk is not None
                and new_pk is not None
                and old_pk.name != new_pk.name
                and old_pk.columns == new_pk.columns
                and _name_free(current, table, "primary_key", new_pk.name)
            ):
                operations.append(
                    RenameConstraint(table.schema, table.name, old_pk.name, new_pk.name)
                )
                table = attrs.evolve(table, primary_key=attrs.evolve(old_pk, name=new_pk.name))
        for kind in _KINDS:
            pairs: list[tuple[str, str]] = []
            existing = {i.name for i in _items(table, kind)}
            for item in _items(wanted, kind):
                hint = item.renamed_from
                if hint is not None and hint in existing and item.name not in existing:
                    pairs.append((hint, item.name))
            if wanted.qualified_name in reshaped_tables:
                hinted = {old for old, _new in pairs} | {new for _old, new in pairs}
                pairs += [
                    (old, new)
                    for old, new in _pairs_by_shape(_items(table, kind), _items(wanted, kind))
                    if old not in hinted and new not in hinted
                ]
            for old, new in pairs:
                if not _name_free(current, table, kind, new):
                    continue  # the name is taken until a later drop: drop and create instead
                if kind == "index":
                    operations.append(RenameIndex(table.schema, table.name, old, new))
                else:
                    operations.append(RenameConstraint(table.schema, table.name, old, new))
                table = _renamed_item(table, kind, old, new)
        if table is not original:
            current = _replace_table(current, original, table)
    return current


def _replace_table(catalog: Catalog, old: Table, new: Table) -> Catalog:
    return attrs.evolve(catalog, tables=[new if t is old else t for t in catalog.tables])
