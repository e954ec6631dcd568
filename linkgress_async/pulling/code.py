"""Python source as values, laid out the way ``ruff format`` leaves it.

The pulled module must pass ``ruff format --check`` without ruff being installed, so it is
written already formatted. Expressions are small values (:class:`Name`, :class:`Str`,
:class:`Call`, :class:`Attr`, :class:`ListOf`, :class:`Kw`); :func:`statement` lays one out
within the line length:

* flat, when the whole statement fits on one line;
* a method chain with two or more calls on the result of a call is split one call per line
  inside parentheses ("fluent" style, which the formatter keeps once the flat form does not
  fit);
* otherwise every bracket that must break puts each item on its own line and ends with a
  trailing comma (the formatter's "magic trailing comma": it never joins such a bracket
  again), so the layout is stable whatever the formatter's own choice would have been;
* a string too long for its line becomes an implicit concatenation of pieces, split after
  newlines or spaces, each piece on its own line and quoted on its own.

Strings follow the formatter's quoting: double quotes unless the text holds more double than
single quotes. Characters that ruff's lint rules would flag as ambiguous, and anything
unprintable, are written as escapes (see :func:`py_str`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from attrs import frozen

__all__ = [
    "LINE_LENGTH",
    "Attr",
    "Call",
    "DictOf",
    "Expr",
    "Kw",
    "ListOf",
    "Name",
    "Str",
    "TupleOf",
    "call",
    "comment_lines",
    "escape_text",
    "flat",
    "py_str",
    "statement",
    "width",
]

LINE_LENGTH = 100
"""The project's (and ruff's configured) line length."""

INDENT = "    "


def width(text: str) -> int:
    """How many columns ``text`` takes, as the formatter and the line-length rule count."""
    if text.isascii():
        # Each ASCII character takes one column: no combining, format or wide ones. Nearly
        # every line is ASCII, and looking each character up took a third of a pull.
        return len(text)
    total = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def _kept_literally(ch: str) -> bool:
    """Whether a non-ASCII character may appear as itself in a string or comment.

    Only letters that are an ASCII letter plus accents (``é``, ``Ü``) stay readable: they
    cannot be mistaken for plain ASCII. Everything else (letters that look like ASCII ones,
    such as the dotless i U+0131 or the Cyrillic a U+0430, spaces, marks, symbols, emoji) is
    escaped, so that no lint rule about ambiguous characters can fire.
    """
    decomposition = unicodedata.decomposition(ch)
    if not decomposition or decomposition.startswith("<"):
        return False
    base = chr(int(decomposition.split()[0], 16))
    return base.isascii() and base.isalpha()


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_SIMPLE_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _body(text: str, quote: str) -> str:
    if text.isascii() and text.isprintable() and "\\" not in text and not (quote and quote in text):
        # Nothing to escape (newlines and tabs are not printable): most names and types.
        return text
    out: list[str] = []
    for ch in text:
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif ch == quote:
            out.append("\\" + ch)
        elif ch.isascii():
            out.append(ch if ch.isprintable() else _escape(ch))
        else:
            out.append(ch if _kept_literally(ch) else _escape(ch))
    return "".join(out)


def _quote_for(text: str) -> str:
    # The formatter prefers double quotes unless that needs more escapes than single ones.
    return "'" if text.count('"') > text.count("'") else '"'


def py_str(text: str) -> str:
    """``text`` as a Python string literal, quoted and escaped as the formatter leaves it."""
    quote = _quote_for(text)
    return quote + _body(text, quote) + quote


def escape_text(text: str) -> str:
    """``text`` for a comment: unprintable and ambiguous characters escaped like in strings."""
    return _body(text, "")


# -- expressions ------------------------------------------------------------------------------


@frozen
class Name:
    """A name or any other token that is never split (``e``, ``True``, ``12``)."""

    text: str


@frozen
class Str:
    """A string literal; one too long for its line is split into pieces.

    ``sql`` marks SQL text that may be written as ``sql("...")`` where a keyword argument's
    string is too long for its line (the builder takes ``sql()`` wherever it takes SQL).
    """

    value: str
    sql: bool = False


@frozen
class Attr:
    """``value.name``."""

    value: Expr
    name: str


@frozen
class Kw:
    """A keyword argument ``name=value``."""

    name: str
    value: Expr


@frozen
class Call:
    """``func(args)``."""

    func: Expr
    args: tuple[Expr | Kw, ...] = ()


@frozen
class ListOf:
    """``[items]``."""

    items: tuple[Expr, ...]


@frozen
class TupleOf:
    """``(items)`` of at least two items."""

    items: tuple[Expr, ...]


@frozen
class DictOf:
    """``{key: value, ...}``."""

    items: tuple[tuple[Expr, Expr], ...]


Expr = Name | Str | Attr | Call | ListOf | TupleOf | DictOf


def call(func: Expr | str, *args: Expr | Kw) -> Call:
    """``func(*args)``; a string ``func`` is a name or a dotted name."""
    if isinstance(func, str):
        head, *rest = func.split(".")
        target: Expr = Name(head)
        for part in rest:
            target = Attr(target, part)
        func = target
    return Call(func, tuple(args))


def flat(expr: Expr | Kw) -> str:
    """The expression on one line."""
    match expr:
        case Name(text=text):
            return text
        case Str(value=value):
            return py_str(value)
        case Attr(value=value, name=name):
            return f"{flat(value)}.{name}"
        case Kw(name=name, value=value):
            return f"{name}={flat(value)}"
        case Call(func=func, args=args):
            return f"{flat(func)}({', '.join(flat(arg) for arg in args)})"
        case ListOf(items=items):
            return f"[{', '.join(flat(item) for item in items)}]"
        case TupleOf(items=items):
            return f"({', '.join(flat(item) for item in items)})"
        case DictOf(items=pairs):
            return "{" + ", ".join(f"{flat(key)}: {flat(value)}" for key, value in pairs) + "}"


def _links(expr: Expr) -> list[Call]:
    """The calls of a method chain ``base(...).a(...).b(...)``, outermost last."""
    calls: list[Call] = []
    while isinstance(expr, Call) and isinstance(expr.func, Attr):
        calls.append(expr)
        expr = expr.func.value
    calls.reverse()
    return calls


def _fits(line: str) -> bool:
    return width(line) <= LINE_LENGTH


def statement(expr: Expr, indent: str, prefix: str = "") -> list[str]:
    """The lines of the statement ``prefix + expr`` at ``indent``."""
    one = indent + prefix + flat(expr)
    if _fits(one):
        return [one]
    links = _links(expr)
    # The formatter splits a chain one call per line only from two calls on the result of
    # another call (``e.property(...).has_type(...)`` has one).
    if not prefix and len(links) >= 3:
        return _fluent(links, indent)
    return _lines(expr, indent, prefix, "")


def _fluent(links: list[Call], indent: str) -> list[str]:
    # (
    #     base.first(...)
    #     .second(...)
    #     .third(...)
    # )
    inner = indent + INDENT
    lines = [indent + "("]
    lines += _lines(links[0], inner, "", "")
    for link in links[1:]:
        assert isinstance(link.func, Attr)
        lines += _lines(Call(Name(""), link.args), inner, "." + link.func.name, "")
    lines.append(indent + ")")
    return lines


def _lines(expr: Expr | Kw, indent: str, prefix: str, suffix: str) -> list[str]:
    """``prefix + expr + suffix`` starting at ``indent``, broken where it does not fit."""
    one = indent + prefix + flat(expr) + suffix
    if _fits(one):
        return [one]
    match expr:
        case Kw(name=name, value=value):
            if isinstance(value, Str) and value.sql:
                # A keyword's string cannot be split into pieces; sql(...) can.
                return _lines(call("sql", value), indent, prefix + name + "=", suffix)
            return _lines(value, indent, prefix + name + "=", suffix)
        case Str(value=value):
            return _pieces(value, indent, prefix, suffix)
        case ListOf(items=items):
            return _bracket(indent, prefix + "[", items, "]" + suffix)
        case TupleOf(items=items):
            return _bracket(indent, prefix + "(", items, ")" + suffix)
        case DictOf(items=pairs):
            lines = [indent + prefix + "{"]
            for key, value in pairs:
                entry = flat(key) + ": "
                long = not _fits(indent + INDENT + entry + flat(value) + ",")
                if long and isinstance(value, Str) and value.sql:
                    # A value's string cannot be split into pieces; sql(...) can.
                    value = call("sql", value)
                lines += _lines(value, indent + INDENT, entry, ",")
            return [*lines, indent + "}" + suffix]
        case Call(func=Attr() as attr, args=args) if isinstance(attr.value, Call):
            return _chain(attr.value, attr.name, args, indent, prefix, suffix) or [one]
        case Call(func=func, args=args):
            if not args:
                return [one]
            return _bracket(indent, prefix + flat(func) + "(", args, ")" + suffix)
        case Name() | Attr():
            return [one]


def _chain(
    inner: Call,
    method: str,
    args: tuple[Expr | Kw, ...],
    indent: str,
    prefix: str,
    suffix: str,
) -> list[str]:
    """``inner.method(args)`` broken: the last call's arguments, and the first call's too
    when the line up to the last call's bracket is too long (empty when neither breaks)."""
    head = prefix + flat(inner) + "." + method + "("
    if args and (_fits(indent + head) or not inner.args):
        before = [indent + head[:-1]]
    elif inner.args:
        before = _bracket(indent, prefix + flat(inner.func) + "(", inner.args, ")")
        before[-1] += "." + method
    else:
        return []
    if not args:
        before[-1] += "()" + suffix
        return before
    before[-1] += "("
    return before + _bracket(indent, "", args, ")" + suffix)[1:]


def _bracket(indent: str, opening: str, items: Sequence[Expr | Kw], closing: str) -> list[str]:
    inner = indent + INDENT
    lines = [indent + opening]
    for item in items:
        lines += _lines(item, inner, "", ",")
    lines.append(indent + closing)
    return lines


def _pieces(value: str, indent: str, prefix: str, suffix: str) -> list[str]:
    """An implicit concatenation of string literals, each fitting on its own line.

    Each piece is quoted on its own, as the formatter quotes the parts of a concatenation.
    """
    if prefix:
        # Only an argument on its own line may be split (the caller wraps others in sql()).
        return [indent + prefix + py_str(value) + suffix]
    room = LINE_LENGTH - width(indent) - width(suffix)
    pieces: list[str] = []
    current = ""
    for part in _split_points(value):
        if current and width(py_str(current + part)) > room:
            pieces.append(current)
            current = ""
        while width(py_str(part)) > room:
            cut = _longest_prefix(part, room)
            pieces.append(part[:cut])
            part = part[cut:]
        current += part
        if current.endswith("\n"):
            pieces.append(current)
            current = ""
    if current or not pieces:
        pieces.append(current)
    lines = [indent + py_str(piece) for piece in pieces]
    lines[-1] += suffix
    return lines


def _split_points(value: str) -> list[str]:
    """``value`` cut after each newline and after each run of spaces."""
    parts: list[str] = []
    start = 0
    for position, ch in enumerate(value):
        following = value[position + 1 : position + 2]
        if ch == "\n" or (ch == " " and following not in (" ", "")):
            parts.append(value[start : position + 1])
            start = position + 1
    if start < len(value):
        parts.append(value[start:])
    return parts


def _longest_prefix(part: str, room: int) -> int:
    cut = 1
    while cut < len(part) and width(py_str(part[: cut + 1])) <= room:
        cut += 1
    return cut


def comment_lines(text: str, indent: str) -> list[str]:
    """``text`` as ``#`` comment lines within the line length, wrapped at spaces.

    A word too long for a line is cut wherever needed: a comment is prose, and the
    line-length rule makes no exception for long words after other text.
    """
    room = LINE_LENGTH - width(indent) - 2
    lines: list[str] = []
    current = ""
    for word in escape_text(text).split():
        while width(word) > room:
            if current:
                lines.append(current)
                current = ""
            cut = room
            while width(word[:cut]) > room:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if current and width(candidate) > room:
            lines.append(current)
            candidate = word
        current = candidate
    if current:
        lines.append(current)
    return [f"{indent}# {line}" for line in lines]
