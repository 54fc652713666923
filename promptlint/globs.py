"""Path globs as users write them in config: ``tests``, ``*.j2``, ``src/**/prompts/*.yaml``.

A pattern without a slash matches any single path component (like .gitignore), so
``node_modules`` excludes it at any depth and ``*.j2`` matches a file anywhere. A pattern
with a slash matches the whole relative path, where ``**`` spans directories.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from typing import Callable


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(_translate(pattern), re.DOTALL)


@lru_cache(maxsize=512)
def _translate(pattern: str) -> str:
    """The glob as regex source: a :class:`PathMatcher` joins many into one regex, so it
    compiles none of them alone (two dozen default excludes were a tenth of a hook run)."""
    pattern = pattern.strip()
    while pattern.startswith("./"):
        pattern = pattern[2:]
    pattern = pattern.rstrip("/")
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                out.append(fnmatch.translate(pattern[i : end + 1])[4:-3])
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    # A directory pattern also matches everything beneath it.
    return "".join(out) + "(?:/.*)?"


def glob_problem(pattern: str, path: bool = True) -> str | None:
    """What is wrong with a glob as a user wrote it, or None. A typo in an exclude must
    not silently match nothing (``tests/[`` would otherwise be read as a literal ``[``)."""
    if not pattern.strip():
        return "empty pattern"
    i = 0
    while i < len(pattern):
        if pattern[i] != "[":
            i += 1
            continue
        start = i + 1
        if pattern[start : start + 1] in ("!", "^"):
            start += 1
        end = pattern.find("]", start + 1)  # a ] right after [ or [! is part of the class
        if end == -1:
            return "unclosed `[`"
        for low, high in re.findall(r"(.)-(.)", pattern[start:end]):
            if low > high:
                return f"bad character range `{low}-{high}`"
        i = end + 1
    if path:
        for part in pattern.strip().strip("/").split("/"):
            if "**" in part and part != "**":
                return f"`**` must be a whole path component, as in `src/**/x.py` (got `{part}`)"
    return None


def match_path(pattern: str, relpath: str) -> bool:
    """Whether the POSIX relative path ``relpath`` matches the user glob ``pattern``."""
    if "/" not in pattern.strip().rstrip("/"):
        return any(_compile(pattern).fullmatch(part) for part in relpath.split("/"))
    return _compile(pattern).fullmatch(relpath) is not None


def match_name(pattern: str, name: str) -> bool:
    """Case-insensitive fnmatch of an identifier against a name pattern like ``*PROMPT*``."""
    return fnmatch.fnmatchcase(name.upper(), pattern.upper())


def name_matcher(patterns: tuple[str, ...] | list[str]) -> Callable[[str], bool]:
    """Whether a name matches any of ``patterns`` by :func:`match_name`, as one regex: the
    alternation of fnmatch's translation of each (what ``fnmatchcase`` matches with)."""
    if not patterns:
        return lambda name: False
    match = re.compile("|".join(fnmatch.translate(p.upper()) for p in patterns)).match
    return lambda name: match(name.upper()) is not None


class PathMatcher:
    """Many globs matched at once: one regex for component patterns, one for path patterns.

    A directory walk checks each entry's own name only (its parents were checked when
    the walk entered them), which is what makes excluding cheap on large trees.
    """

    def __init__(self, patterns: tuple[str, ...] | list[str]) -> None:
        component = [p for p in patterns if "/" not in p.strip().rstrip("/")]
        whole = [p for p in patterns if "/" in p.strip().rstrip("/")]
        self._component = re.compile("|".join(f"(?:{_translate(p)})" for p in component), re.DOTALL) \
            if component else None
        self._whole = re.compile("|".join(f"(?:{_translate(p)})" for p in whole), re.DOTALL) if whole else None

    def __call__(self, relpath: str, name: str | None = None) -> bool:
        """Whether ``relpath`` matches; with ``name``, only that last component is checked
        against component patterns (the caller vouches for the parents)."""
        if self._component is not None:
            names = (name,) if name is not None else relpath.split("/")
            if any(self._component.fullmatch(n) for n in names):
                return True
        return self._whole is not None and self._whole.fullmatch(relpath) is not None
