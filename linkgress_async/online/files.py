"""``scaffold --online``: the phases of an online migration as one non-transactional file.

Each phase becomes a commented block of ``up()``: a phase that runs in a transaction is an
``async with db.transaction():`` block that sets ``lock_timeout`` first; a concurrent build
or drop runs on its own; a backfill is a call of
:func:`linkgress_async.online.backfill.backfill`. ``down()`` undoes the operations the
offline way (reversed, in one go). A file that fails part-way is recorded as failed by the
runner, like any non-transactional file: ``migrate(online=True)`` is the form that resumes
by itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from linkgress_async.online.phases import Phase
from linkgress_async.ops import MigrationOperation
from linkgress_async.render.python import (
    _INDENT,
    DEFAULT_LINE_LENGTH,
    _call,
    _comment,
    _declared,
    _down_body,
    _module,
    python_string,
)

__all__ = ["online_migration_source"]

_IMPORT = "from linkgress_async.migrations import Migration"


def _phase_lines(
    number: int, total: int, phase: Phase, lock_timeout: str, indent: str, line_length: int
) -> list[str]:
    lines = _comment(
        f"Phase {number}/{total}: {phase.description} (lock: {phase.lock})", indent, line_length
    )
    if phase.backfill is not None:
        job = phase.backfill
        inner = indent + _INDENT
        return [
            *lines,
            f"{indent}await backfill(",
            f"{inner}db,",
            f"{inner}table=({python_string(job.table.schema)}, {python_string(job.table.name)}),",
            f"{inner}key={python_string(job.key)},",
            f"{inner}column={python_string(job.column)},",
            f"{inner}expression={python_string(job.expression)},",
            f"{inner}only_null={job.only_null},",
            f"{indent})",
        ]
    if not phase.transactional:
        for statement in phase.statements:
            lines.extend(_call("await db.execute", statement, indent, line_length))
        return lines
    inner = indent + _INDENT
    lines.append(f"{indent}async with db.transaction():")
    lines.extend(
        _call("await db.execute", f"SET LOCAL lock_timeout = '{lock_timeout}'", inner, line_length)
    )
    for statement in phase.statements:
        lines.extend(_call("await db.execute", statement, inner, line_length))
    return lines


def online_migration_source(
    phases: Sequence[Phase],
    operations: Sequence[MigrationOperation],
    *,
    class_name: str,
    context_module: str,
    context_class: str,
    title: str,
    lock_timeout: str = "5s",
    line_length: int = DEFAULT_LINE_LENGTH,
) -> str:
    """The source of the non-transactional file that runs ``phases`` in order."""
    body = _INDENT * 2
    up: list[str] = []
    for number, phase in enumerate(phases, 1):
        if up:
            up.append("")
        up.extend(_phase_lines(number, len(phases), phase, lock_timeout, body, line_length))
    down, reverse_ops, irreversible = _down_body(operations, body, line_length)
    attributes = [
        *_declared(
            "destructive", [op.describe() for op in operations if op.destructive], line_length
        ),
        *_declared(
            "destructive_down", [op.describe() for op in reverse_ops if op.destructive], line_length
        ),
        *_declared("irreversible", [op.describe() for op in irreversible], line_length),
    ]
    source = _module(
        up or [f"{body}pass"],
        down,
        class_name=class_name,
        context_module=context_module,
        context_class=context_class,
        title=title,
        line_length=line_length,
        transactional=False,
        attributes=attributes,
    )
    if any(phase.backfill is not None for phase in phases):
        source = source.replace(
            _IMPORT, _IMPORT + "\nfrom linkgress_async.online.backfill import backfill", 1
        )
    return source
