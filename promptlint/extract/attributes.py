"""Prompts assigned to an object's attribute: ``agent.system_message = \"\"\"You are ...\"\"\"``.

Agents are configured by setting attributes: a profile script sets
``interpreter.system_message`` and ``interpreter.custom_instructions`` on an imported
object, a constructor sets ``self.system_prompt = f"..."``, a script replaces
``agent.messages`` with a few-shot list. Such a value has no module-level name, so the
constants and locals passes never see it. Here each assignment to an attribute is a
candidate when the attribute has a prompt-like name (judged like a local: the name counts
only on a prose value) or its value is written as a list (a message list counts by its
shape). Its identity is the assigning scope and the target as written
(``Agent.__init__::self.system_prompt``); the resolver gives ``self.attr`` read in another
method the same identity (:func:`self_attribute_id`), so a prompt set in ``__init__`` and
sent by a method is one template.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from promptlint.extract import values as v
from promptlint.extract.result import NamedValue
from promptlint.extract.scopes import Event, ModuleIndex, Scope

KIND = "attribute"


def dotted(node: ast.expr) -> str | None:
    """``self.llm.system_message`` for a chain of names and attributes; None otherwise."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def attribute_id(path: str, scope: Scope, target: str, ordinal: int) -> str:
    """The template id of the ``ordinal``-th assignment to ``target`` in ``scope``."""
    suffix = f"#{ordinal}" if ordinal > 1 else ""
    if scope.kind == "module":
        return f"{path}::{target}{suffix}"
    return f"{path}::{scope.qualname}::{target}{suffix}"


def self_attribute_id(path: str, method: Scope, event: Event) -> str | None:
    """The id :func:`candidates` gives the ``self.attr = ...`` assignment ``event`` in ``method``."""
    for target, ordinal, candidate in _numbered(method):
        if candidate is event:
            return attribute_id(path, method, target, ordinal)
    return None


def candidates(index: ModuleIndex, value_of: Callable[[ast.expr, Scope, tuple[int, int]], v.Value],
               path: str, named: Callable[[str], bool], tests: bool) -> list[NamedValue]:
    out: list[NamedValue] = []
    for scope in index.scopes:
        if not scope.attr_sets or (tests and scope.kind == "function"):
            continue
        for target, ordinal, event in _numbered(scope):
            attr = target.rsplit(".", 1)[-1]
            is_named = named(attr)
            if not (is_named or isinstance(event.node, ast.List)) or not isinstance(event.node, ast.expr):
                continue
            value = value_of(event.node, scope, event.pos)
            if isinstance(value, (v.Unknown, v.Lit)):
                continue
            aid = attribute_id(path, scope, target, ordinal)
            value = v.stamp(value, aid)
            out.append(NamedValue(aid.split("::", 1)[1], value, is_named, getattr(value, "span", None), KIND))
    return out


def _numbered(scope: Scope):
    seen: dict[str, int] = {}
    for node, event in scope.attr_sets:
        target = dotted(node)
        if target is None:
            continue
        seen[target] = seen.get(target, 0) + 1
        yield target, seen[target], event
