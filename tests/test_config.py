"""Configuration: where it is found, what it accepts, and errors that name the key."""

from __future__ import annotations

import pytest

from promptlint.config import ConfigError, load_config, parse_config
from promptlint.globs import match_name, match_path
from promptlint.thresholds import parse_max_increase


def test_pyproject_table_is_found_walking_up(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.promptlint]\ndefault-model = "gpt-4o"\nrequests-per-month = 5\n')
    deep = tmp_path / "src" / "app"
    deep.mkdir(parents=True)
    config = load_config(deep)
    assert (config.default_model, config.requests_per_month, config.root) == ("gpt-4o", 5, str(tmp_path))


def test_promptlint_toml_wins_over_a_pyproject_without_our_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "promptlint.toml").write_text('cache-hit-rate = 0.5\n')
    assert load_config(tmp_path).cache_hit_rate == 0.5


def test_no_config_gives_defaults():
    config = parse_config({})
    assert config.default_model == "claude-sonnet-4-5"
    assert config.requests_per_month == 100_000 and config.cache_hit_rate == 0.9


def test_unknown_key_is_an_error_naming_it_with_a_suggestion():
    with pytest.raises(ConfigError, match=r"unknown key `ingore`.*did you mean `ignore`"):
        parse_config({"ingore": ["PL201"]}, where="pyproject.toml")


@pytest.mark.parametrize("data,message", [
    ({"cache-hit-rate": 1.5}, "between"),
    ({"requests-per-month": "many"}, "integer"),
    ({"tokenizer": "tiktoken"}, "offline"),
    ({"budgets": [{"path": "app/*.py"}]}, "max-tokens"),
    ({"budgets": [{"path": "x", "max-tokens": 5, "color": "red"}]}, "unknown key `color`"),
    ({"prices": {"m": {"inptu": 1.0}}}, "unknown key `inptu`"),
    ({"max-increase": "lots"}, "percentage"),
    ({"rules": {"PL102": 3}}, "one table per rule"),
])
def test_invalid_values_are_errors(data, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(data)


def test_broken_toml_is_a_config_error(tmp_path):
    (tmp_path / "promptlint.toml").write_text("default-model = \n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(tmp_path)


def test_globs_match_components_and_paths():
    assert match_path("node_modules", "web/node_modules/x/a.py")
    assert match_path("*.j2", "prompts/system.j2")
    assert match_path("src/**/prompts/*.yaml", "src/a/b/prompts/x.yaml")
    assert match_path("src/**/prompts/*.yaml", "src/prompts/x.yaml")
    assert not match_path("src/*.py", "src/a/b.py")
    assert match_path("tests/", "tests/test_x.py")
    assert match_name("*PROMPT*", "system_prompt") and not match_name("*PROMPT*", "TIMEOUT")


def test_a_name_matcher_matches_as_match_name_of_any_of_its_patterns():
    from promptlint.config import DEFAULT_NAME_PATTERNS
    from promptlint.globs import name_matcher

    names = ("system_prompt", "TIMEOUT", "sysXem", "sysem", "abx", "Dx", "q1", "aXbYc", "x", "", "examples",
             "my_template_2", "instructions")
    for patterns in (DEFAULT_NAME_PATTERNS, ("sys?em", "[a-c]*x", "*[!0-9]", "a*b*c"), ("x",), ()):
        matches = name_matcher(patterns)
        for name in names:
            assert matches(name) == any(match_name(p, name) for p in patterns), (patterns, name)


def test_a_path_matcher_compiles_one_regex_per_kind_not_one_per_glob(monkeypatch):
    """Many globs are matched by one regex; none is compiled alone on the way (the default
    excludes were a tenth of a one-file hook run), and each still matches as it did alone."""
    import re

    from promptlint import globs
    from promptlint.config import DEFAULT_EXCLUDE

    patterns = (*DEFAULT_EXCLUDE, "src/**/gen/*.py", "docs/", "a[bc]d")
    compiled: list[str] = []
    real = re.compile
    monkeypatch.setattr(globs.re, "compile", lambda source, flags=0: compiled.append(source) or real(source, flags))
    globs._translate.cache_clear()
    matcher = globs.PathMatcher(patterns)
    monkeypatch.undo()
    assert len(compiled) == 2
    for path in ("web/node_modules/x/a.py", "pkg.egg-info/PKG", "src/a/gen/x.py", "docs/i.md", "x/abd/y.py",
                 "src/gen.py", "abcd.py", "app/main.py", "envs/a.py"):
        assert matcher(path) == any(match_path(p, path) for p in patterns), path


def test_max_increase_forms():
    both = parse_max_increase("5%|50")  # tolerates the larger limit: fails past both
    assert both.exceeded(1000, 1051) and not both.exceeded(100, 106) and not both.exceeded(1000, 1040)
    assert not parse_max_increase("10%").exceeded(1000, 1090)
    assert parse_max_increase("0").exceeded(10, 11) and not parse_max_increase("0").exceeded(10, 10)


def test_without_a_config_the_working_folder_is_the_root_when_the_scanned_path_is_in_it(tmp_path, monkeypatch):
    from promptlint.config import default_root

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "setup.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert load_config(tmp_path / "app").root == str(tmp_path)
    assert default_root(tmp_path / "app") == tmp_path


def test_without_a_config_a_path_outside_the_working_folder_is_rooted_at_its_project(tmp_path, monkeypatch):
    elsewhere, project = tmp_path / "elsewhere", tmp_path / "work" / "app"
    (project / "pkg").mkdir(parents=True)
    elsewhere.mkdir()
    (project / ".git").mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_config(project / "pkg").root == str(project)  # the repository, not the folder scanned
    assert load_config(project / "pkg" / "bot.py").root == str(project)
    loose = tmp_path / "loose"
    loose.mkdir()
    assert load_config(loose).root == str(loose)  # no marker anywhere above: the folder itself
