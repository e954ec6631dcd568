"""Triggers as declared: the checks shared by a table's ``has_trigger`` and a view's
``model.view_trigger``, and the catalog value of a view's trigger."""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf
from typing import Literal, get_args

from linkgress_async.catalog import Function, QualifiedName, Trigger, TriggerEnabled
from linkgress_async.errors import ModelError
from linkgress_async.model._args import check_identifier, expression, names
from linkgress_async.model.specs import TriggerSpec
from linkgress_async.render.quote import RawSql

__all__ = ["function_name", "trigger_of", "trigger_spec"]

_TIMINGS = ("before", "after", "instead of")
_EVENTS = ("insert", "delete", "update", "truncate")


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ModelError(f"{where}: expected True or False, not {value!r}")
    return value


def trigger_spec(
    where: str,
    name: str,
    function: Function | QualifiedName | str,
    *,
    timing: Literal["before", "after", "instead of"],
    events: str | SequenceOf[str],
    for_each: Literal["row", "statement"] = "statement",
    update_of: str | SequenceOf[str] | None = None,
    when: str | RawSql | None = None,
    arguments: SequenceOf[str] = (),
    referencing_old: str | None = None,
    referencing_new: str | None = None,
    constraint: bool = False,
    deferrable: bool = False,
    initially_deferred: bool = False,
    enabled: TriggerEnabled = "origin",
    comment: str | None = None,
    renamed_from: str | None = None,
) -> TriggerSpec:
    """A trigger's declaration, checked (``where`` names it in errors)."""
    check_identifier(name, where)
    if timing not in _TIMINGS:
        raise ModelError(f"{where}: timing is one of {', '.join(_TIMINGS)}")
    listed = (events,) if isinstance(events, str) else tuple(events)
    wanted = [e.lower() for e in listed if isinstance(e, str)]
    if not wanted or len(wanted) != len(listed) or not set(wanted) <= set(_EVENTS):
        raise ModelError(f"{where}: events are some of {', '.join(_EVENTS)}")
    if for_each not in ("row", "statement"):
        raise ModelError(f"{where}: for_each is 'row' or 'statement'")
    if enabled not in get_args(TriggerEnabled):
        raise ModelError(f"{where}: enabled is one of {', '.join(get_args(TriggerEnabled))}")
    if not all(isinstance(a, str) for a in arguments) or isinstance(arguments, str):
        raise ModelError(f"{where}: arguments are a list of strings")
    if comment is not None and not isinstance(comment, str):
        raise ModelError(f"{where}: a comment is a string, not {comment!r}")
    ordered = tuple(event for event in _EVENTS if event in wanted)
    return TriggerSpec(
        name=name,
        function=function_name(function, where),
        timing=timing,
        events=ordered,  # type: ignore[arg-type]
        level=for_each,
        arguments=tuple(arguments),
        update_of=() if update_of is None else names(update_of, where + ", update_of"),
        when=None if when is None else expression(when, where + ", when"),
        old_table=referencing_old,
        new_table=referencing_new,
        constraint=_flag(constraint, where + ", constraint"),
        deferrable=_flag(deferrable, where + ", deferrable"),
        initially_deferred=_flag(initially_deferred, where + ", initially_deferred"),
        enabled=enabled,
        comment=comment,
        renamed_from=renamed_from,
    )


def trigger_of(spec: TriggerSpec, update_columns: tuple[str, ...]) -> Trigger:
    """The catalog value of a declared trigger (``update_columns`` resolved to columns)."""
    return Trigger(
        name=spec.name,
        function=spec.function,
        timing=spec.timing,
        events=spec.events,
        level=spec.level,
        arguments=spec.arguments,
        update_columns=update_columns,
        when=spec.when,
        old_table=spec.old_table,
        new_table=spec.new_table,
        constraint=spec.constraint,
        deferrable=spec.deferrable,
        initially_deferred=spec.initially_deferred,
        enabled=spec.enabled,
        renamed_from=spec.renamed_from,
    )


def function_name(function: Function | QualifiedName | str, where: str) -> QualifiedName:
    """The schema-qualified name of a trigger's function: a handle from
    ``model.function(...)``, a :class:`QualifiedName`, or ``"schema.name"``."""
    if isinstance(function, Function | QualifiedName):
        return QualifiedName(function.schema, function.name)
    if isinstance(function, str) and "." in function:
        schema, _, name = function.partition(".")
        check_identifier(schema, f"{where}: function schema")
        check_identifier(name, f"{where}: function name")
        return QualifiedName(schema, name)
    raise ModelError(
        f"{where}: name the trigger function with its schema ('public.touch', "
        f"'pg_catalog.tsvector_update_trigger') or pass the handle of model.function(...), "
        f"not {function!r}"
    )
