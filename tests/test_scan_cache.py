"""The content-hash cache: a warm run gives the same answer without re-extracting."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from promptlint import engine
from promptlint.cache import ScanCache, _decode, _encode
from promptlint.config import load_config
from promptlint.discover import discover
from promptlint.extract import extract_file
from promptlint.extract import values as v
from promptlint.extract.result import CallRecord, FileResult
from promptlint.types import Span

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


def _record(args: tuple, line: int) -> CallRecord:
    return CallRecord(("import", "app.llm", "ask"), args, (), Span("t.py", line, 1), "test_it")


def test_an_object_passed_to_many_calls_is_stored_once_and_shared_when_read():
    span = Span("t.py", 1, 1)
    fixture = v.Seq(tuple(v.Str((v.Segment(text=f"tool {k} description " * 40, span=span),), span)
                          for k in range(20)), span)
    many = FileResult("t.py", "python", wrapper_calls=tuple(_record((fixture,), i) for i in range(30)))
    one = FileResult("t.py", "python", wrapper_calls=(_record((fixture,), 0),))
    size_many, size_one = (len(json.dumps(_encode(r))) for r in (many, one))
    assert size_many < 2 * size_one
    back = _decode(json.loads(json.dumps(_encode(many))))
    assert back == many
    assert all(r.args[0] is back.wrapper_calls[0].args[0] for r in back.wrapper_calls)


@pytest.mark.parametrize("bad", [{"$r": 99}, {"$r": "0"}, {"$r": -1}, {"$r": True}])
def test_a_reference_to_an_object_the_entry_does_not_hold_drops_the_entry(bad):
    entry = {"$": "CallRecord", "v": [{"$t": ["bare", "ask"]}, {"$t": [bad]}, {"$t": []},
                                      {"$": "Span", "v": ["t.py", 1, 1, None, None, None, None, None]},
                                      None, False, None, False, False, {"$t": []}, {"$t": []}]}
    with pytest.raises(ValueError):
        _decode(entry)


def test_a_reference_to_an_enclosing_object_drops_the_entry():
    with pytest.raises(ValueError):
        _decode({"$t": [{"$r": 0}]})


def test_a_cache_entry_with_a_bad_reference_is_ignored(tmp_path):
    cache = ScanCache(tmp_path / "cache", ())
    cache.files["a.py"] = ["d", True, {"$t": [{"$r": 3}]}, "python"]
    assert cache.result("a.py", "d", "python") is None


def test_equal_values_are_stored_once_but_call_records_keep_their_identity():
    span = Span("t.py", 1, 1)

    def fixture():  # a fresh copy per call, as extraction makes when it resolves a constant again
        return v.Seq(tuple(v.Str((v.Segment(text=f"tool {k} description " * 40, span=Span("t.py", 1, 1)),), span)
                           for k in range(20)), span)

    twins = tuple(_record((fixture(),), 7) for _ in range(2))  # equal records, two calls
    many = FileResult("t.py", "python", wrapper_calls=twins + tuple(_record((fixture(),), i) for i in range(30)))
    one = FileResult("t.py", "python", wrapper_calls=(_record((fixture(),), 0),))
    assert len(json.dumps(_encode(many))) < 2 * len(json.dumps(_encode(one)))
    back = _decode(json.loads(json.dumps(_encode(many))))
    assert back == many
    assert back.wrapper_calls[0] == back.wrapper_calls[1] and back.wrapper_calls[0] is not back.wrapper_calls[1]
    assert _decode(json.loads(json.dumps(_encode((1, 1.0, True, "1"))))) == (1, 1.0, True, "1")
    assert [type(x) for x in _decode(json.loads(json.dumps(_encode((v.Lit(1), v.Lit(True), v.Lit(1.0))))))] \
        == [v.Lit] * 3
    lits = _decode(json.loads(json.dumps(_encode((v.Lit(1), v.Lit(True), v.Lit(1.0))))))
    assert [type(x.value) for x in lits] == [int, bool, float]


def _index(cache: ScanCache) -> dict:
    from promptlint.seal import unseal

    return json.loads(unseal(cache.path.read_bytes()))


def test_a_memo_per_file_of_the_tree_is_kept_apart_and_read_only_when_asked(tmp_path):
    cache = ScanCache(tmp_path / "cache", ())
    cache.memo("prices", "v1")["m"] = "1.5"
    callers = cache.memo("wrapper-callers", "names-1", apart=True)
    callers.update({"a.py": ["d1", True], "b.py": ["d2", False]})
    cache.save()
    assert set(_index(cache)["memos"]) == {"prices"}  # the index a hook reads holds no per-file memo
    (kept,) = cache.apart.iterdir()
    before = kept.read_bytes()

    hook = ScanCache(tmp_path / "cache", ())
    hook.memo("prices", "v1")["other"] = "2"
    hook.stats["a.py"] = [1, 2, 3, "d1"]
    hook.dirty = True
    hook.save()  # a run that never asks for the memo neither reads nor rewrites it
    assert hook._apart == {} and kept.read_bytes() == before

    again = ScanCache(tmp_path / "cache", ())
    assert again.memo("wrapper-callers", "names-1", apart=True) == {"a.py": ["d1", True], "b.py": ["d2", False]}
    again.memo("wrapper-callers", "names-1", apart=True)["a.py"] = ["d3", False]  # a file edited: same count
    again.save()
    assert ScanCache(tmp_path / "cache", ()).memo("wrapper-callers", "names-1", apart=True)["a.py"] == ["d3", False]
    assert ScanCache(tmp_path / "cache", ()).memo("wrapper-callers", "names-2", apart=True) == {}  # other names


def test_a_memo_kept_apart_that_this_user_did_not_seal_is_ignored(tmp_path):
    cache = ScanCache(tmp_path / "cache", ())
    cache.memo("wrapper-callers", "s", apart=True)["a.py"] = ["d1", True]
    cache.save()
    (kept,) = cache.apart.iterdir()
    kept.write_bytes(json.dumps({"stamp": "s", "values": {"a.py": ["d1", False]}}).encode())
    assert ScanCache(tmp_path / "cache", ()).memo("wrapper-callers", "s", apart=True) == {}


def _shards(cache: ScanCache) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(cache.shards.iterdir()) if not p.name.startswith(".")}


def test_a_result_encoded_where_it_was_extracted_is_cached_as_the_main_process_would_cache_it(tmp_path):
    """Workers send a result with its shard's bytes (cache.result_body): the index and the
    shards are what remember() and save() make of the result itself, and read back equal."""
    from promptlint.cache import result_body
    from promptlint.seal import unseal

    root = copy_examples(tmp_path)
    results = list(discover([root], load_config(root), extract=extract_file).results)[:6]
    by_object, by_body = ScanCache(tmp_path / "a", ()), ScanCache(tmp_path / "b", ())
    for i, result in enumerate(results):
        by_object.remember(result.path, f"d{i}", True, result)
        by_body.remember(result.path, f"d{i}", True, result, result_body(result))
    assert by_body.result(results[0].path, "d0", results[0].kind) == results[0]  # read back before any save
    by_object.save()
    by_body.save()
    assert _index(by_body)["files"] == _index(by_object)["files"]
    assert {n: unseal(b) for n, b in _shards(by_body).items()} == {n: unseal(b) for n, b in _shards(by_object).items()}
    again = ScanCache(tmp_path / "b", ())
    assert [again.result(r.path, f"d{i}", r.kind) for i, r in enumerate(results)] == results


def test_shards_written_ahead_are_not_written_again_and_a_replaced_one_is_removed(tmp_path, monkeypatch):
    from promptlint import cache as cache_module
    from promptlint.cache import result_body

    root = copy_examples(tmp_path)
    first, second = list(discover([root], load_config(root), extract=extract_file).results)[:2]
    cache = ScanCache(tmp_path / "c", ())
    cache.remember(first.path, "d1", True, first, result_body(first))
    cache.remember(second.path, "d2", True, second, result_body(second))
    import threading

    written = []
    real = cache_module.write_atomic
    monkeypatch.setattr(cache_module, "write_atomic", lambda path, *a, **k: written.append(
        (path.name, threading.current_thread() is threading.main_thread())) or real(path, *a, **k))
    cache.write_ahead()
    cache.remember(second.path, "d2", True, first, result_body(first))  # its entry changes after the write
    cache.save()
    ahead = [n for n, main in written if not main]
    assert sorted(ahead) == sorted(cache_module.digest(result_body(r)) for r in (first, second))  # by the thread
    assert [n for n, main in written if main and n in ahead] == []  # no shard written twice
    from promptlint.cache import SHARD

    assert set(_shards(cache)) == {e[2][SHARD] for e in _index(cache)["files"].values()}
