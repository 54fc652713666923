"""Structural fixes: a keyword of a call, a cache breakpoint, a list item removed.

Rules name the request or the templates; this module finds the nodes in the file the
request's call (or the template's literal) is in, and edits them with
:mod:`promptlint.fix.pyedits`. YAML prompt files get the same changes on their lines: a
scalar replaced, a sibling key added, a sequence item removed.
"""

from __future__ import annotations

import re

import libcst as cst

from promptlint.fix import declared, pyedits
from promptlint.fix.files import split_lines
from promptlint.fix.literals import STRING_NODES
from promptlint.fix.pysource import PySource, PySourceError
from promptlint.fix.workspace import FixError, Workspace
from promptlint.types import ArgumentEdit, CacheEdit, Edit, Project, RemoveEdit, Request, Span

_INTEGER = re.compile(r"^(\s*)(\d+)(\s*)$")
_YAML_KEY_VALUE = re.compile(r"^(\s*[\w-]+\s*:\s*)(\d+)(\s*(?:#.*)?)$")


_REQUESTS: dict[int, tuple[Project, dict[str, Request]]] = {}


def _request(project: Project, request_id: str) -> Request:
    """The project's request by id (indexed once per project: every fix looks one up)."""
    held = _REQUESTS.get(id(project))
    if held is None or held[0] is not project:
        _REQUESTS.clear()
        index: dict[str, Request] = {}
        for r in project.requests:
            index.setdefault(r.id, r)  # the first of a repeated id, as a scan would find
        held = _REQUESTS[id(project)] = (project, index)
    request = held[1].get(request_id)
    if request is None:
        raise FixError(f"no request `{request_id}`")
    return request


def _call(workspace: Workspace, request: Request, alone: bool = False) -> tuple[PySource, cst.Call]:
    """The call that takes the request's parameters: the API call, or for LangChain the
    chat model's constructor (``ChatOpenAI(model=...)``), where the cap and model are set.
    ``alone``: the edit needs only the call, which is then parsed on its own when it can be."""
    span = request.span
    if request.via:
        raise FixError(f"{span.path}:{span.line}: the request is made inside {request.via}: set it there")
    if request.provider == "langchain":
        if request.model_span is None:
            raise FixError(f"{span.path}:{span.line}: the chat model's constructor was not found")
        span = request.model_span
    found = workspace.call(span) if alone else None
    if found is not None:
        return found  # type: ignore[return-value]
    py = workspace.python(span.path)
    located = py.find(span, (cst.Call,))
    if located is None:
        raise FixError(f"{span.path}:{span.line}: the call was not found")
    return py, located.node  # type: ignore[return-value]


def _guard(edit):
    try:
        return edit()
    except PySourceError as exc:
        raise FixError(str(exc)) from None


# keywords ------------------------------------------------------------------------------
def argument_edits(project: Project, workspace: Workspace, edit: ArgumentEdit) -> list[Edit]:
    request = _request(project, edit.request)
    if not workspace.source(request.span.path).is_python:
        return _yaml_argument(project, workspace, request, edit)
    direct = _keyword_value(workspace, request, edit)
    if direct is not None:
        return [direct]
    py, call = _call(workspace, request, alone=True)
    if pyedits.keyword(call, edit.name) is None and edit.name == request.max_tokens_param and request.max_tokens_span:
        return [_set_elsewhere(project, workspace, request, edit)]
    return [_guard(lambda: pyedits.set_keyword(py, call, edit.name, edit.value))]


_PLAIN_VALUE = r"(\d+|\"[^\"\\\\\n]*\"|'[^'\\\\\n]*')"  # an integer, or a string without escapes
_KEYWORD = re.compile(rf"^(\w+)(\s*=\s*){_PLAIN_VALUE}$")
_VALUE = re.compile(rf"^{_PLAIN_VALUE}$")


def _keyword_value(workspace: Workspace, request: Request, edit: ArgumentEdit) -> Edit | None:
    """``name=4096`` (or ``name="a-model"``) written in the call, its value replaced by
    ``edit.value`` on its own characters: no parse of the module. None when the keyword
    is written any other way (libcst then edits the call)."""
    span = request.max_tokens_span if edit.name == request.max_tokens_param else \
        request.model_span if edit.name == "model" and request.provider != "langchain" else None
    if span is None or not _VALUE.match(edit.value):
        return None
    found = workspace.slice(span)
    if found is None:
        return None
    source, start, end = found
    m = _KEYWORD.match(source.code[start:end])
    if m is None or m.group(1) != edit.name or (m.group(3)[0] in "'\"") != (edit.value[0] in "'\""):
        return None
    value = edit.value
    if value[0] in "'\"" and m.group(3)[0] != value[0]:
        quote = m.group(3)[0]
        if quote in value[1:-1]:
            return None
        value = quote + value[1:-1] + quote  # the file's own quote
    return Edit(span.path, start + m.start(3), start + m.end(3), value)


def _set_elsewhere(project: Project, workspace: Workspace, request: Request, edit: ArgumentEdit) -> Edit:
    """The cap is set outside the call (``**params`` built from a dict): edit it there,
    unless other calls read the same value."""
    span = request.max_tokens_span
    assert span is not None
    if any(r.id != request.id and r.max_tokens_span == span for r in project.requests):
        raise FixError(f"{span.path}:{span.line}: `{edit.name}` is set there for other calls too")
    py = workspace.python(span.path)
    located = py.find(span, (cst.Arg, cst.DictElement, cst.Integer))
    if located is None:
        raise FixError(f"{span.path}:{span.line}: cannot find where `{edit.name}` is set")
    node = located.node
    target = node.value if isinstance(node, (cst.Arg, cst.DictElement)) else node
    return _guard(lambda: py.replace(target, pyedits.expression(edit.value)))


def _yaml_argument(project: Project, workspace: Workspace, request: Request, edit: ArgumentEdit) -> list[Edit]:
    source = workspace.source(request.span.path)
    if source.kind != "yaml" or not edit.value.isdigit():
        raise FixError(f"{request.span.path}: cannot set `{edit.name}` in a {source.kind} file")
    span = request.max_tokens_span
    if span is not None:
        if span.start is None or span.end is None:
            raise FixError(f"{span.path}:{span.line}: `{edit.name}` has no exact location")
        text = source.text[span.start:span.end]
        m = _INTEGER.match(text) or _YAML_KEY_VALUE.match(text)
        if m is None:
            raise FixError(f"{span.path}:{span.line}: `{edit.name}` is not a plain number")
        return [Edit(span.path, span.start + m.start(2), span.start + m.end(2), edit.value)]
    anchor = request.model_span
    if anchor is None or anchor.path != request.span.path:
        raise FixError(f"{request.span.path}: no `model` key to put `{edit.name}` beside")
    lines = split_lines(source.text)
    line = lines[anchor.line - 1] if 0 < anchor.line <= len(lines) else ""
    m = re.match(r"^(\s*)model\s*:\s*\S", line)
    if m is None:
        raise FixError(f"{request.span.path}:{anchor.line}: `model` is not a one-line key")
    at = sum(len(x) for x in lines[:anchor.line])
    ending = line[len(line.rstrip("\r\n")):] or source.newline
    return [Edit(request.span.path, at, at, f"{m.group(1)}{edit.name}: {edit.value}{ending}")]


# cache breakpoints ---------------------------------------------------------------------
def cache_edits(project: Project, workspace: Workspace, edit: CacheEdit) -> list[Edit]:
    request = _request(project, edit.request)
    if not workspace.source(request.span.path).is_python or request.provider not in ("anthropic", "litellm", "openai"):
        raise FixError(f"{request.span.path}: cache breakpoints are only added to Anthropic, OpenAI and LiteLLM "
                       "calls in Python")
    if request.provider == "openai":
        return _openai_breakpoint(workspace, request, edit)
    py, call = _call(workspace, request)
    if edit.part is None:
        return [_automatic(workspace, py, call, request, edit)]
    if not 0 <= edit.part < len(request.parts):
        raise FixError(f"request `{request.id}` has no part {edit.part}")
    part = request.parts[edit.part]
    block = _enclosing_block(workspace, part.span)
    if block is not None:
        bpy, node = block
        return [_guard(lambda: pyedits.set_entry(bpy, node, "cache_control",
                                                 pyedits.cache_control_value(_quote(bpy, node), edit.ttl)))]
    if part.section == "system":
        return [_system_block(py, call, request, edit)]
    if part.section == "messages":
        written = _listed_message(py, call, part.message)
        if written is not None:
            return [_guard(lambda: py.replace(written, pyedits.text_block(py, written, edit.ttl)))]
        if part.span is not None:
            return [_message_content(workspace, part.span, edit)]
    raise FixError(f"cannot place a cache breakpoint on the {part.section} part of `{request.id}`")


# ``anthropic`` 0.83.0 (2026-02-19) added the keyword; older SDKs raise TypeError on it
AUTOMATIC_CACHING_SDK = "0.83.0"


def _automatic(workspace: Workspace, py: PySource, call: cst.Call, request: Request, edit: CacheEdit) -> Edit:
    """Top-level ``cache_control`` (automatic caching). When the project's declarations let
    an ``anthropic`` older than the keyword be installed, the same body field goes through
    ``extra_body``, which every SDK version sends as written."""
    if pyedits.keyword(call, "cache_control") is not None:
        raise FixError("the call already sets cache_control")
    value = pyedits.cache_control_value(pyedits.quote_of(py), edit.ttl)
    old_sdk = request.provider == "anthropic" and declared.older_allowed(
        workspace.root, request.span.path, "anthropic", AUTOMATIC_CACHING_SDK)
    if not old_sdk:
        return _guard(lambda: pyedits.set_keyword(py, call, "cache_control", value))
    extra = pyedits.keyword(call, "extra_body")
    if extra is None:
        q = pyedits.quote_of(py)
        return _guard(lambda: pyedits.set_keyword(py, call, "extra_body", f"{{{q}cache_control{q}: {value}}}"))
    if not isinstance(extra.value, cst.Dict):
        raise FixError(f"{old_sdk.where} allows an anthropic SDK older than {AUTOMATIC_CACHING_SDK}, which has no "
                       "cache_control keyword, and extra_body is not a dict literal to add it to")
    if any(pyedits.dict_key(e) == "cache_control" for e in extra.value.elements):
        raise FixError("the call already sets cache_control in extra_body")
    return _guard(lambda: pyedits.set_entry(py, extra.value, "cache_control", value))


def _openai_breakpoint(workspace: Workspace, request: Request, edit: CacheEdit) -> list[Edit]:
    """``prompt_cache_breakpoint: {"mode": "explicit"}`` on the content block that ends the
    prefix: a block dict gets the entry, a message's plain content becomes one text block
    (``input_text`` in the Responses API) that carries it."""
    if edit.part is None or not 0 <= edit.part < len(request.parts):
        raise FixError(f"request `{request.id}` has no part {edit.part} to put a breakpoint on")
    part = request.parts[edit.part]
    if part.section != "messages" or part.role == "assistant":
        raise FixError(f"OpenAI takes no breakpoint on the {part.section} part of `{request.id}`")
    py, call = _call(workspace, request)
    block = _enclosing_block(workspace, part.span)
    if block is not None:
        bpy, node = block
        return [_guard(lambda: pyedits.set_entry(bpy, node, "prompt_cache_breakpoint",
                                                 pyedits.breakpoint_value(_quote(bpy, node))))]
    responses = request.api.startswith("responses")
    kind = "input_text" if responses else "text"
    written = _listed_message(py, call, part.message, "input" if responses else "messages")
    if written is not None:
        return [_guard(lambda: py.replace(written, pyedits.text_block(py, written, edit.ttl,
                                                                      "prompt_cache_breakpoint", kind)))]
    if part.span is not None:
        return [_message_content(workspace, part.span, edit, "prompt_cache_breakpoint", kind)]
    raise FixError(f"cannot place a breakpoint on the message of `{request.id}`")


def _quote(py: PySource, node: cst.Dict) -> str:
    for element in node.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
            return element.key.quote[0]
    return pyedits.quote_of(py)


def _enclosing_block(workspace: Workspace, span: Span | None) -> tuple[PySource, cst.Dict] | None:
    """The dict a part is (a tool) or whose ``"text"`` it is (a content block)."""
    if span is None:
        return None
    try:
        py = workspace.python(span.path)
    except FixError:
        return None
    located = py.find(span, (cst.Dict, *STRING_NODES, cst.Name, cst.Attribute))
    if located is None:
        return None
    if isinstance(located.node, cst.Dict):
        return py, located.node
    parent = py.parent(located.node)
    if isinstance(parent, cst.DictElement) and pyedits.dict_key(parent) == "text":
        holder = py.parent(parent)
        if isinstance(holder, cst.Dict):
            return py, holder
    return None


def _system_block(py: PySource, call: cst.Call, request: Request, edit: CacheEdit) -> Edit:
    arg = pyedits.keyword(call, "system")
    if arg is None:
        raise FixError("the system prompt is not passed as `system=` in the call")
    systems = [i for i, p in enumerate(request.parts) if p.section == "system"]
    if isinstance(arg.value, cst.List):
        position = systems.index(edit.part) if edit.part in systems else -1
        elements = arg.value.elements
        if len(elements) != len(systems) or not isinstance(elements[position].value, cst.Dict):
            raise FixError("cannot tell which system block to mark")
        node = elements[position].value
        return _guard(lambda: pyedits.set_entry(py, node, "cache_control",
                                                pyedits.cache_control_value(_quote(py, node), edit.ttl)))
    if systems != [edit.part]:
        raise FixError("the system prompt is built from several blocks at run time")
    return _guard(lambda: py.replace(arg.value, pyedits.text_block(py, arg.value, edit.ttl)))


def _listed_message(py: PySource, call: cst.Call, index: int | None,
                    keyword: str = "messages") -> cst.BaseExpression | None:
    """The ``content`` value of message ``index`` when the call lists its messages inline
    (``messages=[{"role": ..., "content": X}, ...]``) and X is not a block list already."""
    arg = pyedits.keyword(call, keyword)
    if index is None or arg is None or not isinstance(arg.value, cst.List):
        return None
    elements = arg.value.elements
    if any(not isinstance(e, cst.Element) for e in elements) or index >= len(elements):
        return None  # a starred item: list positions are not message numbers
    message = elements[index].value
    if not isinstance(message, cst.Dict):
        return None
    content = next((e.value for e in message.elements if pyedits.dict_key(e) == "content"), None)
    return None if isinstance(content, cst.List) else content


def _message_content(workspace: Workspace, span: Span, edit: CacheEdit, marker: str = "cache_control",
                     kind: str = "text") -> Edit:
    """``{"role": ..., "content": X}`` -> content as one text block with the marker."""
    py = workspace.python(span.path)
    located = py.find(span, (*STRING_NODES, cst.Name, cst.Attribute))
    parent = py.parent(located.node) if located else None
    if located is None or not (isinstance(parent, cst.DictElement) and pyedits.dict_key(parent) == "content"):
        raise FixError(f"{span.path}:{span.line}: the message content is not written inline")
    return _guard(lambda: py.replace(located.node, pyedits.text_block(py, located.node, edit.ttl, marker, kind)))


# list items ----------------------------------------------------------------------------
def remove_edits(project: Project, workspace: Workspace, edit: RemoveEdit) -> list[Edit]:
    spans: list[Span] = []
    for tid in edit.templates:
        template = project.templates.get(tid)
        if template is None:
            raise FixError(f"no template `{tid}`")
        located = next((s.span for s in template.segments if s.span is not None and s.hole is None), None)
        if located is None:
            raise FixError(f"template `{tid}` has no source location")
        spans.append(located)
    paths = {s.path for s in spans}
    out: list[Edit] = []
    for path in sorted(paths):
        mine = [s for s in spans if s.path == path]
        if workspace.source(path).is_python:
            out.extend(_remove_python(workspace.python(path), mine))
        elif workspace.source(path).kind == "yaml":
            out.append(_remove_yaml_item(workspace, path, mine))
        else:
            raise FixError(f"{path}: cannot remove an example from a {workspace.source(path).kind} file")
    return out


def _remove_python(py: PySource, spans: list[Span]) -> list[Edit]:
    drops: dict[cst.List, set[int]] = {}
    for span in spans:
        located = py.find(span, STRING_NODES)
        if located is None:
            raise FixError(f"{span.path}:{span.line}: the example's text is not a string literal")
        item = _list_item(py, located.node)
        if item is None:
            raise FixError(f"{span.path}:{span.line}: the example is not an item of a list literal")
        container, index = item
        drops.setdefault(container, set()).add(index)
    edits = []
    for container, indexes in drops.items():
        if len(indexes) == len(container.elements):
            raise FixError("removing the example would empty the list")
        new = pyedits.without_items(container, indexes)
        edits.append(_guard(lambda c=container, n=new: py.replace(c, n)))
    return edits


def _list_item(py: PySource, node: cst.CSTNode) -> tuple[cst.List, int] | None:
    """The list item an example's text belongs to: the innermost message dict (one with a
    ``role``) around it, else the innermost list item."""
    first: tuple[cst.List, int] | None = None
    for ancestor in py.ancestors(node):
        if isinstance(ancestor, cst.Element):
            container = py.parent(ancestor)
            if not isinstance(container, cst.List):
                continue
            index = next(i for i, e in enumerate(container.elements) if e is ancestor)
            if first is None:
                first = (container, index)
            if isinstance(ancestor.value, cst.Dict) and any(pyedits.dict_key(e) == "role" for e in ancestor.value.elements):
                return container, index
    return first


def _remove_yaml_item(workspace: Workspace, path: str, spans: list[Span]) -> Edit:
    """The lines of the block-sequence item (``- input: ...``) that holds the spans."""
    text = workspace.source(path).text
    lines = split_lines(text)
    first, last = min(s.line for s in spans), max(s.end_line or s.line for s in spans)
    if not 0 < first <= last <= len(lines):
        raise FixError(f"{path}:{first}: the example's lines were not found")
    start = first
    while not lines[start - 1].lstrip().startswith("- "):
        above = start - 1
        if above < 1 or not lines[above - 1].strip() or _indent(lines[above - 1]) > _indent(lines[start - 1]):
            raise FixError(f"{path}:{first}: the example is not an item of a block sequence")
        start = above
    dash = _indent(lines[start - 1])
    end = last
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > dash):
        end += 1
    while end > last and not lines[end - 1].strip():
        end -= 1
    offset = sum(len(x) for x in lines[:start - 1])
    size = sum(len(x) for x in lines[start - 1:end])
    return Edit(path, offset, offset + size, "")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))

