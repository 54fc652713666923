"""The write phase of ``promptlint fix``: each file compared and replaced at the last
moment, with its identity kept.

For every file, right before it is replaced:

- *where* it is: a symbolic link (or a linked folder on its path) is followed to the
  file it names, which must lie inside the project root; a link that leaves the tree is
  refused with where it points. Several names of one file are written once.
- *whether* it may be written: a read-only file (no write bit) or one the user cannot
  write is refused, with how to make it writable. Nothing is forced.
- *whether it still holds what was read*: compared through an open descriptor just
  before the swap, and again after it.

The new bytes go to a temp file in the run's scratch folder (:mod:`scratch`), which gets
the file's owner, group, mode and extended attributes before a byte is written, and is
swapped in atomically. On Linux the swap is ``renameat2(RENAME_EXCHANGE)``: the file it
displaced is then checked (same inode, same bytes) and swapped back when someone wrote
it meanwhile, so a concurrent edit is never lost. Elsewhere ``os.replace`` is followed by
the same check of the displaced inode. A file whose identity a rename would change (a
hard link, an owner the user cannot give a new file, attributes that cannot be copied, a
filesystem other than the scratch folder's) is written in place instead, after a
durable backup of its old bytes.

Files that must be written together (those one fix edits, the names of one file) form
a group; on a large run the groups are written by a few threads at once, since most of
a write is waiting for the disk.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from promptlint.atomic import UNSUPPORTED, can_exchange, exchange
from promptlint.fix.scratch import Scratch, write_all

CHANGED = "it changed since promptlint read it"
# From this many groups of files on, groups are written by threads: most of a write is
# waiting for the disk (the fsync before the swap, the release of the file it replaced),
# and while one write waits, the others can be compared and written.
PARALLEL_MIN_GROUPS = 16
WRITE_THREADS = 8
CHANGED_DURING = "it changed while promptlint was writing it; the other change is kept"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class WriteRefused(Exception):
    """The file is left as it is; the message says why, for the user."""


@dataclass(frozen=True)
class Destination:
    """The file written for a path of the tree."""

    path: str  # as the tree names it
    real: Path  # the file itself (a link's target)
    target: str | None  # the target relative to the root, when ``path`` is a link
    identity: tuple[int, int]  # device and inode: hard links share it


def inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (resolved) lies under ``root`` (resolved)."""
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def destination(root: Path, path: str) -> Destination:
    """Where ``path`` is written: itself, or the in-tree file a symbolic link names."""
    full = root / path
    try:
        st = os.stat(full)
    except OSError as exc:
        raise WriteRefused(f"cannot be found: {exc.strerror}") from None
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(full))
    if not inside(real_root, real):
        raise WriteRefused(f"it is a symbolic link to {real}, outside the project; promptlint edits only files "
                           "inside the tree (fix that file where it lives, or replace the link with a copy)")
    target = real.relative_to(real_root).as_posix()
    return Destination(path, real, None if target == path else target, (st.st_dev, st.st_ino))


class Writer:
    def __init__(self, scratch: Scratch) -> None:
        self.scratch = scratch
        self.device = scratch.device()

    def write(self, real: Path, expected: bytes, new: bytes) -> str | None:
        """Replace ``real`` holding ``expected`` with ``new``: None when swapped in
        atomically, ``"in place"`` when written in place. Raises :class:`WriteRefused`."""
        try:
            fd = os.open(real, os.O_RDONLY | _NOFOLLOW | _BINARY)
        except OSError as exc:
            raise WriteRefused(f"cannot be opened: {exc.strerror or exc}") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise WriteRefused("it is not a regular file")
            writable(real, st)
            if read_all(fd) != expected:
                raise WriteRefused(CHANGED)
            if st.st_nlink > 1 or st.st_dev != self.device:
                return self._in_place(real, st, expected, new)
            return self._swap(fd, real, st, expected, new)
        finally:
            os.close(fd)

    def _swap(self, old: int, real: Path, st: os.stat_result, expected: bytes, new: bytes) -> str | None:
        fd, tmp = self.scratch.temp()
        try:
            try:
                same_identity(fd, old, st)
            except OSError:  # an owner or attribute a new file cannot get: keep this one
                return self._in_place(real, st, expected, new)
            write_all(fd, new)
            os.fsync(fd)  # the swap must not land before the bytes do
            if read_all(old) != expected:  # the last moment
                raise WriteRefused(CHANGED)
            if can_exchange():
                try:
                    exchange(tmp, real)
                except OSError as exc:
                    if exc.errno not in UNSUPPORTED:
                        raise WriteRefused(f"cannot be replaced: {exc.strerror or exc}") from None
                else:
                    displaced = os.lstat(tmp)
                    if (displaced.st_dev, displaced.st_ino) != (st.st_dev, st.st_ino) or read_all(old) != expected:
                        exchange(tmp, real)  # the other writer's file goes back where it was
                        raise WriteRefused(CHANGED_DURING)
                    return None
            self._replace(old, tmp, real, expected)
            return None
        finally:
            os.close(fd)
            tmp.unlink(missing_ok=True)

    def _replace(self, old: int, tmp: Path, real: Path, expected: bytes) -> None:
        """The swap without an exchange: rename, then check the displaced inode; a write
        to it in the meantime is put back."""
        try:
            os.replace(tmp, real)
        except OSError as exc:
            raise WriteRefused(f"cannot be replaced: {exc.strerror or exc}") from None
        theirs = read_all(old)
        if theirs != expected:
            fd, back = self.scratch.temp()
            try:
                same_identity(fd, old, os.fstat(old))
                write_all(fd, theirs)
                os.fsync(fd)
                os.replace(back, real)
            finally:
                os.close(fd)
                back.unlink(missing_ok=True)
            raise WriteRefused(CHANGED_DURING)

    def _in_place(self, real: Path, st: os.stat_result, expected: bytes, new: bytes) -> str:
        """Overwrite the file's own inode (links, owner and attributes stay), after a
        durable backup of its old bytes in the scratch folder."""
        backup = self.scratch.backup(real, expected, new)
        try:
            fd = os.open(real, os.O_RDWR | _NOFOLLOW | _BINARY)
        except OSError as exc:
            self.scratch.discard(backup)
            raise WriteRefused(f"cannot be opened for writing: {exc.strerror or exc}") from None
        try:
            now = os.fstat(fd)
            if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or read_all(fd) != expected:
                self.scratch.discard(backup)
                raise WriteRefused(CHANGED)
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                write_all(fd, new)
                os.ftruncate(fd, len(new))
                os.fsync(fd)
            except OSError as exc:
                self._restore(fd, expected, backup, exc)
            if read_all(fd) != new:
                raise WriteRefused(f"it changed while promptlint wrote it in place; its content from before is "
                                   f"saved in {self.scratch.keep(backup)}")
        finally:
            os.close(fd)
        self.scratch.discard(backup)
        return "in place"

    def _restore(self, fd: int, expected: bytes, backup: Path, exc: OSError):
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            write_all(fd, expected)
            os.ftruncate(fd, len(expected))
            os.fsync(fd)
        except OSError:
            raise WriteRefused(f"writing it failed ({exc.strerror or exc}); its content from before is saved in "
                               f"{self.scratch.keep(backup)}") from None
        self.scratch.discard(backup)
        raise WriteRefused(f"writing it failed ({exc.strerror or exc}); it was put back as it was") from None


def writable(real: Path, st: os.stat_result) -> None:
    """Refuse a file its permissions protect, even from a user (root) who could write it."""
    mode = stat.S_IMODE(st.st_mode)
    if not mode & 0o222:
        raise WriteRefused(f"it is read-only (mode {mode:04o}), and promptlint leaves read-only files alone; make it "
                           f"writable (chmod u+w {real}) and run fix again")
    if not os.access(real, os.W_OK):
        raise WriteRefused(f"you cannot write it (owner uid {st.st_uid}, mode {mode:04o}); run fix as a user who "
                           "can, or make it writable for you")


def same_identity(fd: int, old: int, st: os.stat_result) -> None:
    """Give the new file the old one's owner, group, mode and extended attributes (in
    that order: a change of owner clears set-id bits). OSError when one cannot be given."""
    mine = os.fstat(fd)
    if hasattr(os, "fchown") and (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
        os.fchown(fd, st.st_uid, st.st_gid)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(st.st_mode))
    if hasattr(os, "listxattr"):
        try:
            names = os.listxattr(old)
        except OSError:
            names = []
        for name in names:
            os.setxattr(fd, name, os.getxattr(old, name))


def read_all(fd: int) -> bytes:
    """The whole file behind ``fd``, from its first byte."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def write_run(run, root: Path, cache_folder: Path) -> None:
    """Write every changed file of ``run`` (a :class:`~promptlint.fix.results.FixRun`),
    recording what was written, what was refused and why. Files that one fix edits
    together are written together: when one of them is refused, those already written
    are put back."""
    paths = sorted(run.files)
    try:
        scratch = Scratch(cache_folder).__enter__()
    except OSError as exc:
        for path in paths:
            run.refused[path] = f"cannot make the scratch folder in {cache_folder}: {exc.strerror or exc}"
        return
    try:
        run.notices.extend(scratch.notices)
        writer = Writer(scratch)
        places: dict[str, Destination] = {}
        for path in paths:
            try:
                places[path] = destination(root, path)
            except WriteRefused as exc:
                run.refused[path] = str(exc)
        names: dict[tuple[int, int], list[str]] = {}  # the names of one file: links, hard links
        for path, place in places.items():
            names.setdefault(place.identity, []).append(path)
        for same in names.values():
            contents = {(run.files[p][0].data, encode(run.files[p])) for p in same}
            if len(contents) > 1:
                for path in same:
                    others = ", ".join(p for p in same if p != path)
                    run.refused[path] = f"it is the same file as {others} (a link), and their fixes differ"
        places = {p: d for p, d in places.items() if p not in run.refused}
        groups = _groups(run, names)
        if len(groups) < PARALLEL_MIN_GROUPS:
            for group in groups:
                _write_group(run, writer, places, group)
        else:
            _write_groups_at_once(run, writer, places, groups)
    finally:
        scratch.__exit__(None, None, None)
        run.notices.extend(n for n in scratch.notices if n not in run.notices)


def encode(entry) -> bytes:
    source, text = entry
    return source.encode(text)


def _groups(run, names: dict[tuple[int, int], list[str]]) -> list[list[str]]:
    """Paths that must be written together: the files one applied fix edits, and the
    names of one file."""
    parent = {path: path for path in run.files}

    def find(path: str) -> str:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    def join(together) -> None:
        together = [p for p in together if p in parent]
        for other in together[1:]:
            parent[find(other)] = find(together[0])

    for result in run.results:
        if result.status == "applied":
            join(sorted(result.paths))
    for same in names.values():
        join(same)
    groups: dict[str, list[str]] = {}
    for path in sorted(run.files):
        groups.setdefault(find(path), []).append(path)
    return list(groups.values())


def _write_groups_at_once(run, writer: Writer, places: dict[str, Destination], groups: list[list[str]]) -> None:
    """:func:`_write_group` of every group, by a few threads: groups are files of their
    own, each compared and swapped as alone, and each group's part of the record is added
    to the run in the groups' order, as writing them one after another would add it."""
    from concurrent.futures import ThreadPoolExecutor

    def write(group: list[str]) -> _Record:
        record = _Record(run, group)
        _write_group(record, writer, places, group)
        return record

    with ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="promptlint-write") as pool:
        records = list(pool.map(write, groups))
    for record in records:
        record.into(run)


class _Record:
    """The part of a run's record (:class:`~promptlint.fix.results.FixRun`) one group's
    write reads and adds to."""

    def __init__(self, run, group: list[str]) -> None:
        self.files = run.files
        self.refused = {p: run.refused[p] for p in group if p in run.refused}
        self.written: list[str] = []
        self.notes: dict[str, str] = {}
        self.notices: list[str] = []

    def into(self, run) -> None:
        run.refused.update(self.refused)
        run.written += self.written
        run.notes.update(self.notes)
        run.notices += self.notices


def _write_group(run, writer: Writer, places: dict[str, Destination], group: list[str]) -> None:
    refused = [p for p in group if p in run.refused]
    if refused:
        for path in group:
            run.refused.setdefault(path, f"it is fixed together with {refused[0]}, which is not written")
        return
    done: list[tuple[str, Destination, bytes, bytes]] = []
    seen: set[tuple[int, int]] = set()
    for path in group:
        place = places[path]
        source, _ = run.files[path]
        new = encode(run.files[path])
        if place.identity in seen:  # another name of a file already written
            done.append((path, place, source.data, new))
            continue
        try:
            how = writer.write(place.real, source.data, new)
        except WriteRefused as exc:
            run.refused[path] = str(exc)
            _undo(run, writer, done)
            for other in group:
                run.refused.setdefault(other, f"it is fixed together with {path}, which is not written")
            return
        seen.add(place.identity)
        done.append((path, place, source.data, new))
        if how:
            run.notes[path] = f"written {how}"
    for path, _, _, _ in done:
        run.written.append(path)
        if places[path].target:
            run.notes[path] = f"written to {places[path].target} through the link" + \
                (f" ({run.notes[path]})" if path in run.notes else "")


def _undo(run, writer: Writer, done: list[tuple[str, Destination, bytes, bytes]]) -> None:
    seen: set[tuple[int, int]] = set()
    for path, place, before, after in reversed(done):
        if place.identity in seen:
            continue
        seen.add(place.identity)
        try:
            writer.write(place.real, after, before)
        except WriteRefused as exc:
            run.notices.append(f"{path} was fixed, but a file fixed with it was refused, and putting {path} back "
                               f"failed: {exc}")
