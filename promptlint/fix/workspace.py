"""The files a fix may read and edit, each read once.

Only files under the paths the user gave are edited (a pre-commit run on one file must
not rewrite another); a constant imported from elsewhere is left alone and the fix says
so. Bytes already read by discovery are reused; a file the scan cache vouched for is read
now and must hash as discovery recorded, so the "changed since read" check compares with
what the analysis actually saw.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from promptlint.discover import Discovery, classify, digest
from promptlint.fix.files import SourceText, read_source
from promptlint.fix.pysource import PySource, PySourceError


class FixError(Exception):
    """A fix cannot be turned into edits; the message says why, for the user."""


class Workspace:
    def __init__(self, root: str, discovery: Discovery, config, texts: dict[str, str] | None = None) -> None:
        self.root = Path(root)
        self.config = config
        self.texts = texts or {}  # files already edited in memory by earlier fixes
        self.read: dict[str, bytes] = {f.path: f.data for f in discovery.files if f.data is not None}
        self.digests: dict[str, str] = {f.path: f.digest for f in discovery.files if f.digest}
        self.kinds: dict[str, str] = {f.path: f.kind for f in discovery.files}
        self.editable_paths = {*self.kinds, *discovery.skipped, *discovery.others}
        self._sources: dict[str, SourceText | None] = {}
        self._python: dict[str, PySource] = {}

    def source(self, path: str) -> SourceText:
        if path not in self.editable_paths:
            raise FixError(f"{path} is outside the paths being fixed")
        if path not in self._sources:
            kind = self.kinds.get(path) or classify(path, self.config) or "text"
            source = read_source(path, str(self.root / path), kind, self.read.get(path))
            if source is not None and path in self.digests and digest(source.data) != self.digests[path]:
                raise FixError(f"{path} changed since promptlint analyzed it")
            if source is not None and path in self.texts:
                source = replace(source, text=self.texts[path])
            self._sources[path] = source
        source = self._sources[path]
        if source is None:
            raise FixError(f"{path} cannot be read as UTF-8 text")
        if source.kind == "notebook":
            raise FixError(f"{path}: notebooks are not edited yet")
        return source

    def python(self, path: str) -> PySource:
        if path not in self._python:
            source = self.source(path)
            if not source.is_python:
                raise FixError(f"{path} is not a Python file")
            try:
                self._python[path] = PySource(path, source.code)
            except PySourceError as exc:
                raise FixError(str(exc)) from None
        return self._python[path]
