"""The scanned tree is a boundary: nothing promptlint reads or writes for it lies outside.

The tree may be a stranger's pull request. A symbolic link in it can point at
``~/.aws/credentials`` or into ``.git/``; its config can name ``../elsewhere`` as the
cache folder or the baseline. So a path taken from the tree (a file the walk met, a
file code or a template names, a path in the repository's config) is resolved, every
link followed to the end, and refused unless it lands under the root and outside the
folders the scan excludes. Paths the user typed on the command line are the user's word
and are not checked here. The fix engine asks the same questions before it writes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

OUTSIDE = "points outside the scanned tree"


def real(path: str | os.PathLike[str]) -> str:
    """``path`` with every symbolic link resolved; never raises on loops or missing parts."""
    return os.path.realpath(os.path.abspath(path))


def within(path: str, folder: str) -> bool:
    """Whether the resolved ``path`` is the resolved ``folder`` or lies under it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def inside_root(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """Whether ``path``, once every link is followed, is under ``root``: the one check
    every read or write on the tree's behalf makes."""
    return within(real(path), real(root))


class Tree:
    """The root and its excluded folders, as a reader of the tree's files checks them."""

    def __init__(self, root: str | os.PathLike[str], excluded: Callable[[str], bool] | None = None,
                 also: tuple[str, ...] = ()) -> None:
        self.root = real(root)
        self.excluded = excluded
        # Folders the user named on the command line outside the root (a scan with no
        # config of ``/elsewhere``): links inside them may point within them.
        self.also = tuple(real(a) for a in also)

    def refusal(self, path: str | os.PathLike[str]) -> str | None:
        """Why ``path`` must not be read for the tree (None: it may be).

        A link is refused when it resolves outside the root, or to a file in an excluded
        folder (``.git/config`` behind an innocent name)."""
        target = real(path)
        if not within(target, self.root):
            return None if any(within(target, a) for a in self.also) else OUTSIDE
        if self.excluded is not None and target != self.root:
            rel = Path(os.path.relpath(target, self.root)).as_posix()
            if self.excluded(rel):
                return "points into an excluded folder"
        return None


class PathError(ValueError):
    """A path from the repository's own config that would leave the tree."""


def config_path(root: str | os.PathLike[str], value: str, key: str, follow: bool = True) -> Path:
    """``value`` (a path the repository's config names, relative to its root), or
    PathError when it leaves the root: a config read from the scanned tree must not make
    a plain run write elsewhere. ``follow=False`` checks the spelling only (the caller
    refuses links itself)."""
    lexical = os.path.normpath(value)
    path = Path(root) / value
    if os.path.isabs(lexical) or lexical == ".." or lexical.startswith(".." + os.sep) \
            or (follow and not inside_root(root, path)):
        raise PathError(f"`{key}` = {value!r} is outside the project root; a repository's config may only "
                        f"name paths inside it")
    return path


def linked_component(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str | None:
    """The first component of ``path`` below ``root`` that is a symbolic link, if any
    (a committed ``.promptlint_cache`` link would make the cache write through it)."""
    base = Path(os.path.abspath(root))
    try:
        parts = Path(os.path.abspath(path)).relative_to(base).parts
    except ValueError:
        return str(path)
    current = base
    for part in parts:
        current = current / part
        if current.is_symlink():
            return current.relative_to(base).as_posix()
    return None
