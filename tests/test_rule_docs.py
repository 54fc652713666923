"""`promptlint rules` lists every rule; `explain` shows every doc section of each."""

from __future__ import annotations

import pytest
import yaml

from conftest import as_json
from test_rule_examples import RULE_FILES

SECTIONS = {"what": "## What it does", "why": "## Why it costs money", "example": "## Example",
            "use-instead": "## Use instead", "fix-safety": "## Fix safety"}


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_explain_shows_every_doc_section(path, cli, tmp_path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    missing = [s for s in SECTIONS if not str((data.get("doc") or {}).get(s, "")).strip()]
    assert not missing, f"{path.name} lacks doc sections {missing}"
    code, out, _ = cli(tmp_path, "explain", data["code"])
    assert code == 0
    for heading in SECTIONS.values():
        assert heading in out
    if data.get("options"):
        assert "## Options" in out
        for name in data["options"]:
            assert f"`{name}`" in out
    code, by_name, _ = cli(tmp_path, "explain", data["name"])
    assert by_name == out


def test_rules_lists_every_rule_file(cli, tmp_path):
    code, out, _ = cli(tmp_path, "rules", "--format", "json")
    listed = {r["code"] for r in as_json(out)}
    assert code == 0
    assert listed == {yaml.safe_load(p.read_text(encoding="utf-8"))["code"] for p in RULE_FILES}
    code, out, _ = cli(tmp_path, "rules")
    header, *rows = out.splitlines()
    assert header.split() == ["code", "name", "severity", "fix", "summary"], "the columns are named"
    assert len(rows) == len(RULE_FILES)


def test_explain_unknown_rule_is_a_usage_error(cli, tmp_path):
    code, _, err = cli(tmp_path, "explain", "PL999")
    assert code == 2 and "no rule `PL999`" in err
