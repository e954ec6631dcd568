"""How long the library waits for the server, and how long the server waits for it.

Three numbers, set on :class:`~linkgress_async.PgClient` (``connect_timeout=``,
``network_timeout=``, ``idle_timeout=``), bound every schema and migration call under a network
partition, a hung server or a lost reply (docs/reliability.md, "Faults"):

* ``connect_timeout``: opening a connection (also a DSN's ``?connect_timeout=``), and each
  quick question the library asks on the side (is the server there, did that commit).
* ``network_timeout``: how long a connection may hear nothing from the server before the
  library checks on it from a second connection. A statement the server is still running
  (an index build) is left alone however long it takes; a server that cannot be reached, a
  session that is gone, or a reply that was lost ends the call. The server's TCP keepalives
  on migration sessions follow from it, so a dead client is noticed in a long statement too.
* ``idle_timeout``: the server ends a migration session that sits idle (in a transaction, or
  holding the migration lock) this long, so a dead client's locks go within it.
"""

from __future__ import annotations

import enum
import math
from typing import Any

from attrs import frozen

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_NETWORK_TIMEOUT",
    "Deadlines",
]

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_NETWORK_TIMEOUT = 30.0
DEFAULT_IDLE_TIMEOUT = 30.0

# How often, in a long statement, the server checks that the client is still there
# (PostgreSQL 14+): with the keepalives below a dead client is noticed mid-statement.
CLIENT_CHECK_MS = 1000
# Unanswered keepalive probes before the kernel declares the peer dead.
KEEPALIVE_COUNT = 3


def _positive(name: str, value: float | None, *, optional: bool) -> None:
    if value is None and optional:
        return
    if value is None or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        allowed = "None or " if optional else ""
        raise ValueError(f"{name} must be {allowed}a number of seconds > 0, got {value!r}")


@frozen
class Deadlines:
    """The bounds of a client's calls, in seconds (see the module docstring).

    ``idle_timeout=None`` leaves the server's idle settings alone.
    """

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    network_timeout: float = DEFAULT_NETWORK_TIMEOUT
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT

    def __attrs_post_init__(self) -> None:
        _positive("connect_timeout", self.connect_timeout, optional=False)
        _positive("network_timeout", self.network_timeout, optional=False)
        _positive("idle_timeout", self.idle_timeout, optional=True)

    @property
    def check_interval(self) -> float:
        """How often the watchdog looks at the connections of a call."""
        return max(0.05, self.network_timeout / 4)

    @property
    def cleanup_timeout(self) -> float:
        """How long a rollback or unlock may take before the connection is closed hard."""
        return self.connect_timeout

    @property
    def call_bound(self) -> float:
        """The longest a call waits on a server that went silent: the silence, the watchdog's
        next look, its probe, settling what happened, and the cleanup."""
        return self.network_timeout + self.check_interval + 3 * self.connect_timeout

    def server_settings(self, version: tuple[int, ...], *, session: bool) -> dict[str, str]:
        """The settings that bound a migration session on the server, by name.

        ``session`` adds ``idle_session_timeout`` (PostgreSQL 14+), for a session that holds
        the migration lock between its transactions.
        """
        settings: dict[str, str] = {}
        if self.idle_timeout is not None:
            idle = str(max(1, round(self.idle_timeout * 1000)))
            settings["idle_in_transaction_session_timeout"] = idle
            if session and version >= (14,):
                settings["idle_session_timeout"] = idle
        # Keepalives notice a vanished client within about two thirds of network_timeout.
        settings["tcp_keepalives_idle"] = str(max(1, math.ceil(self.network_timeout / 3)))
        settings["tcp_keepalives_interval"] = str(max(1, math.ceil(self.network_timeout / 9)))
        settings["tcp_keepalives_count"] = str(KEEPALIVE_COUNT)
        if version >= (12,):
            settings["tcp_user_timeout"] = str(max(1, round(self.network_timeout * 1000)))
        if version >= (14,):
            settings["client_connection_check_interval"] = str(CLIENT_CHECK_MS)
        return settings

    @classmethod
    def of(cls, options: dict[str, Any]) -> Deadlines:
        """The deadlines named in ``options`` (the keyword arguments of PgClient)."""
        return cls(
            **{key: options[key] for key in ("connect_timeout", "network_timeout", "idle_timeout")}
        )


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "unset"


UNSET = Unset.UNSET
"""An option left at the client's default (for ``idle_timeout``, where ``None`` means off)."""
