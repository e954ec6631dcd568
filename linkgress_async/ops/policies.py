"""Operations on row-level security: the table's switches and its policies.

None of them touches stored rows, so none is destructive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import Policy
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation

__all__ = ["AlterPolicy", "AlterRowSecurity", "CreatePolicy", "DropPolicy", "RenamePolicy"]


def _on(schema: str, table: str) -> str:
    return f"'{display(schema, table)}'"


@frozen
class AlterRowSecurity(BaseOperation):
    """``ALTER TABLE ... ENABLE | DISABLE ROW LEVEL SECURITY`` and ``[NO] FORCE ...``.

    ``enabled``/``forced`` are the wanted switches, ``previous_*`` the live ones; only what
    differs is run.
    """

    type: ClassVar[str] = "alter_row_security"
    table_name: str
    schema_name: str
    enabled: bool
    forced: bool
    previous_enabled: bool = False
    previous_forced: bool = False

    @property
    def changes(self) -> tuple[str, ...]:
        """``enable``, ``disable``, ``force``, ``no force``: what this operation does."""
        changes: list[str] = []
        if self.enabled != self.previous_enabled:
            changes.append("enable" if self.enabled else "disable")
        if self.forced != self.previous_forced:
            changes.append("force" if self.forced else "no force")
        return tuple(changes)

    def describe(self) -> str:
        words = {
            "enable": "enable",
            "disable": "disable",
            "force": "force",
            "no force": "stop forcing",
        }
        what = " and ".join(words[change] for change in self.changes) or "keep"
        return (
            f"{what[:1].upper()}{what[1:]} row level security on "
            f"{_on(self.schema_name, self.table_name)}"
        )

    def reverse(self) -> MigrationOperation:
        return AlterRowSecurity(
            self.table_name,
            self.schema_name,
            self.previous_enabled,
            self.previous_forced,
            self.enabled,
            self.forced,
        )


@frozen
class CreatePolicy(BaseOperation):
    """``CREATE POLICY name ON table AS ... FOR ... TO ... USING (...) WITH CHECK (...)``."""

    type: ClassVar[str] = "create_policy"
    table_name: str
    schema_name: str
    policy: Policy

    def describe(self) -> str:
        return f"Create policy '{self.policy.name}' on {_on(self.schema_name, self.table_name)}"

    def reverse(self) -> MigrationOperation:
        return DropPolicy(self.table_name, self.policy.name, self.schema_name, self.policy)


@frozen
class DropPolicy(BaseOperation):
    """``DROP POLICY name ON table``.

    ``recreated`` marks a drop the plan undoes later (see
    :class:`~linkgress_async.ops.DropTrigger`).
    """

    type: ClassVar[str] = "drop_policy"
    table_name: str
    policy_name: str
    schema_name: str = "public"
    policy: Policy | None = None
    recreated: bool = False

    def describe(self) -> str:
        suffix = " (recreated below)" if self.recreated else ""
        where = _on(self.schema_name, self.table_name)
        return f"Drop policy '{self.policy_name}' on {where}{suffix}"

    def reverse(self) -> MigrationOperation | None:
        if self.policy is None:
            return None
        return CreatePolicy(self.table_name, self.schema_name, self.policy)


@frozen
class AlterPolicy(BaseOperation):
    """``ALTER POLICY name ON table [TO roles] [USING (...)] [WITH CHECK (...)]``.

    Only what differs between ``from_`` and ``to`` is set. Where PostgreSQL cannot change
    it in place (see :attr:`in_place`), which the diff avoids but a reverse may need, the
    policy is dropped and created again.
    """

    type: ClassVar[str] = "alter_policy"
    table_name: str
    schema_name: str
    from_: Policy
    to: Policy

    @property
    def changes(self) -> tuple[str, ...]:
        """Which clauses change: ``roles``, ``using``, ``with_check``."""
        return tuple(
            aspect
            for aspect in ("roles", "using", "with_check")
            if getattr(self.from_, aspect) != getattr(self.to, aspect)
        )

    @property
    def in_place(self) -> bool:
        """Whether ``ALTER POLICY`` can do it: the command and permissiveness stay, and no
        expression is removed (one can be replaced, not dropped)."""
        old, new = self.from_, self.to
        if (old.command, old.permissive, old.name) != (new.command, new.permissive, new.name):
            return False
        return not (
            (old.using is not None and new.using is None)
            or (old.with_check is not None and new.with_check is None)
        )

    def describe(self) -> str:
        what = ", ".join(change.replace("_", " ") for change in self.changes)
        return f"Alter policy '{self.to.name}' on {_on(self.schema_name, self.table_name)} ({what})"

    def reverse(self) -> MigrationOperation:
        return AlterPolicy(self.table_name, self.schema_name, self.to, self.from_)


@frozen
class RenamePolicy(BaseOperation):
    """``ALTER POLICY name ON table RENAME TO new_name``."""

    type: ClassVar[str] = "rename_policy"
    table_name: str
    policy_name: str
    new_name: str
    schema_name: str = "public"

    def describe(self) -> str:
        return (
            f"Rename policy '{self.policy_name}' on {_on(self.schema_name, self.table_name)} "
            f"to '{self.new_name}'"
        )

    def reverse(self) -> MigrationOperation:
        return RenamePolicy(self.table_name, self.new_name, self.policy_name, self.schema_name)
