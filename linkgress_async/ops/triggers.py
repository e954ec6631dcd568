"""Operations on triggers (of tables and views).

None of them touches stored rows, so none is destructive; a dropped trigger is reversed by
creating it again from the definition the operation carries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import Trigger, TriggerEnabled
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation

__all__ = ["AlterTriggerEnabled", "CreateTrigger", "DropTrigger", "RenameTrigger"]


def _on(schema: str, relation: str) -> str:
    return f"'{display(schema, relation)}'"


@frozen
class CreateTrigger(BaseOperation):
    """``CREATE [OR REPLACE] [CONSTRAINT] TRIGGER``, then its ``ENABLE``/``DISABLE`` state.

    ``table_name`` is the table or view the trigger is on. ``or_replace`` replaces the live
    trigger of the same name in place (``previous``): PostgreSQL 14+, not for constraint
    triggers; the trigger keeps its comment.
    """

    type: ClassVar[str] = "create_trigger"
    table_name: str
    schema_name: str
    trigger: Trigger
    or_replace: bool = False
    previous: Trigger | None = None

    def describe(self) -> str:
        verb = "Replace" if self.previous is not None else "Create"
        return f"{verb} trigger '{self.trigger.name}' on {_on(self.schema_name, self.table_name)}"

    def reverse(self) -> MigrationOperation:
        if self.previous is not None:
            return CreateTrigger(
                self.table_name, self.schema_name, self.previous, True, self.trigger
            )
        return DropTrigger(self.table_name, self.trigger.name, self.schema_name, self.trigger)


@frozen
class DropTrigger(BaseOperation):
    """``DROP TRIGGER name ON table``.

    ``recreated`` marks a drop the plan undoes later (the trigger changes, or an object it
    uses does), as opposed to dropping a trigger nobody declares any more, which the
    ownership policy may keep.
    """

    type: ClassVar[str] = "drop_trigger"
    table_name: str
    trigger_name: str
    schema_name: str = "public"
    trigger: Trigger | None = None
    recreated: bool = False

    def describe(self) -> str:
        suffix = " (recreated below)" if self.recreated else ""
        where = _on(self.schema_name, self.table_name)
        return f"Drop trigger '{self.trigger_name}' on {where}{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.trigger is None:
            return None
        return CreateTrigger(self.table_name, self.schema_name, self.trigger)


@frozen
class RenameTrigger(BaseOperation):
    """``ALTER TRIGGER name ON table RENAME TO new_name``."""

    type: ClassVar[str] = "rename_trigger"
    table_name: str
    trigger_name: str
    new_name: str
    schema_name: str = "public"

    def describe(self) -> str:
        return (
            f"Rename trigger '{self.trigger_name}' on {_on(self.schema_name, self.table_name)} "
            f"to '{self.new_name}'"
        )

    def reverse(self) -> MigrationOperation:
        return RenameTrigger(self.table_name, self.new_name, self.trigger_name, self.schema_name)


_ENABLED_WORDS: dict[TriggerEnabled, str] = {
    "origin": "Enable",
    "disabled": "Disable",
    "replica": "Enable (replica only)",
    "always": "Enable (always)",
}


@frozen
class AlterTriggerEnabled(BaseOperation):
    """``ALTER TABLE ... ENABLE [REPLICA | ALWAYS] | DISABLE TRIGGER name``."""

    type: ClassVar[str] = "alter_trigger_enabled"
    table_name: str
    trigger_name: str
    enabled: TriggerEnabled
    previous: TriggerEnabled
    schema_name: str = "public"

    def describe(self) -> str:
        return (
            f"{_ENABLED_WORDS[self.enabled]} trigger '{self.trigger_name}' on "
            f"{_on(self.schema_name, self.table_name)}"
        )

    def reverse(self) -> MigrationOperation:
        return AlterTriggerEnabled(
            self.table_name, self.trigger_name, self.previous, self.enabled, self.schema_name
        )
