"""The database's own settings: one ``model.has_db_setting(name, value)`` each."""

from __future__ import annotations

from linkgress_async.pulling.code import Str, call, statement
from linkgress_async.pulling.context import PullContext

__all__ = ["emit"]

BODY = " " * 8


def emit(ctx: PullContext) -> list[str]:
    """The settings of ``ALTER DATABASE ... SET``, as stored (after the extensions)."""
    lines: list[str] = []
    for setting in ctx.catalog.database_settings:
        expr = call("model.has_db_setting", Str(setting.name), Str(setting.value))
        lines += statement(expr, BODY)
    return lines
