"""``e.has_statistics(name, columns).with_kinds(...).with_expression(...)``: extended
statistics (Linkgress' ``hasStatistics``), checked before any SQL runs."""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf

from attrs import define, field

from linkgress_async.catalog import STATISTICS_KINDS, ExtendedStatistics, QualifiedName
from linkgress_async.errors import ModelError
from linkgress_async.model._args import check_identifier, names

__all__ = ["StatisticsBuilder", "StatisticsSpec", "new_statistics", "statistics_of"]


@define
class StatisticsSpec:
    """One ``has_statistics`` declaration as configured."""

    name: str
    columns: tuple[str, ...]
    expressions: list[str] = field(factory=list)
    kinds: tuple[str, ...] = ()


class StatisticsBuilder:
    """Configures a statistics object declared by ``has_statistics``."""

    def __init__(self, spec: StatisticsSpec, label: str) -> None:
        self._spec = spec
        self._label = label

    def with_kinds(self, *kinds: str) -> StatisticsBuilder:
        """Limit the object to some of ``ndistinct``, ``dependencies`` and ``mcv`` (default:
        every kind that applies)."""
        unknown = [kind for kind in kinds if kind not in STATISTICS_KINDS]
        if not kinds or unknown:
            raise ModelError(
                f"{self._label}: with_kinds takes some of {', '.join(STATISTICS_KINDS)}, "
                f"not {', '.join(map(repr, unknown)) or 'nothing'}"
            )
        self._spec.kinds = tuple(k for k in STATISTICS_KINDS if k in kinds)
        return self

    def with_expression(self, *expressions: str) -> StatisticsBuilder:
        """Add SQL expressions over the table's columns, such as ``'(flags & 1)'``: with one
        expression alone, PostgreSQL keeps statistics on its values."""
        for expression in expressions:
            if not isinstance(expression, str) or not expression.strip():
                raise ModelError(f"{self._label}: with_expression takes SQL expressions")
            self._spec.expressions.append(expression.strip())
        return self


def new_statistics(
    name: str, columns: str | SequenceOf[str] | None, label: str
) -> tuple[StatisticsSpec, StatisticsBuilder]:
    """The spec and builder of ``has_statistics(name, columns)``."""
    where = f"{label}, statistics {name!r}"
    check_identifier(name, where)
    spec = StatisticsSpec(name, () if columns is None else names(columns, where))
    return spec, StatisticsBuilder(spec, where)


def statistics_of(
    spec: StatisticsSpec, schema: str, table: str, columns: tuple[str, ...], label: str
) -> ExtendedStatistics:
    """The catalog value of a declaration whose properties resolved to ``columns``."""
    where = f"{label}, statistics {spec.name!r}"
    entries = len(columns) + len(spec.expressions)
    if entries == 0:
        raise ModelError(f"{where}: name columns or add with_expression(...)")
    if entries == 1 and not spec.expressions:
        raise ModelError(
            f"{where}: statistics on one column are what ANALYZE keeps already; name two or "
            "more columns, or use with_expression(...)"
        )
    if entries == 1 and spec.kinds:
        raise ModelError(
            f"{where}: statistics on a single expression take no kinds; drop with_kinds()"
        )
    return ExtendedStatistics(
        schema,
        spec.name,
        QualifiedName(schema, table),
        columns,
        tuple(spec.expressions),
        spec.kinds,
    )
