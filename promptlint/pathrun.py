"""A run on some files of a project (what pre-commit passes): the modules they import.

A full run reads every module, so a call of an in-house wrapper (``ask(prompt)`` with
``ask`` defined in ``llm/client.py``) is linked to the wrapper's summary wherever it is.
A run on the edited files alone would miss it twice over: the file that calls the wrapper
names no SDK, so the prefilter skips it, and the module that defines the wrapper is not
read, so no summary names ``ask``. Here the modules whose functions the given files call
are read, as the full run reads them: each through :class:`~promptlint.ondemand.OnDemand`
(cached like any file). A module that holds an SDK call or import (one that can define a
wrapper: the call part of the prefilter) joins the results, as in a full run; another is
offered to the wrapper-caller search, which reads it as the full run does when it calls a
wrapper (a forwarder: a function handing its own parameters to a wrapper). A name called
from a module that re-exports it (a package ``__init__``) is followed to the module it
comes from.

Only the modules whose functions a file calls are followed, from the given files and then
from each module read, so a one-file run reads the few modules its call chains pass
through, not the tree.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterable

from promptlint.config import Config
from promptlint.discover import classify
from promptlint.extract.result import FileResult
from promptlint.extract.scopes import _absolute_module, module_name_for
from promptlint.lazyre import lazy
from promptlint.ondemand import OnDemand

if TYPE_CHECKING:
    from promptlint.engine import Analysis

MAX_DEPTH = 4  # re-export and forwarding hops followed from a given file

# ``from x import a, b as c`` (parenthesised over lines too) and ``import x.y as z``, at
# any indentation: a module's imports without parsing it.
_FROM = lazy(rb"(?m)^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]*)")
_IMPORT = lazy(rb"(?m)^[ \t]*import[ \t]+([^\n#;]*)")


class Imported:
    """What the given files' calls bring: modules read in full (results) and skipped
    modules that may forward to a wrapper (offered to the wrapper-caller search)."""

    def __init__(self) -> None:
        self.results: list[FileResult] = []
        self.skipped: list[str] = []


def imported_modules(given: list[FileResult], skipped: Iterable[str], config: Config, ondemand: OnDemand,
                     path_of, scanned: set[str]) -> Imported:
    """Read the modules whose functions ``given`` (the scanned results) and ``skipped``
    (given files the prefilter skipped) call, outside ``scanned``; ``path_of`` maps a
    module name to the one file it can be (:meth:`promptlint.engine.ModuleLoader.path`).

    Only a module that holds an SDK call or import (one that can define a wrapper) is
    parsed, and joins the results. Another is read for its import lines alone (:func:`imports`), and only when a given file imports it: a forwarder one
    hop away is found, a chain of modules that hold no prompt is not walked (each hop
    through them would read the tree's import graph, not the wrappers)."""
    out = Imported()
    wanted = {(m, n, True) for r in given for m, n in _called(r)}
    for rel in skipped:
        if classify(rel, config) == "python":
            wanted |= {(m, n, True) for _, m, n in imports(ondemand.data(rel) or b"", module_name_for(rel))}
    seen: set[tuple[str, str, bool]] = set()
    done = set(scanned)
    for _ in range(MAX_DEPTH):
        asked: dict[str, set[str]] = {}  # file -> the names wanted of it
        reads: set[str] = set()  # files whose imports are read if the prefilter skips them
        for module, name, read in sorted(wanted - seen):
            for candidate in (module, f"{module}.{name}") if name else (module,):  # ``from pkg import mod``
                rel = path_of(candidate)
                if rel is not None and rel not in done:
                    asked.setdefault(rel, set()).add(name)
                    if read:
                        reads.add(rel)
        seen |= wanted
        if not asked:
            break
        done.update(asked)
        wanted = set()
        full = []
        for rel in sorted(asked):
            if ondemand.calls_sdk(rel):
                full.append(rel)
                continue
            out.skipped.append(rel)
            # the module a wanted name is re-exported from (a package's ``__init__``), and,
            # of a module a given file imports, every module it imports (a forwarder's)
            wanted |= {(m, n, False) for local, m, n in imports(ondemand.data(rel) or b"", module_name_for(rel))
                       if rel in reads or local in asked[rel]}
        for rel, result in zip(full, ondemand.load_many((rel, "python") for rel in full)):
            if result is not None:
                out.results.append(result)
                # on to the module a wanted name is re-exported from, and to the modules
                # whose functions this one calls (a wrapper of a wrapper)
                wanted |= {(m, n, False) for local, m, n in result.reexports if local in asked[rel] and n}
                wanted |= {(m, n, False) for m, n in _called(result)}
    return out


def _called(result: FileResult) -> set[tuple[str, str]]:
    """(module, name) of the imported functions a file calls."""
    return {(c.callee[1], c.callee[2]) for c in result.wrapper_calls if c.callee[0] == "import" and len(c.callee) > 2}


def imports(data: bytes, module: str) -> list[tuple[str, str, str]]:
    """(local name, absolute module, name) of each ``from`` import in a module's text, and
    (local name, package, last part) of each ``import a.b`` (``import a``: name ""): enough to follow a name to the
    module it comes from, at a fraction of a parse."""
    found = []
    for match in _FROM.finditer(data):
        dots, name, names = match.group(1), match.group(2).decode("ascii", "replace"), match.group(3)
        source = _absolute_module(module, name, len(dots))
        for part in names.strip(b"() \t\r\n\\").split(b","):
            words = part.split()
            if words and words[0] != b"*":
                imported = words[0].decode("ascii", "replace")
                local = words[-1].decode("ascii", "replace") if len(words) == 3 else imported
                found.append((local, source, imported))
    for match in _IMPORT.finditer(data):
        for part in match.group(1).split(b","):
            words = part.split()
            if words:
                dotted = words[0].decode("ascii", "replace")
                head, _, last = dotted.rpartition(".")
                found.append((words[-1].decode("ascii", "replace") if len(words) == 3 else dotted.split(".")[0],
                              head, last) if head else (dotted, dotted, ""))
    return found


def for_linking(result: FileResult) -> FileResult:
    """A module read for its wrappers, without what would make prompts of its own that no
    given file sends: its function-local bindings, prompt objects, file links and
    examples. Its constants stay (a wrapper's default prompt), and its own requests (a
    missing cap is reported at the wrapper's call, in a full run and here)."""
    return replace(result, bindings=(), definitions=(), links=(), layouts=(), examples=())


def without(analysis: Analysis, brought: set[str]) -> Analysis:
    """The analysis as a run on some files reports it, as ruff reports on the files it is
    given: a module in ``brought``, read only because a given file calls into it (a
    wrapper's), is not reported on. Its own requests and uses, and the templates located
    in it or named only by them, belong to a run that is given it, or to the full run; a
    template that a request or use of the given files names stays, wherever it lives (a
    request's cost is its prompts'), and so does what the given files read (a constant, a
    Jinja file). The rules ran on the whole: a wrapper's own request is where its missing
    cap is reported, in a full run and here (findings are scoped by the caller)."""
    project = analysis.project
    if not brought:
        return analysis
    requests = tuple(r for r in project.requests if r.path not in brought)
    uses = tuple(u for u in project.uses if u.path not in brought)
    named = {t for r in requests for t in r.templates} | {t for u in uses for t in u.templates}
    theirs = {t for r in project.requests if r.path in brought for t in r.templates} | {
        t for u in project.uses if u.path in brought for t in u.templates}
    templates = {tid: t for tid, t in project.templates.items()
                 if tid in named or (t.path not in brought and tid not in theirs)}
    ids = {r.id for r in requests}
    plan = analysis.traffic
    return replace(analysis, project=replace(project, requests=requests, templates=templates, uses=uses),
                   request_prices={k: v for k, v in analysis.request_prices.items() if k in ids},
                   template_prices={k: v for k, v in analysis.template_prices.items() if k in templates},
                   traffic=replace(plan, requests={k: v for k, v in plan.requests.items() if k in ids},
                                   templates={k: v for k, v in plan.templates.items() if k in templates}))
