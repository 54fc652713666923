"""Where a fix run keeps its temp files and backups: never beside the files it edits.

A file is written to a temp file first and then swapped in. A temp file beside its
target outlives a ``kill -9`` and is then committed by the next ``git add -A``, so temp
files live in the run's own folder ``<cache folder>/fix/run-<pid>-<hex>/``: the cache
folder carries its own ``.gitignore`` (``*``) and ``CACHEDIR.TAG``, and it sits under the
project root, so it is usually on the same filesystem as the files (the writer checks).

A run holds an exclusive lock on its folder's ``lock`` file for as long as it lives; the
lock dies with the process. The next run removes every run folder whose lock it can take
(its run was killed). A backup of a file written in place is looked at first: when the
file holds neither its content from before nor the one being written, the write did not
finish, and the backup is kept under ``fix/interrupted/`` and reported.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
import shutil
import time
from pathlib import Path

from promptlint.cache import mark_cache_folder

try:  # POSIX; elsewhere a run folder is stale once it is a day old
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

STALE_SECONDS = 24 * 3600


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Scratch:
    """The scratch folder of one fix run; ``with Scratch(cache_folder) as scratch:``."""

    def __init__(self, cache_folder: Path) -> None:
        self.cache_folder = cache_folder
        self.base = cache_folder / "fix"
        self.folder: Path | None = None
        self._lock: int | None = None
        self._numbers = itertools.count(1)  # next() of a count is atomic: writers may be threads
        self.notices: list[str] = []  # backups of writes an earlier run did not finish

    def __enter__(self) -> "Scratch":
        mark_cache_folder(self.cache_folder)
        self.base.mkdir(exist_ok=True)
        self.notices = self._clean()
        folder = self.base / f"run-{os.getpid()}-{secrets.token_hex(4)}"
        folder.mkdir(mode=0o700)
        self._lock = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is not None:
            fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.folder = folder
        return self

    def __exit__(self, *exc) -> None:
        folder, self.folder = self.folder, None
        if folder is None:
            return
        for backup in sorted(folder.glob("backup-*")):  # a write cut short by an exception
            notice = _unfinished(backup, self.base / "interrupted" / f"{folder.name}-{backup.name}")
            if notice:
                self.notices.append(notice)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        shutil.rmtree(folder, ignore_errors=True)

    def keep(self, backup: Path) -> Path:
        """Move a backup out of the run folder, to be kept: where it is now."""
        assert self.folder is not None
        interrupted = self.base / "interrupted"
        interrupted.mkdir(exist_ok=True)
        final = interrupted / f"{self.folder.name}-{backup.name}"
        os.replace(backup, final)
        return final

    def discard(self, backup: Path) -> None:
        backup.unlink(missing_ok=True)

    def device(self) -> int:
        assert self.folder is not None
        return os.stat(self.folder).st_dev

    def temp(self) -> tuple[int, Path]:
        """A new empty file only this user can read (its final mode is set before any
        byte is written): its descriptor and path."""
        assert self.folder is not None
        path = self.folder / f"{next(self._numbers)}.tmp"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        return fd, path

    def backup(self, target: Path, before: bytes, after: bytes) -> Path:
        """A durable copy of ``before``, taken before ``target`` is overwritten in place."""
        fd, path = self.temp()
        header = json.dumps({"path": str(target), "before": sha256(before), "after": sha256(after)})
        try:
            write_all(fd, header.encode("utf-8") + b"\n" + before)
            os.fsync(fd)
        finally:
            os.close(fd)
        final = path.with_name(f"backup-{path.stem}")
        os.replace(path, final)
        return final

    def _clean(self) -> list[str]:
        """Remove the folders of runs that died; report backups of unfinished writes."""
        notices = []
        for folder in sorted(self.base.glob("run-*")):
            if not folder.is_dir() or not _abandoned(folder):
                continue
            for backup in sorted(folder.glob("backup-*")):
                notice = _unfinished(backup, self.base / "interrupted" / f"{folder.name}-{backup.name}")
                if notice:
                    notices.append(notice)
            shutil.rmtree(folder, ignore_errors=True)
        return notices


def _abandoned(folder: Path) -> bool:
    """Whether the run that made ``folder`` is gone (its lock is free)."""
    if fcntl is None:  # pragma: no cover - Windows
        try:
            return time.time() - folder.stat().st_mtime > STALE_SECONDS
        except OSError:
            return False
    try:
        fd = os.open(folder / "lock", os.O_RDWR)
    except FileNotFoundError:  # killed before it took the lock, or a stray folder
        try:
            return time.time() - folder.stat().st_mtime > 60
        except OSError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _unfinished(backup: Path, keep: Path) -> str | None:
    """None when the backed-up file holds its old or its new content (the write never
    started or finished); else the backup is moved to ``keep`` and reported."""
    try:
        with open(backup, "rb") as handle:
            header = json.loads(handle.readline())
        target = Path(header["path"])
        current = sha256(target.read_bytes()) if target.exists() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if current in (header["before"], header["after"]):
        return None
    keep.parent.mkdir(exist_ok=True)
    os.replace(backup, keep)
    return (f"an earlier `promptlint fix` was stopped while it wrote {target} in place; the file's content from "
            f"before that run is saved in {keep} (after its first line)")


def write_all(fd: int, data: bytes) -> None:
    """All of ``data`` at the descriptor's position (``os.write`` may write less)."""
    view = memoryview(data)
    done = 0
    while done < len(view):
        done += os.write(fd, view[done:])
