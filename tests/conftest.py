"""Shared helpers: build a small project on disk and run promptlint on it."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptlint.cli import main
from promptlint.config import parse_config
from promptlint.engine import analyze

ROOT = Path(__file__).resolve().parent.parent


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if content.startswith("\n") else content, encoding="utf-8")
    return root


def run_analysis(root: Path, config: dict | None = None, select=(), ignore=()):
    cfg = parse_config(config or {}, root=str(root))
    return analyze([root], cfg, tuple(select), tuple(ignore))


def make_fixer(root: Path, select=(), ignore=(), unsafe: bool = False, config: dict | None = None):
    """A ``promptlint fix`` session over ``root`` with ``config`` as [tool.promptlint]."""
    from promptlint.fix import Fixer

    return Fixer([root], parse_config(config or {}, root=str(root)), tuple(select), tuple(ignore), unsafe=unsafe)


def count_calls(monkeypatch, owner, name: str) -> list:
    """A list that grows by one on each call of ``owner.name``, which still runs."""
    calls: list = []
    real = getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def template_text(project, part) -> str:
    """What a request part sends, holes shown as ``{name}``."""
    return project.templates[part.template].display()


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch, tmp_path_factory):
    """Tests never read the developer's own ~/.config/promptlint or plugin choice, nor
    touch the cache key in ~/.cache/promptlint."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))  # crash logs
    monkeypatch.delenv("PROMPTLINT_PLUGINS", raising=False)
    # nor the developer's git config (a global excludes file would hide fixtures)
    empty = tmp_path_factory.mktemp("git-config") / "config"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    for var in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def project(tmp_path):
    """``project({"app.py": "..."})`` writes files under a fresh folder and returns it."""

    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path, files)

    return make


@pytest.fixture
def fake_anthropic(monkeypatch, tmp_path_factory):
    """``fake_anthropic(key, ratios)`` starts the local count_tokens stand-in
    (fake_anthropic.py; ``ratios``: model -> its ratio to the legacy BPE) and points the
    SDK at it with ``key``, other Anthropic settings cleared; stopped after the test."""
    from fake_anthropic import FakeCountTokens

    servers = []

    def start(key: str, ratios: dict[str, float] | None = None):
        for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE"):
            monkeypatch.delenv(var, raising=False)
        server = FakeCountTokens(key, ratios).start()
        servers.append(server)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", key)
        monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path_factory.mktemp("anthropic-config")))
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def cli(monkeypatch):
    """Run the CLI in a folder: ``cli(tmp_path, "check", ".")`` -> (exit code, stdout, stderr)."""

    def invoke(cwd: Path, *args: str, input: str | None = None):
        monkeypatch.chdir(cwd)
        runner = CliRunner()
        result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
        if result.exit_code == 3:  # an internal error: show the crash log in the failing test's output
            log = re.search(r"the details are in (\S+)", result.stderr)
            if log:
                print(Path(log.group(1)).read_text(encoding="utf-8"))
        return result.exit_code, result.stdout, result.stderr

    return invoke


def as_json(text: str) -> dict:
    return json.loads(text)
