"""Operations on views, materialized views, functions, procedures and aggregates."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from attrs import frozen

from linkgress_async.catalog import Aggregate, Function, MaterializedView, View
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation


# --- views and functions ----------------------------------------------------------------


@frozen
class CreateView(BaseOperation):
    """``CREATE VIEW ... [WITH (options)] AS <query>``.

    ``restores`` marks a view the model does not declare, created again as it was after
    the plan dropped it to make way for a change of what it uses.
    """

    type: ClassVar[str] = "create_view"
    view_name: str
    schema_name: str
    view: View
    restores: bool = False

    def describe(self) -> str:
        suffix = " again as it was (not declared by the model)" if self.restores else ""
        return f"Create view '{display(self.schema_name, self.view_name)}'{suffix}"

    def reverse(self) -> MigrationOperation:
        return DropView(self.view_name, self.schema_name, self.view)


@frozen
class DropView(BaseOperation):
    """``DROP VIEW`` (a view holds no data).

    ``view`` is the dropped view's definition, so that the drop can be reversed.
    ``recreated`` marks a drop the plan undoes later (the view changes, or an object it
    uses does), as opposed to dropping a view nobody declares any more.
    """

    type: ClassVar[str] = "drop_view"
    view_name: str
    schema_name: str
    view: View | None = None
    recreated: bool = False

    def describe(self) -> str:
        suffix = " (recreated below)" if self.recreated else ""
        return f"Drop view '{display(self.schema_name, self.view_name)}'{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.view is None:
            return None
        return CreateView(self.view_name, self.schema_name, self.view)


def _signature(schema: str, name: str, identity_args: str | None) -> str:
    arguments = "" if identity_args is None else f"({identity_args})"
    return f"{display(schema, name)}{arguments}"


@frozen
class CreateFunction(BaseOperation):
    """``CREATE [OR REPLACE] FUNCTION``.

    ``or_replace`` replaces the live function of the same signature in place (``previous``,
    when known): views that use it stay valid.
    """

    type: ClassVar[str] = "create_function"
    function_name: str
    schema_name: str
    function: Function
    or_replace: bool = False
    previous: Function | None = None

    def describe(self) -> str:
        verb = "Replace" if self.previous is not None else "Create"
        name = _signature(self.schema_name, self.function_name, self.function.identity_args)
        return f"{verb} {self.function.kind} '{name}'"

    def reverse(self) -> MigrationOperation:
        if self.previous is not None:
            return CreateFunction(
                self.function_name, self.schema_name, self.previous, True, self.function
            )
        return DropFunction(
            self.function_name, self.schema_name, self.function.identity_args, self.function
        )


@frozen
class DropFunction(BaseOperation):
    """``DROP FUNCTION name(argument types)`` (``DROP PROCEDURE`` for a procedure); without
    known arguments, by name alone."""

    type: ClassVar[str] = "drop_function"
    function_name: str
    schema_name: str
    identity_args: str | None
    function: Function | None = None
    recreated: bool = False

    @property
    def kind(self) -> Literal["function", "procedure"]:
        """``function`` or ``procedure`` (a function when not known)."""
        return "function" if self.function is None else self.function.kind

    def describe(self) -> str:
        name = _signature(self.schema_name, self.function_name, self.identity_args)
        suffix = " (recreated below)" if self.recreated else ""
        return f"Drop {self.kind} '{name}'{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.function is None or not self.function.definition:
            return None
        return CreateFunction(self.function_name, self.schema_name, self.function)


# --- view options, materialized views ------------------------------------------------------


def _option_keys(options: tuple[str, ...]) -> dict[str, str]:
    return dict(option.partition("=")[::2] for option in options)


@frozen
class AlterViewOptions(BaseOperation):
    """``ALTER [MATERIALIZED] VIEW ... SET (...)`` and ``RESET (...)``: its ``WITH`` options
    (``security_barrier``, ``check_option``, ``security_invoker``; storage parameters of a
    materialized view), from ``from_options`` to ``to_options``."""

    type: ClassVar[str] = "alter_view_options"
    view_name: str
    schema_name: str
    from_options: tuple[str, ...]
    to_options: tuple[str, ...]
    materialized: bool = False

    @property
    def set_options(self) -> tuple[str, ...]:
        """The ``name=value`` options to set (new or changed)."""
        old = set(self.from_options)
        return tuple(option for option in self.to_options if option not in old)

    @property
    def reset_options(self) -> tuple[str, ...]:
        """The names of the options to reset to their defaults."""
        kept = _option_keys(self.to_options)
        return tuple(key for key in _option_keys(self.from_options) if key not in kept)

    def describe(self) -> str:
        kind = "materialized view" if self.materialized else "view"
        changes = [*self.set_options, *(f"reset {key}" for key in self.reset_options)]
        name = display(self.schema_name, self.view_name)
        return f"Alter {kind} '{name}' options ({', '.join(changes)})"

    def reverse(self) -> MigrationOperation:
        return AlterViewOptions(
            self.view_name, self.schema_name, self.to_options, self.from_options, self.materialized
        )


@frozen
class CreateMaterializedView(BaseOperation):
    """``CREATE MATERIALIZED VIEW ... AS <query>`` (filled with data) and its indexes.

    ``restores``: see :class:`CreateView`.
    """

    type: ClassVar[str] = "create_materialized_view"
    view_name: str
    schema_name: str
    view: MaterializedView
    restores: bool = False

    def describe(self) -> str:
        suffix = " again as it was (not declared by the model)" if self.restores else ""
        return f"Create materialized view '{display(self.schema_name, self.view_name)}'{suffix}"

    def reverse(self) -> MigrationOperation:
        return DropMaterializedView(self.view_name, self.schema_name, self.view)


@frozen
class DropMaterializedView(BaseOperation):
    """``DROP MATERIALIZED VIEW`` (with its indexes). Its rows are derived from other
    tables and come back when it is created again, so it is not destructive.

    ``recreated`` marks a drop the plan undoes later (see :class:`DropView`).
    """

    type: ClassVar[str] = "drop_materialized_view"
    view_name: str
    schema_name: str
    view: MaterializedView | None = None
    recreated: bool = False

    def describe(self) -> str:
        suffix = " (recreated below)" if self.recreated else ""
        return f"Drop materialized view '{display(self.schema_name, self.view_name)}'{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.view is None:
            return None
        return CreateMaterializedView(self.view_name, self.schema_name, self.view)


# --- aggregates ----------------------------------------------------------------------------


@frozen
class CreateAggregate(BaseOperation):
    """``CREATE [OR REPLACE] AGGREGATE``; ``previous`` is the live aggregate of the same
    signature that ``OR REPLACE`` replaces in place (when known)."""

    type: ClassVar[str] = "create_aggregate"
    aggregate_name: str
    schema_name: str
    aggregate: Aggregate
    or_replace: bool = False
    previous: Aggregate | None = None

    def describe(self) -> str:
        verb = "Replace" if self.previous is not None else "Create"
        name = _signature(self.schema_name, self.aggregate_name, self.aggregate.identity_args)
        return f"{verb} aggregate '{name}'"

    def reverse(self) -> MigrationOperation:
        if self.previous is not None:
            return CreateAggregate(
                self.aggregate_name, self.schema_name, self.previous, True, self.aggregate
            )
        return DropAggregate(
            self.aggregate_name, self.schema_name, self.aggregate.identity_args, self.aggregate
        )


@frozen
class DropAggregate(BaseOperation):
    """``DROP AGGREGATE name(argument types)``."""

    type: ClassVar[str] = "drop_aggregate"
    aggregate_name: str
    schema_name: str
    identity_args: str | None
    aggregate: Aggregate | None = None
    recreated: bool = False

    def describe(self) -> str:
        name = _signature(self.schema_name, self.aggregate_name, self.identity_args)
        suffix = " (recreated below)" if self.recreated else ""
        return f"Drop aggregate '{name}'{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.aggregate is None or not self.aggregate.definition:
            return None
        return CreateAggregate(self.aggregate_name, self.schema_name, self.aggregate)
