"""Give the C heap's free memory back to the system after a tokenizer is built.

Building a tokenizer's native core frees large transient structures (the rank table read
from disk, the native side's own growing tables). glibc keeps that memory in the process
for later allocations, so the run's peak resident size carries it to the end; one
``malloc_trim`` hands it back (on OpenHands' cold check about 20 MB of the two OpenAI
encodings). Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import sys
from functools import lru_cache


@lru_cache(maxsize=1)
def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


def release_free_memory() -> None:
    trim = _trim()
    if trim is not None:
        trim(0)
