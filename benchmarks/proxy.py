"""A TCP proxy that adds one-way latency and counts round trips, for the latency benchmarks.

::

    async with LatencyProxy.around(dsn) as proxy:
        proxy.latency = 0.010                 # 10 ms each way, from now on
        before = proxy.snapshot()
        ...                                   # talk to proxy.route(dsn)
        spent = proxy.snapshot() - before     # round trips and messages of that work

A **round trip** is a burst of client-to-server bytes on one connection followed by a reply:
a connection's first client chunk after the server last spoke opens one. Pipelined messages
(Parse, Bind, Execute, Sync sent at once) therefore count once, as they cost one latency. The
client's side is read message by message (the frontend protocol: an untyped startup packet,
then a type byte and a length), so messages are also counted by type (``Sync``, ``Query``,
``Parse``...). Round trips are summed over every connection; ``deepest`` is the largest count
on a single connection, a lower bound of the latencies paid one after another.

Latency delays every chunk by ``latency`` seconds in each direction, keeping their order;
chunks in flight are not held back by each other (a link, not a queue of sleeps). The proxy
is meant to run in another process than the measured client (the benchmark harness runs it
while its child measures), so its own CPU is not counted against the client.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from attrs import frozen

__all__ = ["LatencyProxy", "Traffic"]

_TYPES = {
    b"Q": "Query",
    b"P": "Parse",
    b"B": "Bind",
    b"E": "Execute",
    b"S": "Sync",
    b"D": "Describe",
    b"C": "Close",
    b"H": "Flush",
    b"X": "Terminate",
}


@frozen
class Traffic:
    """Counts at one moment; subtracting two gives what happened in between."""

    round_trips: int
    deepest: int
    connections: int
    messages: dict[str, int]

    def __sub__(self, earlier: Traffic) -> Traffic:
        return Traffic(
            self.round_trips - earlier.round_trips,
            self.deepest,
            self.connections - earlier.connections,
            {k: v - earlier.messages.get(k, 0) for k, v in self.messages.items()},
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-ready counts."""
        return {
            "round_trips": self.round_trips,
            "deepest": self.deepest,
            "connections": self.connections,
            "messages": {k: v for k, v in sorted(self.messages.items()) if v},
        }


class _Connection:
    """One proxied connection's counters."""

    def __init__(self) -> None:
        self.round_trips = 0
        self.since_mark = 0
        self.replied = True
        self.started = False
        self.pending = b""


class LatencyProxy:
    """See the module documentation."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = 0
        self.latency = 0.0
        self.messages: Counter[str] = Counter()
        self.round_trips = 0
        self.connections = 0
        self._links: list[_Connection] = []

    @classmethod
    @asynccontextmanager
    async def around(cls, dsn: str) -> AsyncIterator[LatencyProxy]:
        """A proxy on a free port of 127.0.0.1 in front of the server of the URL ``dsn``
        (TCP, or a unix socket directory given as ``?host=/dir&port=N``)."""
        parts = urlsplit(dsn)
        query = dict(parse_qsl(parts.query))
        proxy = cls(
            query.get("host") or parts.hostname or "127.0.0.1",
            int(query.get("port") or parts.port or 5432),
        )
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        proxy.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with listener, anyio.create_task_group() as group:
            group.start_soon(listener.serve, proxy._handle, group)
            try:
                yield proxy
            finally:
                group.cancel_scope.cancel()

    def route(self, dsn: str) -> str:
        """``dsn`` with its host and port replaced by the proxy's."""
        parts = urlsplit(dsn)
        userinfo, at, _ = parts.netloc.rpartition("@")
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("host", "port")]
        return urlunsplit(
            parts._replace(netloc=f"{userinfo}{at}127.0.0.1:{self.port}", query=urlencode(query))
        )

    def snapshot(self) -> Traffic:
        """The counts so far; ``deepest`` counts from the previous snapshot."""
        deepest = max((link.since_mark for link in self._links), default=0)
        for link in self._links:
            link.since_mark = 0
        return Traffic(self.round_trips, deepest, self.connections, dict(self.messages))

    async def _handle(self, client: anyio.abc.SocketStream) -> None:
        link = _Connection()
        self._links.append(link)
        self.connections += 1
        host, port = self.upstream
        if host.startswith("/"):
            server: anyio.abc.SocketStream = await anyio.connect_unix(f"{host}/.s.PGSQL.{port}")
        else:
            server = await anyio.connect_tcp(host, port)
        async with client, server, anyio.create_task_group() as group:
            group.start_soon(self._pump, client, server, link, True, group.cancel_scope)
            group.start_soon(self._pump, server, client, link, False, group.cancel_scope)

    async def _pump(
        self,
        source: anyio.abc.SocketStream,
        sink: anyio.abc.SocketStream,
        link: _Connection,
        up: bool,
        scope: anyio.CancelScope,
    ) -> None:
        """Forward one direction, each chunk ``latency`` after it was read."""
        send: MemoryObjectSendStream[tuple[float, bytes]]
        receive: MemoryObjectReceiveStream[tuple[float, bytes]]
        send, receive = anyio.create_memory_object_stream(10_000)

        async def deliver() -> None:
            async for due, chunk in receive:
                delay = due - anyio.current_time()
                if delay > 0:
                    await anyio.sleep(delay)
                await sink.send(chunk)

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(deliver)
                async with send:
                    while True:
                        try:
                            chunk = await source.receive()
                        except (anyio.EndOfStream, anyio.BrokenResourceError):
                            break
                        self._count(link, chunk, up)
                        await send.send((anyio.current_time() + self.latency, chunk))
        finally:
            scope.cancel()

    def _count(self, link: _Connection, chunk: bytes, up: bool) -> None:
        if not up:
            link.replied = True
            return
        if link.replied:
            link.replied = False
            link.round_trips += 1
            link.since_mark += 1
            self.round_trips += 1
        data = link.pending + chunk
        offset = 0
        while True:
            if not link.started:
                if len(data) - offset < 8:
                    break
                (length,) = struct.unpack_from("!i", data, offset)
                if len(data) - offset < length:
                    break
                (code,) = struct.unpack_from("!i", data, offset + 4)
                # An SSL or GSS request is answered by one byte, then comes the real startup.
                if code not in (80877103, 80877104):
                    link.started = True
                self.messages["Startup"] += 1
                offset += length
                continue
            if len(data) - offset < 5:
                break
            kind = data[offset : offset + 1]
            (length,) = struct.unpack_from("!i", data, offset + 1)
            if len(data) - offset < 1 + length:
                break
            self.messages[_TYPES.get(kind, "Other")] += 1
            offset += 1 + length
        link.pending = data[offset:]
