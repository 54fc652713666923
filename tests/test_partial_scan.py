"""Linting some files of a project (what pre-commit passes) still reads the constants that
the other modules of the project define, and only those."""

from __future__ import annotations

from conftest import write_tree
from promptlint.config import parse_config
from promptlint.engine import analyze
from support_app import support_app


def _codes(root, *files, config=None):
    cfg = parse_config(config or {}, root=str(root))
    analysis = analyze([root / f for f in files], cfg)
    return analysis, {(f.finding.code, f.finding.span.path) for f in analysis.findings}


def test_a_changed_file_sees_the_prompt_its_unchanged_neighbour_defines(tmp_path):
    write_tree(tmp_path, support_app(120))
    analysis, codes = _codes(tmp_path, "app/bot.py")
    assert ("PL201", "app/bot.py") in codes
    assert not any(code == "PL002" for code, _ in codes)
    assert analysis.project.files_scanned == 1
    assert "app/prompts.py::SUPPORT_SYSTEM" in analysis.project.templates


def test_src_layout_and_nested_project_folders(tmp_path):
    for base in ("src", "services/api"):
        root = tmp_path / base.replace("/", "-")
        write_tree(root, {f"{base}/{k}": v for k, v in support_app(120).items()})
        _, codes = _codes(root, f"{base}/app/bot.py")
        assert ("PL201", f"{base}/app/bot.py") in codes
        assert not any(code == "PL002" for code, _ in codes)


def test_the_module_next_to_the_scanned_file_wins_and_an_ambiguous_one_is_not_guessed(tmp_path):
    files = {f"{base}/{k}": v for base in ("one", "two") for k, v in support_app(120).items()}
    write_tree(tmp_path, files)
    _, codes = _codes(tmp_path, "one/app/bot.py")
    assert ("PL201", "one/app/bot.py") in codes
    _, codes = _codes(tmp_path, "one/app/bot.py", "two/app/bot.py")
    assert {("PL002", "one/app/bot.py"), ("PL002", "two/app/bot.py")} <= codes, "two `app.prompts`: neither is picked"


def test_excluded_folders_and_missing_modules_stay_unresolved(tmp_path):
    app = support_app(120)
    write_tree(tmp_path, {"app/bot.py": app["app/bot.py"], "vendor/app/prompts.py": app["app/prompts.py"]})
    _, codes = _codes(tmp_path, "app/bot.py", config={"extend-exclude": ["vendor"]})
    assert ("PL002", "app/bot.py") in codes and ("PL201", "app/bot.py") not in codes


def test_a_top_level_module_or_package_of_one_name_is_found_from_a_nested_folder(tmp_path):
    """``from prompts import ...`` in ``services/api/bot.py``: the module is ``prompts.py``
    or ``prompts/__init__.py`` in one of the folders an import may start from, and the
    many folders holding neither are ruled out without changing which one is found."""
    app = support_app(120)
    bot = app["app/bot.py"].replace("from app.prompts import", "from prompts import")
    for layout in ("services/api/prompts.py", "services/api/prompts/__init__.py"):
        root = tmp_path / layout.replace("/", "-")
        noise = {f"services/api/lib{i}/util.py": "X = 1\n" for i in range(5)}
        write_tree(root, {"services/api/bot.py": bot, layout: app["app/prompts.py"], **noise})
        _, codes = _codes(root, "services/api/bot.py")
        assert ("PL201", "services/api/bot.py") in codes, layout
        assert not any(code == "PL002" for code, _ in codes), layout
