"""The runner's logger callback, with an optional log level.

A logger written ``def log(message)`` (or ``print``) keeps working; one that declares a
``level`` parameter is also told how the message matters, in Linkgress'
words: ``"info"``, ``"warn"`` or ``"error"``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Literal

__all__ = ["LogLevel", "call_logger", "takes_level"]

LogLevel = Literal["info", "warn", "error"]


def takes_level(logger: Callable[..., object]) -> bool:
    """Whether ``logger`` declares a ``level`` parameter."""
    try:
        parameters = inspect.signature(logger).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: call it the plain way
        return False
    # By name only: ``**kwargs`` is not enough, since ``logging.getLogger(...).info`` takes
    # them and hands them to ``Logger._log``, which has a ``level`` of its own.
    return any(
        parameter.name == "level"
        and parameter.kind
        in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        for parameter in parameters
    )


def call_logger(logger: Callable[..., object], message: str, level: LogLevel = "info") -> None:
    """Give ``message`` to ``logger``, with ``level=`` when its signature takes it."""
    if takes_level(logger):
        logger(message, level=level)
    else:
        logger(message)
