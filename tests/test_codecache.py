"""The compiled dataclass methods kept between runs (promptlint.codecache): a run that
reads them back makes the same classes as one that compiles, and a file it cannot
vouch for is compiled past, never believed."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

# A class of each kind promptlint defines (frozen with defaults, a factory, ordered,
# unhashable), made in a module without ``from __future__ import annotations``: the
# generated __init__'s annotations must stay objects, not become strings.
CLASSES = """
import dataclasses, json, sys
from dataclasses import dataclass, field

@dataclass(frozen=True)
class Point:
    x: int
    y: float = 1.5
    tags: tuple = ()

@dataclass(order=True)
class Item:
    name: str
    parts: list = field(default_factory=list)

p, q = Point(1), Point(1, 1.5, ())
try:
    p.x = 2
    frozen = "assignable"
except dataclasses.FrozenInstanceError as exc:
    frozen = type(exc).__name__
facts = {
    "repr": [repr(p), repr(Item("a"))],
    "eq": p == q, "hash": hash(p) == hash(q), "order": Item("a") < Item("b"),
    "frozen": frozen,
    "annotations": {k: repr(v) for k, v in Point.__init__.__annotations__.items()},
    "qualname": Point.__init__.__qualname__,
    "filename": Point.__init__.__code__.co_filename,
    "defaults": [repr(d) for d in Point.__init__.__defaults__],
}
"""

# The classes are made in a module of promptlint's (only its own classes' code is kept).
AS_MODULE = ("import sys, types\nprobe = types.ModuleType('promptlint.probe')\nsys.modules['promptlint.probe'] = probe\n"
             f"exec(compile({CLASSES!r}, 'probe.py', 'exec', dont_inherit=True), vars(probe))\nfacts = probe.facts\n")
REPORT = "import json\nprint(json.dumps(facts, sort_keys=True))"
WITH_CACHE = ("import promptlint\nfrom promptlint import codecache\n" + AS_MODULE
              + "facts['compiled'] = sorted(codecache._changed)\n" + REPORT)


def _run(code: str, cache_home: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(XDG_CACHE_HOME=str(cache_home), **extra)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _probe_file(cache_home: Path) -> Path:
    (path,) = (cache_home / "promptlint" / "code").glob("*/promptlint.probe.marshal")
    return path


def test_kept_code_makes_the_same_classes_as_compiling(tmp_path):
    plain = _run(AS_MODULE + REPORT, tmp_path / "unused")  # promptlint not imported: dataclasses as shipped
    first = _run(WITH_CACHE, tmp_path)
    second = _run(WITH_CACHE, tmp_path)
    assert "promptlint.probe" in first.pop("compiled")
    assert second.pop("compiled") == []  # every method of every module came from its file
    assert first == plain and second == plain
    assert plain["annotations"] == {"x": "<class 'int'>", "y": "<class 'float'>", "tags": "<class 'tuple'>",
                                    "return": "None"}
    assert _probe_file(tmp_path).is_file()


def test_a_damaged_or_foreign_file_is_compiled_past(tmp_path):
    plain = _run(AS_MODULE + REPORT, tmp_path / "unused")
    _run(WITH_CACHE, tmp_path)
    path = _probe_file(tmp_path)
    good = path.read_bytes()

    for bad in (good[:len(good) // 2], good.split(b"\n", 1)[1], marshal.dumps({"x": 1}), b""):
        path.write_bytes(bad)  # cut short, its seal removed (any process could write it), never sealed
        again = _run(WITH_CACHE, tmp_path)
        assert again.pop("compiled") == ["promptlint.probe"]
        assert again == plain
        assert path.read_bytes() != bad  # rewritten, sealed, at exit
    assert _run(WITH_CACHE, tmp_path)["compiled"] == []


def test_nothing_is_written_where_python_writes_no_bytecode(tmp_path):
    plain = _run(AS_MODULE + REPORT, tmp_path / "unused")
    facts = _run(WITH_CACHE, tmp_path, PYTHONDONTWRITEBYTECODE="1")
    assert facts.pop("compiled") == ["promptlint.probe"] and facts == plain
    assert not list((tmp_path / "promptlint" / "code").glob("*/*.marshal"))
