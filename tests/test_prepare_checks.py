"""Rules prepared while the survey runs: the rules stage then compiles no phrase pack."""

from __future__ import annotations

from promptlint.anatomy import role
from promptlint.checks import packs
from promptlint.config import parse_config, rule_selection
from promptlint.engine import analyze
from promptlint.rules import load_rules, prepare_checks

from conftest import write_tree


def test_prepared_checks_leave_the_rules_stage_no_pack_to_compile(tmp_path, monkeypatch):
    write_tree(tmp_path, {"bot.py": (
        "import anthropic\n"
        "SYSTEM = '''You are a world-class, highly experienced support expert. Please kindly make sure to\n"
        "always answer politely.   Thank you so much!\n'''\n"
        "def ask(q):\n"
        "    return anthropic.Anthropic().messages.create(model='claude-sonnet-4-5', max_tokens=4000,\n"
        "        system=SYSTEM, messages=[{'role': 'user', 'content': q}])\n")})
    config = parse_config({}, root=str(tmp_path))
    rules = load_rules(config).selected(*rule_selection(config, (), ()))
    monkeypatch.setattr(packs, "_MATCHERS", {})
    role._builtin_cues.cache_clear()
    before = analyze([tmp_path], config, use_cache=False)

    monkeypatch.setattr(packs, "_MATCHERS", {})
    role._builtin_cues.cache_clear()
    prepare_checks(rules, config)
    prepared = dict(packs._MATCHERS)
    assert all({"_regex", "_each"} <= set(m.__dict__) for m in prepared.values())
    made = []
    real = packs.Matcher.__init__
    monkeypatch.setattr(packs.Matcher, "__init__", lambda self, *a, **k: (made.append(a), real(self, *a, **k))[1])
    after = analyze([tmp_path], config, use_cache=False)
    assert made == [] and packs._MATCHERS == prepared
    assert [f.finding for f in after.findings] == [f.finding for f in before.findings]
    assert {f.finding.code for f in after.findings} >= {"PL102", "PL103"}


def test_rules_run_with_the_collector_paused_and_leave_it_running(tmp_path):
    import gc
    from dataclasses import replace

    from promptlint.engine import cached_rules
    from promptlint.models import ModelCatalog
    from promptlint.pricing import Pricer
    from promptlint.tokens import make_counter

    write_tree(tmp_path, {"bot.py": "import anthropic\nSYSTEM = 'You are terse.'\n"
                                    "anthropic.Anthropic().messages.create(model='claude-sonnet-4-5', max_tokens=5,"
                                    " system=SYSTEM, messages=[])\n"})
    config = parse_config({}, root=str(tmp_path))
    done = analyze([tmp_path], config, use_cache=False)
    seen = []
    probe = replace(done.rules[0], code="PL990", name="collector-probe", function=lambda ctx: seen.append(gc.isenabled()) or [])
    catalog = ModelCatalog(config.prices)
    assert gc.isenabled()
    cached_rules([probe], done.project, done.measurements, config, catalog, make_counter(config, catalog),
                 Pricer(config, catalog), done.traffic, done.anatomies, None, "?")
    assert seen == [False] and gc.isenabled()
