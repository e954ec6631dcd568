"""The ``linkgress`` executable: the command line in a process of its own.

A command's process starts by importing the library and the user's context module (for a
pulled 1,000-table model, a thousand attrs classes) and ends by tearing all of it down. The
cyclic collector finds nothing to free in either, yet walks everything each time: of the
1.13 s of that model's ``linkgress plan``, 0.1 s at the start and 0.2 s at the exit. The
executable owns its process, so it pauses the collector until the long-lived objects exist,
then freezes them (moves them out of the collector's sight) and collects as usual during the
command's own work; at the exit it freezes what is alive again. ``cli.main(argv)``, called in
a process of someone else's, changes nothing of the kind.
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn

__all__ = ["run", "startup_over"]

_paused_for_startup = False


def run() -> NoReturn:
    """Run the ``linkgress`` command line on this process's arguments and exit with its status."""
    global _paused_for_startup
    if gc.isenabled():
        gc.disable()
        _paused_for_startup = True
    from linkgress_async.cli import main

    status = main()
    # The interpreter's final collections would walk every object still alive; the atexit
    # hooks and the modules' teardown still run without them.
    gc.freeze()
    sys.exit(status)


def startup_over() -> None:
    """The command's long-lived objects exist: freeze them and let the collector run again
    (a no-op unless :func:`run` paused it)."""
    global _paused_for_startup
    if _paused_for_startup:
        _paused_for_startup = False
        gc.freeze()
        gc.enable()
