"""Attach triggers, row-level security, comments, privileges and owners to a catalog.

Pure and synchronous, like :mod:`._assemble`, which calls :func:`attach_security` once the
tables and views are built, before it builds the catalog. Triggers and policies are matched
to their table or view by name; those of relations the catalog leaves out (partitions,
excluded tables) are dropped. Comments, privileges and owners are kept for every object the
queries read, whatever its kind, so kinds the catalog models later get theirs without a
change here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, cast, get_args

import attrs

from linkgress_async.catalog import (
    Comment,
    Grant,
    ObjectKind,
    ObjectRef,
    Owner,
    Policy,
    PolicyCommand,
    QualifiedName,
    Table,
    Trigger,
    TriggerEnabled,
    View,
)
from linkgress_async.errors import LinkgressError

from ._queries import Family
from ._row import Row

__all__ = ["attach_security", "when_condition"]


_Key = tuple[str, str]

# pg_trigger.tgtype bits (PostgreSQL's TRIGGER_TYPE_* in catalog/pg_trigger.h).
_ROW, _BEFORE, _INSTEAD = 1, 2, 64
_Event = Literal["insert", "delete", "update", "truncate"]
_EVENT_BITS: Final[tuple[tuple[_Event, int], ...]] = (
    ("insert", 4),
    ("delete", 8),
    ("update", 16),
    ("truncate", 32),
)

_ENABLED: Final[Mapping[str, TriggerEnabled]] = {
    "O": "origin",
    "D": "disabled",
    "R": "replica",
    "A": "always",
}
_COMMANDS: Final[Mapping[str, PolicyCommand]] = {
    "*": "all",
    "r": "select",
    "a": "insert",
    "w": "update",
    "d": "delete",
}
_KINDS: Final = frozenset(get_args(ObjectKind))


def _skip_quoted(text: str, start: int) -> int:
    """The index after the quoted string or identifier that starts at ``start``."""
    quote = text[start]
    position = start + 1
    while position < len(text):
        if text[position] == quote:
            if position + 1 < len(text) and text[position + 1] == quote:
                position += 2  # a doubled quote stands for one
                continue
            return position + 1
        position += 1
    return position


def when_condition(definition: str) -> str:
    """The ``WHEN`` condition of a trigger, cut out of ``pg_get_triggerdef``'s text.

    Outside quoted names and strings, ``WHEN (`` in upper case can only be the keyword (the
    server quotes any name that is a keyword or has capitals), and its parenthesis closes at
    the matching one.
    """
    position, depth, opened = 0, 0, -1
    marker = " WHEN ("
    while position < len(definition):
        char = definition[position]
        if char in "'\"":
            position = _skip_quoted(definition, position)
            continue
        if opened < 0:
            if definition.startswith(marker, position):
                opened = position + len(marker)
                depth = 1
                position = opened
                continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return definition[opened:position]
        position += 1
    raise LinkgressError(
        f"cannot find the WHEN condition in the trigger definition {definition!r}; "
        "report this with the output of pg_get_triggerdef"
    )


def _arguments(row: Row) -> tuple[str, ...]:
    raw = bytes.fromhex(row["arguments"] or "")
    try:
        # Each argument is ended by a NUL byte.
        return tuple(raw.decode("utf-8").split("\x00")[:-1])
    except UnicodeDecodeError as error:
        raise LinkgressError(
            f"trigger {row['trigger_name']!r} on {row['schema_name']}.{row['relation_name']} "
            "has arguments that are not UTF-8; only UTF-8 databases are supported"
        ) from error


def _trigger(row: Row) -> Trigger:
    bits: int = row["trigger_type"]
    timing: Literal["before", "after", "instead of"] = (
        "instead of" if bits & _INSTEAD else "before" if bits & _BEFORE else "after"
    )
    definition: str | None = row["definition"]
    return Trigger(
        name=row["trigger_name"],
        function=QualifiedName(row["function_schema"], row["function_name"]),
        timing=timing,
        events=tuple(event for event, bit in _EVENT_BITS if bits & bit),
        level="row" if bits & _ROW else "statement",
        arguments=_arguments(row),
        update_columns=tuple(row["update_columns"] or ()),
        when=None if definition is None else when_condition(definition),
        old_table=row["old_table"],
        new_table=row["new_table"],
        constraint=row["is_constraint"],
        deferrable=row["is_deferrable"],
        initially_deferred=row["initially_deferred"],
        enabled=_ENABLED[row["enabled"]],
    )


def _policy(row: Row) -> Policy:
    return Policy(
        name=row["policy_name"],
        command=_COMMANDS[row["command"]],
        permissive=row["permissive"],
        roles=tuple(sorted(row["roles"] or ())),
        using=row["using_expr"],
        with_check=row["check_expr"],
    )


def _ref(row: Row) -> ObjectRef:
    kind: str = row["kind"]
    if kind not in _KINDS:
        raise LinkgressError(f"introspection read an object of unknown kind {kind!r}")
    return ObjectRef(cast(ObjectKind, kind), row["schema_name"], row["object_name"], row["member"])


def attach_security(
    built_tables: Iterable[Table], built_views: Iterable[View], rows: Mapping[Family, Iterable[Row]]
) -> dict[str, list[Any]]:
    """The catalog's tables and views with the triggers and row-level security that the rows
    of those families describe, and its comments, privileges and owners: the keyword
    arguments of :class:`Catalog` for them (the catalog is built once, with all of them)."""
    triggers: dict[_Key, list[Trigger]] = {}
    for row in rows.get(Family.TRIGGERS, ()):
        key = (row["schema_name"], row["relation_name"])
        triggers.setdefault(key, []).append(_trigger(row))

    security: dict[_Key, tuple[bool, bool, list[Policy]]] = {}
    for row in rows.get(Family.ROW_SECURITY, ()):
        key = (row["schema_name"], row["table_name"])
        enabled, forced, policies = security.setdefault(
            key, (row["rls_enabled"], row["rls_forced"], [])
        )
        if row["policy_name"] is not None:
            policies.append(_policy(row))

    tables = list(built_tables)
    if triggers or security:
        for position, table in enumerate(tables):
            key = (table.schema, table.name)
            table_triggers = triggers.get(key)
            rls = security.get(key)
            if table_triggers is None and rls is None:
                continue
            enabled, forced, policies = rls or (False, False, [])
            tables[position] = attrs.evolve(
                table,
                triggers=table_triggers or (),
                policies=policies,
                rls_enabled=enabled,
                rls_forced=forced,
            )
    views = [
        attrs.evolve(view, triggers=triggers[(view.schema, view.name)])
        if (view.schema, view.name) in triggers
        else view
        for view in built_views
    ]

    comments = [Comment(_ref(row), row["description"]) for row in rows.get(Family.COMMENTS, ())]
    owners: list[Owner] = []
    grants: list[Grant] = []
    for row in rows.get(Family.PRIVILEGES, ()):
        if row["grantee"] is None:
            owners.append(Owner(_ref(row), row["owner"]))
        else:
            grants.append(
                Grant(
                    _ref(row),
                    row["grantee"],
                    row["privilege"],
                    row["grantable"],
                    row["revoke"],
                    row["position"],
                )
            )
    return {
        "tables": tables,
        "views": views,
        "comments": comments,
        "grants": grants,
        "owners": owners,
    }
