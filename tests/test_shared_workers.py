"""The survey's workers stay open for the link stage's on-demand reads: no second fork of
a process that by then holds the whole tree, the same answers as one process gives, and a
worker that dies on such a read costs that file alone."""

from __future__ import annotations

import faulthandler
import json
import os
import sys

import pytest

from promptlint import ondemand, survey, workers

from conftest import write_tree

needs_workers = pytest.mark.skipif((os.cpu_count() or 1) < 2 or sys.platform != "linux",
                                   reason="the worker pool needs 2 cores")
MODULES = 8  # more than ondemand.PARALLEL_MIN_LOADS


def _tree(root) -> None:
    """Enough files for the survey to fork (survey.PARALLEL_MIN_CANDIDATES), and a prompt
    module that imports constants from eight modules the prefilter skips."""
    files = {f"pkg/filler_{i:03}.py": f"def helper_{i}(x):\n    return x + {i}\n" for i in range(120)}
    files["app.py"] = ("import anthropic\n" + "".join(f"from consts.c{i} import GREETING_{i}\n" for i in range(MODULES))
                       + "client = anthropic.Anthropic()\n"
                       + "".join(f"client.messages.create(model='claude-sonnet-4-5', max_tokens=100, system=GREETING_{i},\n"
                                 f"                       messages=[{{'role': 'user', 'content': 'hi'}}])\n"
                                 for i in range(MODULES)))
    files["consts/__init__.py"] = ""
    for i in range(MODULES):
        files[f"consts/c{i}.py"] = f"GREETING_{i} = 'You are helper number {i}. Answer in one line, in English.'\n"
    write_tree(root, files)


def _analyze(root):
    from promptlint import engine
    from promptlint.config import parse_config

    return engine.analyze([root], parse_config({}, root=str(root)), use_cache=False)


@needs_workers
def test_on_demand_reads_go_to_the_survey_workers_and_give_the_serial_answer(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    forks, shared = [], []
    real_spawn, real_shared = workers.Pool._spawn, survey.extract_shared
    monkeypatch.setattr(workers.Pool, "_spawn", lambda self, slot: forks.append(slot) or real_spawn(self, slot))
    monkeypatch.setattr(survey, "extract_shared", lambda *a: shared.append(len(a[0])) or real_shared(*a))
    parallel = _analyze(tmp_path)
    assert shared == [MODULES]  # the eight imported modules, one batch, by the open workers
    assert sorted(forks) == [0, 1]  # forked once, for the survey
    assert "pool" not in survey._SHARED and survey._WORKER_STATE is None  # closed with the scan

    monkeypatch.setattr(survey, "PARALLEL_MIN_CANDIDATES", 10_000)
    monkeypatch.setattr(ondemand, "PARALLEL_MIN_LOADS", 10_000)
    serial = _analyze(tmp_path)
    texts = sorted(t.text for t in parallel.project.templates.values())
    assert texts == sorted(t.text for t in serial.project.templates.values())
    assert sum("helper number" in t for t in texts) == MODULES
    assert [f.finding.message for f in parallel.findings] == [f.finding.message for f in serial.findings]


def _crash_on_c3(path, kind, data, patterns):
    from promptlint.extract import extract_file

    if path == "consts/c3.py":
        import ctypes

        ctypes.string_at(0)  # a segfault in the worker
    return extract_file(path, kind, data, patterns)


@needs_workers
def test_a_worker_that_dies_on_an_on_demand_read_costs_that_file_alone(tmp_path, monkeypatch):
    from promptlint.config import parse_config
    from promptlint.extract import VALUES_KIND

    _tree(tmp_path)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    config = parse_config({}, root=str(tmp_path))
    candidates = [(f"pkg/filler_{i:03}.py", str(tmp_path / f"pkg/filler_{i:03}.py"), "python") for i in range(120)]
    enabled = faulthandler.is_enabled()
    faulthandler.disable()  # pytest's would print the crash of the forked worker
    try:
        with survey.shared_workers():
            survey.survey_all(candidates, config, None, _crash_on_c3)
            loads = ondemand.OnDemand(config, None, _crash_on_c3)
            got = loads.load_many([(f"consts/c{i}.py", VALUES_KIND) for i in range(MODULES)])
            again = loads.load_many([(f"consts/c{i}.py", "python") for i in range(MODULES) if i != 3])
    finally:
        if enabled:
            faulthandler.enable()
    assert [r is None for r in got] == [i == 3 for i in range(MODULES)]
    assert all(r.constant(f"GREETING_{i}") is not None for i, r in enumerate(got) if i != 3)
    assert all(r is not None and r.constant(f"GREETING_{r.path[8]}") is not None for r in again)  # the pool goes on


def test_outside_a_scan_no_workers_stay_open(tmp_path):
    """A survey outside ``shared_workers`` (a test, a library caller) leaves nothing running."""
    from promptlint.config import parse_config

    _tree(tmp_path)
    candidates = [(f"pkg/filler_{i:03}.py", str(tmp_path / f"pkg/filler_{i:03}.py"), "python") for i in range(120)]
    from promptlint.extract import extract_file

    survey.survey_all(candidates, parse_config({}, root=str(tmp_path)), None, extract_file)  # extracting: a pool it could keep
    assert "pool" not in survey._SHARED and survey._WORKER_STATE is None
    assert json.dumps(survey._SHARED) == "{}"
