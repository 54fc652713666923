"""Every example in every rule file is a test case: failing ones must fire, passing ones must not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ROOT, make_fixer, run_analysis, write_tree
from promptlint.fix import APPLIED

RULE_FILES = sorted((ROOT / "rules").glob("*.yaml"))


def _cases():
    for path in RULE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, example in enumerate(data.get("examples") or []):
            yield pytest.param(data["code"], example, id=f"{data['code']}-{i}-{example['expect']}-{example['name']}")


def test_every_rule_has_failing_and_passing_examples():
    for path in RULE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        expects = {e["expect"] for e in data.get("examples") or []}
        assert {"fail", "pass"} <= expects, f"{path.name} needs failing and passing examples"


def test_rule_files_are_named_for_their_rule():
    for path in RULE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert path.stem == f"{data['code']}-{data['name']}"


@pytest.mark.parametrize("code,example", list(_cases()))
def test_rule_example(tmp_path: Path, code: str, example: dict):
    write_tree(tmp_path, example["files"])
    analysis = run_analysis(tmp_path, example.get("config"), select=(code,))
    found = [f.finding for f in analysis.findings if f.finding.code == code]
    for priced in analysis.findings:
        _assert_priced_with_the_requests_model(analysis, priced)
    if example["expect"] == "fail":
        assert found, f"{code} did not fire on: {example['name']}"
        if "message" in example:
            assert any(example["message"] in f.message for f in found), [f.message for f in found]
        if "count" in example:
            assert len(found) == example["count"], [f.message for f in found]
        if "line" in example:
            assert any(f.span.line == example["line"] for f in found), [(f.span.line, f.message) for f in found]
        if "fixed" in example:
            _assert_fixed(tmp_path, code, example)
    else:
        assert not found, f"{code} fired on a passing example: {[f.message for f in found]}"


def _assert_fixed(root: Path, code: str, example: dict) -> None:
    """``fixed`` lists files as ``promptlint fix --unsafe-fixes --select CODE`` leaves them;
    the fix must apply cleanly and a second run must change nothing."""
    run = make_fixer(root, (code,), unsafe=True, config=example.get("config")).run()
    assert not [(r.status, r.reason) for r in run.results if r.status != APPLIED]
    for rel, content in example["fixed"].items():
        assert (root / rel).read_text(encoding="utf-8") == content, rel
    again = make_fixer(root, (code,), unsafe=True, config=example.get("config")).run()
    assert not again.by_status(APPLIED)


def _assert_priced_with_the_requests_model(analysis, priced) -> None:
    """A saving is priced (dollars present) and, when it belongs to one request, the usage
    before the change is that request's own pricing model."""
    finding = priced.finding
    saving = finding.saving
    if saving is None or not (saving.before or saving.after):
        return
    assert priced.price is not None, finding.message
    if finding.request is not None:
        model = analysis.measurements.requests[finding.request].model
        assert {u.model for u in saving.before} == {model}, (finding.code, model, saving.before)


def test_builtin_phrase_rules_and_packs_compile():
    """Load-time validation is skipped for built-in rules (it costs a warm run a quarter of a
    second); this is where their phrase lists and patterns are checked instead."""
    from promptlint.rules import _validate_phrases

    for path in RULE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("categories") or data.get("packs"):
            _validate_phrases(data, str(path))
    from promptlint.checks.packs import Matcher, load_pack

    for pack in sorted((ROOT / "rules" / "packs").glob("*.yaml")):
        matcher = Matcher(load_pack(pack), str(pack))
        assert matcher._regex is not None and len(matcher._each) == len(matcher._names)
