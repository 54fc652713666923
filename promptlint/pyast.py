"""Small readings of Python's ``ast`` shared by the loop analysis (:mod:`promptlint.loops`)
and the question of who waits on a request (:mod:`promptlint.waits`): dotted names,
what an expression reads, what a call sends, the body of a loop."""

from __future__ import annotations

import ast
from typing import Callable, Iterable

LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)


def dotted(node: ast.AST | None) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def generic_class(node: ast.AST) -> ast.AST:
    """``Agent`` for ``Agent[Context]``: a generic class given its type parameters is called
    as the class (``Agent[Ctx](name=..., instructions=...)``). Only a capitalized name given
    type-like parameters (names, ``dict[str, Any]``): ``handlers["x"]`` stays what it is."""
    if isinstance(node, ast.Subscript) and _type_like(node.slice):
        base = dotted(node.value)
        if base is not None and base.rsplit(".", 1)[-1][:1].isupper():
            return node.value
    return node


def _type_like(node: ast.AST) -> bool:
    if isinstance(node, (ast.Name, ast.Attribute)):
        return dotted(node) is not None
    if isinstance(node, ast.Tuple):
        return bool(node.elts) and all(_type_like(e) for e in node.elts)
    if isinstance(node, ast.Subscript):
        return _type_like(node.value) and _type_like(node.slice)
    return isinstance(node, ast.Constant) and node.value is None


def callee(node: ast.Call) -> str | None:
    return dotted(generic_class(node.func))


def tail_in(name: str | None, names: set[str]) -> bool:
    if not name:
        return False
    return name in names or name.rsplit(".", 1)[-1] in {n for n in names if "." not in n}


def unparse(node: ast.AST, limit: int = 70) -> str:
    try:
        text = " ".join(ast.unparse(node).split())
    except Exception:  # noqa: BLE001 - a header is best effort
        return "?"
    return text if len(text) <= limit else text[: limit - 1] + "…"


_MEMOS: list[NodeMemo] = []  # every memo of file answers, wherever it is kept


class NodeMemo:
    """Answers kept for one file, keyed by the nodes they were asked about. The key is the
    nodes' ids and the entry holds the nodes themselves, so an id is never reused while its
    entry lives (a hit is checked by identity). ``get`` returns None on a miss."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, ...], tuple[tuple, object]] = {}
        _MEMOS.append(self)  # forgotten with the file's walks (:func:`clear_walks`)

    def get(self, nodes: tuple):
        hit = self._entries.get(tuple(map(id, nodes)))
        if hit is not None and all(a is b for a, b in zip(hit[0], nodes)):
            return hit[1]
        return None

    def put(self, nodes: tuple, value):
        self._entries[tuple(map(id, nodes))] = (nodes, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


_WALKS = NodeMemo()
_ASSIGNED = NodeMemo()
_SENT = NodeMemo()
_READS = NodeMemo()
_STATEMENTS = NodeMemo()


def clear_walks() -> None:
    """Forget every answer kept for the previous file, in this module's memos and in any
    other :class:`NodeMemo` (:class:`promptlint.loops.FileLoops` starts afresh)."""
    for memo in _MEMOS:
        memo.clear()


def body_index(memo: NodeMemo, statements: Iterable[ast.AST],
               keys: Callable[[ast.AST], Iterable[str | None]]) -> dict[str, list[ast.AST]]:
    """The nodes :func:`walk_body` meets under ``statements``, by each key ``keys`` gives
    of them (None and empty keys left out, a node once per key), kept in ``memo`` for the
    file: a body asked about once per request or loop in it is indexed once."""
    nodes = tuple(statements)
    hit = memo.get(nodes)
    if hit is not None:
        return hit
    index: dict[str, list[ast.AST]] = {}
    for node in walk_body(nodes):
        for key in dict.fromkeys(keys(node)):
            if key:
                index.setdefault(key, []).append(node)
    return memo.put(nodes, index)


def last_name(func: ast.AST) -> str | None:
    """The last name of a callee (``b`` of ``a.b``), without building the dotted name."""
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


# Fields that never hold a node worth walking: names, flags, numbers, and the shared
# singletons of contexts and operators (``Load``, ``Add``, ``Lt``), which the analysis reads
# through their parent (``node.op``, ``node.ops``, ``node.ctx``) and never finds by a walk.
_NOT_CHILDREN = frozenset({"id", "attr", "arg", "module", "asname", "level", "is_async", "conversion", "kind",
                           "type_comment", "simple", "tag", "lineno", "ctx", "op", "ops"})


class _ChildFields(dict):
    """The fields of each node class that may hold child nodes, found on first use."""

    def __missing__(self, cls: type) -> tuple[str, ...]:
        fields = self[cls] = tuple(f for f in cls._fields if f not in _NOT_CHILDREN)  # type: ignore[attr-defined]
        return fields


_CHILD_FIELDS = _ChildFields()


def children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` as a list, in its order, without its generators and without
    the context and operator leaves (the loop analysis asks this of every node of a file
    several times; a third of a tree's nodes are such leaves)."""
    out = []
    cls = node.__class__
    fields = _CHILD_FIELDS[cls]
    for field in fields:
        value = getattr(node, field, None)
        if value.__class__ is list:
            if field in _MIXED_LISTS:
                out.extend([item for item in value if isinstance(item, ast.AST)])
            else:
                out += value
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


# The list fields whose items may be other than nodes: names (``global``, ``nonlocal``,
# a class pattern's keywords) and the missing keys or defaults (``{**d}``, ``*, a``);
# every other list field of Python's grammar holds nodes only.
_MIXED_LISTS = frozenset({"names", "keys", "kw_defaults", "kwd_attrs"})


def walk_with_parents(tree: ast.AST) -> tuple[list[ast.AST], dict[int, ast.AST], dict[type, list[ast.AST]]]:
    """Every node of ``tree`` (as :func:`children` sees them) in ``ast.walk``'s order, each
    node's parent by id, and the nodes of each class (in that order), in one pass."""
    nodes = [tree]
    parent: dict[int, ast.AST] = {}
    by_class: dict[type, list[ast.AST]] = {}
    append = nodes.append
    for node in nodes:  # grows as it goes: breadth first, as ast.walk
        # children(node), inlined: this visits every node of every file the loops read
        cls = node.__class__
        same = by_class.get(cls)
        if same is None:
            by_class[cls] = [node]
        else:
            same.append(node)
        fields = _CHILD_FIELDS[cls]
        for field in fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                mixed = field in _MIXED_LISTS
                for child in value:
                    if mixed and not isinstance(child, ast.AST):
                        continue
                    parent[id(child)] = node
                    append(child)
            elif isinstance(value, ast.AST):
                parent[id(value)] = node
                append(value)
    return nodes, parent, by_class


def walk_body(nodes: Iterable[ast.AST]) -> tuple[ast.AST, ...]:
    """Every node under ``nodes``, not entering nested function or class definitions.

    The rules ask this of the same loop bodies and function scopes once per call and per
    name they follow, so each walk is kept for the file (the key holds the nodes
    themselves, so an id is never reused while its entry lives)."""
    nodes = tuple(nodes)
    hit = _WALKS.get(nodes)
    if hit is not None:
        return hit
    out = []
    stack = list(nodes)
    while stack:
        node = stack.pop()
        out.append(node)
        for child in children(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)
    return _WALKS.put(nodes, tuple(out))


_STATEMENT_PARTS = (ast.stmt, ast.excepthandler, ast.match_case)
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def walk_statements(nodes: Iterable[ast.AST]) -> list[ast.AST]:
    """The statements :func:`walk_body` finds under ``nodes``, in its order, without walking
    any expression (none holds a statement once lambdas are left out): a search for
    assignments need not visit every name and constant of a function. Kept for the file
    as walks are: a function's assignments, constructions and counted tests each ask it
    (so the list is shared: read it, never change it)."""
    nodes = tuple(nodes)
    hit = _STATEMENTS.get(nodes)
    if hit is not None:
        return hit
    out = []
    stack = list(nodes)
    while stack:
        node = stack.pop()
        out.append(node)
        for child in children(node):
            if isinstance(child, _STATEMENT_PARTS) and not isinstance(child, _NESTED):
                stack.append(child)
    return _STATEMENTS.put(nodes, out)


def value_key(node: ast.AST) -> str | None:
    """The name a value lives under: ``messages``, ``self.messages``, ``state.history``."""
    return dotted(node)


def reads(node: ast.AST) -> frozenset[str]:
    """Names and attribute chains an expression reads (``self.messages`` and ``self``).

    The loop analysis asks this of the same tests, arguments and values many times per
    file, so each answer is kept for the file as walks are (frozen: it is shared)."""
    hit = _READS.get((node,))
    if hit is not None:
        return hit
    found: set[str] = set()
    stack = [node]
    while stack:
        sub = stack.pop()
        if isinstance(sub, (ast.Name, ast.Attribute)):
            key = value_key(sub)
            if key:
                found.add(key)
        stack.extend(children(sub))
    return _READS.put((node,), frozenset(found))


def loop_body(loop: ast.AST) -> list[ast.AST]:
    if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
        return list(loop.body)
    parts: list[ast.AST] = []
    for attr in ("elt", "key", "value"):
        if getattr(loop, attr, None) is not None:
            parts.append(getattr(loop, attr))
    for generator in loop.generators:  # type: ignore[attr-defined]
        parts.extend(generator.ifs)
    return parts


def sent_by(call: ast.Call, function: ast.AST | None) -> set[str]:
    """Every name the call's arguments read, through the local assignments that build them
    (``prompt = f"...{context}"`` makes ``context`` read too), two steps deep."""
    hit = _SENT.get((call, function))
    if hit is not None:
        return set(hit)
    keys: set[str] = set()
    for arg in (*call.args, *(k.value for k in call.keywords)):
        keys |= reads(arg)
    assigned = assignments(getattr(function, "body", None) or [])
    for _ in range(2):
        more: set[str] = set()
        for targets, node in assigned:
            if not targets.isdisjoint(keys):
                more |= reads(node.value)
        if more <= keys:
            break
        keys |= more
    return set(_SENT.put((call, function), frozenset(k for k in keys if k not in ("self", "cls"))))


def assignments(scope: list[ast.AST]) -> tuple[tuple[frozenset[str], ast.AST], ...]:
    """(the keys it binds, the statement) of every assignment with a value under ``scope``,
    in :func:`walk_body`'s order, kept for the file as walks are (every request's arguments
    are followed through them). A value's reads are asked only of an assignment that binds
    a key the call sends: most never are. Assignments are statements: no expression is walked."""
    nodes = tuple(scope)
    hit = _ASSIGNED.get(nodes)
    if hit is not None:
        return hit
    found = []
    for node in walk_statements(nodes):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = frozenset(k for k in map(value_key, targets) if k is not None)
            found.append((bound, node))
    return _ASSIGNED.put(nodes, tuple(found))
