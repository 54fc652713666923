"""Did the edited files come out as the fix meant? Compared after extracting them again.

Each kind of fix states its effect in the terms the rules see: a template's new text, a
part's cache breakpoint, a request's cap, a removed example. The re-extracted project
must show that effect, keep every request, and not fail to parse. A safe fix must also
leave every other prompt's words alone: when the same literal feeds another template
whose instructions change too, the fix is only offered as unsafe.
"""

from __future__ import annotations

import ast
import textwrap
from collections import Counter

from promptlint.checks.prompt_text import TextView
from promptlint.types import ArgumentEdit, CacheEdit, Fix, Part, Project, RemoveEdit, Request, Template, TextEdit

# Every name a request's cap is read under: the extractors report ``num_predict``,
# ``maxTokens``, ``max_tokens_to_sample`` and the like as ``max_tokens`` (shapes.py,
# langchain.py, yaml_prompts.py), and PL301 adds one of these three.
CAP_PARAMS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


def display(template: Template | None) -> str:
    return "<missing>" if template is None else template.display()


def edited_display(template: Template, edits: list[TextEdit]) -> str:
    """The template's text (holes as ``{name}``) after ``edits``: rules write them on a
    :class:`TextView` text, where a hole is one marker character."""
    view = TextView(template)
    text = view.text
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[:edit.start] + edit.replacement + text[edit.end:]
    return view.display(text)


def _part(project: Project, part: Part) -> str:
    if part.template is not None:
        return display(project.templates.get(part.template))
    return f"<{part.hole or part.unresolved}>"


def problem(fix: Fix, before: Project, after: Project, paths: set[str]) -> str | None:
    """Why the re-extracted project does not show the fix's effect (None: it does)."""
    new_requests = {r.id: r for r in after.requests}
    for request in before.requests:
        if request.id not in new_requests:
            return f"request `{request.id}` is no longer found"
    old_errors = Counter(d.path for d in before.diagnostics if d.code == "PL001" and d.path in paths)
    new_errors = Counter(d.path for d in after.diagnostics if d.code == "PL001" and d.path in paths)
    if new_errors - old_errors:
        return "the edited file no longer parses"
    removed = {tid for e in fix.edits if isinstance(e, RemoveEdit) for tid in e.templates}
    texts: dict[str, list[TextEdit]] = {}
    for edit in fix.edits:
        if isinstance(edit, TextEdit):
            texts.setdefault(edit.template, []).append(edit)
    for tid, edits in texts.items():
        if tid not in before.templates:  # composed at a call in a file the fix does not edit
            return f"template `{tid}` is not found again in the edited files, so the edit cannot be checked"
        want = edited_display(before.templates[tid], edits)
        got = display(after.templates.get(tid))
        if got != want and got == textwrap.dedent(want) != want:
            return (f"template `{tid}` is dedented: without the deleted lines, textwrap.dedent would strip "
                    "more indentation from the others (edit it by hand)")
        if got != want:
            return f"template `{tid}` reads differently after the edit than intended"
    for request in before.requests:
        new = new_requests[request.id]
        old_parts = [_part(before, p) for p in request.parts if p.template not in removed]
        new_parts = [_part(after, p) for p in new.parts]
        if not removed and not texts and old_parts != new_parts:
            return f"the prompt of `{request.id}` changed"
        if removed and old_parts != new_parts:
            return f"the example was not removed from `{request.id}` as intended"
    for edit in fix.edits:
        found = _structural(edit, before, after, new_requests)
        if found:
            return found
    return None


def _structural(edit, before: Project, after: Project, new_requests: dict[str, Request]) -> str | None:
    if isinstance(edit, CacheEdit):
        new = new_requests[edit.request]
        marked = new.auto_cache is not None if edit.part is None else \
            edit.part < len(new.parts) and new.parts[edit.part].cache is not None
        return None if marked else f"no cache breakpoint is found on `{edit.request}` after the edit"
    if isinstance(edit, ArgumentEdit):
        new = new_requests[edit.request]
        try:
            value = ast.literal_eval(edit.value)
        except (ValueError, SyntaxError):
            return None
        if edit.name in CAP_PARAMS and (new.max_tokens != value or new.max_tokens_param != edit.name):
            return f"`{edit.name}` of `{edit.request}` is not {value} after the edit"
        if edit.name == "model" and new.model != value:
            return f"the model of `{edit.request}` is not {value} after the edit"
    if isinstance(edit, RemoveEdit):
        gone = [before.templates[t] for t in edit.templates if t in before.templates]
        paths = {t.path for t in gone}
        old = Counter(display(t) for t in before.templates.values() if t.path in paths)
        new = Counter(display(t) for t in after.templates.values() if t.path in paths)
        if old - Counter(display(t) for t in gone) != new:
            return "the example's text is still there after the edit"
    return None


def side_effects(fix: Fix, before: Project, after: Project) -> list[str]:
    """Prompts other than the fix's own whose words (not just whitespace) changed and that
    some request sends without the fix's own prompt: they would read differently."""
    own = {e.template for e in fix.edits if isinstance(e, TextEdit)}
    own |= {t for e in fix.edits if isinstance(e, RemoveEdit) for t in e.templates}

    def words(template: Template | None) -> str:
        return "".join(display(template).split())

    out = []
    for tid, old in before.templates.items():
        if tid in own or words(old) == words(after.templates.get(tid)):
            continue
        senders = [r for r in before.requests if tid in r.templates]
        if any(not own.intersection(r.templates) for r in senders):
            out.append(tid)
    return sorted(out)


def anatomy_problem(fix: Fix, editable: tuple[str, ...], before: Project, after: Project,
                    name_patterns: tuple[str, ...] = (), old_anatomies=None) -> str | None:
    """Why the fix changes a region it may not (None: every region of a kind the rule's
    ``edits`` does not name reads byte for byte as before): a whitespace fix that moved
    code, a deletion that took a line of an example with it. ``old_anatomies``: those of
    ``before``, when the caller keeps them for several fixes."""
    from promptlint.anatomy import Anatomies
    from promptlint.anatomy.model import KINDS

    kept = [k for k in KINDS if k not in editable]
    removed = {t for e in fix.edits if isinstance(e, RemoveEdit) for t in e.templates}
    touched = {e.template for e in fix.edits if isinstance(e, TextEdit)}
    touched |= {tid for tid, t in before.templates.items()
                if tid not in removed and tid in after.templates and display(t) != display(after.templates[tid])}
    old_anatomies = old_anatomies if old_anatomies is not None else Anatomies(before, name_patterns)
    new_anatomies = Anatomies(after, name_patterns)
    for tid in sorted(touched):
        if tid not in after.templates or tid not in before.templates:
            continue
        old = _regions(old_anatomies[tid], TextView(before.templates[tid]), kept)
        new = _regions(new_anatomies[tid], TextView(after.templates[tid]), kept)
        if old != new:
            changed = next(((k, t) for (k, t), (k2, t2) in zip(old, new) if (k, t) != (k2, t2)), (old or new)[-1])
            head = " ".join(changed[1].split())[:60]
            return (f"template `{tid}`: the fix would change its {changed[0]} region \"{head}\", which "
                    f"this rule may not edit")
    return None


class KnownAnatomies:
    """The anatomies of ``project``'s templates, each taken from ``known`` (another
    project's, already made) when that project holds the same template read the same way,
    and made otherwise."""

    def __init__(self, project: Project, name_patterns: tuple[str, ...], known) -> None:
        from promptlint.anatomy import Anatomies

        self.mine = Anatomies(project, name_patterns)
        self.known = known if known is not None and known.name_patterns == self.mine.name_patterns else None

    def __getitem__(self, template_id: str):
        known = self.known
        if known is not None:
            template = self.mine.project.templates[template_id]
            if known.project.templates.get(template_id) == template and \
                    known._whole(known.project.templates[template_id]) == self.mine._whole(template):
                return known[template_id]
        return self.mine[template_id]


def _regions(anatomy, view: TextView, kinds: list[str]) -> list[tuple[str, str]]:
    return [(kind, view.display(text)) for kind, text in anatomy.signature(kinds)]
