"""What an expression is known to be, statically: the extractor's abstract values.

The Python extractor turns expressions into these values; the linker replaces
cross-module references; request shapes read them into parts and templates. They are
plain frozen data (picklable, cacheable), never libcst nodes.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, replace
from typing import Callable, Union

from promptlint.lazyre import lazy
from promptlint.markers import Markers
from promptlint.types import Segment, Span


@dataclass(frozen=True)
class Str:
    segments: tuple[Segment, ...]
    span: Span | None = None
    origin: str | None = None  # template id when the text is a named constant or a shared return
    # Template ids of named text copied into this text (``f"{RULES}\n{q}"``): each is a
    # prompt of its own once this one is.
    spliced: tuple[str, ...] = ()
    # Set when the text stands in for a run-time value: ``os.getenv("MODEL", "gpt-4o")``
    # gives "gpt-4o" with ``assumed`` saying so.
    assumed: str | None = None

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments if s.hole is None)

    @property
    def has_holes(self) -> bool:
        return any(s.hole is not None for s in self.segments)


@dataclass(frozen=True)
class Seq:
    items: tuple["Value", ...]
    span: Span | None = None
    open: bool = False  # more items of unknown shape were added


@dataclass(frozen=True)
class Map:
    items: tuple[tuple[str, "Value"], ...]
    span: Span | None = None
    open: bool = False  # unknown keys may be present (``**other``)

    def get(self, key: str) -> "Value | None":
        found = None
        for k, v in self.items:
            if k == key:
                found = v
        return found

    def with_item(self, key: str, value: "Value") -> "Map":
        return replace(self, items=tuple((k, v) for k, v in self.items if k != key) + ((key, value),))


@dataclass(frozen=True)
class Lit:
    value: int | float | bool | None
    span: Span | None = None


@dataclass(frozen=True)
class Ref:
    """A name imported from another module of the tree, resolved by the linker."""

    module: str
    name: str
    path: tuple[str | int, ...] = ()  # attribute/subscript steps applied after lookup
    span: Span | None = None
    level: int = 0


@dataclass(frozen=True)
class FileLink:
    """Text read from a file of the tree: ``Path(..).read_text()``, ``env.get_template(..)``,
    or one value of a YAML prompt file: ``yaml.safe_load(open(..))["triage"]["system"]``."""

    target: str  # path as written in the code
    how: str  # "read" | "jinja" | "yaml" | "prompt" (named by a prompt config) | "loader" (a search path)
    span: Span | None = None
    base: str | None = None  # folder the code names as the template/search root, when known
    keys: tuple[str | int, ...] = ()  # for "yaml": the key path into the file
    opened: bool = True  # False for a path no code has read yet (``ROOT / "notes.md"``): not its text


@dataclass(frozen=True)
class Deferred:
    """An operation whose operands include references; evaluated by the linker.

    ``origin`` is the template id the result gets when it is a named constant.
    """

    op: str
    operands: tuple["Value", ...]
    kwargs: tuple[tuple[str, "Value"], ...] = ()
    span: Span | None = None
    expr: str = "?"
    origin: str | None = None


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known statically.

    ``kind`` tells the request shapes how to treat it: ``param`` (a function parameter
    without default), ``dynamic`` (loop variable, call result, input), ``missing`` (a name
    that looks like it should be found but is not: an import from outside the tree; or text
    too large to count, ``"x" * 150000``).
    """

    reason: str
    expr: str = "?"
    kind: str = "dynamic"
    span: Span | None = None
    owner: str | None = None  # for a parameter: the qualified name of its function


Value = Union[Str, Seq, Map, Lit, Ref, FileLink, Deferred, Unknown]


def hole_name(expr: str) -> str:
    """A readable placeholder name for an expression: ``user.name``, ``docs[0]``."""
    expr = " ".join(expr.split())
    return expr if len(expr) <= 40 else expr[:37] + "..."


def value_source(value: Value | None) -> str | None:
    """The expression a run-time value came from, for :attr:`Segment.source`."""
    if isinstance(value, Unknown):
        return value.expr
    if isinstance(value, Ref):
        return f"{value.module}.{value.name}"
    return None


def as_str(value: Value, span: Span | None = None) -> Str:
    """A string view of any value: text as is, anything else a named hole."""
    if isinstance(value, Str):
        return value
    if isinstance(value, Lit) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
        return Str((Segment(text=str(value.value), span=value.span),), value.span)
    if isinstance(value, Unknown):
        return Str((Segment(hole=hole_name(value.expr), span=value.span or span, source=value.expr),),
                   value.span or span)
    if isinstance(value, Ref):
        return Str((Segment(hole=value.name, span=value.span or span),), value.span or span)
    return Str((Segment(hole="value", span=span),), span)


def concat(*parts: Str, span: Span | None = None) -> Str:
    segments: list[Segment] = []
    for p in parts:
        for seg in spliced_segments(p):
            if seg.hole is None and not seg.text and seg.fill is None:
                continue
            segments.append(seg)
    return Str(tuple(segments), span or (parts[0].span if parts else None), spliced=spliced_of(*parts))


def filled_in(text: Str, name: str) -> tuple[Segment, ...]:
    """``text`` as a substitution puts it in for placeholder ``name``: after a fill point
    (no span: it writes no source text)."""
    return (Segment(fill=name or "value"), *spliced_segments(text))


def spliced_of(*parts: Str) -> tuple[str, ...]:
    """The named texts a text made of ``parts`` holds: each part's own name, and theirs."""
    found: dict[str, None] = {}
    for p in parts:
        for origin in p.spliced:
            found.setdefault(origin, None)
        if p.origin:
            found.setdefault(p.origin, None)
    return tuple(found)


def spliced_segments(value: Str) -> tuple[Segment, ...]:
    """The segments of ``value`` as they go into other text: static text of a named value
    remembers the value it was written in (:attr:`Segment.origin`)."""
    if value.origin is None:
        return value.segments
    return tuple(replace(s, origin=value.origin) if s.hole is None and s.origin is None else s
                 for s in value.segments)


def transform_text(value: Str, fn: Callable[[str], str]) -> Str:
    """Apply a text transform (dedent, strip) across segments, keeping holes in place.

    Static segments merged by the transform keep the span of the first of them and are
    no longer exact source slices.
    """
    holes = [seg for seg in value.segments if seg.hole is not None or seg.fill is not None]
    # Markers that no character of the text can be (a private-use icon, a lone surrogate).
    markers = Markers(len(holes), (seg.text for seg in value.segments if seg.hole is None))
    pieces: list[str] = []
    hole = 0
    for seg in value.segments:
        if seg.hole is not None or seg.fill is not None:
            pieces.append(markers.char(hole))
            hole += 1
        else:
            pieces.append(seg.text)
    original = "".join(pieces)
    result = fn(original)
    static_spans = [s.span for s in value.segments if s.hole is None]
    first_span = static_spans[0] if static_spans else value.span
    segments: list[Segment] = []
    at = 0
    for mark in markers.pattern.finditer(result):
        if mark.start() > at:
            segments.append(Segment(text=result[at:mark.start()], span=first_span))
        segments.append(holes[markers.index(mark.group())])
        at = mark.end()
    if at < len(result):
        segments.append(Segment(text=result[at:], span=first_span))
    # The named template is the untransformed text; a changed text is a template of its own.
    if result == original:
        return Str(tuple(segments), value.span, value.origin, value.spliced, value.assumed)
    return Str(tuple(segments), value.span, None, spliced_of(value))


_FORMAT_FIELD = lazy(r"\{\{|\}\}|\{([^{}]*)\}")


_PLACEHOLDER = lazy(
    r"\{\{\s*([A-Za-z_][\w.]*(?:\s*\|\s*\w+(?:\([^{}]*\))?)*)\s*\}\}"  # {{ name }} / {{ x | filter }}
    r"|(?<!\{)\{([A-Za-z_]\w*(?:\.\w+|\[\w+\])*)\}(?!\})"  # {name}, {user.name}, {docs[0]}
)


def placeholder_holes(value: Str, pattern: re.Pattern[str] = _PLACEHOLDER) -> Str:
    """Mark ``{name}`` and ``{{ name }}`` in a prompt constant's text as holes.

    Only identifier-shaped fields count, so JSON examples (``{"label": "x"}``) and
    escaped braces stay text. ``pattern`` may narrow what a placeholder is (its first
    group that matched names the hole).
    """
    if not any(s.hole is None and "{" in s.text for s in value.segments):
        return value
    segments: list[Segment] = []
    for seg in value.segments:
        if seg.hole is not None or "{" not in seg.text:
            segments.append(seg)
            continue
        pos = 0
        for m in pattern.finditer(seg.text):
            segments.append(Segment(text=seg.text[pos : m.start()], span=seg.span))
            name = next((g for g in m.groups() if g), "").split("|")[0].strip()
            segments.append(Segment(hole=name, span=seg.span))
            pos = m.end()
        segments.append(Segment(text=seg.text[pos:], span=seg.span))
    return replace(concat(Str(tuple(segments), value.span), span=value.span), origin=value.origin)


def format_holes(value: Str, kwargs: dict[str, Value], args: list[Value]) -> Str:
    """``str.format``: each ``{field}`` becomes the argument's text or a named hole.

    The result keeps the template's origin when every field stays a hole: it is the same
    template, used with run-time values.
    """
    segments: list[Segment] = []
    spliced = False
    inserted: list[Str] = []
    auto = 0
    for seg in value.segments:
        if seg.hole is not None:
            filled = kwargs.get(seg.hole)  # a placeholder already known as a hole (a file's ``{name}``)
            if isinstance(filled, Str):
                segments.extend(filled_in(filled, seg.hole))
                inserted.append(filled)
                spliced = True
            else:
                segments.append(seg)
            continue
        pos = 0
        for m in _FORMAT_FIELD.finditer(seg.text):
            segments.append(Segment(text=seg.text[pos : m.start()], span=seg.span))
            pos = m.end()
            token = m.group(0)
            if token in ("{{", "}}"):
                segments.append(Segment(text=token[0], span=seg.span))
                continue
            field = (m.group(1) or "").split("!")[0].split(":")[0]
            base = re.split(r"[.\[]", field, maxsplit=1)[0]
            arg: Value | None = None
            if base == "":
                arg = args[auto] if auto < len(args) else None
                field = field or str(auto)
                auto += 1
            elif base.isdigit():
                idx = int(base)
                arg = args[idx] if idx < len(args) else None
            else:
                arg = kwargs.get(base)
            text = _spliceable(arg)
            if text is not None and field == base:
                segments.extend(filled_in(text, field))
                inserted.append(text)
                spliced = True
            else:
                segments.append(Segment(hole=field or "value", span=seg.span, source=value_source(arg)))
        segments.append(Segment(text=seg.text[pos:], span=seg.span))
    return _filled(value, segments, spliced, inserted)


def _filled(template: Str, segments: list[Segment], spliced: bool, inserted: list[Str]) -> Str:
    """The template with values put in: the same template (its origin kept) when only
    holes were named, else a new text that holds the template and what was put in."""
    result = concat(Str(tuple(segments), template.span), span=template.span)
    if not spliced:
        return replace(result, origin=template.origin, spliced=template.spliced)
    return replace(result, origin=None, spliced=spliced_of(template, *inserted))


_PERCENT_FIELD = lazy(r"%(?:\(([^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")


def percent_holes(value: Str, arg: Value) -> Str:
    """``template % args``: each conversion becomes the argument's text or a named hole."""
    positional: list[Value] = list(arg.items) if isinstance(arg, Seq) else [arg]
    mapping = arg if isinstance(arg, Map) else None
    segments: list[Segment] = []
    spliced = False
    inserted: list[Str] = []
    index = 0
    for seg in value.segments:
        if seg.hole is not None:
            segments.append(seg)
            continue
        pos = 0
        for m in _PERCENT_FIELD.finditer(seg.text):
            segments.append(Segment(text=seg.text[pos : m.start()], span=seg.span))
            pos = m.end()
            if m.group(2) == "%":
                segments.append(Segment(text="%", span=seg.span))
                continue
            name = m.group(1)
            if name is not None:
                got = mapping.get(name) if mapping else None
                label = name
            else:
                got = positional[index] if index < len(positional) else None
                label = _value_label(got, index)
                index += 1
            text = _spliceable(got)
            if text is not None and m.group(2) in "sdirf":
                segments.extend(filled_in(text, label))
                inserted.append(text)
                spliced = True
            else:
                segments.append(Segment(hole=label, span=seg.span, source=value_source(got)))
        segments.append(Segment(text=seg.text[pos:], span=seg.span))
    return _filled(value, segments, spliced, inserted)


# ``"{{name}}"``, ``"[NAME]"``, ``"<name>"``, ``"$name"``: what a placeholder replaced with
# ``.replace(old, value)`` is called once it is a hole.
_REPLACED_NAME = lazy(r"^\W*([A-Za-z_][\w.]*)\W*$")


def replace_text(value: Str, old: str, new: Value, expr: str = "") -> Str:
    """``text.replace(old, new)``: each ``old`` in the static text becomes ``new``'s text,
    or a hole named for the placeholder when ``new`` is not known."""
    if not old:
        return value
    fill = _spliceable(new)
    named = _REPLACED_NAME.match(old)
    hole = named.group(1) if named else hole_name(expr or old)
    segments: list[Segment] = []
    spliced = False
    inserted: list[Str] = [fill] if fill is not None else []
    for seg in value.segments:
        if seg.hole is not None or old not in seg.text:
            segments.append(seg)
            continue
        pieces = seg.text.split(old)
        for i, piece in enumerate(pieces):
            if i:
                if fill is not None:
                    # the value's own segments, as before fill points (its origin is not re-marked)
                    segments.extend((Segment(fill=hole), *fill.segments))
                    spliced = True
                else:
                    segments.append(Segment(hole=hole, span=seg.span, source=value_source(new)))
            segments.append(Segment(text=piece, span=seg.span))
    if segments == list(value.segments):
        return value
    return _filled(value, segments, spliced, inserted)


_DOLLAR_FIELD = lazy(r"\$(?:(\$)|([A-Za-z_]\w*)|\{([A-Za-z_]\w*)\})")


def dollar_holes(value: Str) -> Str:
    """``string.Template`` text: ``$name`` and ``${name}`` are holes, ``$$`` is a dollar."""
    segments: list[Segment] = []
    for seg in value.segments:
        if seg.hole is not None or "$" not in seg.text:
            segments.append(seg)
            continue
        pos = 0
        for m in _DOLLAR_FIELD.finditer(seg.text):
            segments.append(Segment(text=seg.text[pos : m.start()], span=seg.span))
            if m.group(1):
                segments.append(Segment(text="$", span=seg.span))
            else:
                segments.append(Segment(hole=m.group(2) or m.group(3), span=seg.span))
            pos = m.end()
        segments.append(Segment(text=seg.text[pos:], span=seg.span))
    return replace(concat(Str(tuple(segments), value.span), span=value.span), origin=value.origin,
                   spliced=value.spliced)


def fill_holes(value: Str, kwargs: dict[str, Value]) -> Str:
    """Put known values into named holes (``Template.substitute``); others stay holes."""
    segments: list[Segment] = []
    spliced = False
    inserted: list[Str] = []
    for seg in value.segments:
        got = _spliceable(kwargs.get(seg.hole)) if seg.hole is not None else None
        if got is None:
            segments.append(seg if seg.hole is None or seg.hole not in kwargs
                            else replace(seg, source=value_source(kwargs[seg.hole])))
            continue
        segments.extend(filled_in(got, seg.hole or ""))
        inserted.append(got)
        spliced = True
    return _filled(value, segments, spliced, inserted)


def _spliceable(value: Value | None) -> Str | None:
    """Known text to put in place of a format field: a string, or a number literal."""
    if isinstance(value, Str):
        return value
    if isinstance(value, Lit) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
        return as_str(value)
    return None


def _value_label(value: Value | None, index: int) -> str:
    if isinstance(value, Unknown):
        return hole_name(value.expr)
    if isinstance(value, Ref):
        return value.name
    return str(index)


def stamp(value: Value, base: str) -> Value:
    """Give every string leaf without an origin the template id ``base`` + its key path."""
    return _stamped(value, base, "")


def _stamped(v: Value, base: str, path: str) -> Value:
    # A module function, not a closure calling itself: such a closure is a reference cycle
    # (the function and its own cell) that only the cycle collector frees, and extraction
    # stamps every resolved binding and return (a thousand per file on a large module).
    if isinstance(v, (Str, Deferred)):
        return v if v.origin else replace(v, origin=base + path)
    if isinstance(v, Seq):
        return replace(v, items=tuple(_stamped(item, base, f"{path}[{i}]") for i, item in enumerate(v.items)))
    if isinstance(v, Map):
        return replace(v, items=tuple((k, _stamped(item, base, f"{path}.{k}")) for k, item in v.items))
    return v
