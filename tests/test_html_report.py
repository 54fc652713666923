"""audit --format html: one self-contained page, checked as text and in a real headless browser."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import browser
from conftest import ROOT, write_tree
from promptlint.cli import main
from promptlint.report.treemap import Rect, squarify

EXAMPLES = ROOT / "examples"
SAMPLE = EXAMPLES / "usage" / "otel-traces.json"


def audit_html(out: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["audit", *args, "--no-cache", "--format", "html", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def example_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "report.html"
    return out, audit_html(out, str(EXAMPLES), "--usage", str(SAMPLE))


def test_the_report_is_self_contained(example_report):
    _, page = example_report
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r"(src|href)=\"(?!#)", page)  # only in-page links
    assert "default-src 'none'" in page  # and the page forbids fetching anything


def test_the_report_shows_measured_traffic_per_site(example_report):
    _, page = example_report
    assert "Measured from 90 logged calls: 2.7k/month" in page  # answer(): tagged calls
    assert "cache served 0% of input (promptlint predicted 0%)" in page
    assert "Measured from 120 logged calls: 3.7k/month" in page  # classify(): matched by text
    assert "317 of 318 logged calls" in page
    assert "Non-production (1)" in page and "triage_experiments.ipynb" in page
    shown = int(re.search(r"Findings \((\d+)\)", page).group(1))
    check = CliRunner().invoke(main, ["check", str(EXAMPLES), "--no-cache", "--format", "json"], catch_exceptions=False)
    assert shown == len(json.loads(check.stdout)["findings"]) and "saves ~" in page
    assert "assumed traffic" in page  # the YAML router has no logs: its figure is the default


def test_treemap_areas_are_proportional_and_fill_the_box():
    values = [6, 6, 4, 3, 2, 2, 1]
    rects = squarify(values, Rect(0, 0, 600, 400))
    assert sum(r.w * r.h for r in rects) == pytest.approx(600 * 400)
    for value, rect in zip(values, rects):
        assert rect.w * rect.h == pytest.approx(600 * 400 * value / sum(values))
        assert rect.x >= -1e-9 and rect.y >= -1e-9 and rect.x + rect.w <= 600 + 1e-6 and rect.y + rect.h <= 400 + 1e-6


def test_names_from_the_code_are_escaped(tmp_path):
    root = write_tree(tmp_path / "app", {"weird<b>.py": '''
import anthropic
client = anthropic.Anthropic()

def ask(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=100,
        system="You answer </style><script>alert(1)</script> questions about invoices and refunds.",
        messages=[{"role": "user", "content": q}])
'''})
    page = audit_html(tmp_path / "r.html", str(root))
    assert "weird&lt;b&gt;.py" in page and "<script" not in page and "weird<b>" not in page


def test_with_a_baseline_the_report_shows_the_change(tmp_path):
    root = tmp_path / "ex"
    shutil.copytree(EXAMPLES, root)
    base = tmp_path / "base.json"
    CliRunner().invoke(main, ["audit", str(root), "--no-cache", "--write-baseline", str(base)])
    prompts = root / "support_bot" / "prompts.py"
    prompts.write_text(prompts.read_text().replace("You are the support assistant",
                                                   "You are the friendly, careful and thorough support assistant"))
    page = audit_html(tmp_path / "r.html", str(root), "--baseline", str(base))
    assert "Since the baseline" in page and "grown" in page


REQUIRED = bool(os.environ.get("PROMPTLINT_BROWSER_TESTS"))


@pytest.mark.skipif(not browser.available() and not REQUIRED, reason="Chromium and chromedriver not installed")
def test_the_report_renders_in_a_real_browser(example_report):
    out, _ = example_report
    assert browser.available(), "PROMPTLINT_BROWSER_TESTS is set but chromium/chromedriver are not installed"
    with browser.Browser() as chrome:
        chrome.open(out.resolve().as_uri())
        tabs = chrome.run("return Array.from(document.querySelectorAll('.tabs > label')).map(l => l.textContent)")
        shown = chrome.run("""
            const out = {};
            for (const label of document.querySelectorAll('.tabs > label')) {
              label.click();
              const panel = document.getElementById('panel-' + label.htmlFor.slice(4));
              out[label.textContent] = panel.getBoundingClientRect().height;
            }
            document.querySelector('.tabs > label').click();
            return out;""")
        boxes = chrome.run("return document.querySelectorAll('.treemap .leaf').length")
        errors = [e for e in chrome.console() if e.get("level") in ("SEVERE", "ERROR")]
        png = chrome.screenshot()
    assert not errors, errors
    assert len(tabs) == 4 and all(height > 50 for height in shown.values()), shown
    assert boxes >= 6
    width, height, rows = browser.png_pixels(png)
    assert width == 1200 and height > 600
    sample = [rows[y][x] for y in range(0, height, 10) for x in range(0, width, 10)]
    background = max(set(sample), key=sample.count)
    assert len(set(sample)) > 20 and sum(1 for p in sample if p != background) > len(sample) * 0.2
    if os.environ.get("PROMPTLINT_SCREENSHOT"):
        Path(os.environ["PROMPTLINT_SCREENSHOT"]).write_bytes(png)


def test_the_example_audit_shows_measured_requests_and_cache_share_per_site():
    result = CliRunner().invoke(main, ["audit", str(EXAMPLES), "--no-cache", "--usage", str(SAMPLE)])
    assert result.exit_code == 0
    rows = {line.split()[-1]: line.split() for line in result.output.splitlines()
            if line.strip().endswith("#1") and "%" in line}
    answer = rows["answer::messages.create#1"]
    assert answer[:4] == ["90", "2.7k", "0%", "0%"]  # calls, requests/month, measured and predicted cache share
    assert rows["classify::messages.create#1"][:2] == ["120", "3.7k"]
    assert "2.7k/mo measured" in result.output
