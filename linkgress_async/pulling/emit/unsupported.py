"""The catalog's kinds the model builder cannot declare yet, as comments at the end of
``setup_model`` (what belongs to one table is noted in its block instead).

When the builder learns a kind, its entry here becomes an emitter of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from linkgress_async.catalog import Catalog
from linkgress_async.pulling.code import comment_lines
from linkgress_async.pulling.context import PullContext
from linkgress_async.pulling.undeclared import beyond, describe_value

__all__ = ["emit"]

BODY = " " * 8

# The catalog fields other emitters declare.
_DECLARED = (
    "schemas",
    "enums",
    "sequences",
    "tables",
    "views",
    "functions",
    "comments",
    "grants",
    "owners",
    "extensions",
    "domains",
    "composite_types",
    "materialized_views",
    "aggregates",
    "database_settings",
)

# Catalog field -> (kind, the description of each of its items)
_KINDS: dict[str, tuple[str, Callable[[Catalog], list[str]]]] = {
    "comments": ("comment", lambda c: [f"comment on {x.target}" for x in c.comments]),
    "grants": (
        "grant",
        lambda c: [
            f"{'revoke' if x.revoke else 'grant'} {x.privilege} on {x.target} "
            f"{'from' if x.revoke else 'to'} {x.grantee}"
            for x in c.grants
        ],
    ),
    "owners": ("owner", lambda c: [f"owner of {x.target}: {x.role}" for x in c.owners]),
}


def emit(ctx: PullContext) -> list[str]:
    """Comments listing every catalog-level object the module does not declare."""
    catalog = ctx.catalog
    first_note = len(ctx.undeclared)
    for field in beyond(catalog, _DECLARED):
        known = _KINDS.get(field)
        if known is None:
            ctx.note(field.replace("_", " "), f"{field}: {describe_value(getattr(catalog, field))}")
            continue
        kind, describe = known
        for description in describe(catalog):
            ctx.note(kind, description)
    lines: list[str] = []
    for item in ctx.undeclared[first_note:]:
        lines += comment_lines(item.comment, BODY)
    return lines
