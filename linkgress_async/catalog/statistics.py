"""Extended statistics: ``CREATE STATISTICS name [(kinds)] ON columns, (expressions) FROM t``."""

from __future__ import annotations

from attrs import frozen

from linkgress_async.catalog.names import QualifiedName

__all__ = ["STATISTICS_KINDS", "ExtendedStatistics"]

STATISTICS_KINDS = ("ndistinct", "dependencies", "mcv")
"""The kinds a statistics object may be limited to, in PostgreSQL's order."""


@frozen
class ExtendedStatistics:
    """A statistics object on one table: its columns and expressions and, when limited, its
    kinds (``()``: every kind that applies, PostgreSQL's default).

    Introspected, ``columns`` come in column order (the server sorts them) and
    ``expressions`` as the server prints them; in a model, as declared.
    """

    schema: str
    name: str
    table: QualifiedName
    columns: tuple[str, ...] = ()
    expressions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def matches(self, live: ExtendedStatistics) -> bool:
        """Whether ``live`` (introspected) is what this declaration creates. Columns are
        compared as a set, kinds when declared, expressions by number: the server rewrites
        their text, so change an expression by renaming the object."""
        return (
            self.table == live.table
            and set(self.columns) == set(live.columns)
            and len(self.expressions) == len(live.expressions)
            and (not self.kinds or set(self.kinds) == set(live.kinds))
        )
