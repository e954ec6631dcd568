"""Seeded fault trials of ``migrate()`` and ``up()`` through tests/faultproxy.py.

A scenario is an operation (``migrate``, ``up``) and a fault kind (``cut``, ``cut-bytes``,
``partition``, ``lost-reply``). A clean calibration run through the proxy numbers the
operation's client messages and sorts them into phases (connecting, analysing, taking the
lock, applying, COMMIT, ...); the trials then arm the fault at messages drawn from every
phase (or at a random byte), each on a database reset to the "before" state, and check:

* the call ended within its bound, without error or with one of ours whose outcome is true;
* the schema is fully old or fully new (``migrate``); the journal equals the effects (``up``);
* no lock of the call (advisory, or on a table) outlives the server's bound once it ended;
* the next call on a healthy network completes the work.

``LINKGRESS_FAULT_TRIALS=N`` multiplies the trials; ``LINKGRESS_FAULT_SEED`` reseeds.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import asyncpg
from attrs import define, field, frozen

from linkgress_async import DbContext, DbModelConfig, LinkgressError, PgClient, bigint, text
from linkgress_async.deadlines import Deadlines
from linkgress_async.errors import ConnectionLostError, ServerUnresponsiveError
from linkgress_async.migrations import MigrationRunner
from tests.faultproxy import FaultProxy, Message
from tests.integration.helpers import context, quiet, table

DEADLINES: dict[str, float] = {"connect_timeout": 1.0, "network_timeout": 1.5, "idle_timeout": 2.0}
BOUNDS = Deadlines(**DEADLINES)
# The bounds the trials hold the library to, with slack for a loaded machine.
CALL_BOUND = BOUNDS.call_bound + 1.0
LOCK_BOUND = (BOUNDS.idle_timeout or 0.0) + 1.5
SCALE = int(os.environ.get("LINKGRESS_FAULT_TRIALS", "1"))
SEED = int(os.environ.get("LINKGRESS_FAULT_SEED", "12"))
WORKERS = 4
# A fixed pool: the same number of connections (so of startup messages) in every run.
POOL = {"min_size": 3, "max_size": 3}
STARTUP = {"SSLRequest", "GSSENCRequest", "StartupMessage", "Password"}
PER_PHASE = {"cut": 3, "partition": 1, "lost-reply": 1}
BYTE_TRIALS = 12

_HELD = """
FROM pg_catalog.pg_locks l
LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.pid <> pg_catalog.pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND (l.locktype = 'advisory'
       OR (l.locktype = 'relation' AND l.relation >= 16384
           AND c.relpersistence IS DISTINCT FROM 't'))
"""
_LOCKS = "SELECT count(*)" + _HELD
# Sessions holding locks that wait for their client in the middle of a statement's
# messages (after Parse, before Sync): the server's idle timeouts do not apply there, only
# its TCP keepalives, which a proxy in user space cannot make fail (its kernel answers them).
_MID_MESSAGE = (
    "SELECT count(*) FILTER (WHERE a.state = 'active' AND a.wait_event = 'ClientRead')"
    " = count(*)" + _HELD
)


@frozen
class Trial:
    """One fault: where it strikes (the ``index``-th message of ``phase``, or the
    ``index``-th byte) and how."""

    kind: str
    phase: str = ""
    index: int = 0
    deliver: bool = False
    reset: bool = True
    direction: str = "both"
    latency: float = 0.0


@define
class Outcome:
    """What one trial saw."""

    trial: Trial
    phase: str = "none"
    error: BaseException | None = None
    elapsed: float = 0.0
    lock_release: float = 0.0
    after_fault: float | None = None
    """How long the call went on after the fault struck."""
    locks_after_fault: float | None = None
    """How long the call's locks outlived the fault."""
    keepalive_bound: bool = False
    """The locks outlived the idle bound in a session waiting mid-statement (see _MID_MESSAGE)."""
    violations: list[str] = field(factory=list)

    @property
    def verdict(self) -> str:
        """How the call ended: ok, or the outcome its error reported."""
        if self.error is None:
            return "ok"
        if isinstance(self.error, ConnectionLostError):
            return self.error.outcome
        return type(self.error).__name__


# --- the operations --------------------------------------------------------------------------


def _old_model(model: DbModelConfig) -> None:
    table(model, "accounts", bigint("id").primary_key(), text("name"))


def _new_model(model: DbModelConfig) -> None:
    accounts = table(model, "accounts", bigint("id").primary_key(), text("name"), text("email"))
    accounts.has_index("ix_accounts_email", ["email"])
    table(model, "orders", bigint("id").primary_key(), bigint("account_id"), schema="shop")


async def _hook(db: DbContext) -> None:
    await db.execute(
        "CREATE OR REPLACE VIEW shop.order_ids AS SELECT id FROM shop.orders /* hook */"
    )


NewModel = context(_new_model, _hook)

_FINGERPRINT = """
SELECT coalesce(string_agg(item, ',' ORDER BY item), '') FROM (
  SELECT 'schema ' || nspname AS item FROM pg_catalog.pg_namespace WHERE nspname = 'shop'
  UNION ALL
  SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname IN ('public', 'shop') AND c.relname NOT LIKE '\\_\\_migrations%'
  UNION ALL
  SELECT c.relname || '.' || a.attname
  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname IN ('public', 'shop') AND a.attnum > 0 AND NOT a.attisdropped
    AND c.relkind IN ('r', 'v') AND c.relname NOT LIKE '\\_\\_migrations%'
) items
"""

FILES = {
    "0001_a.py": (
        "CREATE TABLE a (id int PRIMARY KEY)",
        "INSERT INTO a VALUES (1), (2)",
    ),
    "0002_b.py": (
        "CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a)",
        "CREATE INDEX ix_b ON b (a_id)",
    ),
    "0003_c.py": (
        "ALTER TABLE a ADD COLUMN c int",
        "UPDATE a SET c = 1",
    ),
}

_FILE = """
from linkgress_async.migrations import Migration

class Step(Migration):
    async def up(self, db):
{body}

    async def down(self, db):
        raise NotImplementedError
"""

_EFFECTS = """
SELECT to_regclass('public.a') IS NOT NULL AS a,
       to_regclass('public.b') IS NOT NULL AND to_regclass('public.ix_b') IS NOT NULL AS b,
       to_regclass('public.b') IS NOT NULL OR to_regclass('public.ix_b') IS NOT NULL AS b_any,
       EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
               WHERE attrelid = to_regclass('public.a') AND attname = 'c') AS c
"""


def write_files(directory: Path) -> None:
    """The three migration files of the ``up`` trials."""
    directory.mkdir(exist_ok=True)
    for name, statements in FILES.items():
        body = "\n".join(f"        await db.execute({sql!r})" for sql in statements)
        (directory / name).write_text(_FILE.format(body=body))


class Operation:
    """A call under test: how to reset its database, run it, and judge the result."""

    name = ""

    async def prepare(self, admin: asyncpg.Connection[Any]) -> None:
        """Put the database in the "before" state."""
        raise NotImplementedError

    async def call(self, client: PgClient) -> None:
        """The call under test."""
        raise NotImplementedError

    async def judge(self, admin: asyncpg.Connection[Any], outcome: Outcome) -> None:
        """Add a violation to ``outcome`` for each promise the database state breaks."""
        raise NotImplementedError

    def next_phase(self, phase: str, message: Message) -> str:
        """The phase after ``message`` (phases change on Query and Parse messages)."""
        raise NotImplementedError

    def phases(self, log: list[Message]) -> list[str]:
        """The phase of each message of ``log``."""
        classify = Classifier(self)
        return [classify(message) for message in log]


class Classifier:
    """The phase of each message of a run, fed in order."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self.phase = "start"

    def __call__(self, message: Message) -> str:
        if message.type in STARTUP:
            return "connect"
        if message.type in ("Query", "Parse"):
            self.phase = self.operation.next_phase(self.phase, message)
        return self.phase


CACHE_DEPENDENT = frozenset({"Parse", "Describe", "Flush"})
"""Messages a run sends only when asyncpg's per-connection statement cache misses: which
connection of the pool runs which query varies, so trials do not count them."""


class Strike:
    """A proxy predicate: the ``index``-th message of ``phase`` of the run."""

    def __init__(self, operation: Operation, phase: str, index: int) -> None:
        self.classify = Classifier(operation)
        self.phase = phase
        self.left = index

    def __call__(self, message: Message) -> bool:
        if self.classify(message) != self.phase or message.type in CACHE_DEPENDENT:
            return False
        self.left -= 1
        return self.left < 0


class Migrate(Operation):
    """``migrate()`` from the old model to the new one (with a hook)."""

    name = "migrate"

    def __init__(self) -> None:
        self.old = ""
        self.new = ""

    async def prepare(self, admin: asyncpg.Connection[Any]) -> None:
        await admin.execute(
            "DROP SCHEMA IF EXISTS shop CASCADE; DROP TABLE IF EXISTS public.accounts CASCADE;"
            " CREATE TABLE public.accounts (id bigint PRIMARY KEY, name text)"
        )

    async def call(self, client: PgClient) -> None:
        db = NewModel(client)
        await db.get_schema_manager(out=quiet).migrate(allow_destructive=True)

    async def fingerprints(self, admin: asyncpg.Connection[Any], dsn: str) -> None:
        """Learn the old and the new schema's fingerprints (a clean migrate)."""
        await self.prepare(admin)
        self.old = await admin.fetchval(_FINGERPRINT)
        async with PgClient(dsn=dsn) as client:
            await self.call(client)
        self.new = await admin.fetchval(_FINGERPRINT)
        assert self.old != self.new

    async def judge(self, admin: asyncpg.Connection[Any], outcome: Outcome) -> None:
        state = await admin.fetchval(_FINGERPRINT)
        if state not in (self.old, self.new):
            outcome.violations.append(f"schema half-applied: {state}")
            return
        applied = state == self.new
        error = outcome.error
        if error is None and not applied:
            outcome.violations.append("migrate() returned but the schema is old")
        elif isinstance(error, ConnectionLostError):
            if error.outcome == "applied" and not applied:
                outcome.violations.append("said applied, schema is old")
            if error.outcome in ("not applied", "partial") and applied:
                outcome.violations.append(f"said {error.outcome}, schema is new")
        elif error is not None and applied:
            outcome.violations.append(f"{type(error).__name__} but the schema is new")

    async def settled(self, admin: asyncpg.Connection[Any]) -> bool:
        """Whether the schema is the new one (after the recovery call)."""
        return bool(await admin.fetchval(_FINGERPRINT) == self.new)

    def next_phase(self, phase: str, message: Message) -> str:
        sql = message.sql.lstrip()
        if "pg_try_advisory_xact_lock" in sql:
            return "lock"
        if phase in ("start", "analyse"):
            return "analyse"
        if phase == "lock":
            phase = "replan"
        if "/* hook */" in sql:
            return "hook"
        if sql.upper().startswith("COMMIT"):
            return "commit"
        if phase == "commit":
            return "release"
        if phase == "replan" and sql.upper().startswith(("CREATE", "ALTER")):
            return "apply"
        return phase


class Up(Operation):
    """``up()`` of three transactional files."""

    name = "up"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        write_files(directory)

    async def prepare(self, admin: asyncpg.Connection[Any]) -> None:
        await admin.execute("DROP TABLE IF EXISTS b, a, public.__migrations CASCADE")

    async def call(self, client: PgClient) -> None:
        db = DbContext(client)
        result = await MigrationRunner(db, self.directory, verbose=False).up()
        if result.failed is not None:
            raise AssertionError(f"a file failed: {result.failed}")

    async def _state(self, admin: asyncpg.Connection[Any]) -> tuple[list[bool], list[str], bool]:
        effects = await admin.fetchrow(_EFFECTS)
        assert effects is not None
        journal: list[str] = []
        clean = True
        if await admin.fetchval("SELECT to_regclass('public.__migrations') IS NOT NULL"):
            rows = await admin.fetch("SELECT filename, status FROM public.__migrations ORDER BY id")
            journal = [row["filename"] for row in rows]
            clean = all(row["status"] == "applied" for row in rows)
        clean = clean and effects["b"] == effects["b_any"]
        return [effects["a"], effects["b"], effects["c"]], journal, clean

    async def judge(self, admin: asyncpg.Connection[Any], outcome: Outcome) -> None:
        effects, journal, clean = await self._state(admin)
        recorded = [name in journal for name in FILES]
        if not clean or effects != recorded:
            outcome.violations.append(f"journal {journal} but effects {effects}")
            return
        error = outcome.error
        if error is None and not all(recorded):
            outcome.violations.append(f"up() returned but only {journal} are applied")
        if isinstance(error, ConnectionLostError) and error.outcome != "unknown":
            named = re.search(r"migration (\d{4}_\w+\.py)", str(error))
            if named is not None:
                applied = named.group(1) in journal
                if applied != (error.outcome == "applied"):
                    outcome.violations.append(
                        f"said {named.group(1)} {error.outcome}, journal has {journal}"
                    )

    async def settled(self, admin: asyncpg.Connection[Any]) -> bool:
        effects, journal, clean = await self._state(admin)
        return clean and all(effects) and journal == list(FILES)

    def next_phase(self, phase: str, message: Message) -> str:
        sql = message.sql.lstrip()
        upper = sql.upper()
        if "pg_try_advisory_lock" in sql and phase in ("start", "read"):
            return "lock"
        if phase in ("start", "read"):
            return "read"
        if "pg_advisory_unlock(" in sql:
            return "unlock"
        if phase in ("unlock", "release"):
            return "release"
        if upper.startswith("BEGIN"):
            return "file"
        if upper.startswith("COMMIT"):
            return "commit"
        if phase == "lock":
            return "journal"
        if phase == "commit":
            return "between"
        return phase


# --- running trials ----------------------------------------------------------------------------


def arm(proxy: FaultProxy, operation: Operation, trial: Trial) -> None:
    """Arm ``trial``'s fault on ``proxy``."""
    strike = Strike(operation, trial.phase, trial.index)
    match trial.kind:
        case "cut":
            proxy.cut_at_message(strike, deliver=trial.deliver, reset=trial.reset)
        case "cut-bytes":
            direction: Any = trial.direction
            proxy.cut_after_bytes(trial.index, direction)
        case "partition":
            proxy.blackhole_at_message(strike, deliver=trial.deliver)
        case "lost-reply":
            proxy.swallow_reply_to(strike)
        case _:
            raise AssertionError(trial.kind)


async def locks_held(admin: asyncpg.Connection[Any]) -> int:
    """Locks other sessions hold in this database: advisory, or on tables."""
    return int(await admin.fetchval(_LOCKS))


class LockWatcher:
    """Polls the locks of other sessions every 20 ms, noting when they were last seen held."""

    def __init__(self, admin: asyncpg.Connection[Any]) -> None:
        self.admin = admin
        self.last_held = anyio.current_time()
        self.last_polled = self.last_held
        self._scope = anyio.CancelScope()
        self._stopped = anyio.Event()

    async def run(self) -> None:
        """Poll until :meth:`stop`."""
        with self._scope:
            while True:
                held = await locks_held(self.admin)
                self.last_polled = anyio.current_time()
                if held:
                    self.last_held = self.last_polled
                await anyio.sleep(0.02)
        self._stopped.set()

    async def stop(self) -> None:
        """Stop polling; the connection is free for other queries when this returns."""
        self._scope.cancel()
        await self._stopped.wait()

    @property
    def free(self) -> bool:
        """Whether the last poll saw no lock held."""
        return self.last_held < self.last_polled

    async def free_after(self, moment: float, within: float) -> bool:
        """Whether a poll after ``moment`` sees no lock held within ``within`` seconds."""
        with anyio.move_on_after(within):
            while self.last_polled <= moment or not self.free:  # noqa: ASYNC110 - polling
                await anyio.sleep(0.005)
            return True
        return False


async def run_trial(
    operation: Operation, trial: Trial, dsn: str, admin: asyncpg.Connection[Any]
) -> Outcome:
    """Run ``trial`` of ``operation`` on the database ``dsn`` and judge it."""
    outcome = Outcome(trial)
    await operation.prepare(admin)
    watcher = LockWatcher(admin)
    async with FaultProxy.around(dsn) as proxy, anyio.create_task_group() as group:
        group.start_soon(watcher.run)
        proxy.latency = trial.latency
        arm(proxy, operation, trial)
        client = PgClient(dsn=proxy.route(dsn), **POOL, **DEADLINES)
        started = anyio.current_time()
        with anyio.move_on_after(CALL_BOUND + 10) as guard:
            try:
                await operation.call(client)
            except Exception as error:
                outcome.error = error
        ended = anyio.current_time()
        outcome.elapsed = ended - started
        if guard.cancelled_caught:
            outcome.violations.append("the call did not end")
        elif outcome.elapsed > CALL_BOUND:
            outcome.violations.append(f"the call took {outcome.elapsed:.1f} s")
        with anyio.move_on_after(1.0):
            while watcher.last_polled <= ended:  # noqa: ASYNC110 - polling
                await anyio.sleep(0.005)
        held_at_end = not watcher.free
        await watcher.free_after(ended, LOCK_BOUND + 0.5)
        await watcher.stop()
        released = watcher.last_held if watcher.free else anyio.current_time()
        outcome.lock_release = max(0.0, released - ended)
        fired = proxy.fired
        if fired is not None:
            outcome.after_fault = ended - fired.at
            outcome.locks_after_fault = max(0.0, released - fired.at)
        if outcome.lock_release > LOCK_BOUND:
            if await locks_held(admin) and await admin.fetchval(_MID_MESSAGE):
                outcome.keepalive_bound = True
            else:
                outcome.violations.append(f"locks held {outcome.lock_release:.1f} s after the call")
        if fired is not None:
            phases = operation.phases(proxy.log)
            index = min(fired.message, len(phases)) - 1
            outcome.phase = phases[index] if index >= 0 else "connect"
        with anyio.move_on_after(5) as closing:
            await client.close()
        if closing.cancelled_caught:
            outcome.violations.append("PgClient.close() did not end")
    _check_error(outcome, trial, held_at_end)
    await operation.judge(admin, outcome)
    # The network is healthy again: the next call finishes the work.
    try:
        async with PgClient(dsn=dsn, **DEADLINES) as client:
            await operation.call(client)
    except Exception as error:
        outcome.violations.append(f"the next call failed: {type(error).__name__}: {error}")
    if not await operation.settled(admin):
        outcome.violations.append("the next call did not complete the work")
    return outcome


def _check_error(outcome: Outcome, trial: Trial, held_at_end: bool) -> None:
    error = outcome.error
    if error is None:
        return
    if not isinstance(error, LinkgressError):
        outcome.violations.append(f"not ours: {type(error).__name__}: {error}")
        return
    message = str(error)
    if "\n" in message:
        outcome.violations.append("a multi-line message")
    if "its locks with it" in message and held_at_end:
        outcome.violations.append("said the locks are gone, but they were held")
    if isinstance(error, ServerUnresponsiveError) and trial.kind.startswith("cut"):
        outcome.violations.append("a clean cut reported as an unresponsive server")


def positions(
    operation: Operation, logs: list[list[Message]], per_phase: int, rng: random.Random
) -> list[tuple[str, int]]:
    """``per_phase`` messages of each phase of the calibration ``logs``: (phase, index).

    An index counts the messages every run sends (see ``CACHE_DEPENDENT``) and is drawn from
    the part of a phase that every calibration run had.
    """
    counts = [
        Counter(
            phase
            for phase, message in zip(operation.phases(log), log, strict=True)
            if message.type not in CACHE_DEPENDENT
        )
        for log in logs
    ]
    sizes = {phase: min(count[phase] for count in counts) for phase in counts[0]}
    return [
        (phase, rng.randrange(size))
        for phase, size in sorted(sizes.items())
        for _ in range(per_phase)
    ]


async def calibrate(operation: Operation, dsn: str, admin: asyncpg.Connection[Any]) -> FaultProxy:
    """A clean run through the proxy: its message log and byte counts."""
    await operation.prepare(admin)
    async with (
        FaultProxy.around(dsn) as proxy,
        PgClient(dsn=proxy.route(dsn), **POOL, **DEADLINES) as client,
    ):
        await operation.call(client)
    return proxy


def plan_trials(
    operation: Operation, kind: str, calibrations: list[FaultProxy], rng: random.Random
) -> list[Trial]:
    """The trials of one scenario."""
    latencies = (0.0, 0.0, 0.002, 0.01)
    calibration = calibrations[0]
    if kind == "cut-bytes":
        trials = []
        for _ in range(BYTE_TRIALS * SCALE):
            direction = rng.choice(["up", "down", "both"])
            total = (
                calibration.bytes["up"] + calibration.bytes["down"]
                if direction == "both"
                else calibration.bytes[direction]
            )
            trials.append(
                Trial(
                    kind,
                    index=rng.randint(1, total),
                    direction=direction,
                    latency=rng.choice(latencies),
                )
            )
        return trials
    return [
        Trial(
            kind,
            phase,
            index,
            deliver=rng.random() < 0.5,
            reset=rng.random() < 0.5,
            latency=rng.choice(latencies),
        )
        for phase, index in positions(
            operation, [run.log for run in calibrations], PER_PHASE[kind] * SCALE, rng
        )
    ]


@define
class Scenario:
    """The outcomes of one scenario's trials, and what they add up to."""

    operation: str
    kind: str
    outcomes: list[Outcome] = field(factory=list)
    phases: set[str] = field(factory=set)

    def summary(self) -> str:
        """One line for the test log and docs/reliability.md."""
        violations = sum(len(o.violations) for o in self.outcomes)
        verdicts = Counter(o.verdict for o in self.outcomes)
        slowest = max((o.elapsed for o in self.outcomes), default=0.0)
        struck = [o for o in self.outcomes if o.after_fault is not None]
        ended = max((o.after_fault or 0.0 for o in struck), default=0.0)
        locks = max(
            (o.locks_after_fault or 0.0 for o in struck if not o.keepalive_bound), default=0.0
        )
        keepalive = sum(o.keepalive_bound for o in self.outcomes)
        hit = sorted({o.phase for o in self.outcomes})
        return (
            f"{self.operation} {self.kind}: {len(self.outcomes)} trials, {violations} "
            f"violations; longest call {slowest:.2f} s; after the fault: the call ended within "
            f"{ended:.2f} s, its locks were gone within {locks:.2f} s (mid-statement, "
            f"keepalive-bound: {keepalive}); outcomes {dict(sorted(verdicts.items()))}; "
            f"phases hit {hit}"
        )


async def run_scenario(
    operation: Operation,
    kind: str,
    databases: Callable[[], Awaitable[str]],
) -> Scenario:
    """Calibrate, plan and run one scenario's trials, ``WORKERS`` databases at a time."""
    rng = random.Random(f"{SEED}:{operation.name}:{kind}")
    dsns = [await databases() for _ in range(WORKERS)]
    admins = [await asyncpg.connect(dsn) for dsn in dsns]
    scenario = Scenario(operation.name, kind)
    try:
        if isinstance(operation, Migrate):
            await operation.fingerprints(admins[0], dsns[0])
        calibrations = [await calibrate(operation, dsns[0], admins[0]) for _ in range(3)]
        scenario.phases = set(operation.phases(calibrations[0].log))
        queue = plan_trials(operation, kind, calibrations, rng)

        async def worker(dsn: str, admin: asyncpg.Connection[Any]) -> None:
            while queue:
                trial = queue.pop()
                scenario.outcomes.append(await run_trial(operation, trial, dsn, admin))

        async with anyio.create_task_group() as group:
            for dsn, admin in zip(dsns, admins, strict=True):
                group.start_soon(worker, dsn, admin)
    finally:
        for admin in admins:
            await admin.close()
    return scenario
