"""Line-shaped regions: fenced and indented code, numbered listings, shell sessions,
examples between START/END lines, tables, block quotes.

Each detector reads the lines and returns claims; none looks at what another claimed
(the stage resolves overlaps by priority).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlint.anatomy.lines import Claim, Lines

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)")
_EXAMPLE_WORDS = r"(?:examples?|demonstrations?|samples?|transcripts?|conversations?|dialog(?:ue)?s?|interactions?)"
_BEGIN = re.compile(rf"(?i)^\W*(?:start|begin(?:ning)?)\s+(?:of\s+)?(?:the\s+|an?\s+)?(?:[\w-]+\s+)?{_EXAMPLE_WORDS}\b\W*$")
_END = re.compile(rf"(?i)^\W*end\s+(?:of\s+)?(?:the\s+|an?\s+)?(?:[\w-]+\s+)?{_EXAMPLE_WORDS}\b\W*$")
# `cat -n` and editor listings: a line number, then a tab, a wide gutter or a bar.
_LISTING = re.compile(r"^[ \t]*(\d{1,6})(?:\t|[ ]{2,}(?=\S)|[ ]?[|\u2502][ ]?|[ ]*$)")
_SHELL = re.compile(r"^[ \t]*(?:\$|>>>|\.\.\.|In \[\d+\]:|PS [A-Z]:[^>\n]*>|[\w.-]+@[\w.-]+:[^\n$#]*[$#])(?:[ \t]|$)")
_BULLET = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d+[.)]|[a-z][.)])[ \t]+")
_CODE_LINE = re.compile(
    r"""^[ \t]*(?:
        (?:def|class|import|from|return|raise|yield|async|await|const|let|var|function|func|fn|public|private|
           static|package|using|namespace|SELECT|INSERT|UPDATE|DELETE|CREATE)\b
      | (?:if|elif|for|while|with|try|except|else|switch|case)\b[^\n]*[:{]\s*$
      | \#include\b | //
      | [\w.\[\]'"]+\s*(?:[-+*/%|&^]?=|:=|=>|->)\s*\S
      | [\w.]+\([^\n]*\)\s*[;,{]?\s*$
      | [{}\[\]();]+[,;]?\s*$
      | @\w+
      | </?[A-Za-z][\w-]*(?:\s[^<>\n]*)?/?>\s*$
    )""", re.VERBOSE)
_TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
_GAP = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
_QUOTE = re.compile(r"^[ \t]*>(?!>)(?:[ \t]|$)")


@dataclass(frozen=True)
class Fence:
    first: int  # line of the opening fence
    last: int  # line of the closing fence (the last line when unclosed)
    lang: str


def fences(lines: Lines) -> list[Fence]:
    out = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines.line(i))
        if not m:
            i += 1
            continue
        mark = m.group(1)
        j = i + 1
        while j < len(lines):
            close = _FENCE.match(lines.line(j))
            if close and close.group(1)[0] == mark[0] and len(close.group(1)) >= len(mark) and not close.group(2):
                break
            j += 1
        last = min(j, len(lines) - 1)
        out.append(Fence(i, last, m.group(2).lower()))
        i = last + 1
    return out


_SCHEMA = re.compile(r'"(?:input_schema|parameters)"\s*:\s*\{|"type"\s*:\s*"object"[\s\S]*"properties"\s*:')


def fence_claims(lines: Lines, found: list[Fence]) -> list[Claim]:
    out = []
    for fence in found:
        start, end = lines.span(fence.first, fence.last)
        body = lines.text[start:end]
        if _SCHEMA.search(body):
            out.append(Claim(start, end, "tool-schema", "a JSON schema in a fenced block"))
        else:
            out.append(Claim(start, end, "code", f"fenced {fence.lang} block" if fence.lang else "fenced block"))
    return out


def delimited_examples(lines: Lines) -> list[Claim]:
    """Text between "START OF EXAMPLE" and "END OF EXAMPLE" lines (any dashes around)."""
    out = []
    i = 0
    while i < len(lines):
        if _BEGIN.match(lines.line(i)):
            j = next((k for k in range(i + 1, len(lines)) if _END.match(lines.line(k))), None)
            if j is not None:
                start, end = lines.span(i, j)
                out.append(Claim(start, end, "example", "between START and END OF EXAMPLE lines"))
                i = j + 1
                continue
        i += 1
    return out


def listings(lines: Lines) -> list[Claim]:
    """Two or more consecutive lines numbered n, n+1, ...: a file shown with line numbers."""
    def number(i: int) -> int | None:
        m = _LISTING.match(lines.line(i))
        return int(m.group(1)) if m else None

    def goes_on(last: int, nxt: int) -> bool:
        return number(nxt) is not None and number(nxt) == number(last) + 1

    return [Claim(*lines.span(i, j), "code", "a numbered listing (file contents with line numbers)")
            for i, j in lines.runs(lambda i: number(i) is not None, goes_on) if j > i]


_CONTINUED = re.compile(r"[ \t]\\[ \t]*$")
_DOCKERFILE = re.compile(r"^[ \t]*(?:FROM|RUN|COPY|ADD|ENV|ARG|WORKDIR|CMD|ENTRYPOINT|EXPOSE|USER|LABEL|VOLUME|"
                         r"SHELL|HEALTHCHECK|ONBUILD|STOPSIGNAL)[ \t]+\S")


def commands(lines: Lines) -> list[Claim]:
    """Shell commands continued over lines with a trailing backslash (with the comments
    between their lines), and Dockerfile instructions: a script or build file written into
    the text."""
    def continued(i: int) -> bool:
        return bool(_CONTINUED.search(lines.line(i)))

    def instruction(i: int) -> bool:
        return bool(_DOCKERFILE.match(lines.line(i)))

    def comment(i: int) -> bool:
        return lines.line(i).lstrip().startswith("#")

    def goes_on(last: int, nxt: int) -> bool:
        return continued(last) or instruction(nxt) or (comment(last) and (continued(nxt) or comment(nxt)))

    return [Claim(*lines.span(i, j), "code",
                  "Dockerfile instructions" if instruction(i) else "a shell command continued over lines")
            for i, j in lines.runs(lambda i: continued(i) or instruction(i), goes_on)]


def shell_sessions(lines: Lines) -> list[Claim]:
    """A prompt line (``$ cmd``, ``>>> expr``) and the output lines after it, to a blank line."""
    return [Claim(*lines.span(i, j), "code", "a shell or interpreter session")
            for i, j in lines.runs(lambda i: bool(_SHELL.match(lines.line(i))), lambda _, nxt: not lines.blank(nxt))]


def indented_code(lines: Lines) -> list[Claim]:
    """A block indented deeper than the prose around it, after a blank line or a line
    ending in ``:``, that reads as code (not a nested list)."""
    out = []
    base = lines.base_indent
    i = 0
    while i < len(lines):
        if lines.blank(i) or lines.indent(i) < base + 4 or _BULLET.match(lines.line(i)) \
                or not (i == 0 or lines.blank(i - 1) or lines.line(i - 1).rstrip().endswith(":")):
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and (lines.blank(j + 1) or lines.indent(j + 1) >= base + 4):
            j += 1
        while j > i and lines.blank(j):
            j -= 1
        body = [lines.line(k) for k in range(i, j + 1) if not lines.blank(k)]
        code = sum(1 for line in body if _CODE_LINE.match(line))
        bullets = sum(1 for line in body if _BULLET.match(line))
        if code and code * 2 >= len(body) and bullets * 2 < len(body):
            start, end = lines.span(i, j)
            out.append(Claim(start, end, "code", "an indented code block"))
        i = j + 1
    return out


def tables(lines: Lines) -> list[Claim]:
    """Markdown tables, and runs of lines whose columns line up on wide gaps."""
    out = []
    i = 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and _TABLE_ROW.match(lines.line(j + 1)) and _TABLE_ROW.match(lines.line(i)):
            j += 1
        if j > i:
            out.append(Claim(*lines.span(i, j), "table", "a markdown table"))
            i = j + 1
            continue
        j = i
        columns = _columns(lines.line(i))
        while columns and j + 1 < len(lines):
            shared = columns & _columns(lines.line(j + 1))
            if not shared:
                break
            columns = shared
            j += 1
        if j > i:
            out.append(Claim(*lines.span(i, j), "table", "lines whose columns line up"))
            i = j + 1
        else:
            i += 1
    return out


def _columns(line: str) -> set[int]:
    """Columns where text resumes after a gap of two or more spaces (not the gap after a
    list marker: ``1.  First`` is a list with wide markers, not a table)."""
    bullet = _BULLET.match(line)
    after = bullet.end() if bullet else 0
    return {m.end() for m in _GAP.finditer(line) if m.end() > after}


def block_quotes(lines: Lines) -> list[Claim]:
    """Lines quoted with `>`: text to say or quote, not to follow."""
    def quoted(i: int) -> bool:
        return bool(_QUOTE.match(lines.line(i)))

    return [Claim(*lines.span(i, j), "verbatim-reply", "quoted text (a > block quote)")
            for i, j in lines.runs(quoted, lambda _, nxt: quoted(nxt))]


_JSON_LINE = re.compile(r'^[ \t]*[\[{].*"[^"\n]*"\s*:.*[\]}],?[ \t]*$')


def json_lines(lines: Lines) -> list[Claim]:
    """Lines that are JSON objects: values the prompt carries (an input record), not prose."""
    out = []
    for i in range(len(lines)):
        if _JSON_LINE.match(lines.line(i)):
            out.append(Claim(*lines.span(i, i), "document", "a JSON value"))
    return out
