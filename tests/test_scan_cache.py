"""The content-hash cache: a warm run gives the same answer without re-extracting."""

from __future__ import annotations

import json
import os
import shutil

from promptlint import engine
from promptlint.cache import _decode, _encode
from promptlint.config import load_config
from promptlint.discover import discover
from promptlint.extract import extract_file

from conftest import ROOT, run_analysis


def copy_examples(tmp_path):
    target = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", target, ignore=shutil.ignore_patterns(".promptlint_cache"))
    return target


def document(analysis):
    from promptlint.report import View
    from promptlint.report.document import build_document

    return json.dumps(build_document(analysis, View(analysis.config.root, analysis.config.root)), sort_keys=True)


def test_every_extraction_result_survives_the_cache_format(tmp_path):
    root = copy_examples(tmp_path)
    config = load_config(root)
    results = list(discover([root], config, extract=extract_file).results)
    assert len(results) > 10
    for result in results:
        assert _decode(json.loads(json.dumps(_encode(result)))) == result


def test_warm_run_matches_cold_run_and_extracts_nothing(tmp_path, monkeypatch):
    root = copy_examples(tmp_path)
    cold = run_analysis(root, {"default-model": "claude-sonnet-4-5"})
    calls = []
    real = engine.extract_file
    monkeypatch.setattr(engine, "extract_file", lambda *a: calls.append(a[0]) or real(*a))
    warm = run_analysis(root, {"default-model": "claude-sonnet-4-5"})
    assert calls == []
    assert document(warm) == document(cold)


def test_an_edited_file_is_extracted_again_and_only_it(tmp_path, monkeypatch):
    root = copy_examples(tmp_path)
    run_analysis(root)
    prompts = root / "support_bot" / "prompts.py"
    prompts.write_text(prompts.read_text(encoding="utf-8").replace("ACME Home", "ACME Homeware"), encoding="utf-8")
    os.utime(prompts, ns=(1, 1))  # a different mtime even on a coarse clock
    calls = []
    real = engine.extract_file
    monkeypatch.setattr(engine, "extract_file", lambda *a: calls.append(a[0]) or real(*a))
    analysis = run_analysis(root)
    assert calls == ["support_bot/prompts.py"]
    assert "ACME Homeware" in analysis.project.templates["support_bot/prompts.py::SUPPORT_SYSTEM_PROMPT"].text


def test_settings_that_change_extraction_get_their_own_cache(tmp_path):
    root = copy_examples(tmp_path)
    run_analysis(root)
    run_analysis(root, {"prompt-name-patterns": ["*PROMPT*"]})
    assert len(list((root / ".promptlint_cache").glob("scan-*.json"))) == 2


def test_no_cache_reads_and_writes_nothing(tmp_path, cli):
    root = copy_examples(tmp_path)
    code, _, _ = cli(root, "check", ".", "--no-cache")
    assert code == 1
    assert not (root / ".promptlint_cache").exists()


PARTIAL_TREE = {
    "prompts/__init__.py": "",
    "prompts/consts.py": (
        'SYSTEM_PROMPT = "You are a terse helper. Answer in one line, without any preamble."\n'
        'OTHER_PROMPT = "You are a second helper that nobody imports. Answer everything politely."\n'
    ),
    "app.py": (
        "import anthropic\nfrom prompts.consts import SYSTEM_PROMPT\nclient = anthropic.Anthropic()\n"
        "client.messages.create(model='claude-sonnet-4-5', max_tokens=100, system=SYSTEM_PROMPT,\n"
        "                       messages=[{'role': 'user', 'content': 'hi'}])\n"
    ),
}


def test_a_partial_run_does_not_hide_files_from_a_later_full_run(tmp_path):
    """A pre-commit run loads prompts/consts.py on demand; the full run after it must still
    find the constant nobody imports, as a run without the cache does."""
    from conftest import write_tree
    from promptlint.config import parse_config

    write_tree(tmp_path, PARTIAL_TREE)
    config = parse_config({}, root=str(tmp_path))
    engine.analyze([tmp_path / "app.py"], config)
    cached = engine.analyze([tmp_path], config)
    fresh = engine.analyze([tmp_path], config, use_cache=False)
    assert "prompts/consts.py::OTHER_PROMPT" in fresh.project.templates
    assert set(cached.project.templates) == set(fresh.project.templates)


def test_a_file_read_as_two_kinds_gives_the_same_answer_with_the_cache(tmp_path):
    """p.yaml is a YAML prompt file for discovery and plain text for the code that reads it."""
    from conftest import write_tree
    from promptlint.config import parse_config

    write_tree(tmp_path, {
        "p.yaml": "system: You are a helpful assistant for ACME. Answer briefly.\n",
        "app.py": (
            "import anthropic\nfrom pathlib import Path\nclient = anthropic.Anthropic()\n"
            "client.messages.create(model='claude-sonnet-4-5', max_tokens=100,\n"
            "                       system=Path('p.yaml').read_text(), messages=[{'role': 'user', 'content': 'hi'}])\n"
        ),
    })
    config = parse_config({}, root=str(tmp_path))
    fresh = engine.analyze([tmp_path], config, use_cache=False)
    first = engine.analyze([tmp_path], config)
    second = engine.analyze([tmp_path], config)
    parts = [[p.template for p in a.project.requests[0].parts] for a in (fresh, first, second)]
    assert parts[0] == parts[1] == parts[2]


def test_a_warm_run_reads_wrapper_callers_the_same_way(tmp_path):
    """Files found only because they call an in-house wrapper are looked up through the
    stat shortcut on a warm run: same answer, no crash."""
    root = tmp_path / "shop"
    (root / "llm").mkdir(parents=True)
    (root / "llm" / "client.py").write_text(
        "from anthropic import Anthropic\nclient = Anthropic()\n\n\n"
        "def ask(prompt):\n"
        "    return client.messages.create(model='claude-haiku-4-5', max_tokens=300,\n"
        "                                  messages=[{'role': 'user', 'content': prompt}])\n", encoding="utf-8")
    (root / "reviews.py").write_text(
        "from llm.client import ask\n\n\ndef label(review):\n"
        "    return ask(f'Label this review as praise, complaint or question:\\n\\n{review}')\n", encoding="utf-8")
    for path in root.rglob("*.py"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # old enough for the stat shortcut
    cold = run_analysis(root)
    assert any(r.path == "reviews.py" for r in cold.project.requests)
    warm = run_analysis(root)
    assert document(warm) == document(cold)
