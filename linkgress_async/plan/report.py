"""The plan print-out: pure functions writing lines through an ``out`` callable.

:meth:`DbSchemaManager.print_plan` and ``migrate`` use them; keeping the text here leaves the
manager about deciding and applying, and lets the wording be read in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from linkgress_async.errors import counted

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation
    from linkgress_async.plan.hazards import Hazard
    from linkgress_async.plan.ownership import UnmanagedObject

__all__ = [
    "Out",
    "counted",
    "numbered_steps",
    "print_destructive",
    "print_dropped_foreign_keys",
    "print_hazards",
    "print_operations",
    "print_plan",
    "print_unmanaged",
]

Out = Callable[[str], object]
"""Where the lines go (``print`` by default in the manager)."""


def print_plan(
    out: Out,
    operations: Sequence[MigrationOperation],
    *,
    hazards: Sequence[Hazard] = (),
    unmanaged: Sequence[UnmanagedObject] = (),
) -> None:
    """Print the numbered plan, its hazards, the destructive warning and the objects kept."""
    if not operations:
        out("Database schema is up to date. No changes needed.")
        print_unmanaged(out, unmanaged)
        return
    print_operations(out, operations)
    if hazards:
        print_hazards(out, operations, hazards)
    print_dropped_foreign_keys(out, operations)
    print_destructive(out, operations)
    print_unmanaged(out, unmanaged)


def print_operations(out: Out, operations: Sequence[MigrationOperation]) -> None:
    """Print the heading and the numbered operations, destructive ones marked."""
    out(f"Migration plan ({counted(len(operations), 'operation')}):")
    for line in numbered_steps(operations):
        out(line)


def numbered_steps(operations: Sequence[MigrationOperation]) -> list[str]:
    """``"  1. Drop column 'notes.body'  [DESTRUCTIVE]"``: one indented line per operation."""
    return [
        f"  {number}. {op.describe()}{'  [DESTRUCTIVE]' if op.destructive else ''}"
        for number, op in enumerate(operations, start=1)
    ]


def print_destructive(out: Out, operations: Sequence[MigrationOperation]) -> None:
    """Print the warning listing the operations that delete data (nothing when none do)."""
    destructive = [op for op in operations if op.destructive]
    if not destructive:
        return
    out("")
    count = counted(len(destructive), "destructive operation")
    out(f"WARNING: {count} will delete data:")
    for op in destructive:
        out(f"  - {op.describe()}")


def print_dropped_foreign_keys(out: Out, operations: Sequence[MigrationOperation]) -> None:
    """Warn about foreign keys the plan drops for good, because the model does not have them.

    Dropping a foreign key deletes no data, so nothing else in the plan stops at it; but the
    database stops checking those references, which is seldom what was meant (a key the
    model could not declare, or forgot). A key dropped to be created again is not listed.
    """
    from linkgress_async.ops import CreateForeignKey, DropForeignKey
    from linkgress_async.ops.base import display

    created = {
        (op.schema_name, op.table_name, op.constraint.name)
        for op in operations
        if isinstance(op, CreateForeignKey)
    }
    dropped = [
        op
        for op in operations
        if isinstance(op, DropForeignKey)
        and (op.schema_name, op.table_name, op.constraint_name) not in created
    ]
    if not dropped:
        return
    out("")
    count = counted(len(dropped), "foreign key")
    them = "it" if len(dropped) == 1 else "them"
    out(f"WARNING: {count} will be dropped because the model does not declare {them}:")
    for op in dropped:
        line = f"  - {op.constraint_name} on {display(op.schema_name, op.table_name)}"
        fk = op.constraint
        if fk is not None:
            target = display(fk.referenced_table.schema, fk.referenced_table.name)
            line += f" ({', '.join(fk.columns)}) -> {target} ({', '.join(fk.referenced_columns)})"
        out(line)
    out("  Their references stop being checked. To keep one, declare it in the model")
    out("  (has_one/has_many ... with_foreign_key).")


def print_unmanaged(out: Out, unmanaged: Sequence[UnmanagedObject]) -> None:
    """Print the undeclared objects kept and how to drop or hide them (nothing when none)."""
    if not unmanaged:
        return
    out("")
    out(f"Not in the model (kept, {counted(len(unmanaged), 'object')}):")
    for item in unmanaged:
        out(f"  - {item.describe()}")
    example = unmanaged[0].qualified_name
    out("  Never dropped unless you opt in: drop_unmanaged=True (every one) or patterns")
    out(f"  (drop_unmanaged=[{example!r}]); exclude=[...] stops reporting them.")


def print_hazards(
    out: Out, operations: Sequence[MigrationOperation], hazards: Sequence[Hazard]
) -> None:
    """Print the Warnings block: each hazard with its plan number and the safer way."""
    numbers = {id(op): number for number, op in enumerate(operations, start=1)}
    out("")
    count = counted(len(hazards), "warning")
    out(f"Warnings ({count}: dangerous on tables that hold rows; nothing is refused):")
    for hazard in hazards:
        number = numbers.get(id(hazard.operation))
        prefix = f"{number}. " if number is not None else ""
        out(f"  - {prefix}{hazard.operation.describe()} [{hazard.code}]")
        out(f"    {hazard.message}")
        out(f"    Safer: {hazard.safe_alternative}")
