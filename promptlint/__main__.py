"""Allow ``python -m promptlint``, behaving exactly like the console script.

``python -m`` puts the working directory first on ``sys.path``. In a scanned checkout that
would let a committed module, or a committed ``*.dist-info/entry_points.txt``, be imported
as a rule plugin; the console script never sees the working directory, so neither do we.
"""

import os
import sys


def _drop_working_directory() -> None:
    if getattr(sys.flags, "safe_path", False) or not sys.path:
        return
    first = sys.path[0]
    if first == "" or os.path.realpath(first) == os.path.realpath(os.getcwd()):
        del sys.path[0]


_drop_working_directory()

from promptlint.cli import entry  # noqa: E402

if __name__ == "__main__":
    entry()
