"""Stage 2: extract templates and requests from each file, then link them.

``EXTRACTORS`` maps a file kind (from :mod:`promptlint.discover`) to the function that
reads it. Every extractor takes the decoded text and returns a
:class:`~promptlint.extract.result.FileResult`; none of them may raise on bad input.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module
from typing import Callable, Iterable

from promptlint.collector import paused
from promptlint.extract.result import FileResult
from promptlint.types import Diagnostic

Extractor = Callable[[str, str, tuple[str, ...]], FileResult]

# A Python module read only for the values its names hold (extract_python's ``values_only``),
# and each such kind's file kind as :func:`promptlint.discover.classify` gives it (the
# prefilter verdict kept for the file is that kind's).
VALUES_KIND = "python-values"
# A Python module the prefilter skipped that linking reads only for its calls of the tree's
# helpers and the loops around them (extract_python's ``calls_only``).
CALLS_KIND = "python-calls"
READ_AS = {VALUES_KIND: "python", CALLS_KIND: "python"}


def _python(path: str, text: str, name_patterns: tuple[str, ...]) -> FileResult:
    from promptlint.extract.python import extract_python

    return extract_python(path, text, name_patterns)


def _python_values(path: str, text: str, name_patterns: tuple[str, ...]) -> FileResult:
    from promptlint.extract.python import extract_python

    return extract_python(path, text, name_patterns, values_only=True)


def _python_calls(path: str, text: str, name_patterns: tuple[str, ...]) -> FileResult:
    from promptlint.extract.python import extract_python

    return extract_python(path, text, name_patterns, calls_only=True)


def _jinja(path: str, text: str, name_patterns: tuple[str, ...]) -> FileResult:
    from promptlint.extract.jinja import extract_jinja

    return extract_jinja(path, text, name_patterns)


def _yaml(path: str, text: str, name_patterns: tuple[str, ...]) -> FileResult:
    from promptlint.extract.yaml_prompts import extract_yaml

    return extract_yaml(path, text, name_patterns)


def _notebook(path: str, text: str, name_patterns: tuple[str, ...]) -> FileResult:
    from promptlint.extract.notebook import extract_notebook

    return extract_notebook(path, text, name_patterns)


def _text(path: str, text: str, name_patterns: tuple[str, ...]) -> FileResult:
    from promptlint.extract.textfile import extract_text

    return extract_text(path, text, name_patterns)


# Imports are deferred so a tree without Jinja or YAML never loads those parsers.
EXTRACTORS: dict[str, Extractor] = {
    "python": _python, VALUES_KIND: _python_values, CALLS_KIND: _python_calls, "jinja": _jinja, "yaml": _yaml, "notebook": _notebook, "text": _text,
}


# The modules each kind's extractor imports on its first file.
_MODULES = {"python": ("promptlint.extract.python",), "notebook": ("promptlint.extract.notebook", "promptlint.extract.python"),
            "jinja": ("promptlint.extract.jinja",), "yaml": ("promptlint.extract.yaml_prompts",)}


def prepare(kinds: Iterable[str]) -> None:
    """Import the extractors of ``kinds`` now, with what they build once for every file
    (a module's ``prepare()``: the Jinja parser). Before a survey forks its workers, this
    is done once instead of once in each (Jinja's and YAML's imports were some 50 ms of
    every worker's CPU; this process imports the Python extractor later anyway)."""
    for kind in sorted(kinds):
        for name in _MODULES.get(kind, ()):
            ready = getattr(import_module(name), "prepare", None)
            if ready is not None:
                ready()


def decode(path: str, data: bytes) -> str | Diagnostic:
    """Decode as UTF-8 (with or without BOM); anything else is a PL001 diagnostic."""
    from promptlint.discover import WIDE_BOMS, wide_encoding

    if data.startswith(WIDE_BOMS):
        return Diagnostic(path, f"{wide_encoding(data)}; promptlint reads UTF-8 only")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Diagnostic(path, f"cannot decode as UTF-8 at byte {exc.start}", line)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return Diagnostic(path, "file contains NUL bytes; not a text file", line)
    return text


def extract_file(path: str, kind: str, data: bytes, name_patterns: tuple[str, ...]) -> FileResult:
    """Decode and extract one file; never raises."""
    text = decode(path, data)
    if isinstance(text, Diagnostic):
        if kind == "text":  # a file code reads (an image, a PDF): data it sends, not a prompt to parse
            text = replace(text, message=f"not a text file ({text.message}): code reads it as data, "
                                         "so it is not counted as prompt text", code="skip")
        return FileResult(path, kind, diagnostics=(text,))
    extractor = EXTRACTORS.get(kind)
    if extractor is None:
        return FileResult(path, kind)
    try:
        # (a file's tree and indexes, freed by reference counting: 10-15% of a cold run's CPU
        # was the collector walking them and the earlier results again and again)
        with paused():
            return extractor(path, text, name_patterns)
    except RecursionError:
        return FileResult(path, kind, diagnostics=(Diagnostic(path, "cannot analyze: nesting too deep"),))
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the scan
        return FileResult(path, kind, diagnostics=(Diagnostic(path, f"internal error while extracting: {type(exc).__name__}: {exc}"),))
