"""Operations on the database itself: its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.ops.base import BaseOperation

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation

__all__ = ["SetDatabaseSetting"]


@frozen
class SetDatabaseSetting(BaseOperation):
    """``ALTER DATABASE <current> SET name = value`` (``value=None``: ``RESET name``).

    Only settings the model declares are set; one it no longer declares is left as it is,
    like Linkgress' ``hasDbSetting``: a database setting may be another application's.
    """

    type: ClassVar[str] = "set_database_setting"
    setting_name: str
    value: str | None
    previous: str | None = None

    def describe(self) -> str:
        if self.value is None:
            return f"Reset database setting '{self.setting_name}'"
        was = "" if self.previous is None else f" (was '{self.previous}')"
        return f"Set database setting '{self.setting_name}' to '{self.value}'{was}"

    def reverse(self) -> MigrationOperation:
        return SetDatabaseSetting(self.setting_name, self.previous, self.value)
