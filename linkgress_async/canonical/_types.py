"""Which type spellings need no server to be canonical."""

from __future__ import annotations

import functools
import re

__all__ = ["is_builtin_type"]

_BUILTIN = re.compile(
    r"(smallint|integer|bigint|smallserial|serial|bigserial|real|double precision|text"
    r"|boolean|date|time(\(\d\))? with(out)? time zone|timestamp(\(\d\))? with(out)? time zone"
    r"|interval(\(\d\))?|uuid|json|jsonb|bytea|inet|cidr"
    r"|numeric(\(\d+,\d+\))?|character varying(\(\d+\))?|character\(\d+\))(\[\])*"
)


@functools.lru_cache(maxsize=4096)
def is_builtin_type(data_type: str) -> bool:
    """Whether ``data_type`` is already spelled as ``format_type`` spells a built-in type."""
    return _BUILTIN.fullmatch(data_type) is not None
