"""The ``linkgress`` executable: the command line in a process of its own.

A command's process starts by importing the library and the user's context module (for a
pulled 1,000-table model, a thousand attrs classes) and ends by tearing all of it down. The
cyclic collector finds nothing to free in either, yet walks everything each time: of the
1.13 s of that model's ``linkgress plan``, 0.1 s at the start and 0.2 s at the exit. The
executable owns its process, so each import of what lasts the whole command runs
:func:`long_lived`: no collection while it runs, then what exists is frozen (moved out of the
collector's sight), and the command's own work collects as usual. At the exit it freezes what
is alive again. ``cli.main(argv)``, called in a process of someone else's, changes nothing of
the kind.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

__all__ = ["long_lived", "run"]

_owns_process = False


def run() -> NoReturn:
    """Run the ``linkgress`` command line on this process's arguments and exit with its status."""
    global _owns_process
    _owns_process = True
    with long_lived():
        from linkgress_async.cli import main

    status = main()
    # The interpreter's final collections would walk every object still alive; the atexit
    # hooks and the modules' teardown still run without them.
    gc.freeze()
    sys.exit(status)


@contextmanager
def long_lived() -> Iterator[None]:
    """Around code that makes objects to last the command (imports): in the executable's
    own process, no collection meanwhile, and what exists is frozen at the end; elsewhere,
    nothing."""
    if not _owns_process or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
