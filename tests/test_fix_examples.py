"""``promptlint fix --unsafe-fixes`` on the bundled examples project (a copy)."""

from __future__ import annotations

import json
import re
import shutil

from conftest import ROOT


def test_fix_on_the_examples_project_removes_the_fixed_findings(tmp_path, cli):
    root = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", root)
    notebook = (root / "notebooks" / "triage_experiments.ipynb").read_bytes()

    _, out, _ = cli(root, "check", ".", "--format", "json")
    before = json.loads(out)["findings"]
    _, out, _ = cli(root, "fix", ".", "--unsafe-fixes")
    fixed = set(re.findall(r"^(\S+?):(?:cell \d+:)?(\d+):\d+: (PL\d+) \S+  fixed:", out, re.MULTILINE))
    assert {code for _, _, code in fixed} >= {"PL201", "PL301", "PL302"}

    # The same findings (by rule and request or template) are gone after the fix.
    fixed_keys = {(f["code"], f["request"] or f["template"]) for f in before
                  if (f["path"], str(f["line"]), f["code"]) in fixed}
    _, out, _ = cli(root, "check", ".", "--format", "json")
    after = {(f["code"], f["request"] or f["template"]) for f in json.loads(out)["findings"]}
    assert fixed_keys and not fixed_keys & after

    for path in root.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    # The notebook is fixed in its cell (PL302), the rest of its JSON byte for byte as it was.
    after_notebook = (root / "notebooks" / "triage_experiments.ipynb").read_bytes()
    assert after_notebook == notebook.replace(b'max_tokens=1000,', b'max_tokens=16,')
    assert after_notebook != notebook
    assert 'cache_control={"type": "ephemeral"}' in (root / "support_bot" / "assistant.py").read_text()

    _, out, _ = cli(root, "fix", ".", "--unsafe-fixes")
    assert "  fixed:" not in out  # a second run finds nothing more to fix
