"""What the diff needs to know about the server beyond the two catalogs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from attrs import field, frozen

from linkgress_async.catalog import Catalog, QualifiedName, storage_type

__all__ = ["DiffContext", "needs_server_version", "type_changes"]


def _always(_from: str, _to: str) -> bool:
    return True


@frozen
class DiffContext:
    """Server knowledge the diff consults.

    ``castable(from_type, to_type)`` says whether ``ALTER COLUMN ... TYPE ... USING col::to``
    is accepted; where it is not, a type change becomes drop + add. ``enum_type_names`` gives
    the server's spelling (``format_type``) of each enum, to find the columns that use it.
    """

    castable: Callable[[str, str], bool] = _always
    enum_type_names: Mapping[QualifiedName, str] = field(factory=dict)
    server_version_num: int | None = None
    """The server's ``server_version_num`` where the plan depends on it (a generated column's
    new expression: ``SET EXPRESSION`` from PostgreSQL 17, drop + add before); ``None``: not
    known, and the diff uses what every supported version accepts."""

    def server_has(self, version_num: int) -> bool:
        """Whether the server is known to be ``version_num`` or later."""
        return self.server_version_num is not None and self.server_version_num >= version_num

    def enum_spelling(self, name: QualifiedName) -> str:
        """How column types spell the enum ``name``."""
        spelled = self.enum_type_names.get(name)
        if spelled is not None:
            return spelled
        return f"{name.schema}.{name.name}"


def type_changes(current: Catalog, target: Catalog) -> set[tuple[str, str]]:
    """Every (from, to) storage-type pair of a column whose type differs between catalogs."""
    pairs: set[tuple[str, str]] = set()
    for table in current.tables:
        wanted = target.table(table.schema, table.name)
        if wanted is None or wanted.columns == table.columns:
            continue
        wanted_columns = {c.name: c for c in wanted.columns}
        for column in table.columns:
            other = wanted_columns.get(column.name)
            if other is None:
                continue
            old, new = storage_type(column.data_type), storage_type(other.data_type)
            if old != new:
                pairs.add((old, new))
    return pairs


def needs_server_version(current: Catalog, target: Catalog) -> bool:
    """Whether the plan depends on the server's version: a generated column keeps its kind
    and gets a new expression (``SET EXPRESSION`` needs PostgreSQL 17)."""
    for table in current.tables:
        wanted = target.table(table.schema, table.name)
        if wanted is None or wanted.columns == table.columns:
            continue
        for column in table.columns:
            other = wanted.column(column.name)
            old = column.generated
            new = None if other is None else other.generated
            if old is not None and new is not None and old.kind == new.kind and old != new:
                return True
    return False
