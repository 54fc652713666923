"""``promptlint fix --format json`` and what every format says about unsafe and refused
fixes (issue 17, deliverable 7)."""

from __future__ import annotations

import json
import os

from conftest import write_tree
from test_fix_write import DUP, module

CAPPED = module(1).replace("max_tokens=400", "max_tokens=4096").replace(
    "Quote amounts with their currency.", "Classify the question. Reply with the category only.")


def test_json_lists_applied_suggested_and_refused_fixes_with_measured_savings(tmp_path, cli):
    write_tree(tmp_path, {"a.py": CAPPED, "b.py": module(2)})
    os.chmod(tmp_path / "b.py", 0o444)
    code, out, _ = cli(tmp_path, "fix", ".", "--format", "json")
    document = json.loads(out)
    by = {(f["path"], f["code"]): f for f in document["fixes"]}
    applied, suggested, refused = by[("a.py", "PL104")], by[("a.py", "PL302")], by[("b.py", "PL104")]
    assert applied["status"] == "applied" and applied["applicability"] == "safe" and applied["reason"] is None
    assert applied["measured"]["tokens_saved"] == applied["estimated"]["tokens_saved"] > 0
    assert applied["measured"]["usd_per_month"] > 0 and applied["files"] == ["a.py"]
    assert suggested["status"] == "suggested" and suggested["applicability"] == "unsafe"
    assert suggested["measured"]["exposure_tokens_saved"] > 0 and "+        max_tokens=16," in suggested["diff"]
    assert refused["status"] == "refused" and "read-only" in refused["reason"]
    assert {f["path"]: f["status"] for f in document["files"]} == {"a.py": "written", "b.py": "refused"}
    summary = document["summary"]
    assert (summary["applied"], summary["suggested"], summary["refused"]) == (1, 1, 1)
    assert summary["files_written"] == 1 and document["dry_run"] is False
    assert (tmp_path / "a.py").read_text().count(DUP) == 1
    assert code == 1  # a file was refused


def test_json_in_diff_mode_writes_nothing_and_carries_the_diff(tmp_path, cli):
    write_tree(tmp_path, {"a.py": CAPPED})
    code, out, _ = cli(tmp_path, "fix", ".", "--diff", "--unsafe-fixes", "--format", "json")
    document = json.loads(out)
    assert document["dry_run"] and document["unsafe_fixes"] and code == 1
    assert {f["code"]: f["status"] for f in document["fixes"]} == {"PL104": "applied", "PL302": "applied"}
    assert f"-{DUP}\n" in document["diff"] and "+        max_tokens=16,\n" in document["diff"]
    assert document["files"] == [{"path": "a.py", "status": "would write", "reason": None}]
    assert (tmp_path / "a.py").read_text() == CAPPED


def test_diff_with_unsafe_fixes_shows_them_and_without_them_names_them(tmp_path, cli):
    write_tree(tmp_path, {"a.py": CAPPED})
    _, out, err = cli(tmp_path, "fix", ".", "--diff")
    assert "max_tokens=16" not in out and "PL302" in err and "--unsafe-fixes" in err
    _, out, _ = cli(tmp_path, "fix", ".", "--diff", "--unsafe-fixes")
    assert "-        max_tokens=4096,\n+        max_tokens=16,\n" in out


def test_text_names_a_refused_file_and_its_reason(tmp_path, cli):
    write_tree(tmp_path, {"b.py": module(2)})
    os.chmod(tmp_path / "b.py", 0o444)
    code, out, _ = cli(tmp_path, "fix", ".")
    assert "b.py:8:1: PL104 duplicate-instruction  not written" in out and "read-only (mode 0444)" in out
    assert code == 1
