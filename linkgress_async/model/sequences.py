"""PostgreSQL's defaults for sequence options, filled in exactly as the server fills them.

The catalog requires complete options (see :mod:`linkgress_async.catalog`), so that a model
sequence and an introspected one compare equal whether or not the user spelled a default out.
"""

from __future__ import annotations

import functools

from linkgress_async.catalog import SequenceOptions
from linkgress_async.errors import ModelError

__all__ = [
    "INTEGER_RANGES",
    "SEQUENCE_TYPE_ALIASES",
    "complete_sequence_options",
    "default_sequence_options",
]

INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
"""The value range of each type a sequence (or identity column) may have."""

SEQUENCE_TYPE_ALIASES: dict[str, str] = {
    "smallint": "smallint",
    "int2": "smallint",
    "integer": "integer",
    "int": "integer",
    "int4": "integer",
    "bigint": "bigint",
    "int8": "bigint",
}
"""Accepted spellings of a sequence's data type, mapped to ``format_type``'s spelling."""


def _check_int(option: str, value: object) -> int | None:
    if value is None:
        return None
    # bool is an int subclass, but cycle=True passed as start_with is a mistake worth catching.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelError(f"{option} must be an integer, not {value!r}")
    return value


def complete_sequence_options(
    data_type: str = "bigint",
    *,
    start_with: int | None = None,
    increment_by: int | None = None,
    min_value: int | None = None,
    max_value: int | None = None,
    cache: int | None = None,
    cycle: bool | None = None,
) -> SequenceOptions:
    """Fill PostgreSQL's defaults into sequence options and check them as the server would."""
    canonical = SEQUENCE_TYPE_ALIASES.get(data_type.strip().lower())
    if canonical is None:
        raise ModelError(
            f"a sequence's type must be smallint, integer or bigint, not {data_type!r}"
        )
    type_min, type_max = INTEGER_RANGES[canonical]
    start = _check_int("start_with", start_with)
    increment = _check_int("increment_by", increment_by)
    minimum = _check_int("min_value", min_value)
    maximum = _check_int("max_value", max_value)
    cache_size = _check_int("cache", cache)
    if cycle is not None and not isinstance(cycle, bool):
        raise ModelError(f"cycle must be True or False, not {cycle!r}")

    if increment is None:
        increment = 1
    if increment == 0:
        raise ModelError("increment_by must not be zero")
    ascending = increment > 0
    if minimum is None:
        minimum = 1 if ascending else type_min
    if maximum is None:
        maximum = type_max if ascending else -1
    for option, value in (("min_value", minimum), ("max_value", maximum)):
        if not type_min <= value <= type_max:
            raise ModelError(
                f"{option} {value} is out of range for a {canonical} sequence "
                f"({type_min}..{type_max})"
            )
    if minimum >= maximum:
        raise ModelError(f"min_value ({minimum}) must be less than max_value ({maximum})")
    if start is None:
        start = minimum if ascending else maximum
    if not minimum <= start <= maximum:
        raise ModelError(
            f"start_with ({start}) must lie between min_value ({minimum}) and max_value ({maximum})"
        )
    if cache_size is None:
        cache_size = 1
    if cache_size < 1:
        raise ModelError(f"cache ({cache_size}) must be at least 1")
    return SequenceOptions(
        start_with=start,
        increment_by=increment,
        min_value=minimum,
        max_value=maximum,
        cache=cache_size,
        cycle=bool(cycle),
    )


@functools.cache
def default_sequence_options(data_type: str) -> SequenceOptions:
    """``complete_sequence_options(data_type)``, made once per type and shared (the value is
    frozen): most identity columns of a model set no option."""
    return complete_sequence_options(data_type)
