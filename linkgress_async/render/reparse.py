"""SQL text from the server, made to parse back into what the server printed it from.

``pg_get_constraintdef`` and ``pg_get_expr`` do not always print text that parses back into
the same expression. The case real schemas hit: ``status IN ('new', 'closed')`` on a
``varchar`` column is stored as a cast of a whole array, printed
``(ARRAY['new'::character varying, 'closed'::character varying])::text[]``; parsed again,
PostgreSQL pushes that cast into the elements
(``ARRAY[('new'::character varying)::text, ...]``), so a database created from the pulled
model would print, and dump, the constraint differently. Casting the array to its own
element type first, ``((ARRAY[...])::character varying[])::text[]``, keeps the array cast
where it was: the server prints it exactly as the source database does.
"""

from __future__ import annotations

import itertools

__all__ = ["stable_sql"]


def _skip_quoted(text: str, start: int) -> int:
    """The index after the quoted literal or identifier opening at ``start``."""
    quote = text[start]
    position = start + 1
    while position < len(text):
        if text[position] == quote:
            if text[position + 1 : position + 2] == quote:  # a doubled quote is one
                position += 2
                continue
            return position + 1
        position += 1
    return position


def _closing(text: str, start: int) -> int | None:
    """The index of the bracket closing the one at ``start`` (``[`` or ``(``), or ``None``."""
    depth = 0
    position = start
    while position < len(text):
        ch = text[position]
        if ch in "'\"":
            position = _skip_quoted(text, position)
            continue
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return None


def _top_level(text: str, separator: str) -> list[int]:
    """The positions of ``separator`` in ``text`` outside quotes and brackets."""
    found: list[int] = []
    depth = 0
    position = 0
    while position < len(text):
        ch = text[position]
        if ch in "'\"":
            position = _skip_quoted(text, position)
            continue
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif depth == 0 and text.startswith(separator, position):
            found.append(position)
            position += len(separator)
            continue
        position += 1
    return found


def _element_type(elements: str) -> str | None:
    """The type every element of an ``ARRAY[...]`` is cast to last, when they agree."""
    cuts = [-1, *_top_level(elements, ","), len(elements)]
    types: set[str] = set()
    for begin, end in itertools.pairwise(cuts):
        element = elements[begin + 1 : end]
        casts = _top_level(element, "::")
        if not casts:
            return None
        types.add(element[casts[-1] + 2 :].strip())
    return types.pop() if len(types) == 1 else None


def _cast_type(text: str, start: int) -> tuple[str, int] | None:
    """The array type of ``::type[]`` at ``start``, and the index after it."""
    if not text.startswith("::", start):
        return None
    position = start + 2
    while position < len(text):
        ch = text[position]
        if ch == '"':
            position = _skip_quoted(text, position)
            continue
        if text.startswith("[]", position):
            return text[start + 2 : position], position + 2
        if not (ch.isalnum() or ch in "_. $()," or ord(ch) > 127):
            return None
        position += 1
    return None


def _word_character(ch: str) -> bool:
    return ch.isalnum() or ch in '_$"' or ord(ch) > 127


def _array_cast(text: str, position: int) -> tuple[int, str, int] | None:
    """For ``ARRAY[`` at ``position``, cast as a whole to another array type, written
    ``ARRAY[...]::type[]`` or ``(ARRAY[...])::type[]``: where that text starts, how to
    write it instead, and where it ends."""
    if position > 0 and _word_character(text[position - 1]):
        return None
    bracket = position + len("ARRAY")
    closing = _closing(text, bracket)
    if closing is None:
        return None
    start, after = position, closing + 1
    # A bracket before ARRAY that is no function call's groups the array alone.
    grouped = position > 0 and text[position - 1] == "("
    called = position >= 2 and _word_character(text[position - 2])
    if grouped and not called and text[after : after + 1] == ")":
        start, after = position - 1, after + 1
    cast = _cast_type(text, after)
    element_type = _element_type(text[bracket + 1 : closing])
    if cast is None or element_type is None or element_type == cast[0]:
        return None
    target, end = cast
    return start, f"({text[start:after]}::{element_type}[])::{target}[]", end


def stable_sql(text: str) -> str:
    """``text`` with each cast of a whole ``ARRAY[...]`` of one element type to another
    array type written so that it parses back to the same cast (see the module docstring)."""
    pieces: list[str] = []
    done = 0
    position = 0
    while position < len(text):
        ch = text[position]
        if ch in "'\"":
            position = _skip_quoted(text, position)
            continue
        found = _array_cast(text, position) if text.startswith("ARRAY[", position) else None
        if found is None:
            position += 1
            continue
        start, written, end = found
        pieces.append(text[done:start])
        pieces.append(written)
        done = position = end
    pieces.append(text[done:])
    return "".join(pieces)
