"""The link stage's own costs: it runs with the cycle collector paused (its allocations over
every file's results set off full collections that find nothing), and gives it back."""

from __future__ import annotations

import gc

from promptlint import engine
from promptlint.config import parse_config


def test_linking_runs_with_the_collector_paused_and_restores_it(tmp_path, monkeypatch):
    (tmp_path / "app.py").write_text("import anthropic\nclient = anthropic.Anthropic()\n"
                                     "r = client.messages.create(model='claude-sonnet-4-5', max_tokens=9,\n"
                                     "    messages=[{'role': 'user', 'content': 'Summarize the news of the day.'}])\n")
    seen = []
    real = engine.link
    monkeypatch.setattr(engine, "link", lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    assert gc.isenabled()
    scanned = engine.scan_tree([tmp_path], parse_config({}, root=str(tmp_path)))
    assert seen == [False] and gc.isenabled()
    assert len(scanned.project.requests) == 1
