"""What the diff needs to know about the server beyond the two catalogs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from attrs import field, frozen

from linkgress_async.catalog import Catalog, QualifiedName, storage_type

__all__ = ["DiffContext", "type_changes"]


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
