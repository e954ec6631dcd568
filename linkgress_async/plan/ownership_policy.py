"""The ownership policy and the patterns it matches, and the values a split yields."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Literal

from attrs import field, frozen

from linkgress_async.catalog import ObjectRef
from linkgress_async.ops import MigrationOperation

__all__ = ["ObjectKind", "OwnershipPolicy", "OwnershipSplit", "UnmanagedObject"]

ObjectKind = Literal[
    "table",
    "enum",
    "sequence",
    "view",
    "materialized_view",
    "function",
    "procedure",
    "aggregate",
    "domain",
    "type",
    "extension",
    "trigger",
    "policy",
    "row_security",
]


def _patterns(value: str | Iterable[str]) -> tuple[str, ...]:
    # One string is one pattern, never an iterable of one-character patterns.
    patterns = (value,) if isinstance(value, str) else tuple(value)
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise TypeError(f"ownership patterns are non-empty strings, not {pattern!r}")
    return patterns


def _drop_patterns(value: bool | str | Iterable[str]) -> bool | tuple[str, ...]:
    if isinstance(value, bool):
        return value
    return _patterns(value)


def _matches(patterns: Iterable[str], *parts: str) -> bool:
    dotted = ".".join(parts)
    return any(
        fnmatch.fnmatchcase(dotted, p) or ("." not in p and fnmatch.fnmatchcase(parts[-1], p))
        for p in patterns
    )


@frozen
class OwnershipPolicy:
    """What the schema manager does with objects the model does not declare.

    ``exclude``: patterns of objects that are invisible (never reported, dropped or diffed),
    e.g. ``"public.legacy_*"`` or, for an index a DBA added, ``"public.users.ix_manual_*"``.
    ``drop_unmanaged``: ``True`` drops every undeclared object, a tuple of patterns drops the
    matching ones, ``False`` (the default) drops none and reports them instead. An object the
    model declares is always managed, whatever the patterns say.
    """

    exclude: tuple[str, ...] = field(default=(), converter=_patterns)
    drop_unmanaged: bool | tuple[str, ...] = field(default=False, converter=_drop_patterns)

    def is_excluded(self, schema: str, name: str, table: str | None = None) -> bool:
        """Whether the object is invisible (``table`` given: an index or constraint of it)."""
        parts = (schema, name) if table is None else (schema, table, name)
        return _matches(self.exclude, *parts)

    def may_drop(self, schema: str, name: str) -> bool:
        """Whether the undeclared top-level object ``schema.name`` is dropped."""
        if self.is_excluded(schema, name):
            return False
        if isinstance(self.drop_unmanaged, bool):
            return self.drop_unmanaged
        return _matches(self.drop_unmanaged, schema, name)

    def may_drop_member(self, schema: str, table: str, name: str) -> bool:
        """Whether the undeclared trigger or policy ``name`` of ``schema.table`` is dropped."""
        if self.is_excluded(schema, table) or self.is_excluded(schema, name, table):
            return False
        if isinstance(self.drop_unmanaged, bool):
            return self.drop_unmanaged
        return _matches(self.drop_unmanaged, schema, table, name)

    def may_drop_comment(self, target: ObjectRef) -> bool:
        """Whether a comment the model does not state on ``target`` is removed.

        A schema's or an extension's comment is never removed this way: like the schema
        itself, it is no migration's to drop (``public`` comes with one).
        """
        if target.schema is None:
            return False
        if target.member is not None and target.kind not in ("function", "procedure", "aggregate"):
            return self.may_drop_member(target.schema, target.name, target.member)
        return self.may_drop(target.schema, target.name)


@frozen
class UnmanagedObject:
    """An object of a managed schema the model does not declare, kept in the database."""

    kind: ObjectKind
    schema_name: str
    name: str
    operation: MigrationOperation
    """The drop that was withheld (what ``drop_unmanaged`` would run)."""
    reason: str | None = None
    """Why it is kept although ``drop_unmanaged`` matches it, if it does."""

    @property
    def qualified_name(self) -> str:
        """``schema.name``, the form the ownership patterns match."""
        return f"{self.schema_name}.{self.name}"

    def describe(self) -> str:
        """``table 'public.legacy'`` (with the reason it is kept, if any)."""
        text = f"{self.kind} '{self.qualified_name}'"
        return f"{text} ({self.reason})" if self.reason else text


@frozen
class OwnershipSplit:
    """A plan's operations after ownership: what runs, and the undeclared objects kept.

    ``withheld`` are the drops left out, reported or not (excluded objects are not).
    """

    operations: tuple[MigrationOperation, ...]
    unmanaged: tuple[UnmanagedObject, ...]
    withheld: tuple[MigrationOperation, ...] = ()
