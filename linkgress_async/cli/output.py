"""What the command line prints: plain text off a terminal, colour on one (unless NO_COLOR)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TextIO

__all__ = ["Output", "Progress", "colour_enabled"]

_RESET = "\033[0m"
_STYLES = {"red": "\033[31m", "green": "\033[32m", "yellow": "\033[33m", "bold": "\033[1m"}


def colour_enabled(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


class Output:
    """Lines for stdout (results) and stderr (notes, errors), styled when colour is enabled."""

    def __init__(self, stdout: TextIO, stderr: TextIO, environ: Mapping[str, str]) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self._colour_out = colour_enabled(stdout, environ)
        self._colour_err = colour_enabled(stderr, environ)

    def _style(self, text: str, style: str, *, err: bool = False) -> str:
        enabled = self._colour_err if err else self._colour_out
        return f"{_STYLES[style]}{text}{_RESET}" if enabled else text

    def line(self, text: str = "") -> None:
        """A line of results; the schema manager's plan lines come through here."""
        if "[DESTRUCTIVE]" in text or text.startswith("WARNING"):
            text = self._style(text, "yellow")
        print(text, file=self.stdout, flush=True)

    def write(self, text: str) -> None:
        """Text without a newline (a progress line being built)."""
        self.stdout.write(text)
        self.stdout.flush()

    def success(self, text: str) -> None:
        """A line saying something finished well."""
        print(self._style(text, "green"), file=self.stdout, flush=True)

    def note(self, text: str) -> None:
        """Information about how the command runs, on stderr so stdout stays parseable."""
        print(f"linkgress: {text}", file=self.stderr, flush=True)

    def error(self, text: str) -> None:
        """The one-line error report."""
        prefix = self._style("linkgress: error:", "red", err=True)
        print(f"{prefix} {text}", file=self.stderr, flush=True)

    def styled(self, text: str, style: str) -> str:
        """``text`` in ``style`` on stdout when colour is enabled."""
        return self._style(text, style)


_START = re.compile(r"(?P<verb>Applying|Reverting) (?P<file>.+) \.\.\.")
_DONE = re.compile(r"(?P<verb>Applied|Reverted) (?P<file>.+) in (?P<ms>\d+) ms")
_FAILED = re.compile(r"Failed to (apply|revert) (?P<file>[^:]+): ")


class Progress:
    """Turns the migration runner's log lines into "migration i of n: file ... ok (12 ms)".

    ``files`` are the files the run is expected to touch, in order; lines about other things
    (waiting for the lock, the summary) are passed through unchanged.
    """

    def __init__(self, output: Output, files: Sequence[str]) -> None:
        self.output = output
        self.files = list(files)
        self._open = False

    def log(self, message: str) -> None:
        """The runner's ``logger``."""
        if (start := _START.fullmatch(message)) and start["file"] in self.files:
            self._close("")
            number = self.files.index(start["file"]) + 1
            verb = "applying" if start["verb"] == "Applying" else "reverting"
            self.output.write(
                f"migration {number} of {len(self.files)}: {verb} {start['file']} ..."
            )
            self._open = True
            return
        if (done := _DONE.fullmatch(message)) and done["file"] in self.files and self._open:
            self._open = False
            self.output.line(f" {self.output.styled('ok', 'green')} ({done['ms']} ms)")
            return
        if _FAILED.match(message) and self._open:
            # The command reports the failure itself, as its one error line.
            self._close(" " + self.output.styled("FAILED", "red"))
            return
        self._close("")
        self.output.line(message)

    def _close(self, suffix: str) -> None:
        if self._open:
            self._open = False
            self.output.line(suffix)
