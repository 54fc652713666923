"""Regular expressions compiled on first use.

A module-level ``re.compile`` runs at import, on every run: a pre-commit run on one file
imported some sixty of them that it never used, a good part of its start-up. ``lazy``
takes the same arguments and compiles when a method or attribute is first asked for;
each one asked for is then kept on the object, so later calls cost what the compiled
pattern's own do. Pass ``.compiled`` where ``re`` itself wants a pattern (``re.sub(p, ...)``).
"""

from __future__ import annotations

import re


class lazy:  # noqa: N801 - stands where ``re.compile`` stood
    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._source = (pattern, flags)

    @property
    def compiled(self) -> re.Pattern:
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self.__dict__["_compiled"] = re.compile(*self._source)
        return compiled

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self.compiled, name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r}, {self._source[1]})"
