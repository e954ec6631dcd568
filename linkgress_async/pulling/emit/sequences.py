"""Standalone sequences: ``model.sequence(name, schema=..., <options that differ>)``."""

from __future__ import annotations

import attrs

from linkgress_async.catalog import ObjectRef, Sequence, SequenceOptions
from linkgress_async.model.sequences import complete_sequence_options
from linkgress_async.pulling.code import Kw, Name, Str, TupleOf, call, comment_lines, statement
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.undeclared import beyond, describe_value

__all__ = ["emit", "sequence_options"]

BODY = " " * 8
_OPTIONS = ("start_with", "increment_by", "min_value", "max_value", "cache", "cycle")


def sequence_options(data_type: str, options: SequenceOptions) -> list[Kw]:
    """Keyword arguments for the options that differ from PostgreSQL's defaults for a
    sequence of ``data_type``: ``increment_by`` unless 1, the others unless they are the
    defaults of a sequence with that increment."""
    defaults = complete_sequence_options(data_type, increment_by=options.increment_by)
    defaults = attrs.evolve(defaults, increment_by=1)
    return [
        Kw(option, Name(repr(getattr(options, option))))
        for option in _OPTIONS
        if getattr(options, option) != getattr(defaults, option)
    ]


def _declaration(ctx: PullContext, sequence: Sequence) -> list[str]:
    arguments: list[Kw] = [Kw("schema", Str(sequence.schema))]
    if sequence.data_type != "bigint":
        arguments.append(Kw("data_type", Str(sequence.data_type)))
    arguments += sequence_options(sequence.data_type, sequence.options)
    declared = ["schema", "name", "options", "data_type"]
    owner = sequence.owned_by
    if owner is not None and owner[0] in ctx.classes:
        attribute = ctx.attributes[owner[0]][owner[1]]
        arguments.append(Kw("owned_by", TupleOf((Name(ctx.classes[owner[0]]), Str(attribute)))))
        declared.append("owned_by")
    where = f"sequence {sql_name(sequence.schema, sequence.name)}"
    prefix = ctx.assignment(ObjectRef("sequence", sequence.schema, sequence.name))
    lines = statement(call("model.sequence", Str(sequence.name), *arguments), BODY, prefix)
    for field in beyond(sequence, declared):
        if field == "owned_by" and sequence.owned_by is not None:
            table, column = sequence.owned_by
            text = f"OWNED BY {sql_name(table.schema, table.name)}.{sql_name(None, column)}"
        else:
            text = f"{field.replace('_', ' ')} {describe_value(getattr(sequence, field))}"
        note = ctx.note(f"sequence {field.replace('_', ' ')}", f"{text} of {where}")
        lines += comment_lines(note.comment, BODY)
    return lines


def emit(ctx: PullContext) -> list[str]:
    """One ``model.sequence(...)`` per standalone sequence."""
    lines: list[str] = []
    for sequence in ctx.catalog.sequences:
        lines += _declaration(ctx, sequence)
    return lines
