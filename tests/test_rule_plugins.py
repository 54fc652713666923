"""User rule folders (`rule-dirs`) and Python rules from the `promptlint.rules` entry-point group."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import as_json, run_analysis, write_tree

PROMPT_MODULE = """\
import anthropic

client = anthropic.Anthropic()
SYSTEM_PROMPT = (
    "You answer questions about ACME Home orders. Unlike Globex, we ship to Canada. "
    "Keep answers under four sentences and quote amounts with their currency."
)


def answer(question):
    return client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=300,
        system=SYSTEM_PROMPT,
        messages=[{"role": "user", "content": question}],
    )
"""

COMPETITOR_RULE = """\
code: ACME001
name: competitor-mention
severity: warning
summary: Prompts must not name competitors.
waste: false
categories:
  competitors:
    phrases: [Globex, Initech, Umbrella Corp]
doc:
  what: Finds competitor names in prompts.
  why: Legal asked us to keep them out of model input.
"""


def _pyproject(extra: str = "") -> str:
    return f'[project]\nname = "shop"\nversion = "0"\n\n[tool.promptlint]\nrule-dirs = ["lint/rules"]\n{extra}'


def test_declarative_rule_from_a_rule_dir_fires_and_is_listed(project, cli):
    root = project({"pyproject.toml": _pyproject(), "lint/rules/ACME001-competitor-mention.yaml": COMPETITOR_RULE,
                    "app.py": PROMPT_MODULE})
    code, out, _ = cli(root, "check", ".", "--format", "json", "--select", "ACME")
    findings = as_json(out)["findings"]
    assert code == 1
    assert [(f["code"], f["line"]) for f in findings] == [("ACME001", 5)]
    assert '"globex"' in findings[0]["message"] and findings[0]["usd_per_request"] is None  # waste: false

    code, out, _ = cli(root, "rules")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("ACME001"))
    assert "competitor-mention" in line and "[rule-dir]" in line
    code, out, _ = cli(root, "explain", "competitor-mention")
    assert code == 0 and "Legal asked us" in out and "min-tokens" in out  # phrase options come for free


def test_rule_dir_rule_is_suppressed_and_configured_like_builtins(project):
    source = PROMPT_MODULE.replace('we ship to Canada. "', 'we ship to Canada. "  # promptlint: ignore[competitor-mention]')
    root = project({"lint/rules/ACME001-competitor-mention.yaml": COMPETITOR_RULE, "app.py": source})
    analysis = run_analysis(root, {"rule-dirs": ["lint/rules"]}, select=("ACME001",))
    assert analysis.findings == ()
    root2 = root.parent / "second"
    write_tree(root2, {"lint/rules/ACME001-competitor-mention.yaml": COMPETITOR_RULE, "app.py": PROMPT_MODULE})
    allowed = run_analysis(root2, {"rule-dirs": ["lint/rules"], "rules": {"ACME001": {"allow": ["globex"]}}},
                           select=("ACME001",))
    assert allowed.findings == ()


def test_broken_rule_files_are_usage_errors_naming_the_file(project, cli):
    root = project({"pyproject.toml": _pyproject(), "app.py": PROMPT_MODULE,
                    "lint/rules/ACME002-bad.yaml": "code: ACME002\nname: bad\nseverity: warning\nsummary: x\n"
                                                    "categories:\n  c:\n    patterns: ['(unclosed']\n"})
    code, _, err = cli(root, "check", ".")
    assert code == 2 and "ACME002-bad.yaml" in err and "bad pattern" in err

    write_tree(root, {"lint/rules/ACME002-bad.yaml": "code: ACME002\nname: bad\nseverity: warning\nsummary: x\n"})
    code, _, err = cli(root, "check", ".")
    assert code == 2 and "needs `categories`/`packs`" in err


CANARY_MODULE = "import pathlib, os\npathlib.Path(os.environ['CANARY']).write_text('ran')\ndef check(ctx):\n    return []\n"


def test_rule_dir_rule_naming_python_code_is_refused_and_never_imported(project, cli, tmp_path, monkeypatch):
    """A scanned repository's rule file must not import anything: not an installed module,
    not a module committed next to it."""
    canary = tmp_path / "canary"
    monkeypatch.setenv("CANARY", str(canary))
    rule = "code: ACME003\nname: house\nseverity: warning\nsummary: x\ncheck: house_rules:check\n"
    root = project({"pyproject.toml": _pyproject(), "app.py": PROMPT_MODULE, "house_rules.py": CANARY_MODULE,
                    "lint/rules/ACME003-house.yaml": rule})
    monkeypatch.syspath_prepend(str(root))
    code, out, err = cli(root, "check", ".")
    assert code == 2 and "declarative only" in err and "ACME003-house.yaml" in err
    assert not canary.exists()

    write_tree(root, {"lint/rules/ACME003-house.yaml": rule.replace("house_rules:check", "this:s")})
    code, out, err = cli(root, "rules")
    assert code == 2 and "declarative only" in err and "Beautiful is better" not in out + err


def test_rule_dir_code_clashing_with_a_builtin_is_an_error(project, cli):
    clash = COMPETITOR_RULE.replace("ACME001", "PL103")
    root = project({"pyproject.toml": _pyproject(), "lint/rules/PL103-mine.yaml": clash, "app.py": PROMPT_MODULE})
    code, _, err = cli(root, "check", ".")
    assert code == 2 and "PL103 is defined twice" in err


# --- entry-point plugins ---------------------------------------------------------------

PLUGIN_MODULE = '''\
"""A promptlint plugin: flags prompts that tell the model to use a deprecated API version."""

RULE = {
    "code": "XPL900",
    "name": "deprecated-api-version",
    "severity": "error",
    "summary": "A prompt tells the model to use API version v1, which was shut down.",
    "doc": {"what": "Finds 'API v1' in prompts.", "why": "Answers built on v1 fail."},
}


def check(ctx):
    for template in ctx.project.templates.values():
        if "API v1" in template.text:
            yield ctx.finding(template.span, "prompt mentions API v1", template=template.id)
'''


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(folder: Path, name: str, module: str, entry: str) -> Path:
    """A minimal, valid wheel built by hand (no build backend, no network needed)."""
    dist = f"{name}-0.1.dist-info"
    files = {
        f"{name}.py": module.encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: promptlint-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}/entry_points.txt": f"[promptlint.rules]\n{entry}\n".encode(),
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items()) + f"{dist}/RECORD,,\n"
    files[f"{dist}/RECORD"] = record.encode()
    wheel = folder / f"{name}-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel


def install(wheel: Path, target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                    "--disable-pip-version-check", "--target", str(target), str(wheel)], check=True)


def test_entry_point_plugin_installed_into_a_temporary_path(tmp_path, cli, monkeypatch):
    site = tmp_path / "site"
    install(build_wheel(tmp_path, "acme_promptlint", PLUGIN_MODULE, "deprecated = acme_promptlint"), site)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PROMPTLINT_PLUGINS", "deprecated")
    root = write_tree(tmp_path / "proj", {"prompts.py": 'MIGRATION_PROMPT = "Rewrite the client to call API v1 endpoints."\n'})

    code, out, _ = cli(root, "check", ".", "--format", "json")
    found = [f for f in as_json(out)["findings"] if f["code"] == "XPL900"]
    assert code == 1 and len(found) == 1 and found[0]["severity"] == "error"

    code, out, _ = cli(root, "rules")
    assert any(line.startswith("XPL900") and "[plugin]" in line for line in out.splitlines())
    code, out, _ = cli(root, "explain", "XPL900")
    assert code == 0 and "Answers built on v1 fail." in out
    code, out, _ = cli(root, "check", ".", "--ignore", "deprecated-api-version", "--format", "json")
    assert not [f for f in as_json(out)["findings"] if f["code"] == "XPL900"]


def test_entry_point_returning_a_list_of_rules(tmp_path, cli, monkeypatch):
    module = PLUGIN_MODULE + '''

class _Second:
    RULE = {"code": "XPL901", "name": "mentions-fax", "severity": "info", "summary": "Mentions fax.",
            "doc": {"what": "Fax."}}

    @staticmethod
    def check(ctx):
        return []


def rules():
    import sys
    return [sys.modules[__name__], _Second]
'''
    site = tmp_path / "site"
    install(build_wheel(tmp_path, "acme_pack", module, "pack = acme_pack:rules"), site)
    monkeypatch.syspath_prepend(str(site))
    write_tree(tmp_path / "xdg", {"promptlint/config.toml": 'plugins = ["acme_pack"]\n'})  # by distribution name
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    code, out, _ = cli(write_tree(tmp_path / "proj", {"a.py": "X = 1\n"}), "rules")
    codes = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and "XPL900" in codes and "XPL901" in codes


def test_broken_plugin_is_a_usage_error_naming_the_entry_point(tmp_path, cli, monkeypatch):
    site = tmp_path / "site"
    install(build_wheel(tmp_path, "broken_plugin", "raise ImportError('needs numpy')\n", "broken = broken_plugin"), site)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PROMPTLINT_PLUGINS", "all")
    code, _, err = cli(write_tree(tmp_path / "proj", {"a.py": "X = 1\n"}), "check", ".")
    assert code == 2 and "broken_plugin" in err and "needs numpy" in err


def test_installed_plugin_runs_only_when_the_user_enables_it(tmp_path, cli, monkeypatch):
    canary = tmp_path / "canary"
    monkeypatch.setenv("CANARY", str(canary))
    site = tmp_path / "site"
    install(build_wheel(tmp_path, "sneaky_plugin", CANARY_MODULE + PLUGIN_MODULE, "sneaky = sneaky_plugin"), site)
    monkeypatch.syspath_prepend(str(site))
    root = write_tree(tmp_path / "proj", {"prompts.py": 'MIGRATION_PROMPT = "Rewrite the client to call API v1."\n'})
    code, out, err = cli(root, "rules")
    assert code == 0 and "XPL900" not in out and "`sneaky`" in err and "not enabled" in err
    assert not canary.exists()
    monkeypatch.setenv("PROMPTLINT_PLUGINS", "sneaky")
    code, out, _ = cli(root, "rules")
    assert "XPL900" in out and canary.exists()


def test_repository_config_cannot_enable_plugins(project, cli):
    root = project({"pyproject.toml": '[tool.promptlint]\nplugins = ["all"]\n', "a.py": "X = 1\n"})
    code, _, err = cli(root, "check", ".")
    assert code == 2 and "unknown key `plugins`" in err


def test_python_dash_m_never_imports_from_the_scanned_checkout(tmp_path):
    """`python -m promptlint` run inside a hostile checkout: neither a committed module named
    by a rule file nor a committed dist-info entry point is imported."""
    canary = tmp_path / "canary"
    evil = CANARY_MODULE.replace("os.environ['CANARY']", repr(str(canary)))
    root = write_tree(tmp_path / "checkout", {
        "pyproject.toml": _pyproject(),
        "lint/rules/ACME001-competitor-mention.yaml": COMPETITOR_RULE,
        "house_rules.py": evil,
        "evil-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: evil\nVersion: 0.1\n",
        "evil-0.1.dist-info/entry_points.txt": "[promptlint.rules]\nevil = house_rules\n",
        "app.py": PROMPT_MODULE,
    })
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    env["PROMPTLINT_PLUGINS"] = "all"  # even a user who enables every installed plugin
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    done = subprocess.run([sys.executable, "-m", "promptlint", "rules"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ACME001" in done.stdout and not canary.exists()
