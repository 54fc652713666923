"""OpenAI counts made in a helper process, which builds the encodings beside this one's work.

Building tiktoken's o200k_base and cl100k_base costs about 0.3 s of CPU during which the
interpreter lock is held, and the pair then keeps about 56 MB (near 100 MB while they are
built) for the rest of the run. A run that will count OpenAI text starts one helper
interpreter as soon as it knows (:func:`prepare`); the helper builds the encodings on another
core while this process links and counts the other families' text, and holds their memory
instead of this process. Only texts go there and only token counts come back.

The helper is an optimisation only: when it cannot start, dies, or fails on a text (a lone
surrogate tiktoken refuses), :func:`count` answers None and the caller counts in-process
with the same encoding, so counts and errors are exactly those of the local path.
"""

from __future__ import annotations

import atexit
import marshal
import os
import struct
import subprocess
import sys
import threading

_HEADER = struct.Struct("<Q")
# This file and ``openai.py`` are loaded by path in the helper: importing them as
# ``promptlint.tokens.*`` would run the package's ``__init__`` (models, config, frames),
# which took longer than starting the interpreter.
_BOOT = ("import importlib.util, sys; sys.path[:0] = sys.argv[2:]; "
         "spec = importlib.util.spec_from_file_location('promptlint_helper', sys.argv[1]); "
         "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); module.serve()")


def _standalone(*parts: str):
    """A module of promptlint's that imports none of it, loaded by its path (``parts``
    under the package folder) without the package's ``__init__``."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), *parts)
    spec = importlib.util.spec_from_file_location(f"promptlint_helper_{parts[-1][:-3]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(stream, message) -> None:
    data = marshal.dumps(message)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read(stream):
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("the other side closed the pipe")
    size = _HEADER.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe")
    return marshal.loads(data)


class Helper:
    """One helper process and the pipe to it; requests are answered in order."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.prepared: set[str] = set()
        self._lock = threading.Lock()
        self._broken = False

    def prepare(self, names) -> None:
        """Ask the helper to build these encodings now (no answer is awaited)."""
        wanted = [n for n in names if n not in self.prepared]
        if not wanted or self._broken:
            return
        with self._lock:
            try:
                _write(self.process.stdin, ("prepare", wanted))
                self.prepared.update(wanted)
            except (OSError, ValueError):
                self._fail()

    def count(self, name: str, texts: list[str]) -> list[int] | None:
        """Token counts of ``texts`` with encoding ``name`` (text alone, special-token text
        as ordinary text), or None when the helper cannot answer."""
        if self._broken:
            return None
        with self._lock:
            try:
                _write(self.process.stdin, ("count", name, list(texts)))
                reply = _read(self.process.stdout)
            except (OSError, EOFError, ValueError, TypeError):
                self._fail()
                return None
        if type(reply) is not list or len(reply) != len(texts):
            return None
        return reply

    def _fail(self) -> None:
        self._broken = True
        self.close()

    def close(self) -> None:
        """End the helper: its work is disposable, so it is not waited for to finish."""
        if self.process.returncode is None:
            try:
                self.process.kill()
            except OSError:
                pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass


_started: list[Helper | None] = []
_start_lock = threading.Lock()


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _start() -> Helper | None:
    if os.environ.get("PROMPTLINT_NO_HELPER"):
        return None
    paths = [_package_root(), *(p for p in sys.path if p)]
    try:
        process = subprocess.Popen([sys.executable, "-c", _BOOT, os.path.abspath(__file__), *paths], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True)
    except (OSError, ValueError):
        return None
    helper = Helper(process)
    atexit.register(helper.close)
    return helper


def helper() -> Helper | None:
    """This process's helper, started on first call (None: it could not be)."""
    with _start_lock:
        if not _started:
            _started.append(_start() if sys.executable else None)
        return _started[0]


def running() -> Helper | None:
    """The helper if one was started and still answers; never starts one."""
    found = _started[0] if _started else None
    return found if found is not None and not found._broken else None


def prepare(names) -> None:
    """Start the helper (once per process) and have it build the encodings ``names``."""
    found = helper()
    if found is not None:
        found.prepare(names)


def count(name: str, texts: list[str]) -> list[int] | None:
    """Counts from the running helper, or None (none runs, or it cannot answer)."""
    found = running()
    return found.count(name, texts) if found is not None else None


def serve() -> None:
    """The helper's loop: requests on stdin, answers on stdout, until stdin closes."""
    _standalone("orphans.py").die_with_parent(os.getppid())
    encoding = _standalone("tokens", "openai.py").encoding
    source = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing printed here can reach the pipe
    while True:
        try:
            message = _read(source)
        except EOFError:
            return
        if message[0] == "prepare":
            for name in message[1]:
                try:
                    encoding(name)
                except Exception:  # noqa: BLE001 - a count asked for later answers None
                    pass
        elif message[0] == "count":
            try:
                found = encoding(message[1])
                reply = [len(ids) for ids in found.encode_ordinary_batch(message[2], num_threads=1)]
            except Exception:  # noqa: BLE001 - the caller counts in-process and meets the error there
                reply = None
            _write(answers, reply)
