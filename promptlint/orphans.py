"""Child processes that end with the process that started them, however it ends.

Used by the survey's forked workers (:mod:`promptlint.workers`) and by the token-counting
helper (:mod:`promptlint.tokens.helper`). It imports nothing of promptlint, so the
helper, which is not a fork and must start fast, can load this file by its path.
"""

import os
import signal
import sys
import threading


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` ends, ``kill -9`` included: Linux is asked to kill
    it (``PR_SET_PDEATHSIG``), and a thread watches the parent's pid, elsewhere and as a
    second guard (a re-parented child exits)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)

    def watch() -> None:
        while True:
            threading.Event().wait(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
