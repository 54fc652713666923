"""Write a file so that readers see the old content or the new, never half of either.

The text goes to a temporary file in the same folder, which is then renamed over the
target (``os.replace`` is atomic on POSIX and Windows). A new file gets mode 0666 less
the umask, as any file the user makes; a replaced file keeps its permissions, set on the
temporary file before any byte is written (it is created readable by its owner only).

:func:`exchange` swaps two paths atomically where the platform can (Linux
``renameat2(RENAME_EXCHANGE)``), which lets a writer look at what it replaced and put it
back; the fix stage uses it for the files it edits.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
from functools import lru_cache
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """``durable=False`` for a cache file that every reader checks (a seal or a hash of its
    body): it skips the flush to disk, which on a busy disk was most of a hook run's wait.
    After a crash such a file is the old one, the new one, or damaged and so ignored."""
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o600 if mode is not None else 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.chmod(tmp, mode)
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())  # the rename must not land before the bytes do
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@lru_cache(maxsize=1)
def _renameat2():
    """The C function, found on first use (ctypes is not imported by a run that only writes)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc before 2.28, musl
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


# errno values that mean "this filesystem or kernel cannot exchange": fall back to a rename
UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, getattr(errno, "ENOTSUP", errno.EINVAL),
               getattr(errno, "EOPNOTSUPP", errno.EINVAL)}


def can_exchange() -> bool:
    return _renameat2() is not None


def exchange(a: Path, b: Path) -> None:
    """Swap the files at ``a`` and ``b`` in one step (both must exist). Raises OSError;
    an errno in :data:`UNSUPPORTED` means the swap is not available here."""
    function = _renameat2()
    if function is None:
        raise OSError(errno.ENOSYS, "atomic exchange is not available on this platform")
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        import ctypes

        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))
