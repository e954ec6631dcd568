"""SQL of keys, constraints and indexes, with every option PostgreSQL gives them.

The clauses serve ``CREATE TABLE`` and ``ALTER TABLE ... ADD`` alike; :func:`constraint_sql`
renders the operations of :mod:`linkgress_async.ops.constraints`. Identifiers go through
:func:`~linkgress_async.render.quote.quote_ident`, storage parameter values through
:func:`~linkgress_async.render.quote.render_literal`; expressions, collations and operator
classes are already in the server's spelling and are inserted as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

from linkgress_async.catalog import (
    CheckConstraint,
    ExclusionConstraint,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    UniqueConstraint,
)
from linkgress_async.ops import (
    AlterConstraint,
    AlterIndexOptions,
    CreateExclusionConstraint,
    DropExclusionConstraint,
)
from linkgress_async.render.columns import alter_table
from linkgress_async.render.quote import qualified, quote_ident, render_literal

__all__ = [
    "added_constraint",
    "check_clause",
    "constraint_sql",
    "exclusion_clause",
    "foreign_key_clause",
    "index_definition",
    "primary_key_clause",
    "storage_parameters",
    "unique_clause",
]


def _names(names: Iterable[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)


def storage_parameters(options: Iterable[str]) -> str:
    """``"fillfactor"='70', ...`` from catalog options (``fillfactor=70``)."""
    pairs = (option.partition("=") for option in options)
    return ", ".join(f"{quote_ident(name)}={render_literal(value)}" for name, _, value in pairs)


def _with(options: tuple[str, ...]) -> str:
    return f" WITH ({storage_parameters(options)})" if options else ""


def _deferral(deferrable: bool, initially_deferred: bool) -> str:
    text = " DEFERRABLE" if deferrable else ""
    return text + (" INITIALLY DEFERRED" if initially_deferred else "")


def _key_columns(columns: tuple[str, ...], without_overlaps: bool) -> str:
    text = _names(columns)
    return text + " WITHOUT OVERLAPS" if without_overlaps else text


def _include(columns: tuple[str, ...]) -> str:
    return f" INCLUDE ({_names(columns)})" if columns else ""


def primary_key_clause(pk: PrimaryKey) -> str:
    """``CONSTRAINT ... PRIMARY KEY (...)`` with its index options and deferral."""
    return (
        f"CONSTRAINT {quote_ident(pk.name)} PRIMARY KEY "
        f"({_key_columns(pk.columns, pk.without_overlaps)})"
        f"{_include(pk.include)}{_with(pk.options)}"
        f"{_deferral(pk.deferrable, pk.initially_deferred)}"
    )


def unique_clause(constraint: UniqueConstraint) -> str:
    """``CONSTRAINT ... UNIQUE [NULLS NOT DISTINCT] (...)`` with its options."""
    nulls = " NULLS NOT DISTINCT" if constraint.nulls_not_distinct else ""
    return (
        f"CONSTRAINT {quote_ident(constraint.name)} UNIQUE{nulls} "
        f"({_key_columns(constraint.columns, constraint.without_overlaps)})"
        f"{_include(constraint.include)}{_with(constraint.options)}"
        f"{_deferral(constraint.deferrable, constraint.initially_deferred)}"
    )


def check_clause(constraint: CheckConstraint) -> str:
    """``CONSTRAINT ... CHECK (...) [NO INHERIT] [NOT ENFORCED]`` (``NOT VALID`` is the
    caller's: ``CREATE TABLE`` would ignore it)."""
    expression = constraint.written or constraint.expression
    text = f"CONSTRAINT {quote_ident(constraint.name)} CHECK ({expression})"
    if constraint.no_inherit:
        text += " NO INHERIT"
    if not constraint.enforced:
        text += " NOT ENFORCED"
    return text


def _referencing(columns: tuple[str, ...], period: bool) -> str:
    if not period:
        return _names(columns)
    *plain, last = columns
    return ", ".join([*(quote_ident(c) for c in plain), f"PERIOD {quote_ident(last)}"])


def foreign_key_clause(fk: ForeignKey) -> str:
    """``CONSTRAINT ... FOREIGN KEY (...) REFERENCES ...`` with every option but NOT VALID."""
    target = qualified(fk.referenced_table.schema, fk.referenced_table.name)
    match = "" if fk.match == "simple" else f" MATCH {fk.match.upper()}"
    on_delete = fk.on_delete.upper()
    if fk.delete_set_columns:
        on_delete += f" ({_names(fk.delete_set_columns)})"
    text = (
        f"CONSTRAINT {quote_ident(fk.name)} FOREIGN KEY ({_referencing(fk.columns, fk.period)}) "
        f"REFERENCES {target} ({_referencing(fk.referenced_columns, fk.period)}){match} "
        f"ON DELETE {on_delete} ON UPDATE {fk.on_update.upper()}"
        f"{_deferral(fk.deferrable, fk.initially_deferred)}"
    )
    return text if fk.enforced else text + " NOT ENFORCED"


def exclusion_clause(constraint: ExclusionConstraint) -> str:
    """``CONSTRAINT ... EXCLUDE ...`` with its deferral."""
    return (
        f"CONSTRAINT {quote_ident(constraint.name)} {constraint.written or constraint.definition}"
        f"{_deferral(constraint.deferrable, constraint.initially_deferred)}"
    )


def _index_element(element: IndexElement) -> str:
    column = element.column
    text = quote_ident(column) if column is not None else f"({element.expression})"
    if element.collation is not None:
        text += f" COLLATE {element.collation}"
    if element.opclass is not None:
        text += f" {element.opclass}"
        if element.opclass_options:
            text += f" ({storage_parameters(element.opclass_options)})"
    if element.descending:
        text += " DESC"
    if element.nulls_first is not None:
        text += " NULLS FIRST" if element.nulls_first else " NULLS LAST"
    return text


def index_definition(
    schema: str, table: str, index: Index, *, concurrently: bool = False, only: bool = False
) -> str:
    """``CREATE [UNIQUE] INDEX [CONCURRENTLY]`` for ``index`` on ``schema.table``.

    ``only``: ``ON ONLY`` a partitioned table, without building it on the partitions (it is
    invalid until an index of each partition is attached to it).
    """
    unique = "UNIQUE " if index.unique else ""
    keys = ", ".join(_index_element(e) for e in index.elements)
    how = "CONCURRENTLY " if concurrently else ""
    on = ("ONLY " if only else "") + qualified(schema, table)
    text = (
        f"CREATE {unique}INDEX {how}{quote_ident(index.name)} ON {on} "
        f"USING {quote_ident(index.method)} ({keys}){_include(index.include)}"
    )
    if index.nulls_not_distinct:
        text += " NULLS NOT DISTINCT"
    text += _with(index.options)
    if index.where is not None:
        text += f" WHERE {index.written_where or index.where}"
    return text


def added_constraint(constraint: CheckConstraint | ForeignKey, *, not_valid: bool = False) -> str:
    """``ADD CONSTRAINT ...`` of a check or foreign key, ``NOT VALID`` as asked or declared."""
    if isinstance(constraint, ForeignKey):
        clause = foreign_key_clause(constraint)
    else:
        clause = check_clause(constraint)
    # NOT VALID is meaningless on a constraint that is not enforced (never validated).
    if (not_valid or constraint.not_valid) and constraint.enforced:
        clause += " NOT VALID"
    return f"ADD {clause}"


def _alter_in_place(op: AlterConstraint) -> list[str] | None:
    """The in-place actions of ``op``, or ``None`` when it must drop and add."""
    old, new = op.from_, op.to
    name = quote_ident(new.name)
    actions: list[str] = []
    if isinstance(old, CheckConstraint) and isinstance(new, CheckConstraint):
        # A check's NO INHERIT and enforcement cannot be altered in place.
        if old.no_inherit != new.no_inherit or old.enforced != new.enforced:
            return None
    elif isinstance(old, ForeignKey) and isinstance(new, ForeignKey):
        if (old.deferrable, old.initially_deferred) != (new.deferrable, new.initially_deferred):
            deferral = "DEFERRABLE" if new.deferrable else "NOT DEFERRABLE"
            when = "DEFERRED" if new.initially_deferred else "IMMEDIATE"
            actions.append(f"ALTER CONSTRAINT {name} {deferral} INITIALLY {when}")
        if old.enforced != new.enforced:
            # ENFORCED checks every row and leaves the key valid; a NOT VALID one is re-added.
            if new.enforced and new.not_valid:
                return None
            actions.append(
                f"ALTER CONSTRAINT {name} {'ENFORCED' if new.enforced else 'NOT ENFORCED'}"
            )
            return actions
    else:  # pragma: no cover - the diff pairs constraints of one kind
        return None
    if old.not_valid != new.not_valid:
        if new.not_valid:
            return None  # a valid constraint cannot be marked NOT VALID again
        actions.append(f"VALIDATE CONSTRAINT {name}")
    return actions


def _alter_constraint(op: AlterConstraint) -> list[str]:
    actions = _alter_in_place(op)
    if actions is None:
        actions = [f"DROP CONSTRAINT {quote_ident(op.from_.name)}", added_constraint(op.to)]
    return [alter_table(op.schema_name, op.table_name, action) for action in actions]


def _alter_index_options(op: AlterIndexOptions) -> list[str]:
    index = qualified(op.schema_name, op.index_name)
    kept = {option.partition("=")[0] for option in op.to_options}
    reset = sorted({o.partition("=")[0] for o in op.from_options} - kept)
    changed = [option for option in op.to_options if option not in op.from_options]
    statements = []
    if reset:
        statements.append(f"ALTER INDEX {index} RESET ({_names(reset)})")
    if changed:
        statements.append(f"ALTER INDEX {index} SET ({storage_parameters(changed)})")
    return statements


def constraint_sql(
    op: CreateExclusionConstraint | DropExclusionConstraint | AlterConstraint | AlterIndexOptions,
) -> list[str]:
    """The statements of one operation of :mod:`linkgress_async.ops.constraints`."""
    match op:
        case CreateExclusionConstraint():
            action = f"ADD {exclusion_clause(op.constraint)}"
            return [alter_table(op.schema_name, op.table_name, action)]
        case DropExclusionConstraint():
            action = f"DROP CONSTRAINT {quote_ident(op.constraint_name)}"
            return [alter_table(op.schema_name, op.table_name, action)]
        case AlterConstraint():
            return _alter_constraint(op)
        case AlterIndexOptions():
            return _alter_index_options(op)
        case _:
            assert_never(op)
