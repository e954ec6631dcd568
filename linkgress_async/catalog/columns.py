"""Columns and what generates their values: identities, serial sequences, generated
expressions."""

from __future__ import annotations

from typing import Literal

import attrs
from attrs import frozen

__all__ = [
    "SERIAL_STORAGE_TYPES",
    "Column",
    "Generated",
    "Identity",
    "SequenceOptions",
    "storage_type",
]

SERIAL_STORAGE_TYPES: dict[str, str] = {
    "smallserial": "smallint",
    "serial": "integer",
    "bigserial": "bigint",
}
"""The integer type a ``serial``-spelled column is stored as."""


def storage_type(data_type: str) -> str:
    """The type a column is stored as: ``serial`` is stored as ``integer``."""
    return SERIAL_STORAGE_TYPES.get(data_type, data_type)


@frozen
class SequenceOptions:
    """The complete options of a sequence (or of an identity column's sequence)."""

    start_with: int
    increment_by: int
    min_value: int
    max_value: int
    cache: int = 1
    cycle: bool = False


@frozen
class Identity:
    """``GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY`` on a column."""

    always: bool
    options: SequenceOptions
    sequence_name: str | None = None


@frozen
class Generated:
    """``GENERATED ALWAYS AS (expression) STORED | VIRTUAL`` (VIRTUAL needs PostgreSQL 18).

    ``expression`` is SQL: the user's text in a model, the server's spelling
    (``pg_get_expr`` of the ``pg_attrdef`` row) once canonical or introspected.
    """

    expression: str
    kind: Literal["stored", "virtual"] = "stored"


@frozen
class Column:
    """A table column.

    ``collation`` is set only when it differs from the type's default collation, spelled as
    ``COLLATE`` takes it: ``"C"``, ``"en-x-icu"``, ``public.mycoll`` (quoted where needed,
    schema-qualified outside ``pg_catalog``). A generated column has ``generated`` and no
    ``default``.

    ``not_null_name`` (PostgreSQL 18 names NOT NULL constraints) is set only when the column
    is NOT NULL under another name than the one the server gives it,
    ``{table}_{column}_not_null`` (shortened to 63 bytes as for any object name): a table
    renamed after its creation keeps the old names, and ``pg_dump`` prints them.
    """

    name: str
    data_type: str
    nullable: bool = True
    default: str | None = None
    identity: Identity | None = None
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""
    collation: str | None = None
    generated: Generated | None = None
    not_null_name: str | None = None
