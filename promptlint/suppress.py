"""Inline suppressions, in comments only: ``# promptlint: ignore[PL201]``.

A directive silences findings reported on its own line (or on the last line of a
multi-line string, where a comment can go). Only a real comment counts, found by each
language's own rules, because text inside a string literal is sent to the model:

- Python: ``#`` comments (read with :mod:`tokenize`; a rough lexer when the source is
  newer than this Python), also in notebook cells;
- YAML: ``#`` comments outside scalars (a ``#`` inside a block scalar is prompt text);
- Jinja and the body of a ``.prompty`` file: ``{# ... #}``;
- plain prompt files read by code (``.md``, ``.txt``): ``<!-- ... -->``.

``promptlint: ignore`` without codes covers every code. ``noqa: PL201`` is accepted as an
alias, as ruff users write it; in a ``noqa`` the codes that are not promptlint's belong to
other tools and are left alone, and a bare ``noqa`` is not read as ours. Codes may also be
rule names or prefixes, matched like ``--ignore``. Which directives silenced nothing, and
which name no rule, is reported by PL900 (:func:`unused_suppressions`).
"""

from __future__ import annotations

import bisect
import io
import re
import tokenize
from dataclasses import dataclass, field

from promptlint.extract.source import NEWLINE
from promptlint.lazyre import lazy
from promptlint.types import Finding, Span, Suppression

_DIRECTIVE = lazy(
    r"promptlint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?"
    r"|\bnoqa\s*:\s*(?P<noqa>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*)",
    re.IGNORECASE,
)
OUR_CODE_SHAPE = lazy(r"^PL\d{3}$", re.IGNORECASE)


def line_key(line: int, cell: int | None = None) -> tuple[int, int]:
    """The key findings and suppressions meet on: (cell or -1, line)."""
    return (cell if cell is not None else -1, line)


def _maybe(text: str) -> bool:
    low = text.lower()
    return "promptlint" in low or "noqa" in low


def _from_match(match: re.Match, line: int, column: int) -> Suppression:
    if match.group("noqa") is not None:
        return Suppression(line, column, tuple(c for c in re.split(r"[\s,]+", match.group("noqa")) if c), noqa=True)
    if match.group("codes") is None:
        return Suppression(line, column, None)
    return Suppression(line, column, tuple(c.strip() for c in match.group("codes").split(",") if c.strip()))


def _directives(comment: str, line: int, column: int) -> list[Suppression]:
    """Directives in one comment whose text starts at (``line``, ``column``), 1-based."""
    return [_from_match(m, line, column + m.start()) for m in _DIRECTIVE.finditer(comment)]


def _offset_directives(text: str, start: int, end: int, lines: list[int]) -> list[Suppression]:
    """Directives in ``text[start:end]`` (a comment), located by character offset."""
    found = []
    for match in _DIRECTIVE.finditer(text, start, end):
        line = bisect.bisect_right(lines, match.start())
        found.append(_from_match(match, line, match.start() - lines[line - 1] + 1))
    return found


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in NEWLINE.finditer(text)]


def python_suppressions(text: str) -> tuple[Suppression, ...]:
    if not _maybe(text):
        return ()
    try:
        found = []
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and _maybe(token.string):
                found += _directives(token.string, token.start[0], token.start[1] + 1)
        return tuple(found)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return tuple(_rough_python_comments(text))


_STRING_START = lazy(r"(?i)(?:[rbuf]{0,2})('''|\"\"\"|'|\")")


def _rough_python_comments(text: str) -> list[Suppression]:
    """Comments by a small lexer that knows quotes, prefixes and escapes: for source this
    Python's tokenizer refuses (syntax of a newer Python)."""
    lines = _line_starts(text)
    found: list[Suppression] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            end = n if end == -1 else end
            found += _offset_directives(text, i, end, lines)
            i = end
            continue
        if c in "'\"" or (c.isalpha() and _STRING_START.match(text, i) and (i == 0 or not text[i - 1].isalnum())):
            match = _STRING_START.match(text, i)
            if match is None:
                i += 1
                continue
            quote = match.group(1)
            j = match.end()
            while j < n:
                if text[j] == "\\":  # in a raw string too, a backslash keeps the quote after it
                    j += 2
                    continue
                if text.startswith(quote, j):
                    j += len(quote)
                    break
                if len(quote) == 1 and text[j] == "\n":
                    break
                j += 1
            i = j
            continue
        i += 1
    return found


def yaml_suppressions(text: str, start: int = 0, end: int | None = None) -> tuple[Suppression, ...]:
    """``#`` comments of YAML: a ``#`` at a line start or after whitespace, outside every
    scalar (quoted, plain or block), as the YAML scanner itself sees them."""
    end = len(text) if end is None else end
    if not _maybe(text[start:end]):
        return ()
    scalars = _yaml_scalars(text[start:end])
    lines = _line_starts(text)
    found: list[Suppression] = []
    for hash_at in (m.start() for m in re.finditer(r"(?:(?<=\s)|^)#", text[start:end], re.MULTILINE)):
        if any(a <= hash_at < b for a, b in scalars):
            continue
        stop = text.find("\n", start + hash_at, end)
        found += _offset_directives(text, start + hash_at, end if stop == -1 else stop, lines)
    return tuple(found)


def _yaml_scalars(text: str) -> list[tuple[int, int]]:
    import yaml

    spans = []
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        for token in yaml.scan(text, Loader=loader):
            if isinstance(token, yaml.ScalarToken):
                spans.append((token.start_mark.index, token.end_mark.index))
    except yaml.YAMLError:
        pass  # what was scanned before the error still counts; the rest reads as comments by the `#` rule
    return spans


def _delimited(text: str, opener: str, closer: str, start: int = 0, end: int | None = None) -> tuple[Suppression, ...]:
    end = len(text) if end is None else end
    if not _maybe(text[start:end]):
        return ()
    lines = _line_starts(text)
    found: list[Suppression] = []
    for match in re.finditer(re.escape(opener) + r".*?" + re.escape(closer), text[start:end], re.DOTALL):
        found += _offset_directives(text, start + match.start(), start + match.end(), lines)
    return tuple(found)


def jinja_suppressions(text: str) -> tuple[Suppression, ...]:
    return _delimited(text, "{#", "#}")


def markdown_suppressions(text: str) -> tuple[Suppression, ...]:
    return _delimited(text, "<!--", "-->")


_FRONT_MATTER = lazy(r"\A\ufeff?---[ \t]*\r?\n(.*?)^---[ \t]*$", re.DOTALL | re.MULTILINE)


def prompty_suppressions(text: str) -> tuple[Suppression, ...]:
    """YAML comments in the front matter, Jinja comments in the body."""
    front = _FRONT_MATTER.match(text)
    if front is None:
        return jinja_suppressions(text)
    return (*yaml_suppressions(text, front.start(1), front.end(1)), *_delimited(text, "{#", "#}", front.end()))


# --- applying them ----------------------------------------------------------------------

@dataclass
class SuppressionUse:
    """Which directive silenced which codes, for the unused-suppression report."""

    enabled: frozenset[str] = frozenset()  # codes of the rules that ran
    used: dict[tuple[str, int, int | None, int], set[str]] = field(default_factory=dict)

    def record(self, path: str, directive: Suppression, code: str) -> None:
        key = (path, directive.line, directive.cell, directive.column)
        self.used.setdefault(key, set()).add(code)

    def codes(self, path: str, directive: Suppression) -> set[str]:
        return self.used.get((path, directive.line, directive.cell, directive.column), set())


def index(project) -> dict[str, dict[tuple[int, int], list[Suppression]]]:
    out: dict[str, dict[tuple[int, int], list[Suppression]]] = {}
    for path, directives in project.suppressions.items():
        by_line = out.setdefault(path, {})
        for directive in directives:
            by_line.setdefault(line_key(directive.line, directive.cell), []).append(directive)
    return out


def silences(directive: Suppression, rule, matches) -> bool:
    if directive.codes is None:
        return True
    return any(matches(code, rule) for code in directive.codes)


def unused_suppression_check(ctx) -> list[Finding]:
    """The check of PL900 (``stage: after-suppressions``: it runs once the others' findings
    have met the suppressions)."""
    from promptlint.rules import load_rules

    use = ctx.suppression_use or SuppressionUse()
    return unused_suppressions(ctx, use, load_rules(ctx.config))


def unused_suppressions(ctx, use: SuppressionUse, ruleset) -> list[Finding]:
    """PL900: a directive that silenced nothing, and codes in it that name no rule.

    A code of a rule that did not run (not selected) is not unused: it may silence that
    rule in a run that selects it. In a ``noqa``, codes not shaped like promptlint's
    belong to other tools."""
    from promptlint.rules import matches

    findings = []
    enabled_codes = use.enabled
    for path, directives in ctx.project.suppressions.items():
        for directive in directives:
            used = use.codes(path, directive)
            span = Span(path, directive.line, directive.column, cell=directive.cell)
            word = "noqa" if directive.noqa else "promptlint: ignore"
            if directive.codes is None:
                if not used:
                    findings.append(ctx.finding(span, f"unused suppression: `{word}` silences no finding on this line"))
                continue
            unknown, idle = [], []
            for code in directive.codes:
                known = [r for r in ruleset.rules if matches(code, r)]
                if not known:
                    if not directive.noqa or OUR_CODE_SHAPE.match(code):
                        unknown.append(code)
                    continue
                running = [r for r in known if r.code in enabled_codes]
                if running and not any(r.code in used for r in running):
                    idle.append(code)
            parts = []  # one finding per directive (one per rule and location), as ruff's RUF100
            if unknown:
                hint = ruleset.unknown(unknown[0]) or ""
                hint = hint[hint.find(" (did you mean"):hint.find(";")] if "(did you mean" in hint else ""
                parts.append(f"`{word}` names {'an unknown rule' if len(unknown) == 1 else 'unknown rules'}: "
                             f"{', '.join(f'`{c}`' for c in unknown)}{hint}")
            if idle:
                parts.append(f"unused suppression: no {', '.join(f'`{c}`' for c in idle)} finding on this line to silence")
            if parts:
                findings.append(ctx.finding(span, "; ".join(parts)))
    return findings
