"""The files a fix edits: read once, edited as text, checked, written back unchanged in
everything but the edit (SPEC §9).

A file is decoded the way extraction decoded it (UTF-8, an optional BOM removed), so the
character offsets of spans and edits mean the same thing here. Writing puts the BOM back,
keeps every newline the file had (edits only add the file's own newline style), and the
result is parsed as its kind before anything is written; :mod:`writer` writes it.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from promptlint.extract.prompty import _CLOSE, _OPEN
from promptlint.extract.source import LineIndex
from promptlint.fix.notebook import Layout, layout
from promptlint.types import Edit

BOM = b"\xef\xbb\xbf"
BREAK = re.compile(r"\r\n|\r|\n")
_LONE_CR = re.compile(r"\r(?!\n)")


@dataclass(frozen=True)
class SourceText:
    path: str  # relative to the project root
    abspath: str
    kind: str
    data: bytes  # as read
    text: str  # decoded, without BOM; for a notebook, the module of its code cells
    layout: Layout | None = None  # a notebook's: how its module maps to the JSON

    @property
    def bom(self) -> bool:
        return self.data.startswith(BOM)

    @property
    def newline(self) -> str:
        """The newline new lines are written with: the file's first one."""
        m = BREAK.search(self.text)
        return m.group() if m else "\n"

    @property
    def is_python(self) -> bool:
        return self.kind in ("python", "notebook")

    @property
    def code(self) -> str:
        """The text as Python code is parsed for editing: a lone ``\r`` (a line break to
        Python) read as ``\n``, which libcst reproduces exactly. Offsets are the text's own."""
        return _LONE_CR.sub("\n", self.text) if "\r" in self.text else self.text

    def encode(self, text: str) -> bytes:
        if self.layout is not None:
            text = self.layout.render(text)
        return (BOM if self.bom else b"") + text.encode("utf-8")

    def diff(self, new_text: str) -> str:
        """The change as a unified diff (a notebook's by cell)."""
        if self.layout is not None:
            return self.layout.diff(self.path, self.text, new_text)
        return unified_diff(self.path, self.text, new_text)


def split_lines(text: str) -> list[str]:
    """Lines with their endings, broken where extraction breaks them (``\r\n``, ``\r``,
    ``\n``; not form feeds as str.splitlines does), so a span's line number indexes them."""
    starts = LineIndex(text).starts
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)]) if a < b]


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(split_lines(old), split_lines(new), fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def read_source(path: str, abspath: str, kind: str, data: bytes | None = None) -> SourceText | None:
    """The file as extraction saw it (``data``: the bytes it read), or None when it is
    not UTF-8 text. A notebook that cannot be edited exactly raises NotebookError."""
    if data is None:
        try:
            data = Path(abspath).read_bytes()
        except OSError:
            return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if kind == "notebook":
        found = layout(text)
        return SourceText(path, abspath, kind, data, found.module, found)
    return SourceText(path, abspath, kind, data, text)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with non-overlapping ``edits`` applied."""
    out = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        out.append(text[pos:edit.start])
        out.append(edit.replacement)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def fit_breaks(text: str, edits: list[Edit]) -> list[Edit]:
    """``edits`` of ``text`` made to keep its line breaks whole and in its own style.

    Rules and extraction read every line break as ``\n``; in a CRLF or CR file an edit
    must neither split a ``\r\n`` (a deleted line takes its whole break, an insertion
    goes before the pair) nor add a bare ``\n``: each break it writes is the break of the
    line it is written into, so a mixed file keeps each line's own style.
    """
    if "\r" not in text:
        return edits
    ranges = [(e.start, e.end) for e in edits]

    def deleted(offset: int) -> bool:
        return any(a <= offset < b for a, b in ranges)

    out: list[Edit] = []
    for edit in edits:
        start, end = edit.start, edit.end
        if _splits(text, start):
            if start == end:
                start = end = start - 1
            elif not deleted(start - 1):
                start -= 1
        if start < end and _splits(text, end) and not deleted(end):
            end += 1
        newline = _line_break(text, start)
        out.append(Edit(edit.path, start, end, BREAK.sub(lambda _: newline, edit.replacement)))
    return out


def own_breaks(text: str, edits: list[Edit]) -> list[Edit]:
    """Sorted, joined ``edits`` of ``text`` where a deletion of the break before some
    lines, up to the break after them, is made the deletion of those lines with the break
    after them: the same text, but the line before keeps its own break. (A template read
    without the file's last break, as Jinja reads one, can state the deletion of its last
    line only the first way.) Only where the two breaks differ: elsewhere it is the same
    edit."""
    out = list(edits)
    for k, edit in enumerate(out):
        if edit.replacement or edit.start == edit.end:
            continue
        at_line_start = edit.start == 0 or text[edit.start - 1] in "\r\n"
        own = BREAK.match(text, edit.end)
        if at_line_start and own is not None and text[edit.start:edit.end].strip() \
                and not BREAK.search(text[edit.end - 1:edit.end]) \
                and not (k + 1 < len(out) and out[k + 1].start <= own.end()):
            # whole lines up to a line's end, as a template without the file's last break
            # states deleting its last lines: that line's own break goes with them
            out[k] = Edit(edit.path, edit.start, own.end(), "")
            continue
        before, after = BREAK.match(text, edit.start), BREAK.match(text, edit.end)
        if before is None or after is None or before.group() == after.group() \
                or not text[before.end():edit.end].strip():
            continue
        if k + 1 < len(out) and out[k + 1].start <= after.end():
            continue
        out[k] = Edit(edit.path, before.end(), after.end(), "")
    return out


def _splits(text: str, offset: int) -> bool:
    """Whether ``offset`` falls between the two characters of a ``\r\n``."""
    return 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n"


def _line_break(text: str, offset: int) -> str:
    """The break that ends the line ``offset`` is on (on the last line, the one before)."""
    m = BREAK.search(text, offset)
    if m is not None:
        return m.group()
    at = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset))
    if at < 0:
        return "\n"
    return "\r\n" if text[at] == "\n" and at > 0 and text[at - 1] == "\r" else text[at]


def overlaps(a: Edit, b: Edit) -> bool:
    """Whether two edits of one file touch the same characters. An insertion conflicts
    with anything at or across its point: which text comes first would be a guess."""
    if a.start == a.end or b.start == b.end:
        return max(a.start, b.start) <= min(a.end, b.end)
    return a.start < b.end and b.start < a.end


def parse_problem(source: SourceText, new_text: str) -> str | None:
    """Why the edited file would not parse as its kind, or None when it does."""
    kind = source.kind
    try:
        if kind == "python":
            data = source.encode(new_text)
            if _compiles(source.data) and not _compiles(data):
                try:
                    compile(data, source.path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
                except SyntaxError as exc:
                    return f"Python syntax error at line {exc.lineno}: {exc.msg}"
        elif kind == "yaml":
            import yaml

            if source.path.endswith(".prompty"):
                new_text = _front_matter(new_text)
            list(yaml.safe_load_all(new_text))
        elif kind == "jinja":
            import jinja2

            jinja2.Environment().parse(new_text)
        elif kind == "notebook":
            assert source.layout is not None
            json.loads(source.layout.render(new_text))
            if _compiles(source.text.encode()) and not _compiles(new_text.encode()):
                return "a code cell would not parse"
    except Exception as exc:  # noqa: BLE001 - any parser failure refuses the edit
        return f"{kind} does not parse: {exc}"
    return None


_COMPILES: dict[bytes, bool] = {}  # digest -> verdict


def _compiles(data: bytes) -> bool:
    """Whether ``data`` is Python. Remembered for every text of a run, not a few: a file's
    text is checked as the file read, as one fix's result, as every fix's result together
    and as the next pass's file, and these are mostly the same bytes."""
    key = hashlib.blake2b(data, digest_size=16).digest()
    if key not in _COMPILES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(data, "<promptlint>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            _COMPILES[key] = True
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            _COMPILES[key] = False
    return _COMPILES[key]


def verdicts() -> dict[bytes, bool]:
    """The parse verdicts of this process so far (digest -> whether it is Python)."""
    return _COMPILES


def learn_verdicts(found: dict[bytes, bool]) -> None:
    """Verdicts another process reached (a worker that tried a fix)."""
    _COMPILES.update(found)


def _front_matter(text: str) -> str:
    """The YAML between the ``---`` lines, found as the prompty extractor finds it."""
    opened = _OPEN.match(text)
    closed = _CLOSE.search(text, opened.end()) if opened else None
    return text[opened.end():closed.start()] if opened and closed else ""
