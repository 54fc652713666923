"""Operations on abstract values, with deferral when an operand lives in another module.

``SYSTEM = BASE_PROMPT + RULES`` or ``TEMPLATE.format(name=n)`` cannot be computed while
``BASE_PROMPT`` is only a reference to an imported constant; :func:`apply` then returns a
:class:`~promptlint.extract.values.Deferred` holding the operation, which the linker
evaluates once the references are resolved. The same function does the work in both
places, so a value computes the same whether its operands were local or imported.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import replace
from typing import Callable, Union

from promptlint.extract import values as v
from promptlint.types import Segment, Span

_TEXT_TRANSFORMS = {
    "dedent": textwrap.dedent, "cleandoc": inspect.cleandoc,
    "strip": str.strip, "lstrip": str.lstrip, "rstrip": str.rstrip, "upper": str.upper, "lower": str.lower,
}


def pending(value: v.Value) -> bool:
    """Whether ``value`` (or anything inside it) waits for the linker."""
    if isinstance(value, (v.Ref, v.Deferred, v.FileLink)):
        return True
    if isinstance(value, v.Seq):
        return any(pending(i) for i in value.items)
    if isinstance(value, v.Map):
        return any(pending(i) for _, i in value.items)
    return False


# The expression's source text, or a function writing it: ``ast.unparse`` costs more than
# most operations, and an answer that names no expression (text concatenated here) never
# needs it.
Expr = Union[str, Callable[[], str]]


def _written(expr: Expr) -> str:
    return expr if isinstance(expr, str) else expr()


def apply(op: str, operands: tuple[v.Value, ...], kwargs: tuple[tuple[str, v.Value], ...] = (),
          span: Span | None = None, expr: Expr = "?") -> v.Value:
    if any(pending(o) for o in operands) or any(pending(val) for _, val in kwargs):
        return v.Deferred(op, tuple(operands), tuple(kwargs), span, _written(expr))
    return _evaluate(op, operands, dict(kwargs), span, expr)


def _evaluate(op: str, operands: tuple[v.Value, ...], kwargs: dict[str, v.Value], span: Span | None,
              expr: Expr) -> v.Value:
    if op == "concat":
        return v.concat(*(v.as_str(o, span) for o in operands), span=span)
    if op in ("Add", "Multiply"):
        return binop(op, operands[0], operands[1], span, expr)
    if op == "subscript":
        return subscript(operands[0], operands[1], span, expr)
    if op in ("append", "extend"):
        seq, item = operands
        if not isinstance(seq, v.Seq):
            return seq
        if op == "append":
            return replace(seq, items=seq.items + (item,))
        if isinstance(item, v.Seq):
            return replace(seq, items=seq.items + item.items, open=seq.open or item.open)
        return replace(seq, open=True)
    if op.startswith("lc_"):
        from promptlint.extract.langchain import evaluate

        return evaluate(op, operands, span, _written(expr))
    receiver = operands[0]
    if op in _TEXT_TRANSFORMS:
        return v.transform_text(receiver, _TEXT_TRANSFORMS[op]) if isinstance(receiver, v.Str) else receiver
    if not isinstance(receiver, v.Str):
        return v.Unknown(f"{op} on a non-string", _written(expr), "dynamic", span)
    if op in ("format", "format_map"):
        if op == "format_map":
            mapping = operands[1] if len(operands) > 1 else None
            result = v.format_holes(receiver, dict(mapping.items) if isinstance(mapping, v.Map) else {}, [])
        else:
            result = v.format_holes(receiver, kwargs, list(operands[1:]))
        # The same named template filled at run time keeps its definition's span.
        return result if result.origin else replace(result, span=span)
    if op == "percent":
        return v.percent_holes(receiver, operands[1])
    if op == "replace":
        old = operands[1]
        if not isinstance(old, v.Str) or old.has_holes:
            return v.Unknown("replace() of a run-time value", _written(expr), "dynamic", span)
        return v.replace_text(receiver, old.text, operands[2], _written(expr))
    if op == "dollar":
        return v.dollar_holes(receiver)
    if op == "substitute":
        mapping = dict(kwargs)
        if len(operands) > 1 and isinstance(operands[1], v.Map):
            mapping = {**dict(operands[1].items), **mapping}
        return v.fill_holes(receiver, mapping)
    if op == "join":
        return join(receiver, operands[1], span, _written(expr))
    raise ValueError(f"unknown operation {op}")


def join(separator: v.Str, items: v.Value, span: Span | None, expr: str) -> v.Value:
    if not isinstance(items, v.Seq):
        return v.Str((Segment(hole=v.hole_name(expr), span=span),), span)
    pieces: list[v.Str] = []
    for i, item in enumerate(items.items):
        if i:
            pieces.append(separator)
        pieces.append(v.as_str(item, span))
    if items.open:
        pieces.append(v.Str((Segment(hole="...", span=span),), span))
    return v.concat(*pieces, span=span) if pieces else v.Str((), span)


def merge(base: v.Map, other: v.Value) -> v.Map:
    """``{**base, **other}``; an unknown ``other`` leaves the mapping open."""
    if isinstance(other, v.Map):
        result = base
        for k, item in other.items:
            result = result.with_item(k, item)
        return replace(result, open=result.open or other.open)
    return replace(base, open=True)


# ``"x" * n`` is counted for the real n up to this many characters (or list items); past it
# the value is reported as too large to count (PL002), never cut down to a smaller n.
MAX_REPEATED_CHARS = 200_000
MAX_REPEATED_ITEMS = 1_000
TOO_LARGE = "too large to count statically"


def binop(op: str, left: v.Value, right: v.Value, span: Span | None, expr: Expr) -> v.Value:
    if op == "Add":
        for side in (left, right):
            if isinstance(side, v.Unknown) and side.reason.endswith(TOO_LARGE):
                return side  # the text it is part of cannot be counted either
        if isinstance(left, v.Str) and isinstance(right, v.Str):
            return v.concat(left, right, span=span)
        if isinstance(left, v.Seq) and isinstance(right, v.Seq):
            return v.Seq(left.items + right.items, span, left.open or right.open)
        if isinstance(left, v.Seq):
            return replace(left, open=True)
        if isinstance(right, v.Seq):
            return v.Seq(right.items, span, True)
        if isinstance(left, v.Str) or isinstance(right, v.Str):
            return v.concat(v.as_str(left, span), v.as_str(right, span), span=span)
        if isinstance(left, v.Lit) and isinstance(right, v.Lit) and _number(left) and _number(right):
            return v.Lit(left.value + right.value, span)  # type: ignore[operator]
    if op == "Multiply":
        seq, count = (left, right) if isinstance(right, v.Lit) else (right, left)
        if isinstance(count, v.Lit) and isinstance(count.value, int) and not isinstance(count.value, bool):
            n = max(0, count.value)
            if isinstance(seq, v.Seq):
                if len(seq.items) * n > MAX_REPEATED_ITEMS:
                    return v.Unknown(f"a list repeated {n:,} times is {TOO_LARGE}", _written(expr) or "?", "missing", span)
                return v.Seq(seq.items * n, span, seq.open)
            if isinstance(seq, v.Str):
                if len(seq.text) * n > MAX_REPEATED_CHARS:
                    return v.Unknown(f"text repeated {n:,} times ({len(seq.text) * n:,} characters) is {TOO_LARGE}",
                                     _written(expr) or "?", "missing", span)
                return v.concat(*([seq] * n), span=span) if n else v.Str((), span)
            if isinstance(seq, v.Lit) and _number(seq):
                return v.Lit(seq.value * count.value, span)  # type: ignore[operator]
    return v.Unknown("operation", _written(expr) or "?", "dynamic", span)


def _number(value: v.Lit) -> bool:
    return isinstance(value.value, (int, float)) and not isinstance(value.value, bool)


def subscript(base: v.Value, key: v.Value, span: Span | None, expr: Expr) -> v.Value:
    if isinstance(base, v.Map) and isinstance(key, v.Str) and not key.has_holes:
        got = base.get(key.text)
        if got is not None:
            return got
    if isinstance(base, v.Seq) and isinstance(key, v.Lit) and isinstance(key.value, int) \
            and not isinstance(key.value, bool):
        index = key.value
        if (not base.open or index >= 0) and -len(base.items) <= index < len(base.items):
            return base.items[index]
    return v.Unknown("subscript", _written(expr), "dynamic", span)


def set_path(value: v.Value, keys: list[v.Value], new: v.Value) -> v.Value:
    """``value[k1][k2] = new`` on abstract values; unknown keys leave the container open."""
    if not keys:
        return new
    key, rest = keys[0], keys[1:]
    if isinstance(value, v.Map) and isinstance(key, v.Str) and not key.has_holes:
        inner = value.get(key.text)
        return value.with_item(key.text, set_path(inner if inner is not None else v.Map(()), rest, new))
    if isinstance(value, v.Seq) and isinstance(key, v.Lit) and isinstance(key.value, int):
        items = list(value.items)
        if -len(items) <= key.value < len(items):
            items[key.value] = set_path(items[key.value], rest, new)
            return replace(value, items=tuple(items))
    if isinstance(value, (v.Map, v.Seq)):
        return replace(value, open=True)
    return value
