"""Installable by name (issue 16): the distribution is this project's own name, and every
install recipe in the README installs this project, pinned to a tag of this version."""

from __future__ import annotations

import re
import sys

from conftest import ROOT
from promptlint import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_distribution_name_is_ours_and_the_command_stays_promptlint():
    assert PROJECT["name"] == "prompt-cost-lint", "`promptlint` on PyPI is an unrelated project"
    assert PROJECT["scripts"] == {"promptlint": "promptlint.cli:entry"}


def _commands(text: str) -> list[str]:
    blocks = re.findall(r"```(?:sh|console|yaml)\n(.*?)```", text, re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines()]


def test_every_install_recipe_installs_this_project():
    installs = [c for c in _commands(README) if re.search(r"\b(pip|pipx|uv tool) install\b", c)]
    assert len(installs) >= 5
    for command in installs:
        step = next(part for part in reversed(command.split("#")[0].split("&&")) if "install" in part)
        target = re.search(r"install\s+(?:-e\s+)?(\S+)", step).group(1).strip('"\'')
        assert target in (".", ".[test]", ".[anthropic]", "ruff") or target.startswith(
            f"git+https://github.com/promptlint/promptlint@v{__version__}"), command
    assert not re.search(r"pip install promptlint\b(?!`)", README.replace("`pip install promptlint`", ""))


def test_the_documented_revs_name_a_tag_of_this_version():
    assert re.findall(r"rev: (\S+)", README) == [f"v{__version__}"]
    assert set(re.findall(r"uses: promptlint/promptlint@(\S+)", README)) == {f"v{__version__}"}


def test_the_sdist_carries_the_hooks_and_the_action():
    include = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    assert ".pre-commit-hooks.yaml" in include and "action.yml" in include
