"""``--show-settings``: the configuration in force, where it came from, and the rules it
selects, written as TOML a user could paste back (so a silently lost setting shows)."""

from __future__ import annotations

import json
import os
from dataclasses import fields, is_dataclass

from promptlint.config import Config, config_keys


def _toml(value) -> str:
    if is_dataclass(value) and not isinstance(value, type):
        items = {f.name.replace("_", "-"): getattr(value, f.name) for f in fields(value)}
        return _toml({k: v for k, v in items.items() if v is not None})
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def render_settings(config: Config, targets, rules) -> str:
    if config.source and config.source != "config":
        nested = os.path.basename(config.source) == "pyproject.toml"
        origin = f"{config.source}" + (" [tool.promptlint]" if nested else "")
    else:
        origin = "none found (defaults)"
    lines = [f"# config file: {origin}", f"# root (relative paths start here): {config.root}",
             f"# paths: {', '.join(str(t) for t in targets)}"]
    for name, definition in config_keys().items():
        value = getattr(config, definition.name)
        lines.append(f"{name} = {_toml(value)}" if value is not None else f"# {name} is not set")
    lines.append(f"# rules selected ({len(rules)}): {', '.join(r.code for r in rules)}")
    return "\n".join(lines) + "\n"
