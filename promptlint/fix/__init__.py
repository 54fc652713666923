"""Stage 7 (``promptlint fix``): turn findings into edits, measure them, write them safely.

For every finding whose fix carries edits: map the edits to characters of the files
(:mod:`textmap` for template text, :mod:`structure` for calls and lists), apply them in
memory, check the file still parses, extract the edited files again and check the
result is what the fix meant (:mod:`verify`), and price the difference by measuring the
whole tree again (:mod:`measure`). Safe fixes are applied; unsafe ones are applied with
``unsafe=True`` and otherwise shown as suggestions. Two fixes that edit the same
characters do not both apply: the first wins and the other is reported as skipped.
Nothing is written until every applied edit of a file has been checked together, and a
file that changed on disk since it was read is left alone (:mod:`files`). On a large
tree the trials of a pass are shared out over worker processes (:mod:`trials`) and the
files are written by a few threads (:mod:`writer`), each still compared and swapped alone.
"""

from promptlint.fix.results import APPLIED, FAILED, REFUSED, SKIPPED, SUGGESTED, FixResult, FixRun
from promptlint.fix.runner import Fixer

__all__ = ["APPLIED", "FAILED", "REFUSED", "SKIPPED", "SUGGESTED", "FixResult", "FixRun", "Fixer"]
