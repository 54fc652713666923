"""Our .pre-commit-hooks.yaml, run by the real pre-commit against a temporary git repository.

pre-commit installs a ``language: python`` hook by creating a virtualenv and running
``pip install`` on this repository, which fetches the build backend and every dependency
from PyPI. Tests never touch the network, so each hook is copied verbatim from the manifest
into a ``repo: local`` config, changing only what installation decides: the language
becomes pre-commit's "run it as is" language and the entry's leading ``promptlint`` becomes
this interpreter's ``-m promptlint``. Everything else pre-commit does with the hooks is
real: which staged files match ``files``, ``pass_filenames``, the stash of unstaged work,
exit codes and output. The manifest itself is checked by pre-commit's own loader.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, write_tree
from support_app import CACHED_SYSTEM, support_app

pre_commit = pytest.importorskip("pre_commit")
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")

MANIFEST = ROOT / ".pre-commit-hooks.yaml"
REPO = {"pyproject.toml": '[tool.promptlint]\nbaseline = "promptlint-baseline.json"\n', "README.md": "# Support bot\n",
        **support_app(120, system=CACHED_SYSTEM)}


def test_manifest_is_valid_for_pre_commit():
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(MANIFEST))}
    assert set(hooks) == {"promptlint", "promptlint-fix", "promptlint-audit"}
    assert hooks["promptlint"]["entry"] == "promptlint check --quiet" and hooks["promptlint"]["pass_filenames"] is True
    assert hooks["promptlint-fix"]["entry"] == "promptlint fix --quiet --exit-zero"
    assert hooks["promptlint-audit"]["entry"] == "promptlint audit --baseline"
    assert hooks["promptlint-audit"]["pass_filenames"] is False
    assert all(h["language"] == "python" for h in hooks.values())


def _local_config(only: tuple[str, ...] = ("promptlint", "promptlint-audit")) -> str:
    try:  # pre-commit 4.4 renamed `system` to `unsupported`
        from pre_commit.all_languages import languages
    except ImportError:
        languages = {}
    as_is = "unsupported" if "unsupported" in languages else "system"
    hooks = [h for h in yaml.safe_load(MANIFEST.read_text(encoding="utf-8")) if h["id"] in only]
    for hook in hooks:
        program, _, args = hook["entry"].partition(" ")
        assert program == "promptlint"
        hook["entry"] = f"{shlex.quote(sys.executable)} -m promptlint {args}".rstrip()
        hook["language"] = as_is
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    write_tree(root, REPO)
    (root / ".pre-commit-config.yaml").write_text(_local_config(), encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path), "NO_COLOR": "1"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=300)

    def git(*args: str) -> str:
        done = run("git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def hooks(*args: str) -> tuple[int, str]:
        done = run(sys.executable, "-m", "pre_commit", "run", "--color", "never", *args)
        return done.returncode, done.stdout + done.stderr

    git("init", "-q")
    written = run(sys.executable, "-m", "promptlint", "audit", "--write-baseline")
    assert written.returncode == 0, written.stderr
    git("add", "-A")
    git("commit", "-q", "-m", "support bot with its prompt baseline")
    return root, git, hooks


def _status(output: str, name: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(name + "."))
    return line.rsplit(".", 1)[-1].strip()


def test_hooks_pass_on_the_committed_tree(repo):
    _, _, hooks = repo
    code, out = hooks("--all-files")
    assert code == 0, out
    assert _status(out, "promptlint") == "Passed"
    assert _status(out, "promptlint audit (prompt budget gate)") == "Passed"


def test_hooks_skip_commits_without_prompt_files(repo):
    root, git, hooks = repo
    (root / "README.md").write_text("# Support bot\n\nNow with docs.\n", encoding="utf-8")
    git("add", "README.md")
    code, out = hooks()
    assert code == 0, out
    assert "(no files to check)Skipped" in out


def test_check_hook_lints_the_staged_file_with_constants_from_unchanged_modules(repo):
    root, git, hooks = repo
    bot = root / "app/bot.py"
    bot.write_text(bot.read_text(encoding="utf-8").replace(f"system={CACHED_SYSTEM}", "system=SUPPORT_SYSTEM"), encoding="utf-8")
    git("add", "app/bot.py")
    code, out = hooks()
    assert code == 1, out
    assert _status(out, "promptlint") == "Failed"
    assert "app/bot.py:8:12: PL201 missing-cache-breakpoint" in out
    assert "`app/prompts.py::SUPPORT_SYSTEM`" in out, "the constant was read from the unstaged module"
    assert "PL002" not in out
    # Same tokens, but the cache breakpoint is gone: every token costs more, and the dollar gate says so.
    assert _status(out, "promptlint audit (prompt budget gate)") == "Failed"
    assert "price per token rose" in out


def test_audit_hook_fails_a_commit_that_grows_a_prompt(repo):
    root, git, hooks = repo
    prompts = root / "app/prompts.py"
    prompts.write_text(prompts.read_text(encoding="utf-8").replace("* 120", "* 140"), encoding="utf-8")
    git("add", "app/prompts.py")
    code, out = hooks()
    assert code == 1, out
    assert _status(out, "promptlint") == "Passed"
    assert _status(out, "promptlint audit (prompt budget gate)") == "Failed"
    row = next(line for line in out.splitlines() if "SUPPORT_SYSTEM" in line and "grown" in line)
    assert "(over limit)" in row and "app/prompts.py:1" in row
    assert "FAIL: Prompts grew beyond the larger of 5% and 50 tokens" in out
    hook_output = out.split("promptlint audit (prompt budget gate)", 1)[1].split("\n\n", 1)[1].splitlines()
    assert hook_output[0].startswith("FAIL: Prompts grew"), "the verdict is the hook's first line"
    assert len(hook_output) < 12 and not any(line.startswith(("Requests (", "Templates (")) for line in hook_output), \
        "only what fails, not the inventory"

    # Accepting the growth: rewrite the baseline in the same commit, and the gate passes.
    subprocess.run([sys.executable, "-m", "promptlint", "audit", "--write-baseline"], cwd=root, check=True,
                   capture_output=True)
    git("add", "promptlint-baseline.json")
    code, out = hooks()
    assert code == 0, out


def test_audit_hook_only_sees_staged_changes(repo):
    root, git, hooks = repo
    prompts = root / "app/prompts.py"
    original = prompts.read_text(encoding="utf-8")
    prompts.write_text(original.replace("Answer with the label only.", "Answer with the label only!"), encoding="utf-8")
    git("add", "app/prompts.py")
    prompts.write_text(original.replace("* 120", "* 200"), encoding="utf-8")  # unstaged growth
    code, out = hooks()
    assert code == 0, out
    assert _status(out, "promptlint audit (prompt budget gate)") == "Passed"
    assert "* 200" in prompts.read_text(encoding="utf-8"), "pre-commit restored the unstaged work"
    assert Path(root / "promptlint-baseline.json").is_file()


def test_check_hook_reports_only_the_staged_files(repo):
    """Before: a finding in an imported module that was not staged was reported too."""
    root, git, hooks = repo
    prompts = root / "app/prompts.py"
    prompts.write_text(prompts.read_text(encoding="utf-8") + 'TONE_PROMPT = "Answer the customer in plain English '
                       'without jargon. Keep it short. Answer the customer in plain English without jargon."\n',
                       encoding="utf-8")
    git("add", "app/prompts.py")
    git("commit", "-q", "-m", "a tone prompt with a repeated sentence")
    bot = root / "app/bot.py"
    bot.write_text(bot.read_text(encoding="utf-8").replace(f"system={CACHED_SYSTEM}", "system=SUPPORT_SYSTEM"),
                   encoding="utf-8")
    git("add", "app/bot.py")
    code, out = hooks()
    assert code == 1 and "app/bot.py:8:12: PL201" in out
    reported = out.split("- hook id: promptlint\n", 1)[1].split("promptlint audit")[0]
    assert not [line for line in reported.splitlines() if line.startswith("app/prompts.py:")]
    code, out = hooks("--all-files")
    assert "app/prompts.py:3:" in out and "PL104" in out, "with every file passed, it is reported"


def test_fix_hook_applies_safe_fixes_and_stops_the_commit(tmp_path):
    root = tmp_path / "repo"
    write_tree(root, {"app/prompts.py": 'TONE_PROMPT = "Answer the customer in plain English without jargon. '
                                        'Keep it short. Answer the customer in plain English without jargon."\n'})
    (root / ".pre-commit-config.yaml").write_text(_local_config(("promptlint-fix",)), encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"), "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    subprocess.run(["git", "init", "-q"], cwd=root, env=env, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--color", "never"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout
    assert "files were modified by this hook" in done.stdout
    assert "PL104 duplicate-instruction  fixed:" in done.stdout
    assert (root / "app/prompts.py").read_text(encoding="utf-8").count("plain English") == 1


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="try-repo needs this project as a git repository")
def test_the_manifest_installs_and_runs_with_pre_commit_try_repo(tmp_path):
    """`pre-commit try-repo` against this checkout: pre-commit builds the hook environment
    with pip exactly as a user's `repo:` entry does (the wheel built by hatchling, the
    `promptlint` console script), then runs all three hooks. Offline: pip is told to use
    no index and no build isolation, and finds the build backend and the dependencies in
    this test environment through PYTHONPATH, so only the installation's source differs."""
    pytest.importorskip("hatchling")
    import site

    root = tmp_path / "repo"
    write_tree(root, {"app/bot.py": 'import anthropic\nclient = anthropic.Anthropic()\n'
                                    'client.messages.create(model="claude-sonnet-4-5", '
                                    'messages=[{"role": "user", "content": "hi"}])\n'})
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"), "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path),
           "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "PYTHONPATH": os.pathsep.join(site.getsitepackages()), "NO_COLOR": "1"}
    subprocess.run(["git", "init", "-q"], cwd=root, env=env, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
    done = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--color", "never"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert _status(out, "promptlint") == "Failed"
    assert "app/bot.py:3:1: PL301 missing-max-tokens" in out
    assert "Costliest prompts" not in out, "the check hook prints only the findings"
    assert _status(out, "promptlint fix (safe fixes)") == "Passed", "nothing safe to fix"
    assert "promptlint audit (prompt budget gate)" in out
