"""A rule's fix, in the rule's terms, as character edits of files."""

from __future__ import annotations

from promptlint.fix.files import fit_breaks, overlaps, own_breaks
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
    out = [e for path, mine in _by_path(list(dict.fromkeys(out))).items()
           for e in fit_breaks(workspace.source(path).text, mine)]
    unique = sorted(dict.fromkeys(out), key=lambda e: (e.path, e.start, e.end))
    for a, b in zip(unique, unique[1:]):
        if a.path == b.path and overlaps(a, b):
            raise FixError(f"{a.path}: two parts of the fix edit the same text")
    out = joined(unique)
    return [e for path, mine in _by_path(out).items() for e in own_breaks(workspace.source(path).text, mine)]


def _by_path(edits: list[Edit]) -> dict[str, list[Edit]]:
    by_path: dict[str, list[Edit]] = {}
    for edit in edits:
        by_path.setdefault(edit.path, []).append(edit)
    return by_path


def joined(edits: list[Edit]) -> list[Edit]:
    """Sorted, non-overlapping ``edits`` with those that meet end to start made one.

    How finely a change is cut depends on how its template was read: a CRLF break is a
    segment of its own where an LF break is part of the text around it, so one deletion
    of an LF file is two touching deletions of the same CRLF file. Joined, a fix has the
    same edits whatever the file's line endings, and whether it conflicts with another
    fix, or makes an edit another fix already makes, does not depend on them.
    """
    out: list[Edit] = []
    for edit in edits:
        last = out[-1] if out else None
        if last is not None and last.path == edit.path and last.end == edit.start:
            out[-1] = Edit(edit.path, last.start, edit.end, last.replacement + edit.replacement)
        else:
            out.append(edit)
    return out
