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
    others: tuple[str, ...] = ()  # prompt-like text files (.txt, .md) code may read (for linking)


_CALL_MARKERS = (
    rb"(?:messages|completions|responses|batches)\s*\.\s*"
    rb"(?:with_raw_response\s*\.\s*|with_streaming_response\s*\.\s*)?(?:create|stream|parse)\s*\("
    rb"|\ba?completion\s*\(|\blitellm\b"
    rb"|PromptTemplate|from_messages|(?:System|Human|AI)Message\b"
    rb"|\b(?:Chat[A-Z]\w*|AzureChat\w*|init_chat_model)\s*\(|MessagesPlaceholder|\.a?invoke\s*\("
)
# A key that holds prompt text (a scalar on the same line, a block indicator, or plain
# text on the next, indented line), or a key that holds a list of prompts; Kubernetes'
# ``template:`` (a mapping on the next lines) does not match.
_YAML_KEYS = (
    rb"^[ \t]*(?:-[ \t]*)?[\"']?(?:"
    rb"(?:system|prompt|template|instructions|user|content|[\w-]*_prompt|[\w-]*_template|[\w-]*_instructions)"
    rb"[\"']?[ \t]*:(?:[ \t]*[^\s#]|[ \t]*(?:#[^\n]*)?\r?\n[ \t]+[^\s#:-][^:\n]*$)"
    rb"|(?:prompts|templates|messages|examples)[\"']?[ \t]*:)"
)


# Files that are not scanned on their own but that code may read as prompt text.
LINKABLE_SUFFIXES = (".txt", ".md", ".markdown", ".prompt", ".tmpl", ".tpl", ".mustache", ".hbs", ".njk",
                     ".liquid", ".xml", ".html")


def _name_regex(patterns: tuple[str, ...]) -> bytes:
    alts = []
    for p in patterns:
        body = re.escape(p.encode()).replace(rb"\*", rb"\w*").replace(rb"\?", rb"\w")
        alts.append(body)
    return b"(?:" + b"|".join(alts) + b")" if alts else b"(?!)"


@lru_cache(maxsize=16)
def prefilter(kind: str, name_patterns: tuple[str, ...]) -> re.Pattern[bytes] | None:
    """The byte regex a file of ``kind`` must match to be parsed (None: always parse)."""
    names = _name_regex(name_patterns)
    if kind == "python":
        assign = rb"^[ \t]*" + names + rb"[ \t]*(?::[^=\n]*)?=(?!=)"
        return re.compile(_CALL_MARKERS + b"|" + assign, re.MULTILINE | re.IGNORECASE)
    if kind == "notebook":
        return re.compile(_CALL_MARKERS + b"|" + names + rb"[ \t]*(?::[^=\\]*)?=(?!=)", re.IGNORECASE)
    if kind == "yaml":
        return re.compile(_YAML_KEYS, re.MULTILINE | re.IGNORECASE)
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


def iter_candidates(paths: list[Path], config: Config, diagnostics: list[Diagnostic], others: list[str] | None = None):
    """Yield (relpath, abspath, kind) for every file of a known kind under ``paths``;
    prompt-like text files of no kind are appended to ``others``."""
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
                    if kind is None and others is not None and entry.name.endswith(LINKABLE_SUFFIXES):
                        others.append(rel)
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
    if source.path.endswith(".prompty"):
        return True  # a prompt file by its name
    pattern = prefilter(source.kind, tuple(config.prompt_name_patterns))
    return pattern is None or pattern.search(source.data) is not None


def discover(paths: list[Path], config: Config) -> Discovery:
    diagnostics: list[Diagnostic] = []
    files: list[SourceFile] = []
    skipped: list[str] = []
    others: list[str] = []
    candidates = 0
    for rel, abspath, kind in iter_candidates(paths, config, diagnostics, others):
        candidates += 1
        got = read_candidate(rel, abspath, kind, config)
        if isinstance(got, Diagnostic):
            diagnostics.append(got)
        elif passes_prefilter(got, config):
            files.append(got)
        else:
            skipped.append(rel)
    return Discovery(tuple(files), candidates, tuple(diagnostics), tuple(skipped), tuple(others))
