"""Operations -> the Python source of a migration file (used by the scaffold).

Pure and synchronous like the SQL renderer it builds on. The output is meant to pass
``ruff check`` and ``ruff format --check`` at the given line length as written, so string
literals are laid out the way the formatter would lay them out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence

from attrs import frozen

from linkgress_async.ops import CreateCheckConstraint, CreateForeignKey, MigrationOperation
from linkgress_async.render.sql import operation_sql

__all__ = [
    "DEFAULT_LINE_LENGTH",
    "Step",
    "class_name_for",
    "migration_source",
    "python_string",
    "steps_source",
]

DEFAULT_LINE_LENGTH = 88
"""ruff's and black's default, so generated files are clean in most projects."""

_INDENT = "    "
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _width(text: str) -> int:
    """Display columns, as ruff counts them for line length: wide characters take two."""
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )


def _quote_for(text: str) -> str:
    # The formatter prefers double quotes unless that needs more escapes than single ones.
    return "'" if text.count('"') > text.count("'") else '"'


def _escape(text: str, quote: str) -> str:
    out: list[str] = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
    return "".join(out)


def python_string(text: str, quote: str | None = None) -> str:
    """A Python string literal whose value is exactly ``text``."""
    mark = quote if quote is not None else _quote_for(text)
    return f"{mark}{_escape(text, mark)}{mark}"


def _fitting_prefix(text: str, fits: Callable[[str], bool]) -> int:
    """The length of the longest prefix of ``text`` that ``fits`` (at least one character)."""
    cut = len(text)
    while cut > 1 and not fits(text[:cut]):
        cut -= 1
    return cut


def _chunks(text: str, width: int) -> list[str]:
    """Literals, each at most ``width`` characters, whose concatenation is ``text``.

    Each piece gets its own quote character, as the formatter chooses them per piece.
    """
    # Break after whitespace (and always after a newline) so the pieces read naturally.
    tokens = [token for token in re.split(r"(?<=\s)", text) if token]
    pieces: list[str] = []
    current = ""
    for token in tokens:
        candidate = current + token
        if current and _width(python_string(candidate)) > width:
            pieces.append(current)
            current = token
        else:
            current = candidate
        while _width(python_string(current)) > width:
            # One token longer than a line: cut it by characters.
            cut = _fitting_prefix(current, lambda t: _width(python_string(t)) <= width)
            pieces.append(current[:cut])
            current = current[cut:]
        if current.endswith("\n"):
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return [python_string(piece) for piece in pieces]


def _call(prefix: str, text: str, indent: str, line_length: int) -> list[str]:
    """``prefix(<text>)`` as formatted lines, splitting the literal when it is too long."""
    whole = python_string(text)
    single = f"{indent}{prefix}({whole})"
    if _width(single) <= line_length:
        return [single]
    inner = indent + _INDENT
    # Laid out over lines where the statement has lines of its own or is too long for one.
    fits = len(inner) + _width(whole) <= line_length
    block = _sql_block(text, inner, line_length) if "\n" in text or not fits else None
    if block is not None:
        return [f"{indent}{prefix}(", *block, f"{indent})"]
    if fits:
        return [f"{indent}{prefix}(", inner + whole, f"{indent})"]
    pieces = _chunks(text, line_length - len(inner))
    return [f"{indent}{prefix}(", *(inner + piece for piece in pieces), f"{indent})"]


def _outside_quotes(sql: str) -> list[bool] | None:
    """For each character of ``sql``, whether it is outside quotes (literals, quoted names,
    dollar-quoted bodies); ``None`` when that cannot be told simply (backslashes, comments)."""
    if "\\" in sql or "--" in sql or "/*" in sql:
        return None
    outside: list[bool] = []
    index = 0
    while index < len(sql):
        char = sql[index]
        if char in "'\"":
            end = index + 1
            while end < len(sql):
                if sql[end] == char:
                    if end + 1 < len(sql) and sql[end + 1] == char:  # a doubled quote
                        end += 2
                        continue
                    break
                end += 1
            outside += [False] * (min(end, len(sql) - 1) - index + 1)
            index = end + 1
            continue
        dollar = re.match(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$", sql[index:])
        if dollar is not None:
            tag = dollar.group(0)
            close = sql.find(tag, index + len(tag))
            end = len(sql) - 1 if close < 0 else close + len(tag) - 1
            outside += [False] * (end - index + 1)
            index = end + 1
            continue
        outside.append(True)
        index += 1
    return outside


def _sql_block(sql: str, indent: str, line_length: int) -> list[str] | None:
    """``sql`` as a triple-quoted string, one statement laid out on indented lines the way
    it would be written by hand; only whitespace outside quotes changes (which PostgreSQL
    ignores). ``None`` when that cannot be done safely."""
    if '"""' in sql or any(not (c.isprintable() or c == "\n") for c in sql):
        return None
    outside = _outside_quotes(sql)
    if outside is None or any(c == "\n" and not out for c, out in zip(sql, outside, strict=True)):
        return None
    width = line_length - len(indent)
    lines: list[str] = []
    start = 0
    for line in sql.split("\n"):
        flags = outside[start : start + len(line)]
        start += len(line) + 1
        lines.extend(_wrap_sql_line(line, flags, width))
    return [f'{indent}"""', *(indent + line if line else "" for line in lines), f'{indent}"""']


def _wrap_sql_line(line: str, outside: list[bool], width: int) -> list[str]:
    """``line`` broken at spaces outside quotes, continuations indented one step more."""
    lead = line[: len(line) - len(line.lstrip(" "))]
    pieces: list[str] = []
    current = ""
    word_start = len(lead)
    words: list[str] = []
    for index in range(len(lead), len(line)):
        if line[index] == " " and outside[index]:
            words.append(line[word_start:index])
            word_start = index + 1
    words.append(line[word_start:])
    prefix = lead
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and _width(prefix + candidate) > width:
            pieces.append(prefix + current)
            prefix = lead + _INDENT
            current = word
        else:
            current = candidate
    pieces.append(prefix + current)
    return pieces


def _wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap by display width, cutting words longer than a line."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while _width(current) > width:
            cut = _fitting_prefix(current, lambda t: _width(t) <= width)
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines


def _comment(text: str, indent: str, line_length: int) -> list[str]:
    width = max(20, line_length - len(indent) - 2)
    return [f"{indent}# {line}" for line in _wrap(text, width)] or [f"{indent}#"]


def class_name_for(name: str) -> str:
    """A CamelCase class name from a snake_case migration name."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


@frozen
class Step:
    """A commented group of statements in a generated migration."""

    comment: str
    statements: tuple[str, ...]

    @classmethod
    def of(cls, op: MigrationOperation) -> Step:
        """The statements of one operation, described."""
        comment = op.describe()
        if isinstance(op, CreateForeignKey | CreateCheckConstraint) and op.not_valid:
            comment += " (NOT VALID: existing rows are validated by a later migration)"
        return cls(comment, tuple(operation_sql(op)))


def _step_lines(steps: Sequence[Step], indent: str, line_length: int) -> list[str]:
    lines: list[str] = []
    for step in steps:
        lines.extend(_comment(step.comment, indent, line_length))
        for statement in step.statements:
            lines.extend(_call("await db.execute", statement, indent, line_length))
    return lines


def _statements(
    operations: Sequence[MigrationOperation], indent: str, line_length: int
) -> list[str]:
    return _step_lines([Step.of(op) for op in operations], indent, line_length)


def _down_body(
    operations: Sequence[MigrationOperation], indent: str, line_length: int
) -> tuple[list[str], list[MigrationOperation], list[MigrationOperation]]:
    """The body of ``down``, the operations it runs and those it cannot reverse.

    What can be reversed is; what cannot (the data is gone) is named in a comment at the
    top, and the class declares it as ``irreversible`` so the runner says so before it runs.
    """
    reversed_ops: list[MigrationOperation] = []
    irreversible: list[MigrationOperation] = []
    for op in reversed(operations):
        inverse = op.reverse()
        if inverse is None:
            irreversible.append(op)
        else:
            reversed_ops.append(inverse)
    lines: list[str] = []
    if irreversible:
        lines = _comment(
            "Not reversed: the data these operations removed is gone (write the reverse by "
            "hand if a downgrade must restore them):",
            indent,
            line_length,
        )
        for op in irreversible:
            lines.extend(_comment(f"- {op.describe()}", indent, line_length))
    lines += _statements(reversed_ops, indent, line_length)
    if not reversed_ops:
        lines.append(f"{indent}pass")
    return lines, reversed_ops, irreversible


def _declared(name: str, descriptions: Sequence[str], line_length: int) -> list[str]:
    """``name = ("...", ...)`` as a class attribute, formatted like ruff would."""
    if not descriptions:
        return []
    literals = [python_string(text) for text in descriptions]
    single = f"{_INDENT}{name} = ({', '.join(literals)}{',' if len(literals) == 1 else ''})"
    if _width(single) <= line_length:
        return [single]
    inner = _INDENT * 2
    lines = [f"{_INDENT}{name} = ("]
    for text, literal in zip(descriptions, literals, strict=True):
        if _width(f"{inner}{literal},") <= line_length:
            lines.append(f"{inner}{literal},")
            continue
        pieces = _chunks(text, line_length - len(inner + _INDENT))
        lines += [f"{inner}(", *(inner + _INDENT + piece for piece in pieces), f"{inner}),"]
    lines.append(f"{_INDENT})")
    return lines


def migration_source(
    operations: Sequence[MigrationOperation] | None,
    *,
    class_name: str,
    context_module: str,
    context_class: str,
    title: str,
    line_length: int = DEFAULT_LINE_LENGTH,
) -> str:
    """The source of a migration file; ``operations=None`` writes an empty template."""
    body = _INDENT * 2
    attributes: list[str] = []
    if operations is None:
        up = [
            f"{body}# Write the change here, e.g. await db.query('ALTER TABLE ...').",
            f"{body}pass",
        ]
        down = [f"{body}# Write the reverse of up() here.", f"{body}pass"]
    else:
        up = _statements(operations, body, line_length) or [f"{body}pass"]
        down, reverse_ops, irreversible = _down_body(operations, body, line_length)
        attributes = [
            *_declared(
                "destructive", [op.describe() for op in operations if op.destructive], line_length
            ),
            *_declared(
                "destructive_down",
                [op.describe() for op in reverse_ops if op.destructive],
                line_length,
            ),
            *_declared("irreversible", [op.describe() for op in irreversible], line_length),
        ]
    return _module(
        up,
        down,
        class_name=class_name,
        context_module=context_module,
        context_class=context_class,
        title=title,
        line_length=line_length,
        attributes=attributes,
    )


def steps_source(
    up: Sequence[Step],
    down: Sequence[Step],
    *,
    class_name: str,
    context_module: str,
    context_class: str,
    title: str,
    transactional: bool = True,
    down_note: str | None = None,
    line_length: int = DEFAULT_LINE_LENGTH,
    declared: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The source of a migration file made of ``up`` and ``down`` steps.

    ``transactional=False`` marks it for statements PostgreSQL refuses inside a transaction
    (``CREATE INDEX CONCURRENTLY``); ``down_note`` is a comment at the top of ``down``;
    ``declared`` gives class attributes of string tuples (``destructive``, ``replaces``...),
    an empty one left out.
    """
    body = _INDENT * 2
    down_lines = _comment(down_note, body, line_length) if down_note else []
    down_lines += _step_lines(down, body, line_length)
    return _module(
        _step_lines(up, body, line_length) or [f"{body}pass"],
        down_lines + ([f"{body}pass"] if not down else []),
        class_name=class_name,
        context_module=context_module,
        context_class=context_class,
        title=title,
        line_length=line_length,
        transactional=transactional,
        attributes=[
            line
            for name, values in (declared or {}).items()
            for line in _declared(name, values, line_length)
        ],
    )


def _module(
    up: list[str],
    down: list[str],
    *,
    class_name: str,
    context_module: str,
    context_class: str,
    title: str,
    line_length: int,
    transactional: bool = True,
    attributes: Sequence[str] = (),
) -> str:
    imports = ["from linkgress_async.migrations import Migration"]
    declared = ([] if transactional else [f"{_INDENT}transactional = False"]) + list(attributes)
    if declared:
        declared.append("")
    # The title is plain prose; quotes and backslashes would need escaping in a docstring.
    doc = " ".join(title.replace('"', "'").replace("\\", "/").split())
    lines = [
        f'"""{doc}"""' if len(doc) + 6 <= line_length else '"""A migration."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING",
        "",
        *imports,
        "",
        "if TYPE_CHECKING:",
        f"{_INDENT}from {context_module} import {context_class}",
        "",
        "",
        f"class {class_name}(Migration):",
        *declared,
        f"{_INDENT}async def up(self, db: {context_class}) -> None:",
        *up,
        "",
        f"{_INDENT}async def down(self, db: {context_class}) -> None:",
        *down,
        "",
    ]
    return "\n".join(lines)
