"""Column rendering shared by the SQL renderer, and the statements that alter a column in place.

:func:`alter_column_sql` turns one column into another without losing its values: a type
change with the cheapest ``USING``, serial and identity columns with their owned sequences,
defaults and nullability in the order PostgreSQL accepts. The owned-sequence helpers also
serve renames (:func:`rename_owned_sequence`). Identifiers go through ``quote_ident``;
values through ``render_literal``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from linkgress_async.catalog import SERIAL_STORAGE_TYPES, Identity, SequenceOptions, storage_type
from linkgress_async.errors import ModelError
from linkgress_async.model.sequences import complete_sequence_options
from linkgress_async.ops import AlterColumn
from linkgress_async.render.quote import object_name, qualified, quote_ident, render_literal

__all__ = [
    "alter_column_sql",
    "alter_table",
    "collate_clause",
    "identity_clause",
    "rename_not_null_constraints",
    "rename_owned_sequence",
    "sequence_options",
]

_DEFAULT_COLLATION = 'pg_catalog."default"'
"""How ``COLLATE`` names the collation a type has by default."""

_LENGTH_LIMITED = re.compile(r"(character varying|character)\(\d+\)((?:\[\])*)")


def sequence_options(options: SequenceOptions) -> str:
    """``INCREMENT BY ... MINVALUE ... MAXVALUE ... START WITH ... CACHE ... [NO] CYCLE``."""
    parts = [
        f"INCREMENT BY {options.increment_by}",
        f"MINVALUE {options.min_value}",
        f"MAXVALUE {options.max_value}",
        f"START WITH {options.start_with}",
        f"CACHE {options.cache}",
        "CYCLE" if options.cycle else "NO CYCLE",
    ]
    return " ".join(parts)


def identity_clause(identity: Identity, data_type: str | None = None) -> str:
    """``GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY (...)`` with the sequence's options;
    given the column's ``data_type``, only the options that differ from PostgreSQL's defaults
    for it, as one would write them by hand."""
    kind = "ALWAYS" if identity.always else "BY DEFAULT"
    options = sequence_options(identity.options)
    if data_type is not None:
        options = _differing_options(identity.options, data_type)
    if identity.sequence_name is not None:
        options = f"SEQUENCE NAME {quote_ident(identity.sequence_name)} {options}".strip()
    return f"GENERATED {kind} AS IDENTITY" + (f" ({options})" if options else "")


def _differing_options(options: SequenceOptions, data_type: str) -> str:
    """The options of ``sequence_options`` that differ from the defaults for ``data_type``."""
    try:
        defaults = complete_sequence_options(data_type, increment_by=options.increment_by)
    except ModelError:  # not an integer type the defaults are known for: say everything
        return sequence_options(options)
    parts = []
    if options.increment_by != 1:
        parts.append(f"INCREMENT BY {options.increment_by}")
    if options.min_value != defaults.min_value:
        parts.append(f"MINVALUE {options.min_value}")
    if options.max_value != defaults.max_value:
        parts.append(f"MAXVALUE {options.max_value}")
    # The default start is the minimum (ascending) or maximum (descending) actually given.
    start = options.min_value if options.increment_by > 0 else options.max_value
    if options.start_with != start:
        parts.append(f"START WITH {options.start_with}")
    if options.cache != 1:
        parts.append(f"CACHE {options.cache}")
    if options.cycle:
        parts.append("CYCLE")
    return " ".join(parts)


def alter_table(schema: str, table: str, action: str) -> str:
    """``ALTER TABLE schema.table <action>``."""
    return f"ALTER TABLE {qualified(schema, table)} {action}"


def _using_type(data_type: str) -> str:
    """The type a ``USING`` clause casts to on the way to column type ``data_type``.

    An explicit cast to ``varchar(n)`` or ``char(n)`` cuts longer values short without a
    word; casting to the unlimited type instead leaves the length to the assignment coercion
    ``ALTER COLUMN ... TYPE`` applies to the result, which rejects them, so the plan fails
    rather than lose data.
    """
    match = _LENGTH_LIMITED.fullmatch(data_type)
    if match is None:
        return data_type
    unlimited = "character varying" if match[1] == "character varying" else "bpchar"
    return unlimited + match[2]


_TYPMOD = re.compile(r"\(\d+(?:,\d+)?\)(?=(?:\[\])*$)")


def _using(column: str, old_type: str, new_type: str) -> str:
    """The ``USING`` clause of a type change, or none when only the type modifier changes.

    ``varchar(10)`` to ``varchar(20)`` (or ``numeric(10,2)`` to ``numeric(12,2)``) then goes
    through the type's own length coercion, which PostgreSQL recognises as needing no table
    rewrite; any explicit cast in ``USING`` would make it rewrite the whole table. Values
    that do not fit are rejected the same way either way.
    """
    if _TYPMOD.sub("", old_type) == _TYPMOD.sub("", new_type):
        return ""
    return f" USING {column}::{_using_type(new_type)}"


def alter_column_sql(op: AlterColumn) -> list[str]:
    """Statements that turn column ``from_`` into ``to`` without losing its values."""
    old, new = op.from_, op.to
    column = quote_ident(op.column_name)

    def alter(action: str) -> str:
        return alter_table(op.schema_name, op.table_name, f"ALTER COLUMN {column} {action}")

    statements: list[str] = []
    old_serial = old.data_type in SERIAL_STORAGE_TYPES
    new_serial = new.data_type in SERIAL_STORAGE_TYPES
    old_type, new_type = storage_type(old.data_type), storage_type(new.data_type)

    if old.identity is not None and new.identity is None:
        statements.append(alter("DROP IDENTITY"))
    if old_serial and not new_serial:
        # DROP DEFAULT alone would leave the owned sequence behind.
        statements.append(alter("DROP DEFAULT"))
        statements.append(_drop_owned_sequence(op.schema_name, op.table_name, op.column_name))
    elif old.default is not None and (old.default != new.default or old_type != new_type):
        statements.append(alter("DROP DEFAULT"))

    for generated in op.regenerated:
        statements.append(
            alter_table(op.schema_name, op.table_name, f"DROP COLUMN {quote_ident(generated.name)}")
        )
    if old_type != new_type or old.collation != new.collation:
        using = _using(column, old_type, new_type) if old_type != new_type else ""
        # A new type without a collation takes its own default (the type may have none:
        # text COLLATE "C" -> bigint); naming the default is only needed on the same type.
        collation = (
            collate_clause(new.collation)
            if old.collation != new.collation
            and (new.collation is not None or old_type == new_type)
            else ""
        )
        statements.append(alter(f"TYPE {new_type}{collation}{using}"))
        if old_serial and new_serial:
            # serial -> bigserial: the owned sequence would keep the integer range.
            statements.append(
                _retype_owned_sequence(op.schema_name, op.table_name, op.column_name, new_type)
            )

    if new_serial and not old_serial:
        statements.extend(_make_serial(op.schema_name, op.table_name, op.column_name, new_type))
    elif new.default is not None and (old.default != new.default or old_type != new_type):
        statements.append(alter(f"SET DEFAULT {new.default}"))

    # An identity needs NOT NULL in place first; DROP NOT NULL waits until any identity
    # is gone (dropped above).
    if old.nullable and not new.nullable:
        if new.not_null_name is None:
            statements.append(alter("SET NOT NULL"))
        else:
            # PostgreSQL 18: a NOT NULL constraint of the given name.
            action = f"ADD CONSTRAINT {quote_ident(new.not_null_name)} NOT NULL {column}"
            statements.append(alter_table(op.schema_name, op.table_name, action))
    elif not (old.nullable or new.nullable) and old.not_null_name != new.not_null_name:
        default = object_name(op.table_name, op.column_name, "not_null")
        action = (
            f"RENAME CONSTRAINT {quote_ident(old.not_null_name or default)} "
            f"TO {quote_ident(new.not_null_name or default)}"
        )
        statements.append(alter_table(op.schema_name, op.table_name, action))

    if new.identity is not None:
        if old.identity is None:
            statements.append(alter(f"ADD {identity_clause(new.identity, new.data_type)}"))
            statements.append(
                _continue_after_max(op.schema_name, op.table_name, op.column_name, new.identity)
            )
        elif old.identity != new.identity:
            statements.extend(_alter_identity(alter, old.identity, new.identity))

    if new.nullable and not old.nullable:
        statements.append(alter("DROP NOT NULL"))

    if old.generated is not None and old.generated != new.generated:
        # The diff sends here only what PostgreSQL changes in place: a new expression of the
        # same kind (17+), or a stored column made regular (its values stay).
        if new.generated is None:
            statements.append(alter("DROP EXPRESSION"))
        else:
            statements.append(alter(f"SET EXPRESSION AS ({new.generated.expression})"))
    return statements


def collate_clause(collation: str | None) -> str:
    """`` COLLATE x``; ``None`` is the type's default collation."""
    # The collation is the server's own spelling (quoted, qualified outside pg_catalog).
    return " COLLATE " + (collation if collation is not None else _DEFAULT_COLLATION)


def _serial_sequence(schema: str, table: str, column: str) -> str:
    # The owned sequence's real name is known only to the server (it may have been made
    # unique or truncated), so it is looked up there rather than guessed.
    target = render_literal(qualified(schema, table))
    return f"pg_get_serial_sequence({target}, {render_literal(column)})"


def _drop_owned_sequence(schema: str, table: str, column: str) -> str:
    body = f"BEGIN EXECUTE 'DROP SEQUENCE ' || {_serial_sequence(schema, table, column)}; END"
    return f"DO {render_literal(body)}"


def _retype_owned_sequence(schema: str, table: str, column: str, data_type: str) -> str:
    sequence = _serial_sequence(schema, table, column)
    body = f"BEGIN EXECUTE 'ALTER SEQUENCE ' || {sequence} || ' AS {data_type}'; END"
    return f"DO {render_literal(body)}"


def _continue_after_max(schema: str, table: str, column: str, identity: Identity) -> str:
    """Move a new identity's sequence past the values the column already holds."""
    col = quote_ident(column)
    start = identity.options.start_with
    if identity.options.increment_by > 0:
        next_value = f"GREATEST(COALESCE(max({col}) + 1, {start}), {start})"
    else:
        next_value = f"LEAST(COALESCE(min({col}) - 1, {start}), {start})"
    return (
        f"SELECT setval({_serial_sequence(schema, table, column)}, {next_value}, false) "
        f"FROM {qualified(schema, table)}"
    )


def _make_serial(schema: str, table: str, column: str, data_type: str) -> list[str]:
    # There is no ALTER COLUMN ... TYPE serial: create the owned sequence by hand, named and
    # typed as CREATE TABLE would make it (a plain [:63] slice counts characters, not bytes).
    sequence = qualified(schema, object_name(table, column, "seq"))
    col = quote_ident(column)
    return [
        f"CREATE SEQUENCE {sequence} AS {data_type} OWNED BY {qualified(schema, table)}.{col}",
        alter_table(
            schema,
            table,
            f"ALTER COLUMN {col} SET DEFAULT nextval({render_literal(sequence)}::regclass)",
        ),
        f"SELECT setval({render_literal(sequence)}::regclass, "
        f"COALESCE(max({col}), 0) + 1, false) FROM {qualified(schema, table)}",
    ]


def _alter_identity(alter: Callable[[str], str], old: Identity, new: Identity) -> list[str]:
    if old.sequence_name != new.sequence_name:
        # A sequence name cannot be changed through ALTER COLUMN: recreate the identity.
        return [alter("DROP IDENTITY"), alter(f"ADD {identity_clause(new)}")]
    actions: list[str] = []
    if old.always != new.always:
        actions.append("SET GENERATED " + ("ALWAYS" if new.always else "BY DEFAULT"))
    o, n = old.options, new.options
    if o.increment_by != n.increment_by:
        actions.append(f"SET INCREMENT BY {n.increment_by}")
    if o.min_value != n.min_value:
        actions.append(f"SET MINVALUE {n.min_value}")
    if o.max_value != n.max_value:
        actions.append(f"SET MAXVALUE {n.max_value}")
    if o.start_with != n.start_with:
        actions.append(f"SET START WITH {n.start_with}")
    if o.cache != n.cache:
        actions.append(f"SET CACHE {n.cache}")
    if o.cycle != n.cycle:
        actions.append("SET CYCLE" if n.cycle else "SET NO CYCLE")
    return [alter(" ".join(actions))] if actions else []


def rename_owned_sequence(schema: str, table: str, column: str) -> str:
    """Give a column's owned sequence the name CREATE TABLE would choose for it now."""
    # The server finds the sequence, whose current name may have been shortened.
    sequence = _serial_sequence(schema, table, column)
    new_name = render_literal(quote_ident(object_name(table, column, "seq")))
    body = f"BEGIN EXECUTE 'ALTER SEQUENCE ' || {sequence} || ' RENAME TO ' || {new_name}; END"
    return f"DO {render_literal(body)}"


def rename_not_null_constraints(
    schema: str, table: str, renames: list[tuple[str, str]]
) -> str | None:
    """Rename PostgreSQL 18's NOT NULL constraints of ``table`` from one server-given name to
    another, for each ``(old table, old column)`` -> ``(new table, new column)`` pair.

    Each rename happens only where a NOT NULL constraint has the old name, so the statement
    does nothing on a server without named NOT NULL constraints (before 18) or where the
    user named one. ``renames`` holds (old name, new name) pairs; ``None`` when empty.
    """
    if not renames:
        return None
    target = render_literal(qualified(schema, table))
    steps = []
    for old, new in renames:
        rename = alter_table(
            schema, table, f"RENAME CONSTRAINT {quote_ident(old)} TO {quote_ident(new)}"
        )
        steps.append(
            "IF EXISTS (SELECT FROM pg_catalog.pg_constraint"
            f" WHERE conrelid = {target}::regclass AND contype = 'n'"
            f" AND conname = {render_literal(old)}) THEN {rename}; END IF;"
        )
    return f"DO {render_literal('BEGIN ' + ' '.join(steps) + ' END')}"
