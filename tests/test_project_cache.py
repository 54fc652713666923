"""The linked project kept between whole-tree runs: a warm run links nothing when nothing
linking read has changed, and any change to what it read (a walked file, a file read on
demand, a folder listed to find a module, a file that appears) makes it link again, with
the output a run without any cache gives."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from promptlint import engine, project_cache

from conftest import count_calls, run_analysis, write_tree
from promptlint.config import parse_config

APP = {
    "app.py": '''
import anthropic
from pathlib import Path

from shared.texts import SUPPORT_RULES
from local_prompts import LOCAL_NOTE

client = anthropic.Anthropic()
HERE = Path(__file__).parent
SYSTEM = (HERE / "prompts" / "system.md").read_text()

def answer(question):
    return client.messages.create(
        model="claude-sonnet-4-5", max_tokens=300,
        system=SYSTEM + SUPPORT_RULES + LOCAL_NOTE,
        messages=[{"role": "user", "content": question}])
''',
    # a module the prefilter skips, read on demand for the constant it defines
    "shared/__init__.py": "",
    "shared/texts.py": 'SUPPORT_RULES = "Answer from the order record only, and say when it is silent."\n',
    # a module git ignores (so no walk lists it), found by listing the root
    "local_prompts.py": 'LOCAL_NOTE = " Keep replies under five sentences."\n',
    ".gitignore": "local_prompts.py\n",
    "prompts/system.md": "You are the support assistant of an online shop. Answer the customer's question.\n",
}


def _tree(root: Path, files: dict[str, str] = APP) -> Path:
    """The app as a git checkout (so ``.gitignore`` keeps ``local_prompts.py`` out of every
    walk), its files dated in the past."""
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    write_tree(root, files)
    _age(root)
    return root


def _age(root: Path) -> None:
    """Files written in the last seconds are not vouched for by their stat (git's racily
    clean rule): date those a minute back, as files a user edited a while ago are. (Only
    those: dating a file changes its inode's change time, which the stat key holds too.)"""
    now = time.time()
    for base, _, files in os.walk(root):
        for name in files:
            path = os.path.join(base, name)
            if os.stat(path).st_mtime > now - 10:
                os.utime(path, (now - 60, now - 60))


@pytest.fixture
def links(monkeypatch):
    """How many times linking really ran."""
    return count_calls(monkeypatch, engine, "link")


def _uncached(root: Path):
    return engine.analyze([root], parse_config({}, root=str(root)), use_cache=False)


def _same(a, b) -> None:
    assert a.project == b.project
    assert a.notices == b.notices
    assert [(f.finding, f.price) for f in a.findings] == [(f.finding, f.price) for f in b.findings]


def _system_text(analysis) -> str:
    (request,) = analysis.project.requests
    return "".join(analysis.project.templates[p.template].text for p in request.parts if p.template)


def test_a_warm_whole_tree_run_links_nothing_and_gives_the_same_analysis(tmp_path, links):
    _tree(tmp_path)
    cold = run_analysis(tmp_path)
    assert len(links) == 1
    assert "support assistant" in _system_text(cold) and "order record" in _system_text(cold)
    assert "five sentences" in _system_text(cold)  # the ignored module was read, by listing the root
    assert list((tmp_path / ".promptlint_cache").glob("scan-*.linked/*"))
    warm = run_analysis(tmp_path)
    assert len(links) == 1
    _same(warm, cold)
    _same(warm, _uncached(tmp_path))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


CHANGES = {
    "a walked file": lambda root: _edit(root / "app.py", "max_tokens=300", "max_tokens=400"),
    "a skipped module read for its constant": lambda root: _edit(root / "shared/texts.py", "order record",
                                                                 "invoice"),
    "a text file read by code": lambda root: _edit(root / "prompts/system.md", "online shop", "bookshop"),
    "a module no walk lists": lambda root: _edit(root / "local_prompts.py", "five", "three"),
    "a new file": lambda root: (root / "notes.py").write_text("X = 1\n", encoding="utf-8"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_to_what_linking_read_links_again(tmp_path, links, change):
    _tree(tmp_path)
    before = run_analysis(tmp_path)
    CHANGES[change](tmp_path)
    _age(tmp_path)
    after = run_analysis(tmp_path)
    assert len(links) == 2, "the kept project was used after a change to what linking read"
    _same(after, _uncached(tmp_path))
    if change != "a new file":
        assert after.project != before.project


def test_another_configuration_links_again(tmp_path, links):
    _tree(tmp_path)
    run_analysis(tmp_path)
    config = {"prompt-name-patterns": ["*PROMPT*", "*RULES*"]}
    after = run_analysis(tmp_path, config)
    assert len(links) == 2
    uncached = engine.analyze([tmp_path], parse_config(config, root=str(tmp_path)), use_cache=False)
    assert after.project == uncached.project


def test_a_module_that_appears_where_linking_looked_for_it_links_again(tmp_path, links):
    """Linking listed the root to find ``local_prompts``: that it was missing is a read too."""
    files = dict(APP)
    del files["local_prompts.py"]
    _tree(tmp_path, files)
    before = run_analysis(tmp_path)
    assert "five sentences" not in _system_text(before)
    write_tree(tmp_path, {"local_prompts.py": APP["local_prompts.py"]})  # ignored by git: no walk sees it
    _age(tmp_path)
    after = run_analysis(tmp_path)
    assert len(links) == 2
    assert "five sentences" in _system_text(after)
    _same(after, _uncached(tmp_path))


def test_a_run_on_some_files_never_uses_a_kept_project(tmp_path, links, monkeypatch):
    _tree(tmp_path)
    run_analysis(tmp_path)
    monkeypatch.setattr(project_cache, "recall", lambda *a: pytest.fail("a partial run recalled a project"))
    cfg = parse_config({}, root=str(tmp_path))
    engine.analyze([tmp_path / "app.py"], cfg)
    assert len(links) == 2


def test_an_entry_this_user_did_not_seal_is_ignored(tmp_path, links):
    """A kept project planted in a checkout's cache folder (a pull request can commit one)
    is neither trusted nor decoded: the run links the tree itself."""
    _tree(tmp_path)
    cold = run_analysis(tmp_path)
    (entry,) = (tmp_path / ".promptlint_cache").glob("scan-*.linked/*")
    planted = entry.read_bytes().replace(b"support assistant", b"pirate captain")
    entry.write_bytes(planted)
    warm = run_analysis(tmp_path)
    assert len(links) == 2
    _same(warm, cold)


def test_a_file_edited_this_second_is_read_not_trusted_by_its_stat(tmp_path, links):
    """A file changed within the stat's resolution may change again unseen: the run links,
    and keeps nothing it could not key by content."""
    write_tree(tmp_path, APP)
    run_analysis(tmp_path)  # every file was written just now
    assert not list((tmp_path / ".promptlint_cache").glob("scan-*.linked/*"))
    run_analysis(tmp_path)
    assert len(links) == 2


class _Vouching:
    """A scan cache that vouches for every file's stat with the given digest."""

    path = Path("/nonexistent/scan.json")

    def __init__(self, digest: str) -> None:
        self.digest = digest

    def known_digest(self, rel, stat):
        return self.digest


def test_the_key_holds_each_walked_file_s_content_and_the_configuration(tmp_path):
    """Two states of the tree whose stats the cache vouches for (a state linked but not
    kept, then another) never share a key, nor two configurations."""
    from promptlint.discover import walk

    _tree(tmp_path)
    config = parse_config({}, root=str(tmp_path))
    walked = walk([tmp_path], config)
    one = project_cache.key_for(walked, config, _Vouching("a" * 32))
    assert one == project_cache.key_for(walked, config, _Vouching("a" * 32))
    assert one != project_cache.key_for(walked, config, _Vouching("b" * 32))
    other = parse_config({"default-model": "claude-haiku-4-5"}, root=str(tmp_path))
    assert one != project_cache.key_for(walk([tmp_path], other), other, _Vouching("a" * 32))
