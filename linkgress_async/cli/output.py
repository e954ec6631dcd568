"""What the command line prints: plain text off a terminal, colour on one (unless NO_COLOR)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TextIO

__all__ = ["Output", "Progress", "cli_hints", "colour_enabled"]

# The library's errors name its Python keywords; on the command line, the flags that do it.
_HINTS = (
    (
        re.compile(r"pass allow_destructive=True, a confirm= callback, or run interactively"),
        "rerun with --yes (or answer the prompt on a terminal)",
    ),
    (re.compile(r"pass allow_out_of_order=True"), "rerun with --allow-out-of-order"),
    (re.compile(r"run with accept_changed=True"), "rerun with --accept-changed"),
    (
        re.compile(
            r"call MigrationRunner\.resolve\('(?P<file>[^']+)', applied=True\) if it is "
            r"(?P<now>now )?fully applied, or applied=False"
        ),
        r"run `linkgress resolve \g<file> --applied` if it is \g<now>fully applied, or "
        r"--not-applied",
    ),
    (
        re.compile(r"Ask for at most (\d+), or use --to/to= to name"),
        r"Ask for at most \1, or use --to to name",
    ),
)


# "  3. Drop column 'notes.body'  [DESTRUCTIVE]": a numbered step of a plan.
_PLAN_STEP = re.compile(r" +\d+\. (?P<what>.+)")
_ADDS = ("Create", "Add")
_DROPS = ("Drop",)


def cli_hints(text: str) -> str:
    """``text`` with the library's Python keywords replaced by the command line's flags."""
    for pattern, replacement in _HINTS:
        text = pattern.sub(replacement, text)
    return text


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
        """A line of results; the schema manager's plan lines come through here, and on a
        terminal what a plan adds is green, what it drops red, what deletes data bold."""
        if (step := _PLAN_STEP.match(text)) is not None:
            text = self._plan_step(text, step["what"])
        elif text.startswith("WARNING"):
            text = self._style(text, "yellow")
        print(text, file=self.stdout, flush=True)

    def _plan_step(self, text: str, what: str) -> str:
        if what.startswith(_ADDS):
            text = self._style(text, "green")
        elif what.startswith(_DROPS):
            text = self._style(text, "red")
        if "[DESTRUCTIVE]" in what:
            text = self._style(text, "bold")
        return text

    def json(self, document: object) -> None:
        """One JSON document on stdout, never styled."""
        print(json.dumps(document, indent=2, default=str), file=self.stdout, flush=True)

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
