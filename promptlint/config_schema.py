"""The JSON schema of ``[tool.promptlint]``, built from the key definitions in
:mod:`promptlint.config`, for editors (Even Better TOML, SchemaStore) to complete and check.

The package ships the result as ``promptlint/config.schema.json``; a test fails when the
definitions and the shipped file disagree. Regenerate it with
``python -m promptlint.config_schema --write``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import MISSING
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("config.schema.json")


def _default(value):
    if isinstance(value, tuple):
        return [_default(v) for v in value]
    if isinstance(value, dict):
        return {k: _default(v) for k, v in value.items()}
    return value


def build_schema() -> dict:
    from promptlint.config import config_keys

    properties = {}
    for name, definition in config_keys().items():
        entry = dict(definition.metadata["kind"].schema())
        entry["description"] = definition.metadata["description"]
        default = definition.default if definition.default_factory is MISSING else definition.default_factory()
        if default is not None and default not in ((), {}):
            entry["default"] = _default(default)
        properties[name] = entry
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://github.com/promptlint/promptlint/blob/main/promptlint/config.schema.json",
        "title": "promptlint",
        "description": "promptlint's configuration: [tool.promptlint] in pyproject.toml, or the top level of "
                       "promptlint.toml.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def schema_text() -> str:
    return json.dumps(build_schema(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
        return 0
    sys.stdout.write(schema_text())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
