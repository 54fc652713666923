"""Which versions of an SDK a project lets itself run on, from its own declarations.

A fix that writes a keyword an SDK added late breaks every program that still installs an
older SDK: Anthropic's top-level ``cache_control`` (automatic caching) came with ``anthropic``
0.83.0 on 2026-02-19, and ``messages.create(cache_control=...)`` raises ``TypeError`` on
0.82 and before. The project says what it runs on in ``pyproject.toml`` (PEP 621 and
optional dependencies, dependency groups, Poetry), in ``requirements*.txt`` files and, for a
notebook, in its own ``%pip install`` lines. Every declaration from the edited file up to the
project root is read; the first that admits a version older than the one a fix needs is
returned, so the fix can take the form every version understands and say why.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

_SPEC = re.compile(r"(===|==|~=|>=|<=|!=|>|<|\^|~)?\s*v?(\d+(?:\.\d+)*)")
_REQUIREMENT_FILE = re.compile(r"requirements.*\.(txt|in)$")


@dataclass(frozen=True)
class Declaration:
    where: str  # "requirements.txt:3", "pyproject.toml", "notebook.ipynb cell 1"
    spec: str  # as written: "anthropic>=0.39.0"


def version(text: str) -> tuple[int, ...]:
    """``"0.83"`` and ``"0.83.0"`` are one version: trailing zeros do not count."""
    parts = [int(x) for x in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def admits_below(spec: str, needed: tuple[int, ...]) -> bool:
    """Whether a version specifier (PEP 440, or Poetry's ``^``/``~``) lets a version older
    than ``needed`` be installed: a floor below it. An open floor installs the newest version
    allowed, so a bare name or an upper bound at or above ``needed`` does not."""
    floor: tuple[int, ...] | None = None
    for op, number in _SPEC.findall(spec.split(";", 1)[0]):  # not the environment marker
        v = version(number)
        if op in ("==", "===", "~=", ">=", "^", "~", ""):
            floor = v if floor is None else max(floor, v)
        elif op == ">":
            floor = v if floor is None or v >= floor else floor
        elif op in ("<", "<=") and (v < needed or (op == "<" and v == needed)):
            return True
    return floor is not None and floor < needed


def _named(line: str, dist: str) -> str | None:
    """The specifier part of a requirement for ``dist`` (``anthropic[bedrock]>=0.40; ...``)."""
    m = re.match(rf"\s*{re.escape(dist)}(\[[^\]]*\])?\s*([^;#]*)", line, re.I)
    if m is None:
        return None
    rest = m.group(2).strip()
    if rest and not rest[0] in "=<>!~^":
        return None  # another distribution whose name starts with dist's
    return rest


def _from_requirements(path: Path, dist: str, base: Path) -> list[tuple[Declaration, str]]:
    found = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return found
    for i, line in enumerate(lines, 1):
        spec = _named(line, dist)
        if spec is not None:
            found.append((Declaration(f"{os.path.relpath(path, base)}:{i}", line.strip()), spec))
    return found


def _from_pyproject(path: Path, dist: str, base: Path) -> list[tuple[Declaration, str]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    lists: list = [data.get("project", {}).get("dependencies", [])]
    lists += list(data.get("project", {}).get("optional-dependencies", {}).values())
    lists += list(data.get("dependency-groups", {}).values())
    found = []
    where = os.path.relpath(path, base)
    for entries in lists:
        for entry in entries if isinstance(entries, list) else []:
            spec = _named(entry, dist) if isinstance(entry, str) else None
            if spec is not None:
                found.append((Declaration(where, entry), spec))
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {})] + [g.get("dependencies", {}) for g in poetry.get("group", {}).values()
                                                  if isinstance(g, dict)]
    for table in tables:
        for name, value in table.items() if isinstance(table, dict) else ():
            if name.lower() == dist.lower():
                spec = value if isinstance(value, str) else value.get("version", "") if isinstance(value, dict) else ""
                found.append((Declaration(where, f"{name} = {spec!r}"), "" if spec == "*" else spec))
    return found


def _from_notebook(path: Path, dist: str, base: Path) -> list[tuple[Declaration, str]]:
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    found = []
    for n, cell in enumerate(cells, 1):
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        for line in ("".join(source) if isinstance(source, list) else str(source)).splitlines():
            m = re.match(r"\s*[!%]\s*pip3?\s+install\s+(.*)", line)
            for word in (m.group(1).split() if m else ()):
                spec = _named(word.strip("'\""), dist)
                if spec is not None:
                    found.append((Declaration(f"{os.path.relpath(path, base)} cell {n}", line.strip()), spec))
    return found


def older_allowed(root: Path, path: str, dist: str, needed: str) -> Declaration | None:
    """The first declaration, nearest the file first, that lets ``dist`` older than
    ``needed`` be installed for the file at ``path`` (relative to ``root``); None when every
    declaration needs ``needed`` or later, or none names ``dist``. The search goes up from
    the file's folder to the repository's top (the folder with ``.git``, past ``root`` when
    only a part of the project is being fixed), or to ``root`` outside a repository."""
    want = version(needed)
    root = root.resolve()
    target = root / path
    found: list[tuple[Declaration, str]] = []
    if target.suffix == ".ipynb":
        found += _from_notebook(target, dist, root)
    top = next((f for f in (root, *root.parents) if (f / ".git").exists()), root)
    folder = target.parent
    while True:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            entries = []
        for entry in entries:
            if entry.name == "pyproject.toml":
                found += _from_pyproject(entry, dist, root)
            elif _REQUIREMENT_FILE.match(entry.name) and entry.is_file():
                found += _from_requirements(entry, dist, root)
            elif entry.name == "requirements" and entry.is_dir():  # requirements/base.txt
                for inner in sorted(entry.glob("*.txt")):
                    found += _from_requirements(inner, dist, root)
        if folder == top or top not in folder.parents:
            break
        folder = folder.parent
    return next((d for d, spec in found if admits_below(spec, want)), None)
