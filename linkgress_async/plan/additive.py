"""Additive-only plans (Linkgress' ``migrate()``): everything but drops applies.

A drop of anything (table, column, index, key, constraint, view, function, type, sequence,
schema) and any operation that can delete stored data (a type change carried out as drop +
add, an enum rebuild) is withheld. So is the re-creation of an object whose drop was
withheld (a changed index is dropped and created again under the same name): without the drop
it would collide with the object that is still there.
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from linkgress_async.ops import MigrationOperation

__all__ = ["AdditiveSplit", "additive_split"]

_PREFIXES = ("drop_", "create_", "add_")
_NAME_FIELDS = (
    "index_name",
    "constraint_name",
    "column_name",
    "view_name",
    "function_name",
    "aggregate_name",
    "sequence_name",
    "enum_name",
    "domain_name",
    "type_name",
    "trigger_name",
    "policy_name",
    "extension_name",
    "attribute_name",
)


@frozen
class AdditiveSplit:
    """A plan divided into what an additive-only migration applies and what it skips."""

    applied: tuple[MigrationOperation, ...]
    skipped: tuple[MigrationOperation, ...]


def _is_removal(op: MigrationOperation) -> bool:
    return op.type.startswith("drop_") or op.destructive


def _object_key(op: MigrationOperation) -> tuple[str, ...] | None:
    """(kind, schema, table, name) of the object an operation creates or drops."""
    prefix = next((p for p in _PREFIXES if op.type.startswith(p)), None)
    if prefix is None:
        return None
    kind = op.type.removeprefix(prefix)
    name = next((getattr(op, f) for f in _NAME_FIELDS if hasattr(op, f)), None)
    if name is None:
        for holder in ("constraint", "index"):
            value = getattr(op, holder, None)
            if value is not None and hasattr(value, "name"):
                name = value.name
                break
    schema = str(getattr(op, "schema_name", ""))
    table = str(getattr(op, "table_name", ""))
    return (kind, schema, table, str(name or ""))


def additive_split(operations: Sequence[MigrationOperation]) -> AdditiveSplit:
    """Split ``operations`` (in plan order) into the additive part and the withheld drops."""
    skipped = [op for op in operations if _is_removal(op)]
    withheld = {_object_key(op) for op in skipped} - {None}
    applied: list[MigrationOperation] = []
    for op in operations:
        if _is_removal(op):
            continue
        if _object_key(op) in withheld:
            skipped.append(op)
            continue
        applied.append(op)
    order = {id(op): index for index, op in enumerate(operations)}
    skipped.sort(key=lambda op: order[id(op)])
    return AdditiveSplit(tuple(applied), tuple(skipped))
