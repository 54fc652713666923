"""The terminal: whether to colour, the colours, and a progress line on long scans.

Colour follows the conventions other tools follow: ``--color always|never`` decides;
otherwise ``NO_COLOR`` (any value) turns it off and ``FORCE_COLOR`` (any value but ``0``)
on; otherwise colour when the output is a terminal. Colour codes wrap pieces that are
already escaped for display, so nothing from a scanned file can add its own.

Progress goes to stderr, only when stderr is a terminal, and only once a scan has run
for a second: a quick run prints nothing extra, a 15-second scan says what it is doing.
Stages report through :func:`progress`, which does nothing when no line is being shown.
"""

from __future__ import annotations

import contextvars
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Iterator

COLOR_CHOICES = ("auto", "always", "never")

_CODES = {
    "bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
}
# What each part of a report is drawn with (ruff's choices where it has the part).
ROLES = {
    "path": "bold", "sep": "cyan", "error": "red bold", "warning": "yellow bold", "info": "blue bold",
    "name": "dim", "usd": "green", "exposure": "magenta", "fix": "cyan", "ok": "green bold", "fail": "red bold",
    "gutter": "blue bold", "caret": "red bold", "heading": "bold",
}


def wants_color(choice: str, stream: IO | None, environ=None) -> bool:
    env = os.environ if environ is None else environ
    if choice == "always":
        return True
    if choice == "never":
        return False
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    try:
        return bool(stream is not None and stream.isatty()) and env.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


@dataclass(frozen=True)
class Palette:
    enabled: bool = False

    def __call__(self, role: str, text: str) -> str:
        if not self.enabled or not text:
            return text
        codes = ";".join(_CODES[c] for c in ROLES.get(role, role).split())
        return f"\x1b[{codes}m{text}\x1b[0m"


PLAIN = Palette(False)


class Progress:
    """One status line on a terminal, redrawn at most ten times a second."""

    def __init__(self, stream: IO, delay: float = 1.0, clock=time.monotonic) -> None:
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.label = ""
        self.done = 0
        self.total: int | None = None
        self.drawn = 0.0
        self.visible = False

    def phase(self, label: str, total: int | None = None) -> None:
        self.label, self.done, self.total = label, 0, total
        self._draw(force=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._draw()

    def _draw(self, force: bool = False) -> None:
        now = self.clock()
        if now - self.started < self.delay or (not force and now - self.drawn < 0.1):
            return
        self.drawn = now
        if self.total:
            width = 24
            filled = min(width, self.done * width // self.total)
            bar = "#" * filled + "." * (width - filled)
            text = f"promptlint: {self.label} [{bar}] {self.done:,}/{self.total:,}"
        else:
            text = f"promptlint: {self.label}..."
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self.visible = True

    def close(self) -> None:
        if self.visible:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.visible = False


class _Silent:
    def phase(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


_SILENT = _Silent()
_current: contextvars.ContextVar = contextvars.ContextVar("promptlint_progress", default=_SILENT)


def progress():
    """The progress line of this run (one that draws nothing when none is shown)."""
    return _current.get()


@contextmanager
def showing_progress(enabled: bool, stream: IO | None = None) -> Iterator[None]:
    """Report progress on ``stream`` (stderr) while the block runs, when ``enabled`` and
    the stream is a terminal."""
    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not (enabled and tty):
        yield
        return
    line = Progress(stream)
    token = _current.set(line)
    try:
        yield
    finally:
        line.close()
        _current.reset(token)
