"""Online automatic migrations: the plan applied in phases that hold table locks briefly.

See ``docs/online-migrations.md``; :mod:`.phases` splits a plan, :mod:`.state` records an
online migration's progress so that an interrupted one is resumed, :mod:`.run` applies it.
"""

from linkgress_async.online.phases import Phase, PhaseKind, not_null_check_name, online_phases

__all__ = ["Phase", "PhaseKind", "not_null_check_name", "online_phases"]
