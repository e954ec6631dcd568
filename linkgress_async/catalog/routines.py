"""Views, materialized views, functions, procedures and aggregates: objects whose body is
SQL the server stores in its own form."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

import attrs
from attrs import frozen

from linkgress_async.catalog.indexes import Index
from linkgress_async.catalog.names import QualifiedName
from linkgress_async.catalog.tables import Trigger

__all__ = ["Aggregate", "Function", "MaterializedView", "View", "calls_function"]


def calls_function(expression: str, schema: str, name: str) -> bool:
    """Whether an SQL expression calls ``name`` (schema-qualified or not, as the server
    prints it when the schema is on the search path). Textual: it may see a call in a
    string literal, which at worst orders a creation needlessly."""
    pattern = rf'(?<![\w$".])(?:"?{re.escape(schema)}"?\.)?"?{re.escape(name)}"?\s*\('
    return re.search(pattern, expression) is not None


def _sorted_qnames(items: Iterable[QualifiedName]) -> tuple[QualifiedName, ...]:
    return tuple(sorted(set(items)))


def _sorted_indexes(items: Iterable[Index]) -> tuple[Index, ...]:
    return tuple(sorted(items, key=lambda index: index.name))


def _sorted_options(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(items))


def _sorted_triggers(items: Iterable[Trigger]) -> tuple[Trigger, ...]:
    return tuple(sorted(items, key=lambda trigger: trigger.name))


@frozen
class View:
    """A view; ``definition`` is its query.

    In a model the query is the user's text; the canonical stage and introspection give the
    server's spelling (``pg_get_viewdef`` under ``search_path = pg_catalog``), which the diff
    compares. ``options`` are its ``WITH (...)`` options (``security_barrier=true``,
    ``check_option=local``, ``security_invoker=true``), sorted. ``triggers`` are its
    ``INSTEAD OF`` (and statement-level) triggers; the diff creates and drops them apart
    from the view, so a changed trigger never rebuilds the view.
    """

    schema: str
    name: str
    definition: str
    depends_on: tuple[QualifiedName, ...] = attrs.field(
        default=(), converter=_sorted_qnames, eq=False
    )
    """The relations and functions the view uses, when known (never part of equality)."""
    resolved: bool = attrs.field(default=True, eq=False)
    """False for a model view the server could not build yet (it uses objects the plan
    creates): its definition is the user's text and the diff treats it as changed."""
    position: int = attrs.field(default=0, eq=False)
    """Declaration order in the model, used to order views whose dependencies are unknown."""
    options: tuple[str, ...] = attrs.field(default=(), converter=_sorted_options)
    triggers: tuple[Trigger, ...] = attrs.field(default=(), converter=_sorted_triggers)

    @property
    def qualified_name(self) -> QualifiedName:
        """The view's schema-qualified name."""
        return QualifiedName(self.schema, self.name)


@frozen
class MaterializedView:
    """A materialized view with its indexes (see :class:`View` for the shared fields)."""

    schema: str
    name: str
    definition: str
    indexes: tuple[Index, ...] = attrs.field(default=(), converter=_sorted_indexes)
    options: tuple[str, ...] = attrs.field(default=(), converter=_sorted_options)
    depends_on: tuple[QualifiedName, ...] = attrs.field(
        default=(), converter=_sorted_qnames, eq=False
    )
    resolved: bool = attrs.field(default=True, eq=False)
    position: int = attrs.field(default=0, eq=False)

    @property
    def qualified_name(self) -> QualifiedName:
        """The materialized view's schema-qualified name."""
        return QualifiedName(self.schema, self.name)


@frozen
class Function:
    """A function or procedure, identified by schema, name and argument types.

    ``definition`` is everything after the name in ``CREATE FUNCTION name ...``: the user's
    text in a model, the server's (from ``pg_get_functiondef``) when introspected. The other
    fields are what the server stores; the diff compares those, not ``definition``. In a model
    before the canonical stage, or when the server could not build the function yet (a type
    it uses is created by the plan), ``identity_args`` is ``None``.
    """

    schema: str
    name: str
    identity_args: str | None = None
    """``pg_get_function_identity_arguments``: ``integer, integer``."""
    arguments: str = ""
    """``pg_get_function_arguments``: names, modes and defaults too."""
    result: str = ""
    """``pg_get_function_result``: ``integer``, ``SETOF public.users``, ``TABLE(...)``."""
    language: str = ""
    source: str = ""
    """``prosrc``: the body as written."""
    sql_body: str | None = None
    """The parsed body of a ``BEGIN ATOMIC`` / ``RETURN`` function."""
    volatility: str = "v"
    strict: bool = False
    security_definer: bool = False
    leakproof: bool = False
    parallel: str = "u"
    cost: float = 100.0
    rows: float = 0.0
    config: tuple[str, ...] = ()
    definition: str = attrs.field(default="", eq=False)
    position: int = attrs.field(default=0, eq=False)
    """Declaration order in the model."""
    kind: Literal["function", "procedure"] = "function"

    @property
    def qualified_name(self) -> QualifiedName:
        """The function's schema-qualified name (without its arguments)."""
        return QualifiedName(self.schema, self.name)

    @property
    def signature(self) -> str:
        """``schema.name(argument types)``, for messages."""
        args = "..." if self.identity_args is None else self.identity_args
        return f"{self.schema}.{self.name}({args})"


@frozen
class Aggregate:
    """An aggregate function (``CREATE AGGREGATE``).

    ``definition`` is what follows the name in ``CREATE AGGREGATE name ...``:
    ``(text) (SFUNC = public._group_concat, STYPE = text)`` (the user's text in a model, the
    server's once read back). ``parameters`` are the stored ``(NAME, value)`` pairs in the
    server's spelling and ``CREATE AGGREGATE``'s order (``SFUNC``, ``STYPE``, ``SSPACE``,
    ``FINALFUNC``, ``FINALFUNC_EXTRA``, ``FINALFUNC_MODIFY``, ``COMBINEFUNC``,
    ``SERIALFUNC``, ``DESERIALFUNC``, ``INITCOND``, ``MSFUNC``, ``MINVFUNC``, ``MSTYPE``,
    ``MSSPACE``, ``MFINALFUNC``, ``MFINALFUNC_EXTRA``, ``MFINALFUNC_MODIFY``, ``MINITCOND``,
    ``SORTOP``, ``PARALLEL``, ``HYPOTHETICAL``), only those that differ from the defaults, as
    ``pg_dump`` decides: functions as ``regproc`` prints them (``public._group_concat``,
    ``int4larger``), types by ``format_type``, the sort operator by name (``>``,
    ``OPERATOR(public.<<<)``), the modify and parallel words upper case (``READ_WRITE``,
    ``SAFE``), ``INITCOND``/``MINITCOND`` the stored text itself (not a quoted literal), and
    the flags (``FINALFUNC_EXTRA``, ``MFINALFUNC_EXTRA``, ``HYPOTHETICAL``) with the value
    ``""``. The diff compares them, with ``identity_args`` and ``kind``, not ``definition``.
    """

    schema: str
    name: str
    identity_args: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    kind: Literal["normal", "ordered-set", "hypothetical"] = "normal"
    definition: str = attrs.field(default="", eq=False)
    position: int = attrs.field(default=0, eq=False)

    @property
    def qualified_name(self) -> QualifiedName:
        """The aggregate's schema-qualified name (without its arguments)."""
        return QualifiedName(self.schema, self.name)

    @property
    def signature(self) -> str:
        """``schema.name(argument types)``, for messages."""
        args = "..." if self.identity_args is None else self.identity_args
        return f"{self.schema}.{self.name}({args})"
