"""What git ignores: ``.gitignore`` files, ``.git/info/exclude`` and the global excludes file.

As in ruff (and git itself), ignore files apply inside a git repository only. Semantics
follow gitignore(5): blank lines and ``#`` comments are skipped; ``!`` re-includes; a
trailing ``/`` matches directories only; a pattern with a slash elsewhere is anchored to
its file's folder, one without matches at any depth; ``**`` spans folders; a deeper file
overrides a shallower one, and within a file the last matching line decides. A file in
an ignored folder stays ignored (the walk never enters the folder).

:class:`Ignores` is the chain of ignore files in force in one folder; the walk extends it
folder by folder, reading a ``.gitignore`` only where the listing shows one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


@dataclass(frozen=True)
class IgnoreFile:
    base: str  # folder of the file, relative to the repository root ("" or "a/b/")
    patterns: tuple[_Pattern, ...]
    any_match: re.Pattern[str] | None  # all patterns at once: most paths match none

    def decide(self, rel: str, is_dir: bool) -> bool | None:
        """True ignored, False re-included, None: no line of this file matches."""
        if not rel.startswith(self.base) or self.any_match is None:
            return None
        own = rel[len(self.base):]
        if not self.any_match.match(own):
            return None
        for pattern in reversed(self.patterns):
            if (is_dir or not pattern.dir_only) and pattern.regex.match(own):
                return not pattern.negate
        return None


def _translate(body: str) -> str:
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if body.startswith("**", i) and (i == 0 or body[i - 1] == "/") and (i + 2 == len(body) or body[i + 2] == "/"):
            if i + 2 == len(body):
                out.append(".*")  # `a/**`: everything inside
                i += 2
            else:
                out.append("(?:.*/)?")  # `**/` and `/**/`: zero or more folders
                i += 3
        elif c == "*":
            while body.startswith("*", i + 1):
                i += 1  # other runs of asterisks are one asterisk
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = body.find("]", i + 2)
            if end == -1:
                out.append(re.escape(c))
                i += 1
                continue
            inner = body[i + 1 : end]
            if inner[:1] in ("!", "^"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = end + 1
        elif c == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def parse_patterns(text: str) -> tuple[_Pattern, ...]:
    patterns = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]  # trailing spaces, unless escaped
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        body = _translate(line)
        regex = ("" if anchored else "(?:.*/)?") + body + "$"
        try:
            patterns.append(_Pattern(re.compile(regex, re.DOTALL), negate, dir_only))
        except re.error:
            continue  # git skips a line it cannot read as a pattern, so do we
    return tuple(patterns)


def _file(base: str, path: Path) -> IgnoreFile | None:
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return None
    patterns = parse_patterns(text)
    if not patterns:
        return None
    combined = re.compile("|".join(f"(?:{p.regex.pattern})" for p in patterns), re.DOTALL)
    return IgnoreFile(base, patterns, combined)


def repository_root(start: Path) -> Path | None:
    """The folder holding ``.git`` (a folder, or a file in a worktree) at or above ``start``."""
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _global_excludes() -> Path | None:
    """``core.excludesFile`` from the user's git config, else git's default location."""
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    configs = [os.environ["GIT_CONFIG_GLOBAL"]] if "GIT_CONFIG_GLOBAL" in os.environ else \
        [str(Path.home() / ".gitconfig"), os.path.join(config_home, "git", "config")]
    for config in configs:
        try:
            text = Path(config).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found = re.search(r"(?im)^\s*excludesfile\s*=\s*(.+?)\s*$", text)
        if found:
            return Path(os.path.expanduser(found.group(1).strip('"')))
    if "GIT_CONFIG_GLOBAL" in os.environ:
        return None
    return Path(config_home) / "git" / "ignore"


@dataclass(frozen=True)
class Ignores:
    """The ignore files in force in one folder of a repository, outermost first."""

    repo: Path
    files: tuple[IgnoreFile, ...]

    @classmethod
    def for_repository(cls, repo: Path) -> "Ignores":
        files = []
        user = _global_excludes()
        if user is not None:
            files.append(_file("", user))
        files.append(_file("", repo / ".git" / "info" / "exclude"))
        files.append(_file("", repo / ".gitignore"))
        return cls(repo, tuple(f for f in files if f is not None))

    def entering(self, folder_rel: str, has_gitignore: bool = True) -> "Ignores":
        """The chain inside ``folder_rel`` (relative to the repository, ``a/b``)."""
        if not folder_rel or not has_gitignore:
            return self
        found = _file(folder_rel.rstrip("/") + "/", self.repo / folder_rel / ".gitignore")
        return self if found is None else Ignores(self.repo, (*self.files, found))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether the entry ``rel`` (relative to the repository) is ignored, given that its
        folders are not."""
        for file in reversed(self.files):
            decided = file.decide(rel, is_dir)
            if decided is not None:
                return decided
        return False

    def ignored_path(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` or any folder above it is ignored (a path given explicitly)."""
        parts = rel.split("/")
        chain = self
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if chain.ignored(folder, True):
                return True
            chain = chain.entering(folder, (self.repo / folder / ".gitignore").is_file())
        return chain.ignored(rel, is_dir)

    def at(self, folder_rel: str) -> "Ignores":
        """The chain in force inside ``folder_rel`` (reading every .gitignore above it)."""
        chain = self
        parts = [p for p in folder_rel.split("/") if p]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            chain = chain.entering(folder, (self.repo / folder / ".gitignore").is_file())
        return chain
