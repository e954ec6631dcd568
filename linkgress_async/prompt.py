"""A yes/no question on the terminal that neither blocks the event loop nor outlives a Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["ask", "confirmed", "confirmed_by", "waiting_for_input"]

Item = TypeVar("Item")

# Prompt threads still blocked in input(); see waiting_for_input().
_reading: set[threading.Thread] = set()


def waiting_for_input() -> bool:
    """Whether a prompt thread is still blocked reading stdin.

    Such a thread holds stdin's buffer lock, and the interpreter aborts (SIGABRT) when it
    finalizes while another thread holds it: a command interrupted at a prompt must leave
    with ``os._exit`` instead.
    """
    return any(thread.is_alive() for thread in _reading)


async def ask(question: str) -> str:
    """``input(question)`` in a thread; end of input reads as an empty answer.

    A daemon thread of its own rather than a worker thread: when the prompt is cancelled
    (Ctrl-C) the call returns at once, and the process can exit while ``input()`` still
    waits for a line, which no thread pool would let it do.
    """
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def deliver(reply: str) -> None:
        if not answer.done():
            answer.set_result(reply)

    def read() -> None:
        try:
            reply = input(question)
        except (EOFError, OSError, ValueError):
            reply = ""
        finally:
            _reading.discard(threading.current_thread())
        # RuntimeError: the event loop is gone, so nobody waits for the answer any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(deliver, reply)

    thread = threading.Thread(target=read, name="linkgress prompt", daemon=True)
    _reading.add(thread)
    thread.start()
    return await answer


async def confirmed(question: str) -> bool:
    """Whether the answer to ``question (yes/no): `` is yes."""
    reply = await ask(question + " (yes/no): ")
    return reply.strip().lower() in ("y", "yes")


async def confirmed_by(
    items: list[Item],
    interactive: bool | None,
    confirm: Callable[[list[Item]], bool | Awaitable[bool]] | None,
    question: str,
) -> bool:
    """Whether risky ``items`` may go ahead: ``confirm`` decides when given (sync or async);
    else the terminal is asked when interactive (default: stdin is a terminal); else no."""
    if confirm is not None:
        answer = confirm(items)
        if inspect.isawaitable(answer):
            answer = await answer
        return bool(answer)
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    if not interactive:
        return False
    return await confirmed(question)
