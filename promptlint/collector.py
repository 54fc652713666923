"""Pausing Python's cycle collector over work that builds many objects and no garbage cycles.

The collector is set off by allocations, and each pass walks the young objects (and, now
and then, the whole heap) for cycles. Where a stretch of work allocates heavily but leaves
no cycles worth finding, those passes are pure cost: it runs with the collector paused,
and whatever cycles it did leave are found once the collector runs again.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from collections.abc import Iterator


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the block (nested blocks leave it to the outermost one)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
