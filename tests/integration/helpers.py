"""Small builders shared by the integration tests: throw-away contexts and entities."""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from linkgress_async import DbContext, DbModelConfig
from linkgress_async.model import ColumnType, EntityBuilder

Setup = Callable[[DbModelConfig], None]


def context(
    setup: Setup,
    hook: Callable[[DbContext], Awaitable[object]] | None = None,
    **attributes: Any,
) -> type[DbContext]:
    """A DbContext subclass whose model is declared by ``setup``, with an optional hook."""

    class Model(DbContext):
        def setup_model(self, model: DbModelConfig) -> None:
            setup(model)

        async def on_migration_complete(self, client: DbContext) -> None:
            if hook is not None:
                await hook(client)

    for name, value in attributes.items():
        setattr(Model, name, value)
    return Model


def table(
    model: DbModelConfig, name: str, *columns: ColumnType, schema: str | None = None
) -> EntityBuilder[Any]:
    """An entity mapped to ``schema.name`` whose properties are named like its columns."""
    cls = type(f"Entity_{name}", (), {"__annotations__": {c.name: Any for c in columns}})
    entity: EntityBuilder[Any] = model.entity(cls)
    entity.to_table(name, schema=schema)
    for column in columns:
        entity.property(column.name).has_type(column)
    return entity


def interruptible() -> None:
    """``preexec_fn`` of a CLI run that a test interrupts: Ctrl-C as a terminal delivers it.

    A process started from a background job without job control inherits SIGINT ignored,
    and Python keeps it ignored; the test would then wait for an exit that never comes.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def quiet(_line: str) -> None:
    """Swallow the plan print-out."""


def servers_using(data_dir: Path) -> list[int]:
    """Processes whose command line names ``data_dir``: a leaked server would be one."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(data_dir).encode() in cmdline:
            found.append(int(entry.name))
    return found


class DeafConnection(asyncpg.Connection):  # type: ignore[type-arg]
    """A connection whose notices never reach their listeners, as behind a proxy that drops
    them (the server is the real one)."""

    def add_log_listener(self, callback: Any) -> None:
        pass

    def remove_log_listener(self, callback: Any) -> None:
        pass
