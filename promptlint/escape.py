"""Output is data, never control: how text from a scanned tree is made safe to print.

Prompt text, file names, model ids and YAML keys come from the tree, which may be a
stranger's pull request, and promptlint prints them to terminals, CI logs and PR
comments. Every reporter hands what it shows through this module, at the boundary:

- **terminals and logs**: C0 and C1 control characters (escape sequences, carriage
  returns, bells), Unicode bidirectional and line-separator controls, and lone
  surrogates are written as escapes (``\\x1b``, ``\\u202e``, ``\\n`` inside a field), as
  ``git`` and ``ls`` do, so a file name cannot clear the screen or forge an output line;
- **GitHub workflow commands**: data is escaped as GitHub's toolkit does it, and no
  line that is not promptlint's own command can start one (``::`` or ``##[`` after
  leading blanks);
- **markdown**: text is HTML-escaped and markdown-escaped, code is fenced by a backtick
  run longer than any inside it, and ``@`` mentions are broken, so a PR comment can
  neither render raw HTML nor notify a team;
- **JSON**: strings are valid Unicode (a file name that is not UTF-8 keeps its place
  with U+FFFD), so the document is valid UTF-8.
"""

from __future__ import annotations

import json
import re

from promptlint.lazyre import lazy

# Characters that change how a terminal, a log viewer or an editor shows what follows.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_IN_BLOCK = lazy(f"[{_CONTROL}]")  # a multi-line text keeps its line breaks and tabs
_IN_LINE = lazy(f"[\t\n{_CONTROL}]")  # a one-line field keeps nothing
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_WORKFLOW_START = lazy(r"^([ \t]*)(::|##\[)", re.MULTILINE)


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def line(text: str) -> str:
    """One field or line of human-readable output: every control character escaped,
    line breaks included (a file name holding a newline stays on its line)."""
    return _IN_LINE.sub(_escape, text)


def block(text: str, workflow: bool = True) -> str:
    """A whole human-readable output: its own line breaks kept, every other control
    character escaped; with ``workflow``, a line that would start a GitHub workflow
    command has its first character escaped (the github format passes False: its
    commands are its own and their data is escaped by :func:`workflow_data`)."""
    text = _IN_BLOCK.sub(_escape, text)
    if workflow:
        text = _WORKFLOW_START.sub(lambda m: m.group(1) + ("\\x3a:" if m.group(2) == "::" else "\\x23#["), text)
    return text


# GitHub workflow commands --------------------------------------------------------------

def workflow_data(text: str) -> str:
    """A workflow command's message, as GitHub's toolkit escapes it (``%``, CR, LF), with
    other control characters escaped for the log."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return _IN_BLOCK.sub(_escape, text)


def workflow_property(text: str) -> str:
    """A property value: also ``:`` and ``,``, which would end the property or the command."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


# Markdown --------------------------------------------------------------------------------

_MD_SPECIAL = lazy(r"[\\`*_{}\[\]()<>#+!|~&@\"']")
_MD_REPLACE = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;",
               "@": "@\u200d", "|": "\\|"}
_BACKTICKS = lazy(r"`+")


def _flat(text: str) -> str:
    return _IN_LINE.sub(_escape, " ".join(str(text).split()))


def _plain(text: str) -> str:
    return _MD_SPECIAL.sub(lambda m: _MD_REPLACE.get(m.group(), "\\" + m.group()), text)


def markdown_text(text: str) -> str:
    """Plain text in markdown, on one line: nothing in it renders as HTML, markup, a code
    span, a table cell break or a mention."""
    return _plain(_flat(text))


def markdown_code(text: str) -> str:
    """Inline code on one line, fenced by a backtick run longer than any in ``text``; a
    ``|`` is escaped for GFM tables (which split cells before reading code spans)."""
    body = _flat(text).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(body)), default=0) + 1)
    if body.startswith("`") or body.endswith("`") or (body.startswith(" ") and body.endswith(" ") and body.strip()):
        body = f" {body} "
    return f"{fence}{body}{fence}" if body else ""


def markdown_message(text: str) -> str:
    """A finding's message, whose single-backtick spans are code (``model `x` `` as the
    rules write them) and the rest plain text. Data inside the spans may hold backticks
    itself, so the spans are found here and each piece is fenced or escaped anew:
    however the backticks pair up, nothing renders as HTML."""
    flat = _flat(text)
    pieces = flat.split("`")
    if len(pieces) % 2 == 0:  # an unpaired backtick: all plain text
        return _plain(flat)
    return "".join(markdown_code(p) if i % 2 else _plain(p) for i, p in enumerate(pieces))


# JSON ------------------------------------------------------------------------------------

_SURROGATE = lazy("[\ud800-\udfff]")


def unicode_safe(value):
    """``value`` (JSON data) with every string valid Unicode: lone surrogates (a
    non-UTF-8 file name, a ``"\\ud800"`` escape in a prompt) become U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {unicode_safe(k): unicode_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [unicode_safe(v) for v in value]
    return value


_RAW_IN_JSON = lazy(f"[{_CONTROL}]")  # what ensure_ascii=False leaves raw: C1, bidi, separators


def json_dumps(value, **options) -> str:
    """``json.dumps`` of ``value`` as valid UTF-8 JSON that is also safe to print: strings
    made valid Unicode, characters that steer a terminal written as ``\\uXXXX``, and no
    ``NaN`` or ``Infinity`` (which are not JSON) ever written."""
    text = json.dumps(unicode_safe(value), ensure_ascii=False, allow_nan=False, **options)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
