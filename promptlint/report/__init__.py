"""Stage 6: render an analysis. One module per output format, all from the same data.

``CHECK_FORMATS`` and ``AUDIT_FORMATS`` map a ``--format`` value to a function that takes
the :class:`~promptlint.engine.Analysis` (and a :class:`View` of how to show paths) and
returns the text to print.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

# Counts are written one way in findings and in reports; the rules stage owns it, as
# report imports from earlier stages and never the other way round.
from promptlint.checks import fmt_tokens as fmt_int  # noqa: F401 - report modules import it from here
from promptlint.terminal import PLAIN, Palette


@dataclass(frozen=True)
class View:
    """How a report is shown: paths relative to the directory the user ran promptlint
    from, colours (``paint``, a :class:`~promptlint.terminal.Palette`) and how much
    (``detail``: quiet, normal or verbose)."""

    root: str
    cwd: str
    paint: Palette = PLAIN
    detail: str = "normal"
    verbose: bool = False  # JSON: why each template is a prompt (its evidence)

    def path(self, relpath: str) -> str:
        full = os.path.normpath(os.path.join(self.root, relpath))
        try:
            return Path(os.path.relpath(full, self.cwd)).as_posix()
        except ValueError:  # another drive on Windows
            return Path(full).as_posix()


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``, ``1 entry``, ``3 entries`` (counts formatted as elsewhere)."""
    if n == 1:
        return f"1 {word}"
    return f"{fmt_int(n)} {many or (word[:-1] + 'ies' if word.endswith('y') else word + 's')}"


def fmt_usd(amount: float) -> str:
    """Dollars the way an invoice reader scans them: $370, $3.70, $0.0037."""
    if amount == 0:
        return "$0"
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if value >= 100:
        return f"{sign}${value:,.0f}"
    if value >= 1:
        return f"{sign}${value:,.2f}"
    digits = max(2, -int(math.floor(math.log10(value))) + 1)
    return f"{sign}${value:.{digits}f}"


def round_usd(amount: float) -> float:
    """Dollars in a JSON document or baseline: six significant digits, so a fraction of a
    cent keeps its precision and float noise does not churn a committed file."""
    return float(f"{amount:.6g}")


def worth(priced):
    """``("saving" | "exposure", Price)`` of a finding with a positive price, else None.

    An exposure is a worst case (output running to the model's limit), never added to
    what is saveable, so every format words it apart."""
    price = priced.price
    if price is None or price.usd_per_request <= 0:
        return None
    return ("exposure" if priced.finding.saving.exposure else "saving"), price


def saving_note(priced) -> str:
    """What a finding is worth, in the words the text, SARIF and github formats share."""
    got = worth(priced)
    if got is None:
        return ""
    kind, price = got
    lead = "exposure up to " if kind == "exposure" else "saves ~"
    return f"{lead}{fmt_usd(price.usd_per_request)}/request, {fmt_usd(price.usd_per_month)}/month"


def finding_message(priced) -> str:
    """A finding's message with what it is worth, and in a notebook its cell and line
    (github annotations and SARIF locations can only name the file)."""
    f = priced.finding
    note = saving_note(priced)
    message = f.message + (f" ({note})" if note else "")
    if f.span.cell is not None:
        message += f" [cell {f.span.cell}, line {f.span.line}]"
    return message


def severity_detail(by_severity: dict[str, int]) -> str:
    """``1 error, 2 warnings``: the severities that have findings."""
    return ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in by_severity.items() if n)


def _lazy(spec: str, safe=None, **fixed):
    """The renderer ``module:function`` of this package with ``fixed`` options, imported
    when first called: a run loads only the format it prints. ``safe`` is the last word
    on what the text may hold before it is printed (see :mod:`promptlint.escape`); JSON
    formats are made safe as they are serialized."""
    module, name = spec.split(":")

    def render(analysis, view, **options):
        text = getattr(import_module(f"{__name__}.{module}"), name)(analysis, view, **fixed, **options)
        return safe(text) if safe is not None else text

    return render


def _human(text: str) -> str:
    from promptlint.escape import block

    return block(text)


def _workflow(text: str) -> str:
    from promptlint.escape import block

    return block(text, workflow=False)  # the commands are the format's own; their data is escaped


# Audit renderers also take ``comparison`` (a promptlint.baseline.Comparison, or None).
# The text format escapes each field it prints itself (report/text.py): it may colour them.
CHECK_FORMATS = {"text": _lazy("text:render_check"), "full": _lazy("text:render_check", frames=True),
                 "json": _lazy("document:render_json"),
                 "sarif": _lazy("sarif:render_sarif"), "github": _lazy("github:render_check", _workflow),
                 "markdown": _lazy("markdown:render_check", _human)}
AUDIT_FORMATS = {"text": _lazy("text:render_audit"),
                 "json": _lazy("document:render_json", findings=False),
                 "sarif": _lazy("sarif:render_sarif", findings=False),
                 "github": _lazy("github:render_audit", _workflow), "markdown": _lazy("markdown:render_audit", _human),
                 "html": _lazy("html:render_html")}
