"""Change one key of the user's configuration file and leave every other byte alone.

``promptlint calibrate`` writes ``calibration = {family = factor}`` into the file that
configures the project: ``[tool.promptlint]`` of pyproject.toml or the top of
promptlint.toml. A user's comments, key order, quoting and line endings must survive, so
the file goes through tomlkit (a round-trip TOML parser), is checked to load back as a
valid configuration, and is written atomically.
"""

from __future__ import annotations

from pathlib import Path

from promptlint.atomic import write_atomic
from promptlint.config import ConfigError, parse_config


def set_calibration(path: Path, factors: dict[str, float], nested: bool) -> None:
    """Merge ``factors`` into the ``calibration`` table of ``path`` (created if missing)."""
    import tomlkit

    try:
        original = path.read_bytes().decode("utf-8") if path.exists() else ""
        doc = tomlkit.parse(original)
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
        raise ConfigError(f"{path}: cannot update: {exc}") from None
    section = doc
    if nested:
        tool = doc.get("tool")
        if tool is None:
            tool = tomlkit.table(is_super_table=True)
            doc["tool"] = tool
        section = tool.get("promptlint")
        if section is None:
            section = tomlkit.table()
            tool["promptlint"] = section
    table = section.get("calibration")
    if table is None or isinstance(table, tomlkit.items.InlineTable):
        merged = {**(table.unwrap() if table is not None else {}), **factors}
        table = tomlkit.inline_table()
        table.update(dict(sorted(merged.items())))
        section["calibration"] = table
    else:
        for family, factor in sorted(factors.items()):
            table[family] = factor
    text = tomlkit.dumps(doc)
    if "\r\n" in original:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    data = tomlkit.parse(text).unwrap()
    parse_config(data.get("tool", {}).get("promptlint", {}) if nested else data, where=str(path))
    write_atomic(path, text.encode("utf-8"))
