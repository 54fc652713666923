"""Stage 1: find the files that may hold prompts.

Walking is cheap; parsing is not. So every candidate file is read as bytes and passed
through a byte-level prefilter (one compiled regex per file kind) and only files that
can hold a prompt go on to extraction. A file that cannot be read or is too large yields
a skip notice instead of stopping the scan.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from promptlint.config import DEFAULT_EXCLUDE, Config
from promptlint.globs import match_any, match_path
from promptlint.types import Diagnostic


@dataclass(frozen=True)
class SourceFile:
    path: str  # POSIX, relative to the project root
    abspath: str
    kind: str  # python | notebook | jinja | yaml
    data: bytes


@dataclass(frozen=True)
class Discovery:
    files: tuple[SourceFile, ...]  # passed the prefilter: to be extracted
    candidates: int  # files of a known kind that were looked at
    diagnostics: tuple[Diagnostic, ...]
    skipped: tuple[str, ...] = ()  # candidate paths that failed the prefilter (for lazy loading)


_CALL_MARKERS = (
    rb"(?:messages|completions|responses|batches)\s*\.\s*"
    rb"(?:with_raw_response\s*\.\s*|with_streaming_response\s*\.\s*)?(?:create|stream|parse)\s*\("
    rb"|\ba?completion\s*\(|\blitellm\b"
    rb"|PromptTemplate|from_messages|(?:System|Human|AI)Message\b"
)
_CALL_ANCHORS = (b"messages", b"completion", b"responses", b"batches", b"litellm", b"prompttemplate",
                 b"systemmessage", b"humanmessage", b"aimessage")
_YAML_KEYS = (
    rb"^[ \t]*(?:-[ \t]*)?[\"']?(?:system|prompt|prompts|template|templates|instructions|user|messages"
    rb"|examples|content|[\w-]*_prompt|[\w-]*_template)[\"']?[ \t]*:"
)
_YAML_ANCHORS = (b"system", b"prompt", b"template", b"instructions", b"user", b"messages", b"examples", b"content")


@dataclass(frozen=True)
class Prefilter:
    """Find a literal anchor at memory-search speed, then confirm with a regex around it.

    A regex alone is tried at every byte of every file; searching the lower-cased bytes
    for a handful of literals first skips almost all of an ordinary file in C, and the
    confirming regex only runs on the lines where an anchor occurs.
    """

    anchors: tuple[bytes, ...]
    confirm: re.Pattern[bytes]
    window: int = 300  # bytes after an anchor a multi-line call may span

    def matches(self, data: bytes) -> bool:
        low = data.lower()
        for anchor in self.anchors:
            start = low.find(anchor)
            while start != -1:
                line_start = low.rfind(b"\n", 0, start) + 1
                if self.confirm.search(data, line_start, min(len(data), start + self.window)):
                    return True
                start = low.find(anchor, start + 1)
        return False


def _name_regex(patterns: tuple[str, ...]) -> bytes:
    alts = []
    for p in patterns:
        body = re.escape(p.encode()).replace(rb"\*", rb"\w*").replace(rb"\?", rb"\w")
        alts.append(body)
    return b"(?:" + b"|".join(alts) + b")" if alts else b"(?!)"


def _name_anchors(patterns: tuple[str, ...]) -> tuple[bytes, ...]:
    """The longest literal run of each name pattern: ``*PROMPT*`` -> ``prompt``."""
    anchors = []
    for p in patterns:
        runs = [r for r in re.split(r"[*?\[\]]", p) if r]
        if not runs:
            return (b"",)  # a pattern that is all wildcards matches any name
        anchors.append(max(runs, key=len).lower().encode())
    return tuple(anchors)


@lru_cache(maxsize=16)
def prefilter(kind: str, name_patterns: tuple[str, ...]) -> Prefilter | None:
    """What a file of ``kind`` must contain to be parsed (None: always parse)."""
    names = _name_regex(name_patterns)
    anchors = _CALL_ANCHORS + _name_anchors(name_patterns)
    if kind == "python":
        assign = rb"^[ \t]*" + names + rb"[ \t]*(?::[^=\n]*)?=(?!=)"
        return Prefilter(anchors, re.compile(_CALL_MARKERS + b"|" + assign, re.MULTILINE | re.IGNORECASE))
    if kind == "notebook":
        assign = names + rb"[ \t]*(?::[^=\\]*)?=(?!=)"
        return Prefilter(anchors, re.compile(_CALL_MARKERS + b"|" + assign, re.IGNORECASE))
    if kind == "yaml":
        return Prefilter(_YAML_ANCHORS, re.compile(_YAML_KEYS, re.MULTILINE | re.IGNORECASE))
    return None


def classify(relpath: str, config: Config) -> str | None:
    name = relpath.rsplit("/", 1)[-1]
    if name.endswith(".py"):
        return "python"
    if name.endswith(".ipynb"):
        return "notebook"
    if name.endswith(".prompty") or name.endswith((".yaml", ".yml")):
        return "yaml"
    if any(match_path(g, relpath) for g in config.template_globs):
        return "jinja"
    return None


def _excluded(relpath: str, config: Config) -> bool:
    patterns = config.exclude or DEFAULT_EXCLUDE
    return match_any(patterns, relpath) or match_any(config.extend_exclude, relpath)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def iter_candidates(paths: list[Path], config: Config, diagnostics: list[Diagnostic]):
    """Yield (relpath, abspath, kind) for every file of a known kind under ``paths``."""
    root = Path(config.root).resolve()
    seen: set[str] = set()
    for given in paths:
        start = Path(os.path.abspath(given))
        if not start.exists() and not start.is_symlink():
            diagnostics.append(Diagnostic(str(given), "path does not exist", code="skip"))
            continue
        if start.is_file() or (start.is_symlink() and not start.is_dir()):
            rel = _relative(start, root)
            kind = classify(rel, config)
            if kind and not _excluded(rel, config) and rel not in seen:
                seen.add(rel)
                yield rel, str(start), kind
            continue
        stack = [start]
        while stack:
            folder = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                diagnostics.append(Diagnostic(_relative(folder, root), f"cannot list directory: {exc.strerror}", code="skip"))
                continue
            subdirs = []
            for entry in entries:
                rel = _relative(Path(entry.path), root)
                if _excluded(rel, config):
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_file = entry.is_file(follow_symlinks=True) and not is_dir
                except OSError:
                    continue
                if is_dir:
                    subdirs.append(Path(entry.path))
                elif is_file:
                    kind = classify(rel, config)
                    if kind is None or rel in seen:
                        continue
                    if config.include and not match_any(config.include, rel):
                        continue
                    seen.add(rel)
                    yield rel, entry.path, kind
            stack.extend(reversed(subdirs))


def read_candidate(rel: str, abspath: str, kind: str, config: Config) -> SourceFile | Diagnostic:
    try:
        size = os.stat(abspath).st_size
        if size > config.max_file_size:
            return Diagnostic(rel, f"skipped: {size:,} bytes is over max-file-size ({config.max_file_size:,})", code="skip")
        with open(abspath, "rb") as handle:
            data = handle.read(config.max_file_size + 1)
    except OSError as exc:
        return Diagnostic(rel, f"skipped: cannot read file: {exc.strerror or exc}", code="skip")
    return SourceFile(rel, abspath, kind, data)


def passes_prefilter(source: SourceFile, config: Config) -> bool:
    check = prefilter(source.kind, tuple(config.prompt_name_patterns))
    return check is None or check.matches(source.data)


def discover(paths: list[Path], config: Config) -> Discovery:
    diagnostics: list[Diagnostic] = []
    files: list[SourceFile] = []
    skipped: list[str] = []
    candidates = 0
    for rel, abspath, kind in iter_candidates(paths, config, diagnostics):
        candidates += 1
        got = read_candidate(rel, abspath, kind, config)
        if isinstance(got, Diagnostic):
            diagnostics.append(got)
        elif passes_prefilter(got, config):
            files.append(got)
        else:
            skipped.append(rel)
    return Discovery(tuple(files), candidates, tuple(diagnostics), tuple(skipped))
