"""A fault-injecting TCP proxy between a PostgreSQL client and its server, for tests and
benchmarks.

::

    async with FaultProxy.start("127.0.0.1", 5432) as proxy:
        client = PgClient(dsn=proxy.route(dsn))       # the same DSN, through the proxy
        proxy.latency = 0.02                          # 20 ms each way from now on
        proxy.swallow_reply_to(12)                    # the 12th client message gets no reply
        ...
        proxy.counts["Sync"], proxy.counts["Query"]   # client->server messages by type

The proxy listens on a free port of 127.0.0.1 in the running event loop and forwards each
connection to the server. It reads the client's side message by message (the PostgreSQL
frontend protocol: an untyped startup packet, then a type byte and a length), so it counts
them by type (``proxy.counts``; ``proxy.sequence`` numbers them across all connections,
1-based) and can act at an exact message. The server's side is forwarded as it comes.

Faults, one armed at a time (arming one replaces the last); ``proxy.fired`` says whether and
where it struck. A message is chosen by its number, or by a predicate that sees each client
:class:`Message` in order (``lambda m: "COMMIT" in m.sql``) and strikes at the first match:

* ``cut_at_message(n, deliver=False)``: close the connection carrying message ``n``,
  before it reaches the server, or right after (``deliver=True``: the server gets it, the
  client never gets the answer). The close is a TCP reset unless ``reset=False``.
* ``cut_after_bytes(n, direction)``: close the connection on which the ``n``-th byte
  (counted from arming, over every connection) goes ``"up"`` (client to server), ``"down"``
  or either way (``"both"``); the bytes before it are delivered.
* ``blackhole_at_message(n, deliver=False)`` / ``blackhole()``: from message ``n`` (or now;
  ``deliver=True``: right after message ``n`` reached the server) on, nothing
  reaches the other side of any connection, new connections are accepted and then ignored,
  and nothing is closed: a network partition whose packets vanish. Sockets stay open, so the
  server notices nothing; only its own timeouts can end its sessions.
* ``swallow_reply_to(n)``: message ``n`` reaches the server, but nothing the server sends on
  that connection afterwards reaches the client (a lost reply); other connections work.

``latency`` delays every chunk by that many seconds in each direction (order is kept).
``pooler_keys = True`` makes the proxy hand each new connection key data of its own, as a
connection pooler (PgBouncer) does: the BackendKeyData's pid is no server session's (it
maps a CancelRequest back, as a pooler does).
``log`` keeps every client message (number, connection, type, and the SQL of a Query or
Parse), and ``bytes`` the bytes forwarded ``"up"`` and ``"down"``.
``heal()`` disarms the fault for new traffic; connections already cut or blackholed stay so.
TLS is not understood: connect without it (the proxy answers an SSL request the way a server
without TLS does, by forwarding the server's refusal).
"""

from __future__ import annotations

import math
import socket
import struct
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Literal, TypeAlias
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from attrs import define, field, frozen

__all__ = ["MESSAGE_TYPES", "FaultProxy", "Fired", "Message"]

# Frontend (client to server) message type bytes, by name.
MESSAGE_TYPES: dict[bytes, str] = {
    b"Q": "Query",
    b"P": "Parse",
    b"B": "Bind",
    b"E": "Execute",
    b"S": "Sync",
    b"D": "Describe",
    b"C": "Close",
    b"H": "Flush",
    b"X": "Terminate",
    b"p": "Password",
    b"d": "CopyData",
    b"c": "CopyDone",
    b"f": "CopyFail",
    b"F": "FunctionCall",
}
_STARTUP_CODES = {80877103: "SSLRequest", 80877104: "GSSENCRequest", 80877102: "CancelRequest"}

Direction = Literal["up", "down", "both"]


@frozen
class Message:
    """One client message: its number (over all connections), connection, type and SQL."""

    sequence: int
    connection: int
    type: str
    sql: str = ""


Which: TypeAlias = "int | Callable[[Message], bool]"
"""A client message: its number, or a predicate (the first message it accepts)."""


@frozen
class _Armed:
    kind: str
    match: Callable[[Message], bool]
    direction: Direction = "both"


@frozen
class Fired:
    """Where and when the armed fault struck: the message (or byte), its connection, and
    ``anyio.current_time()`` then."""

    kind: str
    connection: int
    message: int
    message_type: str
    at: float = field(factory=anyio.current_time)


@define
class _Link:
    """One proxied connection."""

    number: int
    client: anyio.abc.SocketStream
    server: anyio.abc.SocketStream | None = None
    muted: bool = False
    """Server bytes are dropped (a swallowed reply, or a blackhole)."""
    dead: bool = False
    """Nothing is forwarded any more in either direction (blackholed)."""
    closed: bool = False
    scope: anyio.CancelScope = field(factory=anyio.CancelScope)
    answers_due: int = 0
    """One-byte answers to SSL or GSS encryption requests the server still owes."""
    startup: bytes = b""
    """Server bytes of the startup held back until whole (``pooler_keys``)."""
    started: bool = False
    """Past the server's first ReadyForQuery: its bytes go on as they come."""


class FaultProxy:
    """A TCP proxy that counts PostgreSQL messages and injects faults (see the module doc)."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.host = "127.0.0.1"
        self.port = 0
        self.latency = 0.0
        self.counts: Counter[str] = Counter()
        """Client-to-server messages by type ("Query", "Parse", "Sync", "StartupMessage"...)."""
        self.sequence = 0
        """Client messages seen so far, over every connection (the last one's number)."""
        self.connections = 0
        self.fired: Fired | None = None
        self.log: list[Message] = []
        """Every client message, in order (see :class:`Message`)."""
        self.bytes: Counter[str] = Counter()
        """Bytes forwarded "up" (client to server) and "down"."""
        self.pooler_keys = False
        """Give new connections key data of the proxy's own, as a pooler does."""
        self._real_pids: dict[int, int] = {}
        self._fault: _Armed | None = None
        self._bytes_left = 0
        self._blackholed = False
        self._links: list[_Link] = []

    # --- life cycle ------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def start(cls, host: str, port: int) -> AsyncIterator[FaultProxy]:
        """Listen on a free port of 127.0.0.1 until the block ends, then close everything."""
        proxy = cls(host, port)
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        proxy.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with listener, anyio.create_task_group() as group:
            group.start_soon(listener.serve, proxy._handle, group)
            try:
                yield proxy
            finally:
                group.cancel_scope.cancel()
                with anyio.CancelScope(shield=True):
                    for link in proxy._links:
                        await proxy._close(link, reset=False)

    @classmethod
    @asynccontextmanager
    async def around(cls, dsn: str) -> AsyncIterator[FaultProxy]:
        """A proxy in front of the server of the URL ``dsn`` (over TCP, or a unix socket
        directory given as ``?host=/dir&port=N``, as the local servers hand out)."""
        parts = urlsplit(dsn)
        query = dict(parse_qsl(parts.query))
        host = query.get("host") or parts.hostname or "127.0.0.1"
        port = int(query.get("port") or parts.port or 5432)
        async with cls.start(host, port) as proxy:
            yield proxy

    def route(self, dsn: str) -> str:
        """``dsn`` (a URL) with its host and port replaced by the proxy's (TCP)."""
        parts = urlsplit(dsn)
        userinfo, at, _ = parts.netloc.rpartition("@")
        netloc = f"{userinfo}{at}{self.host}:{self.port}"
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("host", "port")]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))

    # --- faults ----------------------------------------------------------------------------

    def cut_at_message(self, n: Which, *, deliver: bool = False, reset: bool = True) -> None:
        """Close the connection of client message ``n``, before or after delivering it."""
        self._arm(("cut-after" if deliver else "cut-before") + ("" if reset else "-fin"), n)

    def cut_after_bytes(self, n: int, direction: Direction = "both") -> None:
        """Close the connection that carries the ``n``-th byte (from now) in ``direction``."""
        self._arm("cut-bytes", 0, direction)
        self._bytes_left = n

    def blackhole_at_message(self, n: Which, *, deliver: bool = False) -> None:
        """From client message ``n`` on, forward nothing anywhere (``deliver``: nothing after
        message ``n``, which reaches the server)."""
        self._arm("blackhole-after" if deliver else "blackhole", n)

    def blackhole(self) -> None:
        """Forward nothing from now on, on every connection and on new ones."""
        self._strike_blackhole(None, "now")

    def swallow_reply_to(self, n: Which) -> None:
        """Deliver client message ``n``, then drop whatever the server sends on its connection."""
        self._arm("swallow", n)

    def heal(self) -> None:
        """Disarm: new connections and traffic flow again (cut or dead links stay so)."""
        self._fault = None
        self._blackholed = False

    def reset_counts(self) -> None:
        """Forget the message counts (the sequence numbering goes on)."""
        self.counts.clear()

    @property
    def round_trips(self) -> int:
        """Client messages that wait for the server: Sync (extended protocol) and Query."""
        return self.counts["Sync"] + self.counts["Query"]

    def _arm(self, kind: str, n: Which, direction: Direction = "both") -> None:
        self.fired = None
        if isinstance(n, int):
            number = n
            if kind.startswith("blackhole"):
                self._fault = _Armed(kind, lambda m: m.sequence >= number, direction)
            else:
                self._fault = _Armed(kind, lambda m: m.sequence == number, direction)
        else:
            self._fault = _Armed(kind, n, direction)

    def _strike_blackhole(self, link: _Link | None, what: str) -> None:
        self._blackholed = True
        for each in self._links:
            each.dead = each.muted = True
        self.fired = Fired("blackhole", link.number if link else 0, self.sequence, what)
        self._fault = None

    # --- forwarding ------------------------------------------------------------------------

    async def _handle(self, client: anyio.abc.SocketStream) -> None:
        self.connections += 1
        link = _Link(self.connections, client)
        self._links.append(link)
        if self._blackholed:
            # A partition: the connection is accepted (by something) and then nothing happens.
            link.dead = link.muted = True
            await anyio.sleep_forever()
        try:
            host, port = self.upstream
            if host.startswith("/"):
                link.server = await anyio.connect_unix(f"{host}/.s.PGSQL.{port}")
            else:
                link.server = await anyio.connect_tcp(host, port)
        except OSError:
            await self._close(link, reset=True)
            return
        with link.scope:
            async with anyio.create_task_group() as group:
                up_send, up_receive = anyio.create_memory_object_stream[tuple[float, bytes]](
                    math.inf
                )
                down_send, down_receive = anyio.create_memory_object_stream[tuple[float, bytes]](
                    math.inf
                )
                group.start_soon(self._read_client, link, up_send)
                group.start_soon(self._write, link, up_receive, link.server, False)
                group.start_soon(self._read_server, link, down_send)
                group.start_soon(self._write, link, down_receive, link.client, True)
        await self._close(link, reset=False)

    async def _read_client(
        self, link: _Link, out: MemoryObjectSendStream[tuple[float, bytes]]
    ) -> None:
        buffer = b""
        startup = True
        async with out:
            while True:
                try:
                    chunk = await link.client.receive()
                except (
                    anyio.EndOfStream,
                    anyio.BrokenResourceError,
                    anyio.ClosedResourceError,
                    OSError,
                ):
                    return
                buffer += chunk
                while True:
                    message, buffer, name = _split_frontend(buffer, startup)
                    if message is None:
                        break
                    if name == "StartupMessage":
                        startup = False
                    elif name in ("SSLRequest", "GSSENCRequest"):
                        link.answers_due += 1
                    elif name == "CancelRequest" and len(message) == 16:
                        (pid,) = struct.unpack("!i", message[8:12])
                        real = self._real_pids.get(pid, pid)
                        message = message[:8] + struct.pack("!i", real) + message[12:]
                    if not await self._client_message(link, message, name, out):
                        return

    async def _client_message(
        self,
        link: _Link,
        message: bytes,
        name: str,
        out: MemoryObjectSendStream[tuple[float, bytes]],
    ) -> bool:
        """Count and forward one client message, striking the armed fault; False: stop."""
        self.sequence += 1
        self.counts[name] += 1
        logged = Message(self.sequence, link.number, name, _sql(message, name))
        self.log.append(logged)
        fault = self._fault
        strikes = fault is not None and fault.kind != "cut-bytes" and fault.match(logged)
        if strikes and fault is not None and fault.kind == "blackhole":
            self._strike_blackhole(link, name)
        if link.dead:
            return True
        if strikes and fault is not None and fault.kind == "blackhole-after":
            await out.send((self._due(), message))
            self.bytes["up"] += len(message)
            self._strike_blackhole(link, name)
            return True
        if strikes and fault is not None:
            kind = fault.kind
            if kind.startswith("cut-before"):
                self._fire(kind, link, name)
                await self._close(link, reset=not kind.endswith("-fin"))
                return False
            if kind.startswith("cut-after"):
                await out.send((self._due(), message))
                self.bytes["up"] += len(message)
                self._fire(kind, link, name)
                await anyio.sleep(self.latency + 0.001)
                await self._close(link, reset=not kind.endswith("-fin"))
                return False
            if kind == "swallow":
                await out.send((self._due(), message))
                self.bytes["up"] += len(message)
                link.muted = True
                self._fire(kind, link, name)
                return True
        return await self._send_counting(link, message, "up", out, name)

    async def _read_server(
        self, link: _Link, out: MemoryObjectSendStream[tuple[float, bytes]]
    ) -> None:
        assert link.server is not None
        async with out:
            while True:
                try:
                    chunk = await link.server.receive()
                except (
                    anyio.EndOfStream,
                    anyio.BrokenResourceError,
                    anyio.ClosedResourceError,
                    OSError,
                ):
                    return
                if link.muted or link.dead:
                    continue
                if self.pooler_keys and not link.started:
                    chunk = self._with_pooler_keys(link, chunk)
                    if not chunk:
                        continue
                if not await self._send_counting(link, chunk, "down", out, "server data"):
                    return

    async def _send_counting(
        self,
        link: _Link,
        data: bytes,
        direction: Literal["up", "down"],
        out: MemoryObjectSendStream[tuple[float, bytes]],
        name: str,
    ) -> bool:
        fault = self._fault
        if (
            fault is not None
            and fault.kind == "cut-bytes"
            and fault.direction in (direction, "both")
        ):
            if len(data) >= self._bytes_left:
                head = data[: self._bytes_left - 1]
                if head:
                    await out.send((self._due(), head))
                self._fire("cut-bytes", link, name)
                await anyio.sleep(self.latency + 0.001)
                await self._close(link, reset=True)
                return False
            self._bytes_left -= len(data)
        await out.send((self._due(), data))
        self.bytes[direction] += len(data)
        return True

    async def _write(
        self,
        link: _Link,
        source: MemoryObjectReceiveStream[tuple[float, bytes]],
        target: anyio.abc.SocketStream,
        downstream: bool,
    ) -> None:
        """Deliver ``source`` to ``target`` on time; at its end (one side closed), close
        the link, unless a partition or a swallowed reply hides the close from the client."""
        async with source:
            async for due, data in source:
                delay = due - anyio.current_time()
                if delay > 0:
                    await anyio.sleep(delay)
                if link.dead:
                    continue
                try:
                    await target.send(data)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                    break
        if not link.dead and not (downstream and link.muted):
            link.scope.cancel()

    def _with_pooler_keys(self, link: _Link, chunk: bytes) -> bytes:
        """The whole startup messages of ``chunk`` (with what was held back), a
        BackendKeyData's pid replaced by one no server session has."""
        link.startup += chunk
        ready = b""
        while not link.started:
            if link.answers_due:
                if not link.startup:
                    break
                ready, link.startup = ready + link.startup[:1], link.startup[1:]
                link.answers_due -= 1
                continue
            if len(link.startup) < 5:
                break
            (length,) = struct.unpack("!i", link.startup[1:5])
            if len(link.startup) < length + 1:
                break
            message, link.startup = link.startup[: length + 1], link.startup[length + 1 :]
            if message[:1] == b"K":
                (real,) = struct.unpack("!i", message[5:9])
                # Above any pid_max: no server session can have it.
                fake = 2**31 - 1 - link.number
                self._real_pids[fake] = real
                message = message[:5] + struct.pack("!i", fake) + message[9:]
            elif message[:1] == b"Z":
                link.started = True
            ready += message
        if link.started:
            ready, link.startup = ready + link.startup, b""
        return ready

    def _due(self) -> float:
        return anyio.current_time() + self.latency

    def _fire(self, kind: str, link: _Link, name: str) -> None:
        self.fired = Fired(kind, link.number, self.sequence, name)
        self._fault = None

    async def _close(self, link: _Link, *, reset: bool) -> None:
        if link.closed:
            return
        link.closed = True
        link.scope.cancel()
        for stream in (link.client, link.server):
            if stream is None:
                continue
            if reset:
                raw = stream.extra(anyio.abc.SocketAttribute.raw_socket)
                # Linger 0: close() sends a reset instead of a FIN.
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with anyio.CancelScope(shield=True):
                await stream.aclose()


def _sql(message: bytes, name: str) -> str:
    """The SQL text of a Query or Parse message (empty for other types)."""
    if name == "Query":
        return message[5:].split(b"\0", 1)[0].decode("utf-8", "replace")
    if name == "Parse":
        parts = message[5:].split(b"\0", 2)
        return parts[1].decode("utf-8", "replace") if len(parts) > 1 else ""
    return ""


def _split_frontend(buffer: bytes, startup: bool) -> tuple[bytes | None, bytes, str]:
    """The first complete client message of ``buffer``, the rest, and the message's name."""
    if startup:
        if len(buffer) < 8:
            return None, buffer, ""
        (length,) = struct.unpack("!i", buffer[:4])
        if len(buffer) < length:
            return None, buffer, ""
        (code,) = struct.unpack("!i", buffer[4:8])
        return buffer[:length], buffer[length:], _STARTUP_CODES.get(code, "StartupMessage")
    if len(buffer) < 5:
        return None, buffer, ""
    (length,) = struct.unpack("!i", buffer[1:5])
    if len(buffer) < length + 1:
        return None, buffer, ""
    kind = buffer[:1]
    return buffer[: length + 1], buffer[length + 1 :], MESSAGE_TYPES.get(kind, repr(kind))
