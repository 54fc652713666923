"""A rule's fix, in the rule's terms, as character edits of files."""

from __future__ import annotations

from promptlint.fix.files import fit_breaks, overlaps
from promptlint.fix.structure import argument_edits, cache_edits, remove_edits
from promptlint.fix.textmap import text_edits
from promptlint.fix.workspace import FixError, Workspace
from promptlint.types import ArgumentEdit, CacheEdit, Edit, Fix, Project, RemoveEdit, TextEdit


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
    by_path: dict[str, list[Edit]] = {}
    for edit in dict.fromkeys(out):
        by_path.setdefault(edit.path, []).append(edit)
    out = [e for path, mine in by_path.items() for e in fit_breaks(workspace.source(path).text, mine)]
    unique = sorted(dict.fromkeys(out), key=lambda e: (e.path, e.start, e.end))
    for a, b in zip(unique, unique[1:]):
        if a.path == b.path and overlaps(a, b):
            raise FixError(f"{a.path}: two parts of the fix edit the same text")
    return unique
