"""Links from one file to another: template files read by code, Jinja includes, promptfoo.

Code names a file the way it will find it at run time: relative to the code's folder
(``Path(__file__).parent / "prompts" / "x.txt"``), to the working directory (the project
root), or to a Jinja loader's search path. :class:`TreeFiles` tries those places in that
order (the code's folder, then each folder above it up to the root), then a path suffix
that only one file of the tree has. A file the scan did not select (a ``.md`` prompt, a
partial the prefilter skipped) is read and extracted on demand.

:class:`FileLinker` turns a :class:`~promptlint.extract.values.FileLink` into the text of
that file's template, composing Jinja includes and extends first, so a request built
from ``env.get_template("answer.j2").render(...)`` counts the included text too.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Callable, Iterable

from promptlint.extract import values as v
from promptlint.extract.layout import Layout, compose
from promptlint.extract.result import FileResult
from promptlint.extract.evidence import PROMPT_FILE_EXTENSIONS
from promptlint.extract.shapes import has_text
from promptlint.types import Diagnostic, Evidence, Template

Loader = Callable[[str, str], "FileResult | None"]  # (relative path, kind) -> extracted file
_NOT_PROMPTS = frozenset({"readme", "license", "changelog", "contributing", "notice"})
# Files of a prompt folder that are prompt text (a folder's README or images are not).
PROMPT_FILE_SUFFIXES = tuple(e for e in PROMPT_FILE_EXTENSIONS if e not in (".yaml", ".yml"))


def candidates(target: str, origin: str, base: str | None = None) -> list[str]:
    """Relative paths ``target`` may mean when named in the file ``origin``, nearest first."""
    target = target.replace("\\", "/").strip()
    if not target or target.startswith("/") or ":" in target.split("/", 1)[0]:
        return []
    folder = posixpath.dirname(origin)
    roots: list[str] = []
    if base:
        base = base.replace("\\", "/").strip("/")
        roots += [posixpath.join(folder, base), base]
    while True:
        roots.append(folder)
        if not folder:
            break
        folder = posixpath.dirname(folder)
    out: list[str] = []
    for root in roots:
        path = posixpath.normpath(posixpath.join(root, target)) if root else posixpath.normpath(target)
        if path != ".." and not path.startswith("../") and path not in out:
            out.append(path)
    return out


class TreeFiles:
    """Files of the tree by path and kind; extracted on demand through ``load``."""

    def __init__(self, results: Iterable[FileResult], known: Iterable[str] = (), load: Loader | None = None,
                 kind_of: Callable[[str], str | None] | None = None) -> None:
        self.results: dict[tuple[str, str], FileResult] = {}
        self.paths: set[str] = set(known)
        for result in results:
            self.results[(result.path, result.kind)] = result
            self.paths.add(result.path)
        self.load = load
        self.kind_of = kind_of or (lambda path: None)
        self.loaded: list[FileResult] = []
        self._missing: set[tuple[str, str]] = set()
        self._names: dict[str, list[str]] = {}
        self._names_of: set[str] | None = None  # the ``paths`` set (and size) _names was made from
        self._names_size = 0

    def get(self, path: str, kind: str) -> FileResult | None:
        key = (path, kind)
        if key in self.results:
            return self.results[key]
        if self.load is None or key in self._missing:
            return None
        result = self.load(path, kind)
        if result is None:
            self._missing.add(key)
            return None
        self.results[key] = result
        self.paths.add(path)
        self.loaded.append(result)
        return result

    def _by_name(self) -> dict[str, list[str]]:
        """The tree's paths by file name, remade when ``paths`` grew or was replaced: a
        path-tail search looks only at the files of that name, not at the whole tree."""
        if self._names_of is not self.paths or self._names_size != len(self.paths):
            names: dict[str, list[str]] = {}
            for path in self.paths:
                names.setdefault(path.rsplit("/", 1)[-1], []).append(path)
            self._names, self._names_of, self._names_size = names, self.paths, len(self.paths)
        return self._names

    def find(self, target: str, origin: str, kind: str, base: str | None = None) -> FileResult | None:
        for path in candidates(target, origin, base):
            found = self.get(path, kind)
            if found is not None:
                return found
        # The longest tail of the path that some tree file ends with, if only one does
        # (``/srv/app/prompts/x.txt`` in a container is ``src/app/prompts/x.txt`` here).
        parts = [p for p in target.replace("\\", "/").split("/") if p not in ("", ".")]
        named = self._by_name().get(parts[-1], ()) if parts else ()  # a tail match ends with the file's name
        for k in range(len(parts)):
            tail = "/" + "/".join(parts[k:])
            matches = sorted(p for p in named if ("/" + p).endswith(tail))
            if matches:
                return self.get(matches[0], kind) if len(matches) == 1 else None
        return None


class FileLinker:
    """Resolves file links to templates and registers those templates."""

    def __init__(self, tree: TreeFiles, book) -> None:
        self.tree = tree
        self.book = book  # the TemplateBook every linked template goes into
        self.diagnostics: dict[tuple[str, int, str], Diagnostic] = {}
        self._composed: dict[str, Template] = {}

    def layout(self, target: str, origin: str) -> Layout | None:
        found = self.tree.find(target, origin, "jinja")
        return found.layouts[0] if found is not None and found.layouts else None

    def template(self, result: FileResult) -> Template | None:
        """The file's template, with includes and extends composed for a Jinja file."""
        if not result.templates:
            return None
        base = result.templates[0]
        if not result.layouts:
            return base
        if base.id in self._composed:
            return self._composed[base.id]
        composition = compose(result.layouts[0], self.layout)
        for d in composition.diagnostics:
            self.diagnostics.setdefault((d.path, d.line, d.message), d)
        notes = tuple(dict.fromkeys((*base.notes, *composition.notes)))
        template = replace(base, segments=tuple(composition.segments), notes=notes)
        self._composed[base.id] = template
        self.book.templates.pop(template.id, None)
        self.book.offer(template)
        return template

    def value(self, link: v.FileLink, evidence: tuple[Evidence, ...] = ()) -> v.Value:
        """The text a link reads, as a string value whose origin is the file's template."""
        origin = link.span.path if link.span is not None else ""
        if link.how == "yaml":
            return self.yaml_value(link, origin, evidence)
        if link.how == "folder":
            return self.folder_value(link, origin, evidence)
        kind = "jinja" if link.how == "jinja" or self.tree.kind_of(link.target) == "jinja" else "text"
        found = self.tree.find(link.target, origin, kind, link.base)
        if found is None:
            return v.Unknown(f"file `{link.target}` was not found in the scanned tree", link.target, "missing",
                             link.span)
        template = self.template(found)
        if template is None and any(d.code == "skip" for d in found.diagnostics):
            return v.Unknown(f"file `{link.target}` is not text: code reads it as data", link.target, "missing",
                             link.span)
        if template is None or not has_text(template.segments):
            return v.Str((), link.span)
        # A text file becomes a template when a request or prompt constant uses its text
        # unchanged; text derived from it (``.strip()``) is a template of its own.
        if link.how == "prompt" or evidence:
            self.book.put(template, evidence)
        elif template.id not in self.book.templates:
            self.book.unused.setdefault(template.id, template)
        return v.Str(template.segments, template.span, template.id)

    def folder_value(self, link: v.FileLink, origin: str, evidence: tuple[Evidence, ...] = ()) -> v.Value:
        """A file of a prompt folder chosen at run time: every text file of the folder is a
        template (the folder counts as a whole), and the text sent is counted as the
        largest of them, as an ``if`` counts its largest branch."""
        folder = next((c for c in candidates(link.target, origin)
                       if any(p.startswith(c + "/") for p in self.tree.paths)), None)
        if folder is None:
            return v.Unknown(f"folder `{link.target}` was not found in the scanned tree", link.target, "missing",
                             link.span)
        why = (Evidence("file", f"a file of the prompt folder `{folder}/` that code reads"),)
        found: list[Template] = []
        for path in sorted(p for p in self.tree.paths if p.startswith(folder + "/") and "/" not in p[len(folder) + 1:]):
            name = path.rsplit("/", 1)[-1]
            if (not name.endswith(PROMPT_FILE_SUFFIXES) and "." in name) or name.split(".")[0].lower() in _NOT_PROMPTS:
                continue
            kind = "jinja" if self.tree.kind_of(path) == "jinja" else "text"
            result = self.tree.get(path, kind)
            template = self.template(result) if result is not None else None
            if template is not None and has_text(template.segments):
                if evidence:  # sent: each file is a prompt; otherwise kept aside, as a read file is
                    self.book.put(template, evidence + why)
                elif template.id not in self.book.templates:
                    self.book.unused.setdefault(template.id, template)
                found.append(template)
        if not found:
            return v.Unknown(f"no prompt text in folder `{folder}`", link.target, "missing", link.span)
        largest = max(found, key=lambda t: len(t.text))
        if not evidence:
            self.book.siblings[largest.id] = (tuple(t.id for t in found if t.id != largest.id), why[0])
        return v.Str(largest.segments, largest.span, largest.id)

    def yaml_value(self, link: v.FileLink, origin: str, evidence: tuple[Evidence, ...] = ()) -> v.Value:
        """One prompt of a YAML file loaded by code: the template at that key path."""
        found = self.tree.find(link.target, origin, "yaml", link.base)
        if found is None:
            return v.Unknown(f"file `{link.target}` was not found in the scanned tree", link.target, "missing",
                             link.span)
        keypath = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in link.keys).lstrip(".")
        template = next((t for t in found.templates if t.id == f"{found.path}::{keypath}"), None)
        if template is None:
            return v.Unknown(f"`{keypath or 'the document'}` of {found.path} is not a prompt text promptlint found",
                             f"{link.target}[{keypath}]", "missing", link.span)
        self.book.put(template, evidence)
        return v.Str(template.segments, template.span, template.id)
