"""A configuration mistake is exit 2 with its location, never skipped or a traceback
(issue 16: "a pyproject.toml with a TOML syntax error or a duplicate key is skipped
silently ..., bad globs and unknown codes ... are accepted", "an unknown default-model
prints a Python traceback and exits 1")."""

from __future__ import annotations

import json
import re
import sys

import pytest

from conftest import ROOT, write_tree
from promptlint.config import ConfigError, config_keys, load_config, parse_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BOT = {"app/bot.py": '''
import anthropic
client = anthropic.Anthropic()

def answer(question):
    return client.messages.create(model="claude-sonnet-5-5", max_tokens=100, system="Be brief.",
                                  messages=[{"role": "user", "content": question}])
'''}


def _error(cli, root, *args) -> str:
    code, out, err = cli(root, *args)
    assert code == 2, (out, err)
    assert "Traceback" not in err and err.startswith("promptlint: error: "), err
    return err


@pytest.mark.parametrize("text,where", [
    ('[tool.promptlint]\nignore = ["PL002"\nrequests-per-month = 10\n', ":3:1: invalid TOML"),
    ('[tool.promptlint]\nrequests-per-month = 10\nrequests-per-month = 20\n', ":3:"),  # a duplicate key
    ('[project]\nname = "x"\n\n[tool.promptlint]\nselect = ["PL2"]\n[tool.promptlint]\n', ":6:"),
])
def test_a_broken_pyproject_is_an_error_with_line_and_column_not_skipped(tmp_path, cli, text, where):
    write_tree(tmp_path, {**BOT, "pyproject.toml": text})
    err = _error(cli, tmp_path, "check")
    assert f"pyproject.toml{where}" in err, err


def test_a_broken_pyproject_of_another_tool_is_not_ours_to_reject(tmp_path, cli):
    write_tree(tmp_path, {**BOT, "pyproject.toml": '[tool.black]\nline-length = \n'})
    assert cli(tmp_path, "check")[0] == 0


def test_a_parent_config_is_not_used_when_the_nearer_one_is_broken(tmp_path, cli):
    """Before: the broken inner pyproject was skipped and the outer one silently applied."""
    write_tree(tmp_path, {"pyproject.toml": '[tool.promptlint]\nfail-on = "error"\n',
                          "inner/pyproject.toml": '[tool.promptlint]\nfail-on = "info"\nfail-on = "error"\n',
                          "inner/app/bot.py": BOT["app/bot.py"]})
    err = _error(cli, tmp_path / "inner", "check")
    assert "inner/pyproject.toml:3:" in err


@pytest.mark.parametrize("where", ["tool.promptlint.rules.PL103", "tool.other"])
def test_deep_nesting_anywhere_in_pyproject_is_a_config_error(tmp_path, cli, where):
    """Audit F16: a 3,000-deep value gave a RecursionError traceback."""
    deep = "[" * 3000 + "]" * 3000
    write_tree(tmp_path, {**BOT, "pyproject.toml": f'[tool.promptlint]\nselect = ["PL2"]\n[{where}]\nx = {deep}\n'})
    err = _error(cli, tmp_path, "check")
    assert "nested too deeply" in err


def test_promptlint_toml_with_the_pyproject_header_says_what_to_do(tmp_path, cli):
    write_tree(tmp_path, {**BOT, "promptlint.toml": '[tool.promptlint]\nrequests-per-month = 10\n'})
    err = _error(cli, tmp_path, "check")
    assert "promptlint.toml:1: promptlint.toml takes the keys without a [tool.promptlint] header" in err


@pytest.mark.parametrize("setting,message", [
    ('extend-exclude = ["tests/["]', "`extend-exclude` bad glob \"tests/[\": unclosed `[`"),
    ('per-file-ignores = { "**/[a-" = ["PL2"] }', "bad glob \"**/[a-\": unclosed `[`"),
    ('budgets = [{ path = "src/a**", max-tokens = 5 }]', "`budgets[0].path` bad glob"),
    ('template-globs = ["[z-a].j2"]', "bad character range `z-a`"),
    ('per-file-ignores = { "tests/*" = ["PL7"] }', "`per-file-ignores` names an unknown rule: `PL7`"),
    ('ignore = ["PL2011"]', "`PL2011` is no rule code, name or prefix (did you mean `PL201`?)"),
    ('extend-select = ["missing-cache-breakpiont"]', "(did you mean `missing-cache-breakpoint`?)"),
    ('unfixable = ["PL77"]', "`unfixable` names an unknown rule"),
    ('default-model = "claude-sonet-4-5"', "`default-model` names an unknown model `claude-sonet-4-5` "
                                           "(did you mean `claude-sonnet-4-5`?)"),
    ('cache-hit-rate = nan', "`cache-hit-rate` must be a number"),
    ('requests-per-month = -5', "must be at least 0, got -5"),
    ('respect-gitignore = "no"', "`respect-gitignore` must be true or false"),
    ('output-format = "xml"', "`output-format` must be one of text, full, json, sarif, github, markdown"),
])
def test_bad_values_are_errors_that_name_file_line_and_key(tmp_path, cli, setting, message):
    write_tree(tmp_path, {**BOT, "pyproject.toml": f'[project]\nname = "x"\n\n[tool.promptlint]\n{setting}\n'})
    err = _error(cli, tmp_path, "check")
    assert "pyproject.toml:5: " in err and message in err, err


def test_an_unknown_rule_options_table_is_an_error(tmp_path, cli):
    write_tree(tmp_path, {**BOT, "pyproject.toml": '[tool.promptlint]\n\n[tool.promptlint.rules.PL999]\nx = 1\n'})
    err = _error(cli, tmp_path, "check")
    assert "pyproject.toml:3: `rules` names an unknown rule: `PL999` is no rule code" in err


def test_unknown_default_model_on_the_command_line_suggests_one(tmp_path, cli):
    write_tree(tmp_path, BOT)
    for command in ("check", "audit", "fix"):
        err = _error(cli, tmp_path, command, "--default-model", "claude-sonet-4-5")
        assert "--default-model: unknown model `claude-sonet-4-5` (did you mean `claude-sonnet-4-5`?)" in err


def test_a_private_model_with_a_price_is_a_known_default(tmp_path, cli):
    write_tree(tmp_path, {**BOT, "promptlint.toml": 'default-model = "acme-llm"\n[prices.acme-llm]\ninput = 1.0\n'
                                                    'output = 2.0\n'})
    assert cli(tmp_path, "check")[0] == 0


def test_every_config_field_is_a_key_with_a_description():
    keys = config_keys()
    assert "extend-select" in keys and "respect-gitignore" in keys and "output-format" in keys
    for name, definition in keys.items():
        assert definition.metadata["description"].endswith("."), name


def test_the_shipped_schema_is_the_one_the_definitions_make():
    from promptlint.config_schema import SCHEMA_FILE, schema_text

    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), \
        "regenerate with: python -m promptlint.config_schema --write"


def _readme_tables() -> list[dict]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tables = []
    for block in re.findall(r"```toml\n(.*?)```", readme, re.DOTALL):
        data = tomllib.loads(block)
        tables.append(data["tool"]["promptlint"] if "tool" in data else data)
    return tables


def test_the_readme_examples_are_valid_for_the_schema_and_the_loader():
    jsonschema = pytest.importorskip("jsonschema")
    from promptlint.config_schema import build_schema

    schema = build_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    tables = _readme_tables()
    assert len(tables) >= 2
    for table in tables:
        jsonschema.validate(table, schema)
        parse_config(table)  # and the loader accepts the same


def test_schema_rejects_what_the_loader_rejects():
    jsonschema = pytest.importorskip("jsonschema")
    from promptlint.config_schema import build_schema

    schema = build_schema()
    for bad in ({"ingore": ["PL201"]}, {"cache-hit-rate": 2}, {"fail-on": "never"}, {"respect-gitignore": "yes"},
                {"budgets": [{"path": "x"}]}, {"prices": {"m": {"inptu": 1}}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
        with pytest.raises(ConfigError):
            parse_config(bad)


def test_schema_describes_every_key_and_is_json(tmp_path):
    from promptlint.config_schema import SCHEMA_FILE

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert set(schema["properties"]) == set(config_keys())
    assert schema["additionalProperties"] is False
    assert schema["properties"]["cache-hit-rate"]["default"] == 0.9


def test_config_found_through_a_looping_link_path_does_not_crash(tmp_path):
    """Audit F15: Path.resolve() raised RuntimeError on a looping link (3.10-3.12)."""
    (tmp_path / "pyproject.toml").write_text('[tool.promptlint]\nrequests-per-month = 7\n')
    loop = tmp_path / "loop.py"
    loop.symlink_to(tmp_path / "loop.py")
    assert load_config(loop).requests_per_month == 7


def test_an_include_that_matches_nothing_is_an_error_not_a_green_gate(tmp_path, cli):
    """Before: a mistyped `include` glob scanned no file and printed "All checks passed."."""
    write_tree(tmp_path, {**BOT, "pyproject.toml": '[tool.promptlint]\ninclude = ["ap/**"]\n'})
    for command in ("check", "audit"):
        err = _error(cli, tmp_path, command)
        assert "pyproject.toml:2: `include` matches no file under" in err, err
    code, _, err = cli(tmp_path, "check", "app/bot.py")  # a file given by name is scanned, as in ruff
    assert code == 0 and "error" not in err, err


def test_a_folder_with_nothing_to_scan_warns_as_ruff_does(tmp_path, cli):
    write_tree(tmp_path, {**BOT, "pyproject.toml": '[tool.promptlint]\nextend-exclude = ["app"]\n'})
    code, _, err = cli(tmp_path, "check")
    assert code == 0 and "warning: no file to scan under" in err, err
    assert cli(tmp_path, "check", "--silent")[2] == ""


def test_a_pyproject_given_with_config_that_has_no_table_of_ours_is_an_error(tmp_path, cli):
    """Before: `--config pyproject.toml` without [tool.promptlint] ran on defaults, silently."""
    write_tree(tmp_path, {**BOT, "ci/pyproject.toml": '[project]\nname = "bot"\n'})
    err = _error(cli, tmp_path, "check", "--config", "ci/pyproject.toml")
    assert "ci/pyproject.toml: no [tool.promptlint] table" in err, err
