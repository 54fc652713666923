"""What git ignores is not scanned (``respect-gitignore``, default on), and git is the
judge: the walk must list exactly the files ``git ls-files --others --exclude-standard``
lists, on hand-written cases and on generated ignore files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_tree
from promptlint.config import parse_config
from promptlint.discover import iter_candidates
from promptlint.gitignore import parse_patterns

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

PROMPT = 'SYSTEM_PROMPT = "Answer briefly."\n'


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def _walked(root: Path, **config) -> set[str]:
    found: list = []
    cfg = parse_config({"exclude": [".git"], **config}, root=str(root))
    return {rel for rel, _, _ in iter_candidates([root], cfg, found)}


def _git_lists(root: Path) -> set[str]:
    out = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    return {p for p in out.split("\0") if p.endswith(".py")}


def _repo(root: Path, files: dict[str, str]) -> Path:
    write_tree(root, files)
    _git(root, "init", "-q")
    return root


CASES = {
    "a folder and a negation": ("build/\n*.log\n!keep.py\nsecret*.py\n",
                                ["app/a.py", "build/b.py", "keep.py", "secret_x.py", "app/secret_y.py"]),
    "anchored and floating": ("/top.py\nsub/only.py\nany.py\n",
                              ["top.py", "x/top.py", "sub/only.py", "x/sub/only.py", "any.py", "x/y/any.py"]),
    "double star": ("**/gen/**\na/**/z.py\n", ["gen/x.py", "p/gen/q/x.py", "a/z.py", "a/b/c/z.py", "b/z.py"]),
    "dir-only pattern does not match a file": ("data/\n", ["data/x.py", "lib/data.py"]),
    "a folder cannot be re-included into": ("out/\n!out/keep.py\n", ["out/keep.py", "out/x.py"]),
    "character class and question mark": ("t[0-9].py\n?.py\n", ["t1.py", "tx.py", "a.py", "ab.py"]),
    "escaped and trailing space": ("\\#hash.py\nspace.py   \n", ["#hash.py", "space.py", "plain.py"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_walk_skips_what_git_ignores(tmp_path, name):
    ignore, paths = CASES[name]
    root = _repo(tmp_path, {".gitignore": ignore, **{p: PROMPT for p in paths}})
    assert _walked(root) == _git_lists(root)


def test_nested_gitignore_and_info_exclude(tmp_path):
    root = _repo(tmp_path, {".gitignore": "*.gen.py\n", "pkg/.gitignore": "!keep.gen.py\nlocal.py\n",
                            "pkg/keep.gen.py": PROMPT, "pkg/x.gen.py": PROMPT, "pkg/local.py": PROMPT,
                            "local.py": PROMPT, "scratch.py": PROMPT})
    (root / ".git/info/exclude").write_text("scratch.py\n")
    assert _walked(root) == _git_lists(root) == {"pkg/keep.gen.py", "local.py"}


def test_the_global_excludes_file_is_read(tmp_path, monkeypatch):
    excludes = tmp_path / "global-ignore"
    excludes.write_text("notes_*.py\n")
    config = tmp_path / "gitconfig"
    config.write_text(f"[core]\n\texcludesFile = {excludes}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    root = _repo(tmp_path / "repo", {"notes_me.py": PROMPT, "app.py": PROMPT})
    assert _walked(root) == {"app.py"}


def test_outside_a_repository_and_when_turned_off_nothing_is_ignored(tmp_path):
    write_tree(tmp_path, {".gitignore": "*.py\n", "a.py": PROMPT})
    assert _walked(tmp_path) == {"a.py"}, "no .git: ignore files do not apply (as git and ruff)"
    _git(tmp_path, "init", "-q")
    assert _walked(tmp_path) == set()
    assert _walked(tmp_path, **{"respect-gitignore": False}) == {"a.py"}


def test_a_run_from_a_subfolder_still_honours_the_ignore_files_above(tmp_path, cli):
    root = _repo(tmp_path, {".gitignore": "scratch_local/\n", "pyproject.toml": "[tool.promptlint]\n",
                            "src/scratch_local/x.py": PROMPT, "src/app.py": PROMPT})
    found: list = []
    cfg = parse_config({}, root=str(root))
    assert {r for r, _, _ in iter_candidates([root / "src"], cfg, found)} == {"src/app.py"}
    code, out, err = cli(root / "src", "check", "scratch_local/x.py")
    assert "scratch_local/x.py: not scanned: ignored by git" in err and "Scanned 0 files" in out
    code, out, _ = cli(root / "src", "check", "scratch_local/x.py", "--no-respect-gitignore")
    assert "Scanned 1 file" in out


COMPONENTS = st.sampled_from(["a", "b", "x.py", "*.py", "*", "**", "?.py", "[ax].py", "a*"])
PATTERNS = st.builds(
    lambda neg, lead, parts, trail: ("!" if neg else "") + ("/" if lead else "") + "/".join(parts) + ("/" if trail else ""),
    st.booleans(), st.booleans(), st.lists(COMPONENTS, min_size=1, max_size=3), st.booleans(),
)
FILES = st.lists(st.builds(lambda d, f: "/".join([*d, f]), st.lists(st.sampled_from(["a", "b"]), max_size=2),
                           st.sampled_from(["x.py", "y.py", "a.py"])), min_size=1, max_size=8, unique=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(patterns=st.lists(PATTERNS, min_size=1, max_size=4), nested=st.lists(PATTERNS, max_size=2), files=FILES)
def test_generated_ignore_files_agree_with_git(tmp_path_factory, patterns, nested, files):
    root = tmp_path_factory.mktemp("repo")
    tree = {".gitignore": "\n".join(patterns) + "\n", **{f: PROMPT for f in files}}
    if nested:
        tree["a/.gitignore"] = "\n".join(nested) + "\n"
    _repo(root, tree)
    assert _walked(root) == _git_lists(root), (patterns, nested)


def test_comments_and_blank_lines_are_not_patterns():
    assert parse_patterns("# a comment\n\n   \n") == ()
