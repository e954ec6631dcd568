"""Operations on views and functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import Function, View
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation


# --- views and functions ----------------------------------------------------------------


@frozen
class CreateView(BaseOperation):
    """``CREATE VIEW ... AS <query>``."""

    type: ClassVar[str] = "create_view"
    view_name: str
    schema_name: str
    view: View

    def describe(self) -> str:
        return f"Create view '{display(self.schema_name, self.view_name)}'"

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
        return f"{verb} function '{name}'"

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
    """``DROP FUNCTION name(argument types)``; without known arguments, by name alone."""

    type: ClassVar[str] = "drop_function"
    function_name: str
    schema_name: str
    identity_args: str | None
    function: Function | None = None
    recreated: bool = False

    def describe(self) -> str:
        name = _signature(self.schema_name, self.function_name, self.identity_args)
        suffix = " (recreated below)" if self.recreated else ""
        return f"Drop function '{name}'{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.function is None or not self.function.definition:
            return None
        return CreateFunction(self.function_name, self.schema_name, self.function)
