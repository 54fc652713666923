"""The bundled examples/ project shows what the README promises."""

from __future__ import annotations

import json
import math

from conftest import ROOT


def findings(cli):
    code, out, _ = cli(ROOT, "check", "examples", "--format", "json")
    return code, json.loads(out)


def test_examples_findings_are_the_documented_ones(cli):
    code, doc = findings(cli)
    assert code == 1
    by_key = {(f["code"], f["path"]): f for f in doc["findings"]}

    # PL201: the support prompt is imported from support_bot/prompts.py, over Sonnet's minimum, uncached
    pl201 = by_key[("PL201", "examples/support_bot/assistant.py")]
    assert pl201["template"] == "support_bot/prompts.py::SUPPORT_SYSTEM_PROMPT"
    # ...and not for the triage prompt, which is under Haiku 4.5's minimum
    assert not any(f["code"] == "PL201" and "triage" in f["path"] for f in doc["findings"])
    # PL203: triage marks a ~40-token block for caching; Haiku 4.5 caches from 4,096
    assert ("PL203", "examples/support_bot/triage.py") in by_key
    # PL301: the OpenAI handoff summary has no output cap
    pl301 = by_key[("PL301", "examples/support_bot/handoff.py")]

    for finding in (pl201, pl301):
        assert finding["tokens_saved"] > 0
        assert finding["usd_per_request"] > 0
        assert math.isclose(finding["usd_per_1k_requests"], finding["usd_per_request"] * 1000, rel_tol=1e-5)
        assert math.isclose(finding["usd_per_month"], finding["usd_per_request"] * 100_000, rel_tol=1e-5)


def test_examples_inventory_links_the_imported_prompt(cli):
    _, doc = findings(cli)
    request = next(r for r in doc["requests"] if r["id"] == "support_bot/assistant.py::answer::messages.create#1")
    system = next(t for t in doc["templates"] if t["id"] == "support_bot/prompts.py::SUPPORT_SYSTEM_PROMPT")
    assert request["templates"][0] == system["id"]
    assert system["tokens"] >= 1024 and request["input_tokens"] > system["tokens"]
