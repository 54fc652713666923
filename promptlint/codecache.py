"""The compiled methods of promptlint's dataclasses, kept between runs like bytecode.

``@dataclass`` writes the source of each class's ``__init__``, ``__repr__``, ``__eq__``,
``__hash__`` and frozen ``__setattr__``/``__delattr__`` and compiles it when the class is
made, at import. promptlint defines a hundred frozen dataclasses on the way to a warm
check, and compiling their six hundred small functions was a third of a one-file hook
run that finds everything in its cache (about 1 ms a class). The source is the same on
every run, so its compiled code is too: :func:`install` makes the ``dataclasses`` module
compile each text once and keep the code in ``$XDG_CACHE_HOME/promptlint/code/<build>/``,
one file per promptlint module (a run reads the files of the modules it imports), each
rewritten at exit only when one of its classes was new, with exactly this run's code.

Only how the text becomes code changes: the text is what ``dataclasses`` wrote, it runs
with the globals and namespace ``dataclasses`` passes, and it is compiled exactly as
``exec`` compiles a string (``"<string>"``, no inherited ``__future__`` flags). The files
hold code, so each is sealed with this user's key (:mod:`promptlint.seal`) like every
cache promptlint keeps: one not sealed here, from another Python, or damaged, is ignored.
Classes of other packages are compiled as usual.
"""

import dataclasses
import marshal
import os
import sys
from pathlib import Path

_folder: list = []  # the build's folder, once installed
_modules: dict = {}  # module name -> {source text -> code}, as read
_made: dict = {}  # module name -> {source text -> code} used this run
_changed: set = set()  # modules with code compiled this run


def _build_folder() -> Path:
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    build = hashlib.blake2b(sys.version.encode() + dataclasses.__file__.encode(), digest_size=8).hexdigest()
    return Path(base) / "promptlint" / "code" / f"{sys.implementation.cache_tag}-{build}"


def _read(module: str) -> dict:
    from promptlint.seal import unseal

    try:
        body = unseal((_folder[0] / f"{module}.marshal").read_bytes())
        loaded = marshal.loads(body) if body is not None else None
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if type(loaded) is not dict:
        return {}
    code_type = type(_read.__code__)
    return {k: v for k, v in loaded.items() if type(k) is str and type(v) is code_type}


def _exec(source, globals=None, locals=None, /):
    """``exec`` as ``dataclasses`` calls it, a promptlint module's text compiled once."""
    module = globals.get("__name__") if type(globals) is dict else None
    if type(source) is str and type(module) is str and (module == "promptlint" or module.startswith("promptlint.")):
        kept = _modules.get(module)
        if kept is None:
            kept = _modules[module] = _read(module)
        code = kept.get(source)
        if code is None:
            code = kept[source] = compile(source, "<string>", "exec", dont_inherit=True)
            _changed.add(module)
        _made.setdefault(module, {})[source] = code
        source = code
    return exec(source, globals, locals)


def _save() -> None:
    """Write the modules whose code changed: only what this run made (a class that is
    gone is forgotten). Like Python's own bytecode, nothing is written when
    ``PYTHONDONTWRITEBYTECODE`` (``sys.dont_write_bytecode``) says not to."""
    if not _changed or sys.dont_write_bytecode:
        return
    from promptlint.atomic import write_atomic
    from promptlint.seal import seal

    for module in sorted(_changed):
        try:
            sealed = seal(marshal.dumps(_made.get(module, {})))
            if sealed is None:
                return  # no key: nothing is kept
            _folder[0].mkdir(parents=True, exist_ok=True)
            write_atomic(_folder[0] / f"{module}.marshal", sealed, durable=False)
        except (OSError, ValueError):
            return  # nowhere to keep it: compiled again next run
    _changed.clear()


def install() -> None:
    """Make ``dataclasses`` compile through the kept code (CPython only: the files are its
    bytecode). Called once, before promptlint defines its first dataclass."""
    if sys.implementation.name != "cpython" or _folder:
        return
    import atexit

    _folder.append(_build_folder())
    dataclasses.exec = _exec  # a module global: shadows the builtin for that module only
    atexit.register(_save)
