"""Prompt folders that code names without reading a file of them where promptlint sees it.

A project keeps its prompts as files of a folder (``preprompts/generate``,
``prompts/qa.txt``) and hands the folder to a class of its own that reads a file by a
run-time key (``DB(Path(__file__).parent / "preprompts")``, then ``dbs.preprompts["qa"]``
in another module). No read of a file is visible, so no file link reaches a request; but
the code names the folder, by a path built to it, and a folder named as prompts
(:data:`promptlint.extract.evidence.PROMPT_FOLDERS`) that code locates is a folder of
prompts: each of its text files is a template (:meth:`FileLinker.folder_value`), with
that path as the evidence. A folder named only in a string that is not a path (a dict
key ``"prompts"``, a log line) is not one: the value must resolve to a path.
"""

from __future__ import annotations

import ast
import re
from typing import Iterable

from promptlint.extract import values as v
from promptlint.extract.evidence import PROMPT_FOLDERS, is_prompt_folder
from promptlint.extract.result import NamedValue
from promptlint.extract.scopes import CallSite

# A quoted path whose last part names a prompt folder: the file is worth a look.
_QUOTED_FOLDER = re.compile(r"""["'](?:[^"'\n]*[/\\])?(?:%s)[/\\]?["']""" % "|".join(sorted(PROMPT_FOLDERS)),
                            re.IGNORECASE)
_PATH_NODES = (ast.BinOp, ast.Call, ast.Constant, ast.JoinedStr)


def _folder_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and is_prompt_folder(node.value)


def _names_folder(node: ast.AST) -> bool:
    """Whether a literal naming a prompt folder is a part of this path expression."""
    if not isinstance(node, _PATH_NODES):
        return False
    return any(_folder_literal(n) for n in ast.walk(node))


def _folder(value: v.Value, span=None) -> v.FileLink | None:
    if isinstance(value, v.FileLink) and value.how == "read" and is_prompt_folder(value.target):
        return v.FileLink(value.target.rstrip("/\\"), "folder", value.span or span, base=value.base, opened=False)
    return None


def named_folders(text: str, sites: Iterable[CallSite], resolver, named: Iterable[NamedValue]) -> tuple[v.FileLink, ...]:
    """The prompt folders the module's code locates: a path to one passed to a call, or
    held by a name (a module constant, a class attribute, a local)."""
    if not _QUOTED_FOLDER.search(text):
        return ()
    found: dict[str, v.FileLink] = {}
    for value in (n.value for n in named):
        link = _folder(value)
        if link is not None:
            found.setdefault(link.target, link)
    for site in sites:
        for node in (*site.node.args, *(k.value for k in site.node.keywords)):
            if _names_folder(node):
                link = _folder(resolver.value(node, site.scope, site.pos), resolver.span(node))
                if link is not None:
                    found.setdefault(link.target, link)
    return tuple(found.values())
