"""promptlint calibrate against the local count_tokens stand-in, whose ratio to the legacy
BPE is set per model, so the factor calibrate must find is known in advance."""

from __future__ import annotations

import os
import stat
import sys

import pytest
from fake_anthropic import legacy

from conftest import as_json, run_analysis, write_tree
from promptlint.config import load_config
from promptlint.config_edit import set_calibration

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEY = "sk-ant-calibrate-test"
SONNET, OPUS = 1.10, 1.40  # what the stand-in API returns per legacy token (claude-3, claude-4-7 families)
PROSE = ("Read the customer's message and the order record. Decide whether the refund policy applies, "
         "quote the clause, and draft a short reply in the customer's language. ") * 12
CODE = "def total(items):\n    return sum(i.price * i.quantity for i in items if not i.refunded)\n" * 12
APP = f'''
import anthropic

REFUND_PROMPT = """{PROSE}"""
CODE_REVIEW_PROMPT = """{CODE}"""
client = anthropic.Anthropic()


def refund(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=200, system=REFUND_PROMPT,
                                  messages=[{{"role": "user", "content": q}}])


def review(q):
    return client.messages.create(model="claude-opus-4-7", max_tokens=200, system=CODE_REVIEW_PROMPT,
                                  messages=[{{"role": "user", "content": q}}])
'''
PYPROJECT = """# Acme's build file: keep this comment
[project]
name = "acme"  # the name

[tool.promptlint]
default-model = "claude-sonnet-4-5"   # aligned on purpose
requests-per-month = 5000

[tool.promptlint.rules.PL201]

[tool.other]
key = 'single quotes stay'
"""


@pytest.fixture
def api(fake_anthropic):
    return fake_anthropic(KEY, {"claude-sonnet-4-5": SONNET, "claude-opus-4-7": OPUS})


def test_calibrate_measures_exact_families_and_writes_no_factor_for_them(api, tmp_path, cli):
    root = write_tree(tmp_path, {"app.py": APP, "pyproject.toml": PYPROJECT})
    before = run_analysis(root)
    code, out, err = cli(root, "calibrate", ".")
    assert code == 0, err
    assert (root / "pyproject.toml").read_text() == PYPROJECT
    assert "claude-3: counted exactly offline, so no factor is used" in out and "Nothing written" in out
    after = run_analysis(root, {"calibration": {"claude-3": 2.0, "claude-4-7": 2.0}})
    assert after.measurements.templates == before.measurements.templates  # factors apply to estimates only


def test_calibrate_json_and_dry_run(api, tmp_path, cli):
    root = write_tree(tmp_path, {"app.py": APP, "promptlint.toml": "default-model = \"claude-sonnet-4-5\"\n"})
    code, out, _ = cli(root, "calibrate", "--dry-run", "--format", "json", ".")
    assert code == 0
    doc = as_json(out)
    families = {f["family"]: f for f in doc["families"]}
    assert families["claude-3"]["legacy_tokens"] == legacy(PROSE)
    assert families["claude-3"]["exact_tokens"] == round(SONNET * legacy(PROSE))
    assert families["claude-4-7"]["models"] == ["claude-opus-4-7"]
    assert not any(f["written"] for f in doc["families"]) and doc["config"] is None
    assert (root / "promptlint.toml").read_text() == "default-model = \"claude-sonnet-4-5\"\n"


def test_calibrate_for_a_chosen_model(api, tmp_path, cli):
    root = write_tree(tmp_path, {"app.py": APP, "promptlint.toml": ""})
    code, out, _ = cli(root, "calibrate", "--model", "claude-opus-4-7", "--format", "json", ".")
    assert code == 0
    [family] = as_json(out)["families"]
    assert family["family"] == "claude-4-7" and family["templates"] == 2
    assert family["factor"] == pytest.approx(OPUS, abs=0.005) and not family["written"]
    assert (root / "promptlint.toml").read_text() == ""


def test_calibrate_creates_no_file_when_there_is_nothing_to_write(api, tmp_path, cli):
    root = write_tree(tmp_path / "proj", {"app.py": APP})
    code, out, _ = cli(tmp_path, "calibrate", "proj")
    assert code == 0 and "Nothing written" in out
    assert not (root / "promptlint.toml").exists()


def test_too_little_text_is_not_written(api, tmp_path, cli):
    root = write_tree(tmp_path, {"app.py": 'SYSTEM_PROMPT = "Answer briefly."\n', "promptlint.toml": ""})
    code, out, _ = cli(root, "calibrate", ".")
    assert code == 0
    assert "factor not written" in out
    assert (root / "promptlint.toml").read_text() == ""


def test_calibrate_fails_cleanly_without_the_api(api, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong")
    root = write_tree(tmp_path, {"app.py": APP, "promptlint.toml": ""})
    code, _, err = cli(root, "calibrate", ".")
    assert code == 2
    assert "calibration needs count_tokens" in err and "HTTP 401" in err and "sk-ant-wrong" not in err
    assert (root / "promptlint.toml").read_text() == ""


def test_calibrate_rejects_non_claude_model(api, tmp_path, cli):
    root = write_tree(tmp_path, {"app.py": APP})
    code, _, err = cli(root, "calibrate", "--model", "gpt-4o", ".")
    assert code == 2 and "not a Claude model" in err


# set_calibration on its own: the file keeps everything else --------------------------------


def test_merges_into_an_existing_inline_table(tmp_path):
    path = tmp_path / "promptlint.toml"
    path.write_text('# mine\ncalibration = { claude-3 = 1.05 }\nselect = ["PL2"]\n')
    set_calibration(path, {"claude-4": 1.2}, nested=False)
    text = path.read_text()
    assert text.startswith("# mine\n") and 'select = ["PL2"]' in text
    assert tomllib.loads(text)["calibration"] == {"claude-3": 1.05, "claude-4": 1.2}


def test_updates_a_calibration_table_section(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.promptlint.calibration]\nclaude-4 = 1.0  # old\n\n[tool.x]\ny = 1\n")
    set_calibration(path, {"claude-4": 1.25, "claude-4-7": 1.5}, nested=True)
    data = tomllib.loads(path.read_text())
    assert data["tool"]["promptlint"]["calibration"] == {"claude-4": 1.25, "claude-4-7": 1.5}
    assert data["tool"]["x"] == {"y": 1}


def test_adds_the_table_to_a_pyproject_without_one(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n')
    set_calibration(path, {"claude-4": 1.2}, nested=True)
    data = tomllib.loads(path.read_text())
    assert data["project"] == {"name": "x"} and data["tool"]["promptlint"]["calibration"] == {"claude-4": 1.2}


def test_keeps_crlf_and_permissions(tmp_path):
    path = tmp_path / "promptlint.toml"
    path.write_bytes(b'default-model = "claude-sonnet-4-5"\r\n')
    os.chmod(path, 0o640)
    set_calibration(path, {"claude-4": 1.2}, nested=False)
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") == 2
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["promptlint.toml"]  # no temporary file left


def test_refuses_a_value_the_config_would_reject(tmp_path):
    from promptlint.config import ConfigError

    path = tmp_path / "promptlint.toml"
    path.write_text("select = []\n")
    with pytest.raises(ConfigError, match="calibration"):
        set_calibration(path, {"claude-4": 50.0}, nested=False)
    assert path.read_text() == "select = []\n"
