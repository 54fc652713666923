"""What an internal error looks like: one line and a crash log, exit code 3.

A CI job must tell "promptlint found problems" (1) and "you called it wrong" (2) from
"promptlint broke" (3), and a user should not have to read a traceback to know which. The
traceback goes to a file the one-line message names, written where the scanned tree is
not (the user's cache folder, else the temp folder), readable by the user only.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

EXIT_INTERNAL = 3


def _folders() -> list[Path]:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [Path(cache) / "promptlint" / "crashes", Path(tempfile.gettempdir())]


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def write_crash_log(exc: BaseException, argv: list[str] | None = None) -> Path | None:
    """The crash log's path, or None when no folder could take it."""
    from promptlint import __version__

    body = "".join([
        f"promptlint {__version__}\n",
        f"python {sys.version.split()[0]} ({platform.python_implementation()}) on {platform.platform()}\n",
        f"command: {' '.join(argv if argv is not None else sys.argv)}\n",
        f"cwd: {os.getcwd()}\n\n",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ])
    name = f"promptlint-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in _folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as handle:
                handle.write(body)
            return path
        except OSError:
            continue
    return None


def crash_message(exc: BaseException, log: Path | None) -> str:
    what = _one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    where = f"the details are in {log}" if log is not None else "no crash log could be written"
    return f"promptlint: internal error ({what}); this is a bug in promptlint, {where}"
