"""Structural edits of Python calls and literals, in the file's own layout.

Setting a keyword, adding a ``cache_control`` (or OpenAI ``prompt_cache_breakpoint``) entry
to a dict, wrapping a system prompt into a block list and deleting list items are node changes; the new element copies the
separators of its neighbours (one line or one per line, trailing comma or not), and a
comment on a neighbour's line stays with that neighbour.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from promptlint.fix.pysource import PySource, PySourceError
from promptlint.types import Edit

CALL = (cst.Call,)


def quote_of(source: PySource) -> str:
    """The quote the file mostly writes strings with."""
    double = single = 0
    for node in source.positions:
        if isinstance(node, cst.SimpleString) and not node.prefix:
            if node.quote.startswith('"'):
                double += 1
            else:
                single += 1
    return "'" if single > double else '"'


def cache_control_value(quote: str, ttl: str = "5m") -> str:
    q = quote
    extra = f", {q}ttl{q}: {q}1h{q}" if ttl == "1h" else ""
    return f"{{{q}type{q}: {q}ephemeral{q}{extra}}}"


def breakpoint_value(quote: str) -> str:
    """OpenAI's marker (GPT-5.6 and later); its TTL comes from ``prompt_cache_options``."""
    return f"{{{quote}mode{quote}: {quote}explicit{quote}}}"


def expression(code: str) -> cst.BaseExpression:
    try:
        return cst.parse_expression(code)
    except Exception as exc:  # noqa: BLE001
        raise PySourceError(f"cannot build `{code}`: {exc}") from None


# separators ---------------------------------------------------------------------------
def _plain(ws):
    """Whitespace with its comment and blank lines dropped (a copy must not repeat a comment)."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return ws


def _separator(elements: Sequence, opening) -> cst.Comma:
    if len(elements) >= 2 and isinstance(elements[-2].comma, cst.Comma):
        comma = elements[-2].comma
        return comma.with_changes(whitespace_after=_plain(comma.whitespace_after))
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=_plain(opening))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def append(elements: Sequence, new, opening) -> list:
    """``elements`` with ``new`` after the last one, separated the way they are."""
    if not elements:
        return [new]
    last = elements[-1]
    sep = _separator(elements, opening)
    trailing = last.comma
    moved = {}
    if isinstance(last, cst.Arg):  # whitespace before ``)`` when there is no trailing comma
        moved = {"whitespace_after_arg": last.whitespace_after_arg}
        last = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    if isinstance(trailing, cst.Comma) and isinstance(trailing.whitespace_after, cst.ParenthesizedWhitespace):
        after = trailing.whitespace_after
        lead = sep.whitespace_after if isinstance(sep.whitespace_after, cst.ParenthesizedWhitespace) else after
        last = last.with_changes(comma=trailing.with_changes(
            whitespace_after=after.with_changes(indent=lead.indent, last_line=lead.last_line)))
        new = new.with_changes(comma=trailing.with_changes(whitespace_after=_plain(after)), **moved)
    elif isinstance(trailing, cst.Comma):
        last = last.with_changes(comma=sep)
        new = new.with_changes(comma=trailing, **moved)
    else:
        last = last.with_changes(comma=sep)
        new = new.with_changes(comma=cst.MaybeSentinel.DEFAULT, **moved)
    return [*elements[:-1], last, new]


def without_items(node: cst.List, drop: set[int]) -> cst.List:
    """The list without the items at ``drop``. When the last item goes, the new last item
    keeps its own comment and takes the layout that led to the closing bracket."""
    elements = node.elements
    kept = [e for i, e in enumerate(elements) if i not in drop]
    rbracket = node.rbracket
    if kept and (len(elements) - 1) in drop:
        mine, theirs = kept[-1].comma, elements[-1].comma
        mine_ws = mine.whitespace_after if isinstance(mine, cst.Comma) else None
        theirs_ws = theirs.whitespace_after if isinstance(theirs, cst.Comma) else None
        if isinstance(mine_ws, cst.ParenthesizedWhitespace) and isinstance(theirs_ws, cst.ParenthesizedWhitespace):
            kept[-1] = kept[-1].with_changes(comma=mine.with_changes(  # type: ignore[union-attr]
                whitespace_after=mine_ws.with_changes(indent=theirs_ws.indent, last_line=theirs_ws.last_line)))
        else:
            kept[-1] = kept[-1].with_changes(comma=theirs)
            closing = rbracket.whitespace_before
            if isinstance(mine_ws, cst.ParenthesizedWhitespace) and isinstance(closing, cst.ParenthesizedWhitespace):
                rbracket = rbracket.with_changes(whitespace_before=closing.with_changes(first_line=mine_ws.first_line))
    return node.with_changes(elements=kept, rbracket=rbracket)


# calls ---------------------------------------------------------------------------------
def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def has_star_kwargs(call: cst.Call) -> bool:
    return any(arg.star == "**" for arg in call.args)


def set_keyword(source: PySource, call: cst.Call, name: str, value: str) -> Edit:
    """``name=value`` on ``call``: the existing keyword's value replaced, or a new keyword."""
    existing = keyword(call, name)
    if existing is not None:
        return source.replace(existing.value, expression(value))
    if has_star_kwargs(call):
        raise PySourceError(f"the call passes **kwargs, which may already hold `{name}`")
    equal = next((a.equal for a in reversed(call.args) if a.keyword is not None), cst.MaybeSentinel.DEFAULT)
    arg = cst.Arg(value=expression(value), keyword=cst.Name(name), equal=equal if isinstance(equal, cst.AssignEqual)
                  else cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
    return source.replace(call, call.with_changes(args=append(call.args, arg, call.whitespace_before_args)))


# dicts ---------------------------------------------------------------------------------
def dict_key(element) -> str | None:
    if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
        try:
            value = element.key.evaluated_value
        except Exception:  # noqa: BLE001
            return None
        return value if isinstance(value, str) else None
    return None


def set_entry(source: PySource, node: cst.Dict, key: str, value: str) -> Edit:
    """``node[key] = value`` written into the dict literal."""
    for element in node.elements:
        if dict_key(element) == key:
            return source.replace(element.value, expression(value))
    quote = next((e.key.quote for e in node.elements if isinstance(e, cst.DictElement)
                  and isinstance(e.key, cst.SimpleString)), quote_of(source))
    sample = next((e for e in node.elements if isinstance(e, cst.DictElement)), None)
    entry = cst.DictElement(
        key=cst.SimpleString(f"{quote}{key}{quote}"), value=expression(value),
        whitespace_before_colon=sample.whitespace_before_colon if sample else cst.SimpleWhitespace(""),
        whitespace_after_colon=sample.whitespace_after_colon if sample else cst.SimpleWhitespace(" "),
    )
    return source.replace(node, node.with_changes(elements=append(node.elements, entry, node.lbrace.whitespace_after)))


def text_block(source: PySource, value: cst.BaseExpression, ttl: str, marker: str = "cache_control",
               kind: str = "text") -> cst.List:
    """``[{"type": "text", "text": value, "cache_control": {...}}]`` around the value as written;
    with ``marker="prompt_cache_breakpoint"`` OpenAI's block (``kind`` "input_text" in the
    Responses API)."""
    q = quote_of(source)

    def entry(key: str, val: cst.BaseExpression) -> cst.DictElement:
        return cst.DictElement(cst.SimpleString(f"{q}{key}{q}"), val)

    mark = breakpoint_value(q) if marker == "prompt_cache_breakpoint" else cache_control_value(q, ttl)
    block = cst.Dict([entry("type", cst.SimpleString(f"{q}{kind}{q}")), entry("text", value),
                      entry(marker, expression(mark))])
    return cst.List([cst.Element(block)])
