"""Indexes from the rows of ``indexes.sql``, with each key's options spelled as the server does.

``pg_get_indexdef`` prints a key's collation only when it is not the key's own, and its
operator class only when it is not the default for the key's type and access method. For a
key on a column both could be worked out from the catalogs, but for an expression only the
server knows its type and collation. So the query brings, for each key, every word the
server could print for it, and :func:`key_elements` finds which of them the server's full
definition holds: exactly the words ``pg_get_indexdef`` decided to print.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from attrs import frozen

from linkgress_async.catalog import Index, IndexElement
from linkgress_async.catalog.shared import shared_element
from linkgress_async.errors import LinkgressError

from ._row import Row

__all__ = ["index_of", "key_elements"]

# pg_index.indoption bits (catalog/pg_index.h).
_DESC: Final = 1
_NULLS_FIRST: Final = 2


@frozen
class _Key:
    """One key as ``key_details`` describes it."""

    text: str
    collation: str | None
    opclass: str
    options: tuple[str, ...]
    printed_options: str | None
    indoption: int

    @classmethod
    def of(cls, detail: Sequence[Any]) -> _Key:
        text, collation, opclass, options, printed, indoption = detail
        return cls(text, collation, opclass, tuple(options or ()), printed, int(indoption))

    def ordering(self, can_order: bool) -> str:
        """The ordering words the server prints after the key."""
        if not can_order:
            return ""
        if self.indoption & _DESC:
            return " DESC" if self.indoption & _NULLS_FIRST else " DESC NULLS LAST"
        return " NULLS FIRST" if self.indoption & _NULLS_FIRST else ""

    def spellings(self, can_order: bool) -> list[tuple[str, bool, bool]]:
        """Every way the server may print the key: (text, collation shown, opclass shown).

        Longest first, so that a word that is printed is never taken for one that is not.
        An operator class with options is always printed.
        """
        tail = (f" ({self.printed_options})" if self.options else "") + self.ordering(can_order)
        collations = [True, False] if self.collation is not None else [False]
        opclasses = [True] if self.options else [True, False]
        spellings = []
        for show_collation in collations:
            for show_opclass in opclasses:
                words = self.text
                if show_collation:
                    words += f" COLLATE {self.collation}"
                if show_opclass:
                    words += f" {self.opclass}"
                spellings.append((words + tail, show_collation, show_opclass))
        return spellings


def _shown(definition: str, keys: Sequence[_Key], can_order: bool) -> list[tuple[bool, bool]]:
    """For each key, whether the definition shows its collation and its operator class."""
    # The key list opens at a parenthesis after USING; an index or table name could hold
    # one too, so every candidate is tried until all the keys follow it exactly.
    start = definition.find(" USING ")
    while start != -1:
        start = definition.find("(", start + 1)
        if start == -1:
            break
        shown = _match_keys(definition, start + 1, keys, can_order)
        if shown is not None:
            return shown
    raise LinkgressError(
        f"cannot tell the key options of index definition {definition!r}; "
        "please report it with the server's version"
    )


def _match_keys(
    definition: str, position: int, keys: Sequence[_Key], can_order: bool
) -> list[tuple[bool, bool]] | None:
    shown: list[tuple[bool, bool]] = []
    for number, key in enumerate(keys):
        after = ", " if number + 1 < len(keys) else ")"
        for words, show_collation, show_opclass in key.spellings(can_order):
            if definition.startswith(words + after, position):
                position += len(words) + len(after)
                shown.append((show_collation, show_opclass))
                break
        else:
            return None
    return shown


def _element(
    column: str | None, key: _Key, shown: tuple[bool, bool], can_order: bool
) -> IndexElement:
    show_collation, show_opclass = shown
    descending = can_order and bool(key.indoption & _DESC)
    nulls_first = can_order and bool(key.indoption & _NULLS_FIRST)
    return IndexElement(
        column=column,
        expression=None if column is not None else key.text,
        collation=key.collation if show_collation else None,
        opclass=key.opclass if show_opclass else None,
        opclass_options=key.options,
        descending=descending,
        # Only what differs from the direction's default: NULLS LAST ascending, FIRST descending.
        nulls_first=None if nulls_first == descending else nulls_first,
    )


@functools.lru_cache(maxsize=4096)
def _plain_element(
    column: str | None, expression: str, option: int, can_order: bool
) -> IndexElement:
    """A key shown without collation or operator class: the same few recur in every table
    (ids, foreign keys, timestamps), and a value is immutable, so each is made once."""
    key = _Key(expression, None, "", (), None, option)
    return shared_element(_element(column, key, (False, False), can_order))


def key_elements(row: Row, names: Mapping[int, str]) -> tuple[IndexElement, ...]:
    """The key elements of an index row of ``indexes.sql``; ``names`` maps column numbers.

    Usable on any row of that query, so the canonical stage can read the model's scratch
    indexes through it and get the model's keys in exactly introspection's spelling.
    """
    can_order: bool = row["can_order"]
    numbers = [int(number) for number in row["keys"]][: row["key_count"]]
    if row["definition"] is None:
        # A plain index: keys whose collation and operator class the server would not print.
        expressions = row["key_expressions"] or [None] * len(numbers)
        return tuple(
            _plain_element(
                names[number] if number != 0 else None, expression or "", int(option), can_order
            )
            for number, option, expression in zip(
                numbers, row["key_options"], expressions, strict=True
            )
        )
    keys = [_Key.of(detail) for detail in json.loads(row["key_details"])]
    shown = _shown(row["definition"], keys, can_order)
    return tuple(
        _element(names[number] if number != 0 else None, key, flags, can_order)
        for number, key, flags in zip(numbers, keys, shown, strict=True)
    )


def index_of(row: Row, names: Mapping[int, str]) -> Index:
    """An index from a row of ``indexes.sql``; ``names`` maps its table's column numbers."""
    count: int = row["key_count"]
    return Index(
        name=row["index_name"],
        elements=key_elements(row, names),
        unique=row["is_unique"],
        method=row["method"],
        where=row["where_expr"],
        include=tuple(names[int(number)] for number in row["keys"][count:]),
        nulls_not_distinct=row["nulls_not_distinct"],
        options=tuple(row["options"] or ()),
        valid=row["is_valid"],
    )
