"""Traffic from config: the most specific key wins, non-production is priced apart, and
every monthly figure is priced at its own site's traffic and names its source."""

from __future__ import annotations

import json

import pytest

from conftest import run_analysis
from promptlint.config import ConfigError, parse_config
from promptlint.traffic.plan import config_match, is_production

WASTEFUL = '"""You answer questions about the Acme billing portal.' + "\n\n\n\n\n\n\n\n" + \
    "Be brief and cite the page you used.          \n\n\n\n\n\n\n\n"*3 + '"""'

APP = {
    "app/prompts.py": f"SYSTEM_PROMPT = {WASTEFUL}\n",
    "app/chat.py": """
        import anthropic
        from app.prompts import SYSTEM_PROMPT
        client = anthropic.Anthropic()

        def chat(q):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=SYSTEM_PROMPT,
                                          messages=[{"role": "user", "content": q}])
        """,
    "app/batch/nightly.py": """
        import anthropic
        from app.prompts import SYSTEM_PROMPT
        client = anthropic.Anthropic()

        def nightly(q):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=SYSTEM_PROMPT,
                                          messages=[{"role": "user", "content": q}])
        """,
    "tests/test_chat.py": """
        import anthropic
        from app.prompts import SYSTEM_PROMPT
        client = anthropic.Anthropic()

        def test_chat():
            client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=SYSTEM_PROMPT,
                                   messages=[{"role": "user", "content": "hi"}])
        """,
}
CHAT = "app/chat.py::chat::messages.create#1"
NIGHTLY = "app/batch/nightly.py::nightly::messages.create#1"
TEST = "tests/test_chat.py::test_chat::messages.create#1"


def test_the_most_specific_key_wins():
    config = parse_config({"traffic": {"app/**": 10, "app/batch/**": 20, "app/batch/nightly.py": 30,
                                       NIGHTLY: 40, "app/batch/*::nightly::*": 50}})
    assert config_match(config, "app/batch/nightly.py", NIGHTLY) == (NIGHTLY, 40)
    assert config_match(config, "app/batch/x.py", "app/batch/x.py::nightly::messages.create#2") == \
        ("app/batch/*::nightly::*", 50)
    assert config_match(config, "app/batch/other.py", "app/batch/other.py::f::x#1") == ("app/batch/**", 20)
    assert config_match(config, "app/web.py", "app/web.py::f::x#1") == ("app/**", 10)
    assert config_match(config, "lib/web.py", "lib/web.py::f::x#1") is None


@pytest.mark.parametrize("path,production", [
    ("app/chat.py", True), ("tests/test_chat.py", False), ("src/app/test_views.py", False),
    ("docs/conf.py", False), ("examples/demo.py", False), ("notebooks/try.ipynb", False), ("lab.ipynb", False),
    ("evals/run.py", False), ("benchmarks/latency.py", False), ("app/contest.py", True), ("app/testing_utils.py", True)])
def test_default_non_production_globs(path, production):
    assert is_production(parse_config({}), path) is production


def test_traffic_config_is_validated():
    with pytest.raises(ConfigError, match="traffic.app"):
        parse_config({"traffic": {"app/**": "lots"}})
    with pytest.raises(ConfigError, match="non-production"):
        parse_config({"non-production": 3})


def test_each_site_is_priced_at_its_traffic_and_non_production_apart(project):
    root = project(APP)
    analysis = run_analysis(root, {"traffic": {"app/**": 1000, "app/batch/**": 3000}, "requests-per-month": 500},
                            select=["PL104"])
    plan = analysis.traffic
    assert (plan.of_request(CHAT).requests_per_month, plan.of_request(CHAT).source) == (1000, "config")
    assert (plan.of_request(NIGHTLY).requests_per_month, plan.of_request(NIGHTLY).matched) == (3000, "app/batch/**")
    assert plan.of_request(TEST).source == "default" and not plan.of_request(TEST).production
    prices = analysis.request_prices
    assert prices[CHAT].usd_per_month == pytest.approx(prices[CHAT].usd_per_request * 1000)
    assert prices[NIGHTLY].usd_per_month == pytest.approx(prices[NIGHTLY].usd_per_request * 3000)
    assert analysis.usd_per_month_total == pytest.approx(prices[CHAT].usd_per_month + prices[NIGHTLY].usd_per_month)
    assert analysis.usd_per_month_non_production == pytest.approx(prices[TEST].usd_per_month)
    # the repeated sentence of the shared template is saved on all three sites, each at its traffic
    (finding,) = analysis.findings
    per_site = finding.price.usd_per_request / 3  # same model and text on each site
    assert finding.price.usd_per_month == pytest.approx(per_site * (1000 + 3000 + 500))
    # a template's traffic is the sum of the sites that send it, labelled by its weakest source
    template = plan.of_template("app/prompts.py::SYSTEM_PROMPT")
    assert (template.requests_per_month, template.source) == (4500, "default")


def test_a_finding_only_on_non_production_sites_leaves_the_headline(project):
    root = project({k: v for k, v in APP.items() if k.startswith("tests/")} |
                   {"tests/prompts.py": f"SYSTEM_PROMPT = {WASTEFUL}\n"})
    (root / "tests/test_chat.py").write_text((root / "tests/test_chat.py").read_text().replace("app.prompts", "tests.prompts"))
    analysis = run_analysis(root, select=["PL104"])
    assert analysis.findings and analysis.findings[0].price.usd_per_month > 0
    assert analysis.usd_per_month_saveable == 0


def test_json_markdown_and_baseline_carry_the_traffic(project, cli_runner):
    root = project({**APP, "pyproject.toml": '[tool.promptlint]\n[tool.promptlint.traffic]\n"app/**" = 1000\n'})
    doc = json.loads(cli_runner(["audit", str(root), "--format", "json", "--no-cache"]).output)
    requests = {r["id"]: r for r in doc["requests"]}
    assert requests[CHAT]["traffic"]["source"] == "config" and requests[CHAT]["traffic"]["from"] == "app/**"
    assert requests[TEST]["production"] is False and requests[TEST]["traffic"]["source"] == "default"
    assert doc["summary"]["traffic_sources"] == {"measured": 0, "config": 2, "default": 0}
    markdown = cli_runner(["audit", str(root), "--format", "markdown", "--no-cache"]).output
    assert "1k/mo config" in markdown and "priced apart" in markdown
    out = root / "base.json"
    cli_runner(["audit", str(root), "--write-baseline", str(out), "--no-cache"])
    entry = json.loads(out.read_text())["requests"][CHAT]
    assert entry["traffic"] == {"requests_per_month": 1000.0, "source": "config", "from": "app/**"}
    assert entry["production"] is True


@pytest.fixture
def cli_runner():
    from click.testing import CliRunner

    from promptlint.cli import main

    def run(args):
        return CliRunner().invoke(main, args, catch_exceptions=False)

    return run
