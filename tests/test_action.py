"""The GitHub Action (action.yml), run step by step as the runner would.

Each ``run`` step is executed with bash exactly as GitHub runs a composite step
(``bash --noprofile --norc -eo pipefail``), with the runner's files (``GITHUB_OUTPUT``,
``GITHUB_STEP_SUMMARY``), its ``if:`` evaluated and its ``${{ }}`` expressions filled in.
Steps that use other actions stand in for them: setup-python puts this Python on PATH,
upload-sarif's file is checked against the SARIF schema, and github-script's script runs
under Node against a recording stand-in of the GitHub API. The install step really builds
and installs this checkout, offline (no index, no build isolation, the dependencies seen
through PYTHONPATH), as ``pip install "$GITHUB_ACTION_PATH"``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import ROOT, write_tree
from support_app import CACHED_SYSTEM, support_app

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SCHEMA = json.loads((Path(__file__).parent / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
KNOWN_ACTIONS = {"actions/setup-python", "github/codeql-action/upload-sarif", "actions/github-script"}

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps are bash")


def test_the_action_is_a_composite_action_with_bash_steps():
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash", step["name"]
            assert "${{" not in step["run"], f"{step['name']}: inputs reach scripts through env, never pasted in"
        else:
            assert step["uses"].split("@")[0] in KNOWN_ACTIONS and "@" in step["uses"], step


# --- a small runner -------------------------------------------------------------------

_TOKENS = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<word>[A-Za-z_][\w.\-]*(?:\(\))?))")


class Runner:
    def __init__(self, inputs: dict, workspace: Path, temp: Path, event: dict, env: dict,
                 installed: dict | None = None) -> None:
        defaults = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
        unknown = set(inputs) - set(defaults)
        assert not unknown, unknown
        self.inputs = {**defaults, **inputs}
        self.workspace, self.temp, self.event, self.env = workspace, temp, event, env
        self.steps: dict[str, dict] = {}
        self.summary = temp / "summary.md"
        self.summary.write_text("")
        self.uploaded: list[dict] = []
        self.comments: list[dict] = []
        self.ran: list[str] = []
        self.log = ""
        self.installed = installed  # the outputs of an install step that already ran (one build per module)

    def value(self, name: str):
        parts = name.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if parts[0] == "steps":
            return self.steps.get(parts[1], {}).get("outputs", {}).get(parts[3], "")
        if parts[0] == "github":
            node = {"event_name": self.event.get("name", "push"), "event": self.event.get("payload", {})}
            for part in parts[1:]:
                node = node.get(part, "") if isinstance(node, dict) else ""
            return node
        raise AssertionError(f"context not known to the stand-in runner: {name}")

    def evaluate(self, expression: str):
        """GitHub's expression syntax, as much of it as action.yml uses."""
        python = []
        position = 0
        expression = expression.strip()
        while position < len(expression):
            match = _TOKENS.match(expression, position)
            assert match and match.end() > position, expression[position:]
            position = match.end()
            if match["str"]:
                python.append(repr(match["str"][1:-1].replace("''", "'")))
            elif match["op"]:
                python.append({"&&": " and ", "||": " or ", "!": " not "}.get(match["op"], match["op"]))
            elif match["word"] in ("true", "false"):
                python.append(match["word"].title())
            elif match["word"] in ("always()", "success()"):
                python.append("True")
            else:
                python.append(repr(self.value(match["word"])))
        return eval("".join(python), {"__builtins__": {}})  # noqa: S307 - our own tokens, literals only

    def fill(self, text: str) -> str:
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(self.evaluate(m.group(1))), text)

    def run(self) -> int:
        for number, step in enumerate(ACTION["runs"]["steps"]):
            condition = step.get("if")
            if condition is not None and not self.evaluate(condition):
                continue
            self.ran.append(step["name"])
            if step.get("id") == "install" and self.installed is not None:
                self.steps["install"] = {"outputs": self.installed}
                continue
            code = self._run(step, number) if "run" in step else self._uses(step)
            if code != 0:
                return code
        return 0

    def _run(self, step: dict, number: int) -> int:
        output = self.temp / f"output-{number}"
        output.write_text("")
        env = {**self.env, **{k: self.fill(str(v)) for k, v in (step.get("env") or {}).items()},
               "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(self.summary),
               "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(self.workspace), "RUNNER_TEMP": str(self.temp)}
        script = self.temp / f"step-{number}.sh"
        script.write_text(step["run"])
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace,
                              env=env, capture_output=True, text=True, timeout=600)
        self.log += f"## {step['name']} (exit {done.returncode})\n{done.stdout}{done.stderr}\n"
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        if "id" in step:
            self.steps[step["id"]] = {"outputs": outputs}
        return done.returncode

    def _uses(self, step: dict) -> int:
        action = step["uses"].split("@")[0]
        given = {k: self.fill(str(v)) for k, v in (step.get("with") or {}).items()}
        if action == "actions/setup-python":
            folder = self.temp / "python-bin"
            folder.mkdir(exist_ok=True)
            link = folder / "python"
            if not link.exists():
                link.symlink_to(sys.executable)
            self.env["PATH"] = f"{folder}{os.pathsep}{self.env['PATH']}"
        elif action == "github/codeql-action/upload-sarif":
            self.uploaded.append(given)
        elif action == "actions/github-script":
            env = {**self.env, **{k: self.fill(str(v)) for k, v in (step.get("env") or {}).items()}}
            self.comments += _github_script(given["script"], env, self.event, self.temp)
        return 0


_FAKE_GITHUB = r"""
const calls = [];
const existing = JSON.parse(process.env.EXISTING_COMMENTS || "[]");
const github = {
  rest: { issues: {
    listComments: "listComments",
    createComment: async (args) => { calls.push({ call: "create", ...args }); },
    updateComment: async (args) => { calls.push({ call: "update", ...args }); },
  } },
  paginate: async (method, args) => { calls.push({ call: "list", ...args }); return existing; },
};
const context = { repo: { owner: "acme", repo: "bot" }, payload: JSON.parse(process.env.PAYLOAD) };
(async () => {
  await (async function () { SCRIPT })();
  console.log(JSON.stringify(calls));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _github_script(script: str, env: dict, event: dict, temp: Path) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("github-script's script needs node")
    program = temp / "github-script.js"
    program.write_text(_FAKE_GITHUB.replace("SCRIPT", script))
    env = {**env, "PAYLOAD": json.dumps(event.get("payload", {})),
           "EXISTING_COMMENTS": json.dumps(event.get("comments", []))}
    done = subprocess.run([node, str(program)], env=env, capture_output=True, text=True, timeout=60, cwd=temp)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _environment(home: Path) -> dict:
    return {"PATH": os.environ["PATH"], "HOME": str(home), "NO_COLOR": "1", "PIP_NO_INDEX": "1",
            "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONPATH": os.pathsep.join(site.getsitepackages()),
            "XDG_CONFIG_HOME": str(home / "xdg"), "XDG_CACHE_HOME": str(home / "xdg-cache")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The install step, run once for the module: this checkout built and installed."""
    pytest.importorskip("hatchling")
    home = tmp_path_factory.mktemp("install")
    workspace = write_tree(home / "workspace", {"README.md": "x\n"})
    temp = home / "runner-temp"
    temp.mkdir()
    run = Runner({"check": "false", "audit": "false"}, workspace, temp, {}, _environment(home))
    assert run.run() == 0, run.log
    return run


@pytest.fixture
def runner(tmp_path, installed):
    def make(files: dict, inputs: dict | None = None, event: dict | None = None) -> Runner:
        workspace = write_tree(tmp_path / "workspace", files)
        subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
        temp = tmp_path / "runner-temp"
        temp.mkdir(exist_ok=True)
        return Runner(inputs or {}, workspace, temp, event or {}, _environment(tmp_path),
                      installed.steps["install"]["outputs"])

    return make


def test_the_install_step_builds_and_installs_this_checkout(installed):
    assert installed.ran == ["Set up Python", "Install promptlint", "Verdict"]
    promptlint = Path(installed.steps["install"]["outputs"]["promptlint"])
    assert promptlint.is_file() and "promptlint, version" in installed.log
    done = subprocess.run([str(promptlint), "--version"], capture_output=True, text=True, env=installed.env)
    assert done.returncode == 0 and done.stdout.startswith("promptlint, version")


REPO = {"pyproject.toml": '[tool.promptlint]\nbaseline = "promptlint-baseline.json"\n',
        **support_app(120, system=CACHED_SYSTEM)}


def _baseline(root: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "promptlint", "audit", "--write-baseline"], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_steps_check_upload_and_gate_a_clean_tree(runner):
    run = runner(REPO)
    _baseline(run.workspace)
    code = run.run()
    assert code == 0, run.log
    assert run.ran == ["Set up Python", "Install promptlint", "promptlint check", "Upload the findings to code scanning",
                       "promptlint audit", "Verdict"]
    upload = run.uploaded[0]
    assert upload["category"] == "promptlint"
    sarif = json.loads(Path(upload["sarif_file"]).read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    summary = run.summary.read_text()
    assert summary.startswith("## promptlint audit") and "✅" in summary, summary
    assert run.steps["check"]["outputs"]["exit-code"] == "0"


def test_findings_and_growth_fail_the_job_after_the_upload_and_the_summary(runner, tmp_path):
    files = dict(REPO)
    run = runner(files, {"comment": "true"},
                 {"name": "pull_request", "payload": {"pull_request": {"number": 7}},
                  "comments": [{"id": 99, "user": {"type": "Bot"}, "body": "<!-- promptlint-audit -->\nold"}]})
    _baseline(run.workspace)
    prompts = run.workspace / "app/prompts.py"
    prompts.write_text(prompts.read_text(encoding="utf-8").replace("* 120", "* 160"), encoding="utf-8")
    bot = run.workspace / "app/bot.py"
    bot.write_text(bot.read_text(encoding="utf-8").replace("max_tokens=5, ", ""), encoding="utf-8")
    code = run.run()
    assert code == 1, run.log
    assert "Upload the findings to code scanning" in run.ran, "findings do not skip the upload"
    results = json.loads(Path(run.uploaded[0]["sarif_file"]).read_text())["runs"][0]["results"]
    assert any(r["ruleId"] == "PL301" for r in results)
    assert "❌" in run.summary.read_text()
    assert "::error title=promptlint check::" in run.log and "::error title=promptlint audit::" in run.log
    assert [c["call"] for c in run.comments] == ["list", "update"], "the earlier comment is updated, not repeated"
    update = run.comments[1]
    assert update["comment_id"] == 99 and update["body"].startswith("<!-- promptlint-audit -->\n## promptlint audit")


def test_without_code_scanning_the_findings_are_annotations(runner):
    files = dict(REPO)
    files["app/bot.py"] = files["app/bot.py"].replace("max_tokens=5, ", "")
    run = runner(files, {"upload-sarif": "false", "audit": "false"})
    assert run.run() == 1, run.log
    assert "Upload the findings to code scanning" not in run.ran
    assert re.search(r"::error file=app/bot\.py,line=\d+,col=\d+.*title=PL301", run.log)


def test_a_configuration_error_stops_the_job_with_exit_2(runner):
    run = runner({**REPO, "pyproject.toml": '[tool.promptlint]\nselect = ["PL2O1"]\n'})
    assert run.run() == 2, run.log
    assert run.ran[-1] == "promptlint check" and "is no rule code" in run.log
