"""Files outside the scan's results, extracted when linking asks for them: in one batch
over the cores when the scanned files name many, with the serial answer."""

from __future__ import annotations

import json
import os

from promptlint import ondemand

from conftest import write_tree


MODULES = 8  # more than ondemand.PARALLEL_MIN_LOADS: the batch goes to the workers


def _imports_tree(root):
    files = {
        "app.py": "import anthropic\n"
                  + "".join(f"from consts.c{i} import GREETING_{i}\n" for i in range(MODULES))
                  + "client = anthropic.Anthropic()\n"
                  + "".join(f"client.messages.create(model='claude-sonnet-4-5', max_tokens=100, system=GREETING_{i},\n"
                            f"                       messages=[{{'role': 'user', 'content': 'hi'}}])\n"
                            for i in range(MODULES)),
        "consts/__init__.py": "",
    }
    for i in range(MODULES):
        files[f"consts/c{i}.py"] = (f"GREETING_{i} = 'You are helper number {i}. Answer in one line, "
                                    f"politely and without any preamble, in English.'\n")
    write_tree(root, files)


def test_modules_loaded_in_parallel_give_the_serial_answer(tmp_path, cli, monkeypatch):
    _imports_tree(tmp_path)
    parallel = _check(cli, tmp_path, "--no-cache")
    assert len(json.loads(parallel)["findings"]) > 0
    assert all(f"GREETING_{i}" in parallel for i in range(MODULES))
    monkeypatch.setattr(ondemand, "PARALLEL_MIN_LOADS", 10_000)
    assert _check(cli, tmp_path, "--no-cache") == parallel


def test_imported_modules_are_extracted_together_once(tmp_path, monkeypatch):
    """The modules the scanned files import are one batch, and linking asks again for none."""
    from promptlint.config import parse_config
    from promptlint import engine

    _imports_tree(tmp_path)
    batches = []
    real = ondemand.OnDemand._extract
    monkeypatch.setattr(ondemand.OnDemand, "_extract", lambda self, batch: batches.append(
        sorted(k[0] for k, _ in batch)) or real(self, batch))
    analysis = engine.analyze([tmp_path], parse_config({}, root=str(tmp_path)), use_cache=False)
    assert len(analysis.project.requests) == MODULES
    assert [b for b in batches if b] == [sorted(f"consts/c{i}.py" for i in range(MODULES))]


def _check(cli, root, *extra):
    code, out, err = cli(root, "check", ".", "--format", "json", *extra)
    assert code in (0, 1), err
    return out


def test_a_warm_run_does_not_read_the_skipped_files_again_to_find_helper_callers(tmp_path, monkeypatch):
    """batch.py has no LLM call of its own; it is found because it calls, in a loop, a
    helper that makes a request. A warm run knows that from the cache."""
    from promptlint import engine
    from promptlint.config import parse_config

    write_tree(tmp_path, {
        "app.py": "import anthropic\nclient = anthropic.Anthropic()\n\n\ndef summarize():\n"
                  "    return client.messages.create(model='claude-sonnet-4-5', max_tokens=100,\n"
                  "        messages=[{'role': 'user', 'content': 'Summarize the news of the day in one line.'}])\n",
        "batch.py": "from app import summarize\n\n\ndef run(days):\n    for day in days:\n        summarize()\n",
        "other.py": "def unrelated():\n    return 1\n",
    })
    for path in tmp_path.rglob("*.py"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    config = parse_config({}, root=str(tmp_path))
    read = []
    real = open
    monkeypatch.setattr(engine, "open", lambda path, *a, **k: read.append(str(path)) or real(path, *a, **k),
                        raising=False)
    cold = engine.analyze([tmp_path], config)
    assert [loop.span.path for r in cold.project.requests for loop in r.loops] == ["batch.py"]
    # the cold run answered from what the survey recorded of the skipped files (nameindex)
    assert not [p for p in read if p.endswith(("batch.py", "other.py"))]
    read.clear()
    warm = engine.analyze([tmp_path], config)
    assert warm.project.requests == cold.project.requests
    assert not [p for p in read if p.endswith(("batch.py", "other.py"))]
