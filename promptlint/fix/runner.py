"""The fix run: passes of try, verify, measure and accept, then the write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from promptlint.config import Config
from promptlint.engine import Analysis, Scan, analyze, open_cache, scan_tree
from promptlint.fix import verify
from promptlint.fix.files import SourceText, apply_edits, overlaps, parse_problem
from promptlint.fix.writer import write_run
from promptlint.fix.measure import Costs, Remeasurer
from promptlint.fix.resolve import resolve
from promptlint.fix.results import APPLIED, FAILED, REFUSED, SKIPPED, SUGGESTED, FixResult, FixRun
from promptlint.fix.trials import try_all
from promptlint.fix.workspace import FixError, Workspace
from promptlint.models import ModelCatalog
from promptlint.pricing import Pricer
from promptlint.tokens import make_counter
from promptlint.fix.uses import Uses, shared_use
from promptlint.types import Edit, Fix, PricedFinding, Project, Request, TextEdit


@dataclass
class State:
    """The tree as the fixes applied so far leave it, in memory."""

    scanned: Scan
    analysis: Analysis
    workspace: Workspace
    costs: Costs
    texts: dict[str, str]  # path -> text, for every file edited so far


class Fixer:
    """One ``promptlint fix`` run over a tree.

    Fixes are applied in passes, as ruff does: a fix can uncover another finding (a
    deleted phrase leaves two sentences identical), so after each pass the edited tree is
    analyzed again in memory and fixed again, until a pass applies nothing. Running
    ``promptlint fix`` twice therefore changes nothing the second time.
    """

    MAX_PASSES = 10

    def __init__(self, paths: list[Path], config: Config, select=(), ignore=(), unsafe: bool = False,
                 use_cache: bool = True) -> None:
        self.paths = paths
        self.config = config
        self.select = tuple(select)
        self.ignore = tuple(ignore)
        self.unsafe = unsafe
        self.use_cache = use_cache
        catalog = ModelCatalog(config.prices, deployments=config.deployments)
        cache = open_cache(config, use_cache)
        self.counter = make_counter(config, catalog, cache)
        self.scanned = scan_tree(paths, config, cache)
        if cache is not None:
            cache.save()
        self.measurer = Remeasurer(self.scanned, config, self.counter, catalog, Pricer(config, catalog))
        self.uses = Uses(config.root, self.scanned.discovery)
        self._by_id_of: Project | None = None  # the project _by_id indexes (one per pass)
        self._by_id: dict[str, Request] = {}
        self.initial = self._state(self.scanned, {})

    @property
    def analysis(self) -> Analysis:
        return self.initial.analysis

    def _state(self, scanned: Scan, texts: dict[str, str]) -> State:
        analysis = analyze(self.paths, self.config, self.select, self.ignore, self.counter, use_cache=self.use_cache,
                           scanned=scanned)
        workspace = Workspace(self.config.root, self.scanned.discovery, self.config, texts)
        return State(scanned, analysis, workspace, self.measurer.costs(scanned.project, analysis.measurements), texts)

    def _overlay(self, state: State, texts: dict[str, str]) -> dict[str, tuple[str, bytes]]:
        merged = {**state.texts, **texts}
        return {p: (state.workspace.source(p).kind, state.workspace.source(p).encode(t)) for p, t in merged.items()}

    def run(self, write: bool = True) -> FixRun:
        state = self.initial
        applied: list[FixResult] = []
        final: list[FixResult] = []
        skipped: dict[tuple, FixResult] = {}  # overlapped an applied fix; tried again on the next pass
        for number in range(1, self.MAX_PASSES + 1):
            results, accepted = self._pass(state)
            texts = self._combine(state, accepted)
            done = [r for r in results if r.status == APPLIED]
            final = [r for r in results if r.status not in (APPLIED, SKIPPED)]
            for result in done:
                earlier = skipped.pop(_key(result), None)
                if earlier is not None:
                    result.notes.append(f"applied on pass {number}: on pass {number - 1} it {earlier.reason}")
            skipped.update((_key(r), r) for r in results if r.status == SKIPPED)
            if not done:
                break
            applied += done
            state = self._state(self.measurer.rescan(self._overlay(state, texts)), {**state.texts, **texts})
        sources = {p: self.initial.workspace.source(p) for p in state.texts}
        run = FixRun(self.initial.analysis, applied + list(skipped.values()) + final,
                     {p: (sources[p], t) for p, t in state.texts.items() if t != sources[p].text})
        run.unfixable = sum(1 for f in state.analysis.findings if f.finding.fix is not None and not f.finding.fix.edits)
        if applied:
            run.after = state.analysis
            run.total = self.measurer.difference(self.initial.costs, state.costs)
        if write:
            self.write(run)
        return run

    def _pass(self, state: State) -> tuple[list[FixResult], dict[str, list[tuple[Edit, FixResult]]]]:
        """Try the fixes that would apply; when none does (the last pass), also the ones
        shown as suggestions, so each is measured once, on the text the user will have."""
        accepted: dict[str, list[tuple[Edit, FixResult]]] = {}
        now, later = [], []
        for priced in state.analysis.findings:
            fix = priced.finding.fix
            if fix is None or not fix.edits:
                continue
            (now if fix.applicability == "safe" or self.unsafe else later).append((priced, fix))
        results = try_all(self, now, state)
        for result in results:
            if result.status == APPLIED:
                self._accept(result, accepted)
        if not accepted:
            results += try_all(self, later, state)
        return results, accepted

    def prepare(self, state: State, fixes: list[Fix]) -> None:
        """Build the indexes the trials of ``fixes`` on ``state`` read (before they are forked)."""
        self.measurer.prepare(state.scanned)
        self._requests_by_id(state.scanned.project)
        if state.texts and self.uses.texts is not state.texts:
            self.uses = Uses(self.config.root, self.scanned.discovery, state.texts)
        self.uses.expect(sum(1 for fix in fixes if any(isinstance(e, TextEdit) for e in fix.edits)))

    def try_fix(self, priced: PricedFinding, fix: Fix, state: State | None = None) -> FixResult:
        """The fix alone on ``state`` (default: the tree as read): edits, parse check,
        re-extraction, verification, measurement."""
        state = state or self.initial
        result = FixResult(priced, fix.applicability, FAILED)
        project = state.scanned.project
        try:
            edits = resolve(fix, project, state.workspace)
            texts = self._texts(state, edits)
        except FixError as exc:
            result.reason = str(exc)
            return result
        result.edits = tuple(edits)
        for path, (source, text) in texts.items():
            problem = parse_problem(source, text)
            if problem:
                result.reason = f"{path}: the edited file would not parse ({problem})"
                return result
        # The state's scan already holds the earlier passes' edits: only this fix's files are new.
        before, after = self.measurer.local(state.scanned, {p: (s.kind, s.encode(t)) for p, (s, t) in texts.items()})
        problem = verify.problem(fix, before, after, set(texts)) or self._kept_apart(priced, fix, state, before, after)
        if problem:
            result.reason = problem
            return result
        if fix.applicability == "safe":
            others = verify.side_effects(fix, before, after)
            if others:
                result.applicability = "unsafe"
                more = f" and {len(others) - 1} more" if len(others) > 1 else ""
                result.notes.append(f"unsafe here: it also changes `{others[0]}`{more}")
        result.measured = self.measurer.difference(self.measurer.before_costs(before), self.measurer.costs(after))
        result.status = APPLIED if result.applicability == "safe" or self.unsafe else SUGGESTED
        if result.status == SUGGESTED:  # shown by itself; an applied fix is in the run's diff
            result.diff = "".join(s.diff(t) for _, (s, t) in sorted(texts.items()))
        return result

    def _kept_apart(self, priced: PricedFinding, fix: Fix, state: State, before: Project, after: Project) -> str | None:
        """Anatomy and sharing: the fix leaves every region its rule may not edit as it was,
        and edits no text that code other than this prompt also reads."""
        rule = next((r for r in state.analysis.rules if r.code == priced.finding.code), None)
        problem = verify.anatomy_problem(fix, rule.edits if rule else (), before, after,
                                         tuple(self.config.prompt_name_patterns), self.measurer.before_anatomies(before, state.analysis.anatomies))
        project = state.scanned.project
        texts = [e for e in fix.edits if isinstance(e, TextEdit)]
        if problem or not texts:
            return problem
        by_id = self._requests_by_id(project)
        requests = [by_id[r] for r in priced.finding.requests if r in by_id]
        if state.texts and self.uses.texts is not state.texts:
            self.uses = Uses(self.config.root, self.scanned.discovery, state.texts)
        return shared_use(texts, project, requests, self.uses)

    def _requests_by_id(self, project: Project) -> dict[str, Request]:
        if self._by_id_of is not project:
            self._by_id_of, self._by_id = project, {r.id: r for r in project.requests}
        return self._by_id

    @staticmethod
    def _texts(state: State, edits: list[Edit]) -> dict[str, tuple[SourceText, str]]:
        by_path: dict[str, list[Edit]] = {}
        for edit in edits:
            by_path.setdefault(edit.path, []).append(edit)
        out = {}
        for path, mine in by_path.items():
            source = state.workspace.source(path)
            try:
                out[path] = (source, apply_edits(source.text, mine))
            except ValueError as exc:
                raise FixError(f"{path}: {exc}") from None
        return out

    @staticmethod
    def _accept(result: FixResult, accepted: dict[str, list[tuple[Edit, FixResult]]]) -> None:
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

    def _combine(self, state: State, accepted: dict[str, list[tuple[Edit, FixResult]]]) -> dict[str, str]:
        """Every applied edit of a file together, parsed once more; a file that would not
        parse takes back every fix that edits it."""
        texts: dict[str, str] = {}
        failed: set[int] = set()
        for path, items in accepted.items():
            source = state.workspace.source(path)
            problem = parse_problem(source, apply_edits(source.text, [e for e, _ in items]))
            if problem:
                for _, owner in items:
                    owner.status, owner.reason = FAILED, f"{path}: the fixes together would not parse ({problem})"
                    failed.add(id(owner))
        for path, items in accepted.items():
            kept = [e for e, owner in items if id(owner) not in failed]
            if kept:
                texts[path] = apply_edits(state.workspace.source(path).text, kept)
        return texts

    def write(self, run: FixRun) -> None:
        """Write every edited file (:mod:`writer`); a fix whose file is not written is refused."""
        root = Path(self.config.root)
        write_run(run, root, root / self.config.cache_dir)
        for result in run.by_status(APPLIED):
            hit = sorted(p for p in result.paths if p in run.refused)
            if hit:
                result.status = REFUSED
                result.reason = f"{hit[0]} not written: {run.refused[hit[0]]}"
        if run.refused and run.total is not None:
            self._recount(run)

    def _recount(self, run: FixRun) -> None:
        """The run's saving and remaining findings as the tree was written: measured
        before writing, they counted the fixes of files that were then refused."""
        texts = {p: t for p, (_, t) in run.files.items() if p not in run.refused}
        if not texts:
            run.total = run.after = None
            return
        written = self._state(self.measurer.rescan(self._overlay(self.initial, texts)), texts)
        run.total = self.measurer.difference(self.initial.costs, written.costs)
        run.after = written.analysis


def _key(result: FixResult) -> tuple:
    """The same finding on another pass (its message may name other numbers)."""
    f = result.finding.finding
    return (f.code, f.template, f.request, f.span.path)


def _where(result: FixResult) -> str:
    span = result.finding.finding.span
    return f"{span.path}:{span.line}"
