"""Operations on extended statistics objects."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import ExtendedStatistics
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation

__all__ = ["CreateStatistics", "DropStatistics"]


@frozen
class CreateStatistics(BaseOperation):
    """``CREATE STATISTICS``. The planner uses it once the table is next analyzed."""

    type: ClassVar[str] = "create_statistics"
    statistics: ExtendedStatistics

    def describe(self) -> str:
        table = display(self.statistics.table.schema, self.statistics.table.name)
        name = display(self.statistics.schema, self.statistics.name)
        return f"Create statistics {name} on {table}"

    def reverse(self) -> MigrationOperation:
        return DropStatistics(self.statistics)


@frozen
class DropStatistics(BaseOperation):
    """``DROP STATISTICS``: planner estimates only, no data."""

    type: ClassVar[str] = "drop_statistics"
    statistics: ExtendedStatistics

    def describe(self) -> str:
        return f"Drop statistics {display(self.statistics.schema, self.statistics.name)}"

    def reverse(self) -> MigrationOperation:
        return CreateStatistics(self.statistics)
