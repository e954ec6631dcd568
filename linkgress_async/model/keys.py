"""``index_key``: one key of an index with its options (operator class, order, collation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from attrs import frozen

from linkgress_async.errors import ModelError
from linkgress_async.model._args import storage_parameters
from linkgress_async.render.quote import RawSql

__all__ = ["IndexKey", "index_key"]


@frozen
class IndexKey:
    """A key of ``has_index``: a property name or an ``sql(...)`` expression, with options."""

    key: str | RawSql
    opclass: str | None = None
    opclass_options: tuple[str, ...] = ()
    collation: str | None = None
    descending: bool = False
    nulls: Literal["first", "last"] | None = None


def _name(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise ModelError(f"index_key: {what} must be a name, not {value!r}")
    return value.strip()


def index_key(
    key: str | RawSql,
    *,
    opclass: str | None = None,
    opclass_options: Mapping[str, object] | None = None,
    collation: str | None = None,
    descending: bool = False,
    nulls: Literal["first", "last"] | None = None,
) -> IndexKey:
    """A key for ``has_index`` with its options::

        e.has_index("ix_docs_title", [index_key("title", opclass="gin_trgm_ops")], method="gin")
        e.has_index("ix_events_at", [index_key("at", descending=True, nulls="last")])

    ``key`` is a property name or an ``sql(...)`` expression; ``opclass`` an operator class
    (``text_pattern_ops``, ``vector_cosine_ops``), with ``opclass_options`` such as
    ``{"siglen": 32}``; ``collation`` as SQL writes it (``'"C"'``).
    """
    if not isinstance(key, str | RawSql):
        raise ModelError(f"index_key: the key is a property name or sql(...), not {key!r}")
    if nulls not in (None, "first", "last"):
        raise ModelError(f"index_key: nulls is 'first' or 'last', not {nulls!r}")
    options = storage_parameters(opclass_options or {}, "index_key opclass_options")
    if options and opclass is None:
        raise ModelError("index_key: opclass_options need an opclass")
    return IndexKey(
        key,
        _name(opclass, "opclass"),
        options,
        _name(collation, "collation"),
        bool(descending),
        nulls,
    )
