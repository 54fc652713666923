"""Stage 7 (``promptlint fix``): turn findings into edits, measure them, write them safely.

For every finding whose fix carries edits: map the edits to characters of the files
(:mod:`textmap` for template text, :mod:`structure` for calls and lists), apply them in
memory, check the file still parses, extract the edited files again and check the
result is what the fix meant (:mod:`verify`), and price the difference by measuring the
whole tree again (:mod:`measure`). Safe fixes are applied; unsafe ones are applied with
``unsafe=True`` and otherwise shown as suggestions. Two fixes that edit the same
characters do not both apply: the first wins and the other is reported as skipped.
Nothing is written until every applied edit of a file has been checked together, and a
file that changed on disk since it was read is left alone (:mod:`files`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from promptlint.config import Config
from promptlint.engine import Analysis, analyze, scan_tree
from promptlint.fix import verify
from promptlint.fix.files import FileChanged, SourceText, apply_edits, overlaps, parse_problem, write_source
from promptlint.fix.measure import Costs, Measured, Remeasurer
from promptlint.fix.structure import argument_edits, cache_edits, remove_edits
from promptlint.fix.textmap import text_edits
from promptlint.fix.workspace import FixError, Workspace
from promptlint.models import ModelCatalog
from promptlint.pricing import Pricer
from promptlint.tokens import make_counter
from promptlint.types import ArgumentEdit, CacheEdit, Edit, Fix, PricedFinding, Project, RemoveEdit, TextEdit

# What happened to each fix.
APPLIED, SUGGESTED, SKIPPED, FAILED, REFUSED = "applied", "suggested", "skipped", "failed", "refused"


@dataclass
class FixResult:
    finding: PricedFinding
    applicability: str  # the rule's, or "unsafe" when the edit also changes other prompts
    status: str
    reason: str | None = None
    edits: tuple[Edit, ...] = ()
    measured: Measured | None = None
    diff: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def paths(self) -> set[str]:
        return {e.path for e in self.edits}


@dataclass
class FixRun:
    analysis: Analysis
    results: list[FixResult]
    files: dict[str, tuple[SourceText, str]]  # path -> (as read, text with the applied fixes)
    total: Measured | None = None
    after: Analysis | None = None  # the tree with the applied fixes, analyzed again
    written: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    unfixable: int = 0  # findings without an automatic fix

    def by_status(self, status: str) -> list[FixResult]:
        return [r for r in self.results if r.status == status]

    def diff(self) -> str:
        """One unified diff of every applied change, file by file."""
        return "".join(unified_diff(path, source.text, text) for path, (source, text) in sorted(self.files.items())
                       if text != source.text)


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def resolve(fix: Fix, project: Project, workspace: Workspace) -> list[Edit]:
    """The file edits a fix stands for (``FixError`` when it cannot be made exactly)."""
    texts = [e for e in fix.edits if isinstance(e, TextEdit)]
    out = text_edits(project.templates, workspace, texts) if texts else []
    for edit in fix.edits:
        if isinstance(edit, Edit):
            workspace.source(edit.path)
            out.append(edit)
        elif isinstance(edit, ArgumentEdit):
            out += argument_edits(project, workspace, edit)
        elif isinstance(edit, CacheEdit):
            out += cache_edits(project, workspace, edit)
        elif isinstance(edit, RemoveEdit):
            out += remove_edits(project, workspace, edit)
    unique = list(dict.fromkeys(out))
    for i, a in enumerate(unique):
        for b in unique[i + 1:]:
            if a.path == b.path and overlaps(a, b):
                raise FixError(f"{a.path}: two parts of the fix edit the same text")
    return unique


class Fixer:
    """One ``promptlint fix`` run over a tree."""

    def __init__(self, paths: list[Path], config: Config, select=(), ignore=(), unsafe: bool = False) -> None:
        self.paths = paths
        self.config = config
        self.select = tuple(select)
        self.ignore = tuple(ignore)
        self.unsafe = unsafe
        catalog = ModelCatalog(config.prices)
        self.counter = make_counter(config, catalog)
        self.scanned = scan_tree(paths, config)
        self.analysis = analyze(paths, config, self.select, self.ignore, self.counter, scanned=self.scanned)
        self.workspace = Workspace(config.root, self.scanned.discovery, config)
        self.measurer = Remeasurer(self.scanned, config, self.counter, catalog, Pricer(config, catalog))
        self.base: Costs = self.measurer.costs(self.scanned.project)

    def run(self, write: bool = True) -> FixRun:
        results: list[FixResult] = []
        accepted: dict[str, list[tuple[Edit, FixResult]]] = {}
        unfixable = 0
        for priced in self.analysis.findings:
            fix = priced.finding.fix
            if fix is None or not fix.edits:
                unfixable += fix is not None
                continue
            result = self.try_fix(priced, fix)
            results.append(result)
            if result.status == APPLIED:
                self._accept(result, accepted)
        run = FixRun(self.analysis, results, {}, unfixable=unfixable)
        self._combine(run, accepted)
        if write:
            self._write(run, accepted)
        return run

    def try_fix(self, priced: PricedFinding, fix: Fix) -> FixResult:
        """The fix alone on the tree as read: edits, parse check, re-extraction, measurement."""
        result = FixResult(priced, fix.applicability, FAILED)
        project = self.scanned.project
        try:
            edits = resolve(fix, project, self.workspace)
            texts = self._texts(edits)
        except FixError as exc:
            result.reason = str(exc)
            return result
        result.edits = tuple(edits)
        for path, (source, text) in texts.items():
            problem = parse_problem(source, text)
            if problem:
                result.reason = f"{path}: the edited file would not parse ({problem})"
                return result
        after = self.measurer.rescan({p: (s.kind, s.encode(t)) for p, (s, t) in texts.items()})
        problem = verify.problem(fix, project, after.project, set(texts))
        if problem:
            result.reason = problem
            return result
        if fix.applicability == "safe":
            others = verify.side_effects(fix, project, after.project)
            if others:
                result.applicability = "unsafe"
                more = f" and {len(others) - 1} more" if len(others) > 1 else ""
                result.notes.append(f"unsafe here: it also changes `{others[0]}`{more}")
        result.measured = self.measurer.difference(self.base, self.measurer.costs(after.project))
        result.diff = "".join(unified_diff(p, s.text, t) for p, (s, t) in sorted(texts.items()))
        result.status = APPLIED if result.applicability == "safe" or self.unsafe else SUGGESTED
        return result

    def _texts(self, edits: list[Edit]) -> dict[str, tuple[SourceText, str]]:
        by_path: dict[str, list[Edit]] = {}
        for edit in edits:
            by_path.setdefault(edit.path, []).append(edit)
        out = {}
        for path, mine in by_path.items():
            source = self.workspace.source(path)
            try:
                out[path] = (source, apply_edits(source.text, mine))
            except ValueError as exc:
                raise FixError(f"{path}: {exc}") from None
        return out

    def _accept(self, result: FixResult, accepted: dict[str, list[tuple[Edit, FixResult]]]) -> None:
        """Apply after the fixes before it, unless it edits what they edit (then skipped);
        an edit another fix already makes (a shared template) is made once."""
        new: list[Edit] = []
        for edit in result.edits:
            same = next((owner for e, owner in accepted.get(edit.path, []) if e == edit), None)
            if same is not None:
                result.notes.append(f"same edit as {same.finding.finding.code} at {_where(same)}, made once")
                continue
            clash = next((owner for e, owner in accepted.get(edit.path, []) if overlaps(e, edit)), None)
            if clash is not None:
                result.status = SKIPPED
                result.reason = f"conflicts with {clash.finding.finding.code} at {_where(clash)}, which is applied"
                return
            new.append(edit)
        for edit in new:
            accepted.setdefault(edit.path, []).append((edit, result))

    def _combine(self, run: FixRun, accepted: dict[str, list[tuple[Edit, FixResult]]]) -> None:
        """Every applied edit of a file together: parse check, measured total, re-analysis."""
        for path in list(accepted):
            source = self.workspace.source(path)
            text = apply_edits(source.text, [e for e, _ in accepted[path]])
            problem = parse_problem(source, text)
            if problem:
                self._drop(run, accepted, path, FAILED, f"{path}: the fixes together would not parse ({problem})")
                continue
            run.files[path] = (source, text)
        self._measure_total(run)

    def _measure_total(self, run: FixRun) -> None:
        if not run.files:
            return
        overlay = {p: (s.kind, s.encode(t)) for p, (s, t) in run.files.items()}
        after = self.measurer.rescan(overlay)
        run.total = self.measurer.difference(self.base, self.measurer.costs(after.project))
        run.after = analyze(self.paths, self.config, self.select, self.ignore, self.counter, scanned=after)

    def _drop(self, run: FixRun, accepted, path: str, status: str, reason: str) -> None:
        """Take back every fix that edits ``path`` (and its edits in other files)."""
        owners = {id(owner): owner for _, owner in accepted.get(path, [])}
        for owner in owners.values():
            owner.status = status
            owner.reason = reason
        for other in list(accepted):
            accepted[other] = [(e, o) for e, o in accepted[other] if id(o) not in owners]
            if not accepted[other]:
                del accepted[other]
            elif other in run.files:
                source = run.files[other][0]
                run.files[other] = (source, apply_edits(source.text, [e for e, _ in accepted[other]]))
        run.files.pop(path, None)

    def _write(self, run: FixRun, accepted) -> None:
        changed = True
        while changed:  # a fix that spans a refused file is taken back everywhere
            changed = False
            for path, (source, _) in list(run.files.items()):
                try:
                    current = Path(source.abspath).read_bytes()
                except OSError:
                    current = None
                if current != source.data:
                    run.refused[path] = "it changed since promptlint read it"
                    self._drop(run, accepted, path, REFUSED, f"{path} changed since promptlint read it; not written")
                    changed = True
                    break
        if run.refused:
            self._measure_total(run)
        for path, (source, text) in sorted(run.files.items()):
            if text == source.text:
                continue
            try:
                write_source(source, text)
                run.written.append(path)
            except (FileChanged, OSError) as exc:
                run.refused[path] = str(exc)
                for _, owner in accepted.get(path, []):
                    owner.status = REFUSED
                    owner.reason = f"{path}: not written: {exc}"


def _where(result: FixResult) -> str:
    span = result.finding.finding.span
    return f"{span.path}:{span.line}"
