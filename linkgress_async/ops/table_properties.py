"""Table-wide properties (storage parameters, UNLOGGED) and generated columns re-created
where PostgreSQL cannot change them in place."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import Column
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation

__all__ = ["ReplaceGeneratedColumn", "SetTableLogged", "SetTableOptions", "option_name"]


def option_name(option: str) -> str:
    """The name of a ``name=value`` storage parameter (``toast.`` prefix kept)."""
    return option.partition("=")[0]


@frozen
class SetTableOptions(BaseOperation):
    """``ALTER TABLE ... SET (name=value, ...)`` and ``RESET (name, ...)``.

    Takes a ``SHARE UPDATE EXCLUSIVE`` lock for most parameters and rewrites nothing; a new
    ``fillfactor`` applies to pages written from then on.
    """

    type: ClassVar[str] = "set_table_options"
    table_name: str
    schema_name: str
    from_options: tuple[str, ...]
    to_options: tuple[str, ...]

    @property
    def set_options(self) -> tuple[str, ...]:
        """``name=value`` parameters that are new or get a new value."""
        return tuple(o for o in self.to_options if o not in self.from_options)

    @property
    def reset_names(self) -> tuple[str, ...]:
        """Names of parameters that go back to their defaults."""
        kept = {option_name(o) for o in self.to_options}
        return tuple(option_name(o) for o in self.from_options if option_name(o) not in kept)

    def describe(self) -> str:
        parts = []
        if self.set_options:
            parts.append("set " + ", ".join(self.set_options))
        if self.reset_names:
            parts.append("reset " + ", ".join(self.reset_names))
        name = display(self.schema_name, self.table_name)
        return f"Storage parameters of '{name}': {'; '.join(parts)}"

    def reverse(self) -> MigrationOperation:
        return SetTableOptions(
            self.table_name, self.schema_name, self.to_options, self.from_options
        )


@frozen
class SetTableLogged(BaseOperation):
    """``ALTER TABLE ... SET LOGGED`` or ``SET UNLOGGED``.

    Rewrites the table (and writes it to the WAL when it becomes logged) under an ``ACCESS
    EXCLUSIVE`` lock; no row is lost. An unlogged table is emptied by crash recovery and is
    not replicated.
    """

    type: ClassVar[str] = "set_table_logged"
    table_name: str
    schema_name: str
    logged: bool

    def describe(self) -> str:
        state = "LOGGED" if self.logged else "UNLOGGED"
        name = display(self.schema_name, self.table_name)
        return f"Set table '{name}' {state} (rewrites the table)"

    def reverse(self) -> MigrationOperation:
        return SetTableLogged(self.table_name, self.schema_name, not self.logged)


@frozen
class ReplaceGeneratedColumn(BaseOperation):
    """Drop a column and add it again, for generation changes PostgreSQL cannot make in place.

    A generated column's values are computed from the row: re-creating one generated column
    as another loses nothing stored (before PostgreSQL 17 a new expression needs this, and a
    column cannot switch between ``STORED`` and ``VIRTUAL``). Turning a regular column into a
    generated one replaces its stored values, and turning a ``VIRTUAL`` column into a regular
    one leaves it empty: those are destructive. The column moves to the end of the table, and
    indexes and constraints on it are dropped and created again around this operation.
    """

    type: ClassVar[str] = "replace_generated_column"
    table_name: str
    column_name: str
    from_: Column
    to: Column
    schema_name: str = "public"

    @property
    def destructive(self) -> bool:  # type: ignore[override]
        """Whether values the column holds are lost (not recomputed from the row)."""
        return self.from_.generated is None or self.to.generated is None

    def describe(self) -> str:
        name = f"{display(self.schema_name, self.table_name)}.{self.column_name}"
        old, new = self.from_.generated, self.to.generated
        if old is None:
            what = "to make it generated (its stored values are replaced)"
        elif new is None:
            what = f"to make it a regular column (its {old.kind} values are not kept)"
        elif old.kind != new.kind:
            what = f"as {new.kind.upper()} instead of {old.kind.upper()} (values recomputed)"
        else:
            what = "with its new expression (values recomputed)"
        return f"Re-create column '{name}' {what}; it moves to the end of the table"

    def reverse(self) -> MigrationOperation | None:
        if self.destructive:
            return None
        return ReplaceGeneratedColumn(
            self.table_name, self.column_name, self.to, self.from_, self.schema_name
        )
