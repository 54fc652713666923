"""A project scanned from outside it reads as it does from inside: same prompts, same
imported constants, paths shown relative to where the command runs."""

from __future__ import annotations

from tests.conftest import as_json

BOT = '''import anthropic

from pkg.texts import GUIDE

client = anthropic.Anthropic()


def answer(question):
    return client.messages.create(
        model="claude-sonnet-4-5", max_tokens=300,
        system=GUIDE, messages=[{"role": "user", "content": question}])
'''
TEXTS = '''GUIDE = """You are the support assistant for a garden shop. Answer questions about plants,
soil and watering in two or three sentences, and say so when you do not know."""
'''


def _project(root):
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "texts.py").write_text(TEXTS)  # no SDK call: the prefilter skips it
    (root / "bot.py").write_text(BOT)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\n')


def _without_paths(items):
    return [{k: v for k, v in item.items() if k != "path"} for item in items]


def test_a_project_scanned_from_another_folder_links_its_imported_prompt(tmp_path, cli):
    project, elsewhere = tmp_path / "shop", tmp_path / "elsewhere"
    _project(project)
    elsewhere.mkdir()
    inside = as_json(cli(project, "check", ".", "--no-cache", "--format", "json")[1])
    outside = as_json(cli(elsewhere, "check", str(project), "--no-cache", "--format", "json")[1])
    request, = inside["requests"]
    assert "pkg/texts.py::GUIDE" in request["templates"], "the imported constant is the request's system prompt"
    assert request["model"] == "claude-sonnet-4-5" and request["input_tokens"] > 20
    assert [t["path"] for t in outside["templates"]] == [f"../shop/{t['path']}" for t in inside["templates"]]
    assert [r["path"] for r in outside["requests"]] == ["../shop/bot.py"]
    assert _without_paths(outside["templates"]) == _without_paths(inside["templates"])
    assert _without_paths(outside["requests"]) == _without_paths(inside["requests"])
