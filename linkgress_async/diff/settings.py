"""Database settings: set the ones the model declares to its values; leave the others."""

from __future__ import annotations

from linkgress_async.catalog import Catalog
from linkgress_async.ops import SetDatabaseSetting

__all__ = ["diff_database_settings"]


def diff_database_settings(current: Catalog, target: Catalog) -> list[SetDatabaseSetting]:
    """``SET`` each setting of ``target`` that ``current`` lacks or holds another value of.

    Converge-only, as in Linkgress: a setting the target does not declare is never reset,
    since the database's settings are shared with whatever else uses it.
    """
    live = {setting.name: setting.value for setting in current.database_settings}
    return [
        SetDatabaseSetting(setting.name, setting.value, live.get(setting.name))
        for setting in target.database_settings
        if live.get(setting.name) != setting.value
    ]
