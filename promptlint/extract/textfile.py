"""A plain prompt file (``.txt``, ``.md``) read whole by code: one template, id = its path.

Such files are not scanned on their own; they become templates when Python code reads
them (``Path("prompts/system.md").read_text()``) or a promptfoo config names them, and
the linker extracts them then. ``{name}`` and ``{{ name }}`` are holes, as in a
constant that is later ``.format``-ted.
"""

from __future__ import annotations

from promptlint.extract.result import FileResult
from promptlint.extract.roles import role_from_path
from promptlint.extract.source import LineIndex, MappedText, text_segments
from promptlint.suppress import markdown_suppressions
from promptlint.types import Template


def extract_text(path: str, text: str, name_patterns: tuple[str, ...] = ()) -> FileResult:
    lines = LineIndex(text)
    whole = lines.span(path, 0, len(text))
    segments = text_segments(MappedText.verbatim(path, lines)) if text else ()
    template = Template(id=path, path=path, span=whole, kind="text", role=role_from_path(path),  # type: ignore[arg-type]
                        segments=segments)
    return FileResult(path, "text", templates=(template,) if text.strip() else (),
                      suppressions=markdown_suppressions(text))
