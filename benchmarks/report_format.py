"""Formatting shared by the benchmark page's sections."""

from __future__ import annotations

import statistics

__all__ = ["kept_cell", "ms", "ratio"]


def ms(seconds: float) -> str:
    """A duration as the page prints it: milliseconds below 10 s, else seconds."""
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def ratio(value: float, floor: float) -> str:
    """``value`` as a multiple of ``floor``."""
    return f"{value / floor:.2f}x"


def kept_cell(times: list[float] | None, floor: float) -> str:
    """The median of an analysis that took the last read's catalog, x the floor."""
    if not times:
        return "-"
    kept = statistics.median(times)
    return f"{ms(kept)} ({ratio(kept, floor)})"
