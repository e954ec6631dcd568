"""``model.has_db_setting``: checking a database setting before any SQL runs."""

from __future__ import annotations

import re

from linkgress_async.errors import ModelError
from linkgress_async.model.specs import ModelSpec

__all__ = ["set_database_setting"]

# A parameter (jit) or a two-part custom one (app.tenant), as ALTER DATABASE takes them.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
# The dollar quote the statement is wrapped in (see render.sql.database_setting_sql).
_QUOTE = "$linkgress_setting$"


def set_database_setting(spec: ModelSpec, name: str, value: str | int | float | bool) -> None:
    """Record ``name = value`` in ``spec`` as the text PostgreSQL stores (last one wins)."""
    where = f"has_db_setting({name!r})"
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ModelError(
            f"{where}: not a setting name; use a parameter such as 'jit' or a two-part "
            "custom one such as 'app.tenant'"
        )
    if isinstance(value, bool):
        text = "on" if value else "off"
    elif isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, str) and value and "\x00" not in value and _QUOTE not in value:
        text = value
    else:
        raise ModelError(
            f"{where}: the value is a non-empty string, a number or a boolean, not {value!r}"
        )
    spec.database_settings[name] = text
