"""Model strings that stand for one the user fills in: not model ids.

``<your-deployment>``, ``${env:CHAT_MODEL}``, ``YOUR_MODEL_ARN``, ``test-model``. Read by
PL403 (not an id to correct) and by extraction (a test's agent given one runs on what the
test installs, see :mod:`promptlint.extract.stand_ins`).
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"^\s*(?:<[^>]*>|\$\{[^}]*\}|\{[^}]*\}|%\([^)]*\)s|.*\b(?:your|placeholder|replace[_-]?me|"
                          r"changeme|todo|xxx+)\b.*|(?:test|fake|mock|dummy|example|my)[-_]?model(?:[-_]\w+)?)\s*$",
                          re.IGNORECASE)


def placeholder(model: str) -> bool:
    return bool(_PLACEHOLDER.match(model.replace("_", " ")))
