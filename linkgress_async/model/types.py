"""Column type builders: ``integer("id").primary_key().generated_always_as_identity()``.

Each builder returns an immutable :class:`ColumnType`; the modifiers return a changed copy, so
one value can be reused as a template without surprises. ``data_type`` is already PostgreSQL's
``format_type`` spelling, as :mod:`linkgress_async.catalog` requires. Problems that need the
entity to be explained (identity on a text column, an array of serial) are reported when the
model is built; problems with a builder's own arguments are reported at once.
"""

from __future__ import annotations

import enum as _enum
import functools
from collections.abc import Iterable
from typing import Final, Literal

from attrs import frozen

from linkgress_async.catalog import QualifiedName
from linkgress_async.errors import ModelError
from linkgress_async.render.quote import NAME_MAX_BYTES, RawSql, qualified

__all__ = [
    "ColumnType",
    "GeneratedSpec",
    "IdentitySpec",
    "TypeFamily",
    "bigint",
    "bigserial",
    "boolean",
    "bytea",
    "char",
    "cidr",
    "custom_type",
    "date",
    "decimal",
    "double_precision",
    "enum_column",
    "enum_labels",
    "inet",
    "integer",
    "interval",
    "json",
    "jsonb",
    "numeric",
    "pg_composite",
    "pg_domain",
    "pg_enum",
    "real",
    "serial",
    "smallint",
    "smallserial",
    "text",
    "time",
    "timestamp",
    "timestamptz",
    "timetz",
    "uuid",
    "varchar",
]

TypeFamily = Literal["smallint", "integer", "bigint", "serial", "other", "enum", "custom"]

_MAX_CHAR_LENGTH = 10485760
_MAX_NUMERIC_PRECISION = 1000
_MAX_TIME_PRECISION = 6


@frozen
class pg_enum:
    """A handle on an enum declared with ``model.enum(...)``, usable in ``enum_column``."""

    schema: str
    name: str
    values: tuple[str, ...]

    @property
    def qualified_name(self) -> QualifiedName:
        """The enum type's schema-qualified name."""
        return QualifiedName(self.schema, self.name)

    # Spelled once: each enum_column asks, thousands of times in a large model.
    @functools.cached_property
    def data_type(self) -> str:
        """The spelling a column of this enum type gets in the model's catalog."""
        return qualified(self.schema, self.name)


@frozen
class pg_domain:
    """A handle on a domain declared with ``model.domain(...)``, usable in ``custom_type``."""

    schema: str
    name: str

    @property
    def qualified_name(self) -> QualifiedName:
        """The domain's schema-qualified name."""
        return QualifiedName(self.schema, self.name)

    @functools.cached_property
    def data_type(self) -> str:
        """The spelling a column of this domain gets in the model's catalog."""
        return qualified(self.schema, self.name)


@frozen
class pg_composite:
    """A handle on a composite type declared with ``model.composite_type(...)``."""

    schema: str
    name: str

    @property
    def qualified_name(self) -> QualifiedName:
        """The type's schema-qualified name."""
        return QualifiedName(self.schema, self.name)

    @functools.cached_property
    def data_type(self) -> str:
        """The spelling a column of this type gets in the model's catalog."""
        return qualified(self.schema, self.name)


@frozen
class GeneratedSpec:
    """``GENERATED ALWAYS AS (expression) STORED | VIRTUAL`` as the user gave it."""

    expression: str
    stored: bool = True


@frozen
class IdentitySpec:
    """The user's identity options as given; the model completes them at build time."""

    always: bool
    name: str | None = None
    start_with: int | None = None
    increment_by: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    cache: int | None = None
    cycle: bool | None = None


@frozen
class ColumnType:
    """A column's name and type with its modifiers; built by the type builder functions."""

    name: str
    base_type: str
    family: TypeFamily = "other"
    is_array: bool = False
    is_primary_key: bool = False
    identity: IdentitySpec | None = None
    enum: pg_enum | None = None
    collation: str | None = None
    generated: GeneratedSpec | None = None

    @property
    def data_type(self) -> str:
        """The type as ``format_type`` spells it (``character varying(100)[]``)."""
        return self.base_type + "[]" if self.is_array else self.base_type

    @property
    def is_serial(self) -> bool:
        """Whether the column is ``serial``, ``bigserial`` or ``smallserial``."""
        return self.family == "serial"

    def _changed(
        self,
        *,
        is_array: bool | None = None,
        is_primary_key: bool | None = None,
        identity: IdentitySpec | None = None,
        collation: str | None = None,
        generated: GeneratedSpec | None = None,
    ) -> ColumnType:
        """A copy with the given modifiers set: ``attrs.evolve`` reads the class's fields
        on every call, which cost more than the copy itself, and most columns of a model
        take a modifier or two (a field added to the class must be added here)."""
        return ColumnType(
            self.name,
            self.base_type,
            self.family,
            self.is_array if is_array is None else is_array,
            self.is_primary_key if is_primary_key is None else is_primary_key,
            self.identity if identity is None else identity,
            self.enum,
            self.collation if collation is None else collation,
            self.generated if generated is None else generated,
        )

    def array(self) -> ColumnType:
        """Make the column an array of this type."""
        # int[][] is the same type as int[] in PostgreSQL, so a second call changes nothing.
        return self._changed(is_array=True)

    def primary_key(self) -> ColumnType:
        """Make the column (part of) the table's primary key."""
        return self._changed(is_primary_key=True)

    def collate(self, collation: str) -> ColumnType:
        """``COLLATE collation``: ``"C"``, ``"en-x-icu"``, ``"public.mycoll"`` (as SQL writes
        it; a name with capitals or dashes is quoted: ``'"en-x-icu"'``)."""
        if not isinstance(collation, str) or not collation.strip() or "\x00" in collation:
            raise ModelError(f"column {self.name!r}: collate() takes a collation name")
        return self._changed(collation=collation.strip())

    def generated_always_as(self, expression: str | RawSql, *, stored: bool = True) -> ColumnType:
        """``GENERATED ALWAYS AS (expression) STORED`` (``stored=False``: ``VIRTUAL``, which
        needs PostgreSQL 18): a column computed from the row's other columns."""
        text = expression.text if isinstance(expression, RawSql) else expression
        if not isinstance(text, str) or not text.strip():
            raise ModelError(
                f"column {self.name!r}: generated_always_as takes an SQL expression, "
                f"not {expression!r}"
            )
        return self._changed(generated=GeneratedSpec(text.strip(), stored))

    def generated_always_as_identity(
        self,
        name: str | None = None,
        *,
        start_with: int | None = None,
        increment_by: int | None = None,
        min_value: int | None = None,
        max_value: int | None = None,
        cache: int | None = None,
        cycle: bool | None = None,
    ) -> ColumnType:
        """``GENERATED ALWAYS AS IDENTITY``; ``name`` names the identity's sequence."""
        spec = IdentitySpec(
            True, name, start_with, increment_by, min_value, max_value, cache, cycle
        )
        return self._changed(identity=spec)

    def generated_by_default_as_identity(
        self,
        name: str | None = None,
        *,
        start_with: int | None = None,
        increment_by: int | None = None,
        min_value: int | None = None,
        max_value: int | None = None,
        cache: int | None = None,
        cycle: bool | None = None,
    ) -> ColumnType:
        """``GENERATED BY DEFAULT AS IDENTITY``; ``name`` names the identity's sequence."""
        spec = IdentitySpec(
            False, name, start_with, increment_by, min_value, max_value, cache, cycle
        )
        return self._changed(identity=spec)


# The builders hand out one object per distinct type: a large model declares the same few
# columns (ids, timestamps, flags) table after table, and making a frozen value costs a call
# per field. The values are immutable, so sharing one changes nothing but speed; the pool
# forgets everything at its limit, so a process declaring many models keeps a bounded set.
_POOL_LIMIT: Final = 4096
_pool: dict[tuple[str, str, TypeFamily, pg_enum | None], ColumnType] = {}


def _column(
    name: str, base_type: str, family: TypeFamily = "other", enum: pg_enum | None = None
) -> ColumnType:
    if not isinstance(name, str):
        raise ModelError(f"a column name must be a string, not {name!r}")
    if type(name) is not str:  # a subclass of str keeps its own object
        return ColumnType(name, base_type, family, enum=enum)
    key = (name, base_type, family, enum)
    found = _pool.get(key)
    if found is None:
        if len(_pool) >= _POOL_LIMIT:
            _pool.clear()
        found = _pool[key] = ColumnType(name, base_type, family, enum=enum)
    return found


def _positive(name: str, what: str, value: object, upper: int, lower: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lower <= value <= upper:
        raise ModelError(
            f"column {name!r}: {what} must be an integer from {lower} to {upper}, not {value!r}"
        )
    return value


def smallint(name: str) -> ColumnType:
    """A ``smallint`` column."""
    return _column(name, "smallint", "smallint")


def integer(name: str) -> ColumnType:
    """An ``integer`` column."""
    return _column(name, "integer", "integer")


def bigint(name: str) -> ColumnType:
    """A ``bigint`` column."""
    return _column(name, "bigint", "bigint")


def smallserial(name: str) -> ColumnType:
    """A ``smallserial`` column (smallint with an owned sequence as its default)."""
    return _column(name, "smallserial", "serial")


def serial(name: str) -> ColumnType:
    """A ``serial`` column (integer with an owned sequence as its default)."""
    return _column(name, "serial", "serial")


def bigserial(name: str) -> ColumnType:
    """A ``bigserial`` column (bigint with an owned sequence as its default)."""
    return _column(name, "bigserial", "serial")


def numeric(name: str, precision: int | None = None, scale: int | None = None) -> ColumnType:
    """A ``numeric`` column, optionally ``numeric(precision, scale)``."""
    if precision is None:
        if scale is not None:
            raise ModelError(
                f"column {name!r}: numeric needs a precision when it has a scale; "
                "pass numeric(name, precision, scale)"
            )
        return _column(name, "numeric")
    digits = _positive(name, "numeric precision", precision, _MAX_NUMERIC_PRECISION)
    # PostgreSQL 15 and later accept a negative scale or one above the precision.
    places = _positive(
        name,
        "numeric scale",
        0 if scale is None else scale,
        _MAX_NUMERIC_PRECISION,
        -_MAX_NUMERIC_PRECISION,
    )
    return _column(name, f"numeric({digits},{places})")


def decimal(name: str, precision: int | None = None, scale: int | None = None) -> ColumnType:
    """A ``decimal`` column, which PostgreSQL stores as ``numeric``."""
    return numeric(name, precision, scale)


def real(name: str) -> ColumnType:
    """A ``real`` (4-byte float) column."""
    return _column(name, "real")


def double_precision(name: str) -> ColumnType:
    """A ``double precision`` column."""
    return _column(name, "double precision")


def varchar(name: str, length: int | None = None) -> ColumnType:
    """A ``character varying`` column, optionally limited to ``length`` characters."""
    if length is None:
        return _column(name, "character varying")
    size = _positive(name, "varchar length", length, _MAX_CHAR_LENGTH)
    return _column(name, f"character varying({size})")


def char(name: str, length: int | None = None) -> ColumnType:
    """A ``character(length)`` column; without a length PostgreSQL makes it ``character(1)``."""
    size = 1 if length is None else _positive(name, "char length", length, _MAX_CHAR_LENGTH)
    return _column(name, f"character({size})")


def text(name: str) -> ColumnType:
    """A ``text`` column."""
    return _column(name, "text")


def boolean(name: str) -> ColumnType:
    """A ``boolean`` column."""
    return _column(name, "boolean")


def date(name: str) -> ColumnType:
    """A ``date`` column."""
    return _column(name, "date")


def _with_precision(name: str, kind: str, precision: int | None, suffix: str) -> ColumnType:
    if precision is None:
        return _column(name, kind + suffix)
    digits = _positive(name, f"{kind} precision", precision, _MAX_TIME_PRECISION, 0)
    return _column(name, f"{kind}({digits}){suffix}")


def time(name: str, precision: int | None = None) -> ColumnType:
    """A ``time without time zone`` column."""
    return _with_precision(name, "time", precision, " without time zone")


def timetz(name: str, precision: int | None = None) -> ColumnType:
    """A ``time with time zone`` column."""
    return _with_precision(name, "time", precision, " with time zone")


def timestamp(name: str, precision: int | None = None) -> ColumnType:
    """A ``timestamp without time zone`` column."""
    return _with_precision(name, "timestamp", precision, " without time zone")


def timestamptz(name: str, precision: int | None = None) -> ColumnType:
    """A ``timestamp with time zone`` column."""
    return _with_precision(name, "timestamp", precision, " with time zone")


def interval(name: str, precision: int | None = None) -> ColumnType:
    """An ``interval`` column."""
    return _with_precision(name, "interval", precision, "")


def uuid(name: str) -> ColumnType:
    """A ``uuid`` column."""
    return _column(name, "uuid")


def json(name: str) -> ColumnType:
    """A ``json`` column."""
    return _column(name, "json")


def jsonb(name: str) -> ColumnType:
    """A ``jsonb`` column."""
    return _column(name, "jsonb")


def bytea(name: str) -> ColumnType:
    """A ``bytea`` column."""
    return _column(name, "bytea")


def inet(name: str) -> ColumnType:
    """An ``inet`` column."""
    return _column(name, "inet")


def cidr(name: str) -> ColumnType:
    """A ``cidr`` column."""
    return _column(name, "cidr")


def enum_column(name: str, enum: pg_enum) -> ColumnType:
    """A column of an enum type declared with ``model.enum(...)``."""
    if not isinstance(enum, pg_enum):
        raise ModelError(
            f"column {name!r}: enum_column takes the handle returned by model.enum(...), "
            f"not {enum!r}"
        )
    return _column(name, enum.data_type, "enum", enum)


def custom_type(name: str, type_name: str | pg_domain | pg_composite) -> ColumnType:
    """A column of any other type, spelled as given (``citext``, ``vector(3)``), or of a
    domain or composite type declared in the model (pass its handle)."""
    if isinstance(type_name, pg_domain | pg_composite):
        return _column(name, type_name.data_type, "custom")
    if not isinstance(type_name, str) or not type_name.strip() or "\x00" in type_name:
        raise ModelError(f"column {name!r}: custom_type needs the type's name, not {type_name!r}")
    return _column(name, type_name, "custom")


def enum_labels(name: str, values: Iterable[str] | type[_enum.Enum]) -> tuple[str, ...]:
    """Check an enum's labels as PostgreSQL would; a Python Enum class gives its values."""
    if isinstance(values, str):
        raise ModelError(f"enum {name!r}: values must be a list of labels, not one string")
    if isinstance(values, type) and issubclass(values, _enum.Enum):
        labels: list[object] = [member.value for member in values]
    else:
        labels = list(values)
    if not labels:
        raise ModelError(f"enum {name!r} needs at least one value")
    checked: list[str] = []
    for label in labels:
        if not isinstance(label, str):
            raise ModelError(f"enum {name!r}: the value {label!r} is not a string")
        if label == "" or "\x00" in label:
            raise ModelError(f"enum {name!r}: the value {label!r} is not a valid label")
        size = len(label.encode("utf-8"))
        if size > NAME_MAX_BYTES:
            raise ModelError(
                f"enum {name!r}: the value {label!r} is {size} bytes long; PostgreSQL "
                f"allows {NAME_MAX_BYTES}, so shorten it"
            )
        if label in checked:
            raise ModelError(f"enum {name!r}: the value {label!r} is listed twice")
        checked.append(label)
    return tuple(checked)
