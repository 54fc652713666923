"""The rule-findings cache: a warm run reads the findings it would compute, and any
change of what the rules read makes it compute them again."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest

from promptlint import engine, findings_cache
from promptlint.findings_cache import Unkeyable, fingerprint, tree_stamp

from conftest import count_calls, ROOT, run_analysis, write_tree

APP = {
    "app.py": '''
import anthropic
client = anthropic.Anthropic()
SYSTEM_PROMPT = """Please answer only from the order record and never guess a date that it does not show.
Please answer only from the order record and never guess a date that it does not show.
Quote the policy section you rely on, and say when the record is silent."""

def answer(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=SYSTEM_PROMPT,
                                  messages=[{"role": "user", "content": q}])
''',
}


@pytest.fixture
def rule_runs(monkeypatch):
    """How many times the rules really ran."""
    return count_calls(monkeypatch, engine, "run_rules")


def _findings(analysis):
    return [(f.finding, f.price) for f in analysis.findings]


def test_a_warm_run_reads_the_findings_and_runs_no_rule(tmp_path, rule_runs):
    write_tree(tmp_path, APP)
    cold = run_analysis(tmp_path)
    assert len(rule_runs) == 1 and cold.findings
    warm = run_analysis(tmp_path)
    assert len(rule_runs) == 1
    assert _findings(warm) == _findings(cold)
    assert list((tmp_path / ".promptlint_cache").glob("scan-*.findings/*"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


class _Tomorrow(datetime.date):
    @classmethod
    def today(cls):
        return datetime.date(2099, 1, 2)


CHANGES = {
    "template text": lambda root, mp: _edit(root / "app.py", "Quote the policy", "Cite the policy"),
    "request shape": lambda root, mp: _edit(root / "app.py", "max_tokens=100", "max_tokens=200"),
    "model": lambda root, mp: _edit(root / "app.py", 'model="claude-sonnet-4-5"', 'model="claude-haiku-4-5"'),
    "config": lambda root, mp: (root / "pyproject.toml").write_text(
        "[tool.promptlint]\nrequests-per-month = 5000\n", encoding="utf-8"),
    "rule option": lambda root, mp: (root / "pyproject.toml").write_text(
        '[tool.promptlint.rules.PL103]\nallow = ["please"]\n', encoding="utf-8"),
    "model-facts version": lambda root, mp: mp.setattr(engine, "_genai_prices_version", lambda: "0.0.0-other"),
    "price date": lambda root, mp: mp.setattr(engine, "date", _Tomorrow),
    "promptlint's code": lambda root, mp: mp.setattr(findings_cache, "tree_stamp", lambda *folders: ["other build"]),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_a_change_of_any_input_runs_the_rules_again(tmp_path, monkeypatch, rule_runs, change):
    write_tree(tmp_path, APP)

    def analysis():
        from promptlint.config import load_config

        return engine.analyze([tmp_path], load_config(tmp_path))

    analysis()
    analysis()
    assert len(rule_runs) == 1
    CHANGES[change](tmp_path, monkeypatch)
    changed = analysis()
    assert len(rule_runs) == 2
    monkeypatch.setattr(engine, "run_rules", lambda *a, **k: pytest.fail("the rules ran a third time"))
    again = analysis()  # the new inputs' findings are cached in turn
    assert _findings(again) == _findings(changed)


def test_an_edited_phrase_pack_runs_the_rules_again(tmp_path, rule_runs):
    write_tree(tmp_path, {**APP, "team.yaml": "categories:\n  team:\n    phrases: [order record]\n"})
    config = {"rules": {"PL103": {"extra-packs": ["team.yaml"]}}}
    first = run_analysis(tmp_path, config)
    run_analysis(tmp_path, config)
    assert len(rule_runs) == 1
    pack = tmp_path / "team.yaml"
    pack.write_text("categories:\n  team:\n    phrases: [policy section]\n", encoding="utf-8")
    os.utime(pack, ns=(pack.stat().st_atime_ns, pack.stat().st_mtime_ns + 10**9))
    second = run_analysis(tmp_path, config)
    assert len(rule_runs) == 2
    assert _findings(second) != _findings(first)


def test_no_cache_neither_reads_nor_writes_findings(tmp_path, rule_runs):
    from promptlint.config import load_config

    write_tree(tmp_path, APP)
    for _ in range(2):
        engine.analyze([tmp_path], load_config(tmp_path), use_cache=False)
    assert len(rule_runs) == 2
    assert not (tmp_path / ".promptlint_cache").exists()


def test_a_damaged_or_foreign_entry_is_ignored(tmp_path, rule_runs):
    write_tree(tmp_path, APP)
    cold = run_analysis(tmp_path)
    (entry,) = (tmp_path / ".promptlint_cache").glob("scan-*.findings/*")
    entry.write_bytes(entry.read_bytes()[:-20])  # the seal no longer matches
    assert _findings(run_analysis(tmp_path)) == _findings(cold)
    assert len(rule_runs) == 2
    body = b'[{"$": "Finding", "v": ["PL999"]}]'
    from promptlint import seal

    entry.write_bytes(seal.seal(body))  # sealed by this user, but not findings
    assert _findings(run_analysis(tmp_path)) == _findings(cold)
    assert len(rule_runs) == 3


def test_the_key_is_of_values_not_of_objects():
    shared = ("a" * 50,)
    assert fingerprint([shared, shared]) == fingerprint([("a" * 50,), ("a" * 50,)])
    assert fingerprint({"a": 1}) != fingerprint({"a": 1.0})
    assert fingerprint(("1",)) != fingerprint((1,))
    with pytest.raises(Unkeyable):
        fingerprint(lambda: 1)
    with pytest.raises(Unkeyable):
        fingerprint({"check": os.path.join})  # pickled by name: its code is not in the key


KEY_OF_EXAMPLES = """
import sys
from pathlib import Path
from promptlint import engine, findings_cache
from promptlint.config import load_config
keys = []
real = findings_cache.fingerprint
findings_cache.fingerprint = lambda *parts: keys.append(real(*parts)) or keys[-1]
root = Path(sys.argv[1])
engine.analyze([root], load_config(root), use_cache=True)
print(keys)
"""


def test_the_key_is_the_same_in_another_process(tmp_path):
    """A new process (another hash seed: sets and string hashes differ) finds the entry."""
    import subprocess
    import sys

    root = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", root, ignore=shutil.ignore_patterns(".promptlint_cache"))
    keys = [subprocess.run([sys.executable, "-c", KEY_OF_EXAMPLES, str(root)], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout for seed in ("1", "2")]
    assert keys[0] == keys[1] and len(keys[0]) > 10


def test_the_code_stamp_sees_an_edited_file(tmp_path):
    write_tree(tmp_path, {"pkg/a.py": "x = 1\n", "pkg/__pycache__/a.cpython-311.pyc": "junk"})
    before = tree_stamp(tmp_path / "pkg")
    assert len(before) == 1
    (tmp_path / "pkg" / "a.py").write_text("x = 22\n")
    assert tree_stamp(tmp_path / "pkg") != before


def test_old_entries_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(findings_cache, "KEPT", 2)
    store = findings_cache.FindingsCache(tmp_path / "f")
    for i in range(4):
        key = f"{i:032x}"
        store.put(key, [])
        os.utime(store.folder / key, ns=(i * 10**9, i * 10**9))
    stale = store.folder / f".{'e' * 32}.0123456789ab.tmp"  # left by a run killed while writing
    stale.write_bytes(b"half")
    os.utime(stale, ns=(0, 0))
    store.put("f" * 32, [])
    assert sorted(p.name for p in store.folder.iterdir()) == [f"{3:032x}", "f" * 32]


FIXTURE_PROJECTS = ["examples", "tests/fixtures/ledgerly", "tests/fixtures/traffic_app",
                    "tests/fixtures/providers", "tests/fixtures/anatomy_traps"]


@pytest.mark.parametrize("name", FIXTURE_PROJECTS)
def test_cached_and_uncached_json_are_byte_identical(tmp_path, cli, name):
    root = tmp_path / "tree"
    shutil.copytree(ROOT / name, root, ignore=shutil.ignore_patterns(".promptlint_cache"))
    outputs = [cli(root, "check", ".", "--format", "json", *flags) for flags in (("--no-cache",), (), (), ())]
    (root / ".promptlint_cache").exists() or pytest.fail("no cache written")
    assert all(out[1] == outputs[0][1] and out[0] == outputs[0][0] for out in outputs)
