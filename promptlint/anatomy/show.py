"""A template's anatomy for people (``promptlint audit --anatomy``) and for JSON (``--verbose``)."""

from __future__ import annotations

from promptlint.anatomy.model import Anatomy


def regions_json(anatomy: Anatomy, view) -> list[dict]:
    """Kind, evidence, offsets and source lines of each region that holds more than
    whitespace (``view``: the template's :class:`TextView`)."""
    locate = view.locate
    out = []
    for r in anatomy.regions:
        if not anatomy.text[r.start:r.end].strip():
            continue
        first, last = locate(r.start), locate(max(r.start, r.end - 1))
        entry = {"kind": r.kind, "why": r.why, "start": r.start, "end": r.end,
                 "path": first.path, "line": first.line, "end_line": last.line}
        if first.cell is not None:
            entry["cell"] = first.cell
        section = anatomy.sections[r.section]
        if section.kind != "root":
            entry["section"] = section.title
        out.append(entry)
    return out


def render_anatomy(anatomy: Anatomy, view, width: int = 72) -> str:
    lines = [f"{anatomy.template}: {len(anatomy.text):,} characters, "
             f"{sum(1 for r in anatomy.regions if anatomy.text[r.start:r.end].strip())} regions"]
    for entry, region in zip(regions_json(anatomy, view), [r for r in anatomy.regions
                                                              if anatomy.text[r.start:r.end].strip()]):
        where = f"{entry['path']}:{entry['line']}" + (f"-{entry['end_line']}" if entry["end_line"] != entry["line"] else "")
        if "cell" in entry:
            where += f" [cell {entry['cell']}]"
        head = " ".join(view.display(anatomy.text[region.start:region.end]).split())
        head = head if len(head) <= width else head[:width - 1] + "…"
        section = f"  § {entry['section']}" if "section" in entry else ""
        lines.append(f"  {region.kind:<14} {where}  ({region.why}){section}\n      {head}")
    lines.append("  sections:")
    for s in anatomy.sections[1:]:
        depth = len(anatomy.ancestors(s.index)) - 1
        lines.append(f"  {'  ' * depth}{s.kind}: {s.title}")
    return "\n".join(lines) + "\n"


def render_templates(analysis, wanted: str, view, output_format: str = "text") -> str | None:
    """The anatomy of every template whose id is ``wanted`` or contains it (None: no such
    template), as text or, with ``json``, as a list of ``{"id", "regions"}``."""
    import json

    from promptlint.anatomy.view import TextView

    templates = analysis.project.templates
    ids = [wanted] if wanted in templates else sorted(t for t in templates if wanted in t)
    if not ids:
        return None
    if output_format == "json":
        return json.dumps([{"id": tid, "regions": [{**r, "path": view.path(r["path"])} for r in
                                                   regions_json(analysis.anatomies[tid], TextView(templates[tid]))]}
                           for tid in ids], indent=2, ensure_ascii=False) + "\n"
    return "\n".join(render_anatomy(analysis.anatomies[tid], TextView(templates[tid])) for tid in ids)
