"""Stage 6: render an analysis. One module per output format, all from the same data.

``CHECK_FORMATS`` and ``AUDIT_FORMATS`` map a ``--format`` value to a function that takes
the :class:`~promptlint.engine.Analysis` (and a :class:`View` of how to show paths) and
returns the text to print.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class View:
    """How paths are shown: relative to the directory the user ran promptlint from."""

    root: str
    cwd: str

    def path(self, relpath: str) -> str:
        full = os.path.normpath(os.path.join(self.root, relpath))
        try:
            return Path(os.path.relpath(full, self.cwd)).as_posix()
        except ValueError:  # another drive on Windows
            return Path(full).as_posix()


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


def fmt_int(n: int) -> str:
    return f"{n:,}"


def _text_check(analysis, view):
    from promptlint.report.text import render_check

    return render_check(analysis, view)


def _text_audit(analysis, view):
    from promptlint.report.text import render_audit

    return render_audit(analysis, view)


def _json_check(analysis, view):
    from promptlint.report.document import render_json

    return render_json(analysis, view, findings=True)


def _json_audit(analysis, view):
    from promptlint.report.document import render_json

    return render_json(analysis, view, findings=False)


CHECK_FORMATS = {"text": _text_check, "json": _json_check}
AUDIT_FORMATS = {"text": _text_audit, "json": _json_audit}
