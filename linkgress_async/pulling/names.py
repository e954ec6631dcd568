"""Safe Python names for database identifiers.

A database name can be anything up to 63 bytes: reserved words, quotes, spaces, unicode,
leading digits, ``Order`` next to ``order``. The pulled module needs Python names for its
classes, attributes, enum handles and navigations; the database names themselves stay exact
in the builder calls. A :class:`Namespace` hands out unique names in one scope, never a
reserved one.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "BUILDER_NAMES",
    "MAX_NAME",
    "MODULE_NAMES",
    "Namespace",
    "attribute_name",
    "class_name",
    "is_attribute_name",
    "snake_name",
]

_SOFT_KEYWORDS = frozenset({"_", "case", "match", "type"})
# pycodestyle's E741/E742: names that read like digits.
_AMBIGUOUS = frozenset({"l", "O", "I"})
# Python names are kept short enough for every line that uses them to fit in 100 columns.
MAX_NAME = 60

BUILDER_NAMES = frozenset(
    {
        "DbContext",
        "DbModelConfig",
        "bigint",
        "bigserial",
        "boolean",
        "bytea",
        "char",
        "cidr",
        "custom_type",
        "date",
        "decimal",
        "double_precision",
        "enum_column",
        "index_key",
        "inet",
        "integer",
        "interval",
        "json",
        "jsonb",
        "numeric",
        "real",
        "serial",
        "smallint",
        "smallserial",
        "sql",
        "text",
        "time",
        "timestamp",
        "timestamptz",
        "timetz",
        "uuid",
        "varchar",
    }
)
"""What the pulled module may import from linkgress_async."""

MODULE_NAMES = BUILDER_NAMES | {
    # the standard library's and attrs' names the module may import
    "Any",
    "Decimal",
    "UUID",
    "attrs",
    "datetime",
    # the names setup_model binds
    "self",
    "model",
    "e",
}
"""Names a module-level or ``setup_model`` name must never take."""


def _identifier_chars(name: str) -> str:
    """``name`` in NFKC form (as Python reads identifiers) with other characters as ``_``."""
    normal = unicodedata.normalize("NFKC", name)
    return "".join(ch if ("a" + ch).isidentifier() else "_" for ch in normal)


def is_attribute_name(name: str) -> bool:
    """Whether ``name`` can be an attribute of an attrs class exactly as it is.

    Not a keyword, not ``self`` (attrs' ``__init__`` takes it), no leading underscore (attrs
    strips it from the ``__init__`` argument, and two underscores mangle it), not a name
    that reads like a digit, and unchanged by Python's NFKC normalisation of identifiers.
    """
    return (
        name.isidentifier()
        and unicodedata.normalize("NFKC", name) == name
        and not keyword.iskeyword(name)
        and not name.startswith("_")
        and name != "self"
        and name not in _AMBIGUOUS
    )


def snake_name(name: str, fallback: str) -> str:
    """A lower-case identifier for ``name``: ``"Order Lines"`` is ``order_lines``."""
    text = re.sub(r"_+", "_", _identifier_chars(name).lower()).strip("_")
    if not text:
        return fallback
    if not text[0].isidentifier():
        text = f"{fallback}_{text}"
    return text[:MAX_NAME].rstrip("_")


def attribute_name(name: str) -> str:
    """The attribute for a column: the column's name when it is one already, else its
    snake-case spelling (``"Zip Code"`` is ``zip_code``, ``"1st"`` is ``c_1st``)."""
    if is_attribute_name(name):
        return name
    text = snake_name(name, "c")
    if not is_attribute_name(text):
        text += "_"
    return text


def class_name(name: str) -> str:
    """A CamelCase class name for a table: ``film_actor`` is ``FilmActor``."""
    parts = [part for part in _identifier_chars(name).split("_") if part]
    text = "".join(part[:1].upper() + part[1:] for part in parts)
    if not text:
        return "Table"
    if not text[0].isidentifier():
        text = "T" + text
    return text[:MAX_NAME]


class Namespace:
    """The names taken in one Python scope; :meth:`claim` hands out unique safe ones."""

    def __init__(self, reserved: Iterable[str] = (), *, module_level: bool = False) -> None:
        self._taken: set[str] = set(reserved)
        self._module_level = module_level

    def __contains__(self, name: object) -> bool:
        return name in self._taken

    def usable(self, name: str) -> bool:
        """Whether ``name`` is free and safe in this scope."""
        if name in self._taken or not name.isidentifier() or keyword.iskeyword(name):
            return False
        if unicodedata.normalize("NFKC", name) != name or name in _AMBIGUOUS:
            return False
        # Module-level names also avoid builtins and soft keywords: a class called ``list``
        # or ``match`` would be legal, and confusing.
        return not self._module_level or (
            name not in _SOFT_KEYWORDS and not hasattr(builtins, name)
        )

    def take(self, name: str) -> None:
        """Mark ``name`` as taken (it is used as it is)."""
        self._taken.add(name)

    def claim(self, *candidates: str) -> str:
        """The first usable candidate, else the first one numbered (``name_2``), taken."""
        for candidate in candidates:
            if self.usable(candidate):
                self._taken.add(candidate)
                return candidate
        base = candidates[0][:MAX_NAME].rstrip("_") or "name"
        number = 2
        while not self.usable(f"{base}_{number}"):
            number += 1
        self._taken.add(f"{base}_{number}")
        return f"{base}_{number}"
