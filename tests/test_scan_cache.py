"""The content-hash cache: a warm run gives the same answer without re-extracting."""

from __future__ import annotations

import json
import os
import shutil

from promptlint import engine
from promptlint.cache import _decode, _encode
from promptlint.config import load_config
from promptlint.discover import discover

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
    results = engine.extract_all(discover([root], config), config)
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
