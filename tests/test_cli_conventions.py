"""The command line behaves like ruff (issue 16): exit codes a CI can rely on, ruff's
options, stdin, the files it reports on, colour and progress, output a person can read."""

from __future__ import annotations

import io
import json
import os
import re

import pytest

from conftest import ROOT, as_json, write_tree
from promptlint.terminal import Palette, Progress, showing_progress, wants_color

POLICY = "cite the order number and the policy section you relied on, "  # a clause: no repeated sentence
APP = {
    "app/__init__.py": "",
    "app/prompts.py": (
        f'SUPPORT_SYSTEM = "{POLICY}" * 120\n'
        'TONE_PROMPT = "Answer the customer in plain English without jargon. Keep every answer short. '
        'Answer the customer in plain English without jargon."\n'
    ),
    "app/bot.py": '''
import anthropic
from openai import OpenAI
from app.prompts import SUPPORT_SYSTEM

client = anthropic.Anthropic()
oai = OpenAI()

def answer(question):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=400, system=SUPPORT_SYSTEM,
                                  messages=[{"role": "user", "content": question}])

def summarize(text):
    return oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"Summarize: {text}"}])
''',
}
CLEAN = {"bot.py": '''
import anthropic
client = anthropic.Anthropic()

def answer(question):
    return client.messages.create(model="claude-sonnet-5-5", max_tokens=100, system="Be brief.",
                                  messages=[{"role": "user", "content": question}])
'''}


def codes(out: str) -> list[str]:
    return sorted({f["code"] for f in as_json(out)["findings"]})


# --- exit codes ---------------------------------------------------------------------

def test_a_path_that_does_not_exist_is_exit_2_not_all_checks_passed(tmp_path, cli):
    write_tree(tmp_path, CLEAN)
    code, out, err = cli(tmp_path, "check", "bot.py", "does/not/exist")
    assert code == 2 and "`does/not/exist`: no such file or directory" in err
    assert "All checks passed" not in out
    for command in ("audit", "fix", "count"):
        assert cli(tmp_path, command, "nope.py")[0] == 2, command


def test_dash_reads_stdin_as_the_stdin_filename(tmp_path, cli):
    write_tree(tmp_path, APP)
    source = (tmp_path / "app/bot.py").read_text(encoding="utf-8")
    code, out, _ = cli(tmp_path, "check", "-", "--stdin-filename", "app/bot.py", "--output-format", "json",
                       input=source.replace("max_tokens=400, ", ""))
    doc = as_json(out)
    assert code == 1 and doc["summary"]["files_scanned"] == 1
    assert {f["path"] for f in doc["findings"]} == {"app/bot.py"}
    pl201 = next(f for f in doc["findings"] if f["code"] == "PL201")
    assert "app/prompts.py::SUPPORT_SYSTEM" in pl201["message"], "imports are read from the tree on disk"
    assert "PL301" in codes(out) and any("max_tokens" in f["message"] for f in doc["findings"] if f["code"] == "PL301")


def test_dash_without_a_filename_is_python_and_an_empty_stdin_is_clean(tmp_path, cli):
    write_tree(tmp_path, CLEAN)
    code, out, _ = cli(tmp_path, "check", "-", input=CLEAN["bot.py"].replace("max_tokens=100, ", ""))
    assert code == 1 and "-.py:" in out and "PL301" in out
    code, out, _ = cli(tmp_path, "check", "-", input="")
    assert code == 0
    assert cli(tmp_path, "check", "-", "bot.py")[0] == 2


def test_an_internal_error_is_exit_3_one_line_and_a_crash_log(tmp_path, cli, monkeypatch):
    write_tree(tmp_path, CLEAN)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("the \x1b[31mbug\x1b[0m\nsecond line")

    monkeypatch.setattr("promptlint.engine.analyze", broken)
    code, out, err = cli(tmp_path, "check")
    assert code == 3 and out == ""
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "\x1b" not in err
    assert err.startswith("promptlint: internal error (ZeroDivisionError: the [31mbug [0m second line)")
    log = re.search(r"the details are in (\S+)$", err.strip()).group(1)
    text = open(log, encoding="utf-8").read()
    assert "Traceback" in text and "ZeroDivisionError" in text and "command: promptlint check" in text
    assert oct(os.stat(log).st_mode & 0o777) == "0o600"
    assert not str(log).startswith(str(tmp_path)), "the crash log is not written into the scanned tree"


def test_exit_zero_keeps_findings_but_not_errors(tmp_path, cli):
    write_tree(tmp_path, APP)
    code, out, _ = cli(tmp_path, "check", "--exit-zero")
    assert code == 0 and "PL201" in out
    assert cli(tmp_path, "check", "--exit-zero", "--select", "PL7")[0] == 2


# --- ruff's options ---------------------------------------------------------------

def test_output_format_is_an_alias_of_format_and_a_config_key(tmp_path, cli):
    write_tree(tmp_path, {**CLEAN, "promptlint.toml": 'output-format = "json"\n'})
    assert as_json(cli(tmp_path, "check")[1])["version"] == 1
    assert cli(tmp_path, "check", "--output-format", "github")[1].startswith("promptlint: 0 findings")
    assert "All checks passed." in cli(tmp_path, "check", "--format", "TEXT")[1]
    code, _, err = cli(tmp_path, "check", "--output-format", "xml")
    assert code == 2 and "'xml' is not one of" in err


def test_output_file_gets_the_report_and_stdout_nothing(tmp_path, cli):
    write_tree(tmp_path, APP)
    code, out, _ = cli(tmp_path, "check", "-o", "report.sarif", "--output-format", "sarif")
    assert code == 1 and out == ""
    assert json.loads((tmp_path / "report.sarif").read_text())["version"] == "2.1.0"
    code, _, err = cli(tmp_path, "check", "-o", "missing-folder/x.json")
    assert code == 2 and "cannot write missing-folder/x.json" in err


def test_quiet_prints_only_findings_and_silent_nothing(tmp_path, cli):
    write_tree(tmp_path, APP)
    code, out, _ = cli(tmp_path, "check", "-q")
    lines = out.splitlines()
    assert code == 1 and lines and all(re.match(r"^app/[\w.]+:\d+:\d+: PL\d{3} ", line) for line in lines)
    code, out, err = cli(tmp_path, "check", "--silent")
    assert code == 1 and out == "" and err == ""
    write_tree(tmp_path, CLEAN)
    assert cli(tmp_path, "check", "-q", "bot.py")[1] == ""


def test_statistics_count_and_price_each_rule(tmp_path, cli):
    write_tree(tmp_path, APP)
    code, out, _ = cli(tmp_path, "check", "--statistics")
    assert code == 1
    rows = {line.split()[1]: line for line in out.splitlines() if re.match(r"^\s*\d+\s+PL\d{3}", line)}
    assert set(rows) >= {"PL201", "PL301"}
    assert re.search(r"~\$[\d,.]+/month saveable", rows["PL201"])
    assert "exposure up to" in rows["PL301"] and "saveable" not in rows["PL301"]
    doc = json.loads(cli(tmp_path, "check", "--statistics", "--output-format", "json")[1])
    pl201 = next(r for r in doc if r["code"] == "PL201")
    assert pl201["count"] == 1 and pl201["usd_per_month"] > 0 and pl201["exposure_usd_per_month"] == 0
    assert cli(tmp_path, "check", "--statistics", "--output-format", "sarif")[0] == 2


def test_extend_select_and_extend_ignore_from_config_and_command_line(tmp_path, cli):
    write_tree(tmp_path, {**APP, "promptlint.toml": 'select = ["PL3"]\nextend-select = ["PL104"]\n'})
    assert codes(cli(tmp_path, "check", "--format", "json")[1]) == ["PL104", "PL301"]
    assert codes(cli(tmp_path, "check", "--format", "json", "--extend-select", "PL2")[1]) == ["PL104", "PL201", "PL301"]
    assert codes(cli(tmp_path, "check", "--format", "json", "--select", "PL2")[1]) == ["PL201"]
    assert codes(cli(tmp_path, "check", "--format", "json", "--extend-ignore", "PL104")[1]) == ["PL301"]
    write_tree(tmp_path, {"promptlint.toml": 'extend-ignore = ["PL3"]\n'})
    assert "PL301" not in codes(cli(tmp_path, "check", "--format", "json")[1])


def test_show_settings_and_show_files_say_what_a_run_would_use(tmp_path, cli):
    write_tree(tmp_path, {**APP, "pyproject.toml": '[tool.promptlint]\nrequests-per-month = 1234\nignore = ["PL104"]\n'
                                                   'extend-exclude = ["app/__init__.py"]\n'})
    code, out, _ = cli(tmp_path, "check", "--show-settings")
    assert code == 0
    assert "pyproject.toml [tool.promptlint]" in out.splitlines()[0]
    assert "requests-per-month = 1234" in out and 'ignore = ["PL104"]' in out and "respect-gitignore = true" in out
    assert re.search(r"# rules selected \(\d+\): PL001, ", out) and "PL104" not in out.splitlines()[-1]
    code, out, _ = cli(tmp_path, "check", "--show-files")
    assert code == 0 and out.splitlines() == ["app/bot.py  (python)", "app/prompts.py  (python)"]


def test_check_fix_applies_safe_fixes_and_reports_what_remains(tmp_path, cli):
    write_tree(tmp_path, APP)
    code, out, _ = cli(tmp_path, "check", "--fix", "--show-fixes", "--select", "PL104,PL301")
    text = (tmp_path / "app/prompts.py").read_text(encoding="utf-8")
    assert text.count("plain English") == 1, "the safe PL104 fix was applied"
    assert "PL104 duplicate-instruction  fixed:" in out and "Fixed 1 finding in 1 file." in out
    assert "PL301" in out and code == 1, "the unsafe PL301 fix is not applied; its finding remains"
    assert "PL104" not in out.split("Fixed 1 finding")[1]


def test_unfixable_rules_are_reported_but_not_fixed(tmp_path, cli):
    write_tree(tmp_path, {**APP, "promptlint.toml": 'unfixable = ["duplicate-instruction"]\n'})
    code, out, _ = cli(tmp_path, "check", "--fix", "--select", "PL104")
    assert code == 1 and "PL104" in out
    assert (tmp_path / "app/prompts.py").read_text(encoding="utf-8").count("plain English") == 2
    code, _, err = cli(tmp_path, "fix", "--select", "PL104")
    assert code == 0 and "no selected rule is fixable" in err


def test_fix_options_need_fix(tmp_path, cli):
    write_tree(tmp_path, CLEAN)
    assert cli(tmp_path, "check", "--unsafe-fixes")[0] == 2
    assert cli(tmp_path, "check", "-", "--fix", input="")[0] == 2


def test_version_short_flag(tmp_path, cli):
    assert cli(tmp_path, "-V")[1].startswith("promptlint, version")


# --- what a run reports on ---------------------------------------------------------------

def test_findings_only_in_the_files_given_while_imports_are_still_read(tmp_path, cli):
    """The check hook: pre-commit passes the staged files; a finding in an unstaged module
    they import is not theirs to fix."""
    write_tree(tmp_path, APP)
    everything = as_json(cli(tmp_path, "check", "--format", "json")[1])
    assert {f["path"] for f in everything["findings"]} == {"app/bot.py", "app/prompts.py"}
    code, out, _ = cli(tmp_path, "check", "app/bot.py", "--format", "json")
    staged = as_json(out)
    assert {f["path"] for f in staged["findings"]} == {"app/bot.py"}
    assert any("SUPPORT_SYSTEM" in f["message"] for f in staged["findings"] if f["code"] == "PL201")


def test_special_files_given_as_paths_are_notices_not_hangs(tmp_path, cli):
    """Audit F15: a looping link (traceback), a link to a FIFO (blocked forever), an
    unreadable file (exit 2 with nothing scanned)."""
    write_tree(tmp_path, {**CLEAN, "locked.py": "X_PROMPT = 'x'\n"})
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "pipe.py").symlink_to(tmp_path / "pipe")
    os.chmod(tmp_path / "locked.py", 0)
    try:
        code, out, err = cli(tmp_path, "check", "loop.py", "pipe.py", "locked.py", "bot.py")
    finally:
        os.chmod(tmp_path / "locked.py", 0o644)
    root = os.geteuid() == 0  # root reads any file
    assert code == 0 and ("Scanned 2 files:" if root else "Scanned 1 file:") in out
    assert "loop.py: skipped: symbolic link loop" in err
    assert "pipe.py: skipped: not a regular file" in err
    if not root:
        assert "locked.py: skipped: cannot read file" in err


def test_an_excluded_path_given_explicitly_stays_excluded_with_a_notice(tmp_path, cli):
    write_tree(tmp_path, {**APP, "promptlint.toml": 'extend-exclude = ["app/bot.py"]\n'})
    code, out, err = cli(tmp_path, "check", "app/bot.py")
    assert code == 0 and "app/bot.py: not scanned: excluded by `exclude`/`extend-exclude`" in err


def test_notebook_findings_are_sorted_by_cell_then_line(tmp_path, cli):
    cell = ("import anthropic\nclient = anthropic.Anthropic()\n", "")
    call = ('r = client.messages.create(model="claude-sonnet-4-5", max_tokens=10,\n'
            '    messages=[{"role": "user", "content": "Say hi."}])\n')
    late = "\n" * 30 + call.replace("max_tokens=10,", "")
    cells = [{"cell_type": "code", "source": src, "metadata": {}, "outputs": [], "execution_count": None}
             for src in (cell[0], late, call.replace("max_tokens=10,", ""))]
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                   "nbformat_minor": 5}))
    out = cli(tmp_path, "check", "-q", "--select", "PL301")[1]
    assert [line.split(":")[1] for line in out.splitlines()] == ["cell 2", "cell 3"]


# --- terminal -----------------------------------------------------------------------

class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("choice,env,tty,expected", [
    ("auto", {}, True, True), ("auto", {}, False, False), ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"FORCE_COLOR": "1"}, False, True), ("auto", {"FORCE_COLOR": "0"}, False, False),
    ("always", {"NO_COLOR": "1"}, False, True), ("never", {"FORCE_COLOR": "1"}, True, False),
    ("auto", {"TERM": "dumb"}, True, False),
])
def test_colour_follows_the_flag_then_no_color_then_force_color_then_the_terminal(choice, env, tty, expected):
    stream = _Tty() if tty else io.StringIO()
    assert wants_color(choice, stream, env) is expected


def test_colour_marks_path_code_and_dollars(tmp_path, cli, monkeypatch):
    write_tree(tmp_path, APP)
    plain = cli(tmp_path, "check", "-q")[1]
    assert "\x1b[" not in plain, "not a terminal: no colour"
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = cli(tmp_path, "check", "-q")[1]
    paint = Palette(True)
    assert paint("path", "app/bot.py") in coloured and paint("warning", "PL201") in coloured
    assert re.search(re.escape("\x1b[32m") + r"saves ~\$", coloured)
    assert re.sub(r"\x1b\[[\d;]*m", "", coloured) == plain
    assert "\x1b[" not in cli(tmp_path, "check", "-q", "--color", "never")[1]


def test_progress_is_drawn_on_a_terminal_after_the_delay_and_cleared():
    clock = iter([0.0, 0.5, 1.2, 1.25, 1.5, 2.0, 2.1]).__next__
    stream = _Tty()
    line = Progress(stream, delay=1.0, clock=clock)  # started at 0.0
    line.phase("reading files", total=10)  # 0.5: too early, nothing
    assert stream.getvalue() == ""
    line.advance(5)  # 1.2: drawn
    assert "reading files [############............] 5/10" in stream.getvalue()
    line.advance()  # 1.25: within 0.1 s of the last draw, skipped
    assert "6/10" not in stream.getvalue()
    line.phase("counting tokens")  # 1.5: a new phase is always drawn
    assert stream.getvalue().endswith("promptlint: counting tokens...\x1b[K")
    line.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_reaches_the_scan_and_only_on_a_terminal(tmp_path, monkeypatch):
    from conftest import run_analysis

    write_tree(tmp_path, APP)
    monkeypatch.setattr(Progress, "__init__", _no_delay(Progress.__init__))
    stream = _Tty()
    with showing_progress(True, stream):
        run_analysis(tmp_path)
    drawn = stream.getvalue()
    assert "promptlint: reading files [" in drawn and "/3\x1b[K" in drawn and "counting tokens..." in drawn
    assert drawn.endswith("\r\x1b[K")
    quiet = io.StringIO()
    with showing_progress(True, quiet):
        run_analysis(tmp_path)
    assert quiet.getvalue() == ""


def _no_delay(init):
    def patched(self, stream, delay=1.0, clock=None):
        init(self, stream, 0.0, *(() if clock is None else (clock,)))
        self.drawn = -1.0
    return patched


def test_summary_grammar_and_no_internal_names(tmp_path, cli):
    write_tree(tmp_path, {**CLEAN, "promptlint.toml": "cache-hit-rate = 0.8\n"})
    out = cli(tmp_path, "check")[1]
    assert "Scanned 1 file: 1 template, 1 request." in out
    assert "(1 request, 1 template)" in cli(tmp_path, "audit", "--write-baseline", "b.json")[2]
    assert "priced at an 80% cache hit rate" in out
    write_tree(tmp_path, {"bot.py": CLEAN["bot.py"].replace('system="Be brief.",', 'system="Be brief.", tools=None,')})
    out = cli(tmp_path, "check", "--select", "PL002", "--format", "json")[1]
    assert "unexpected lit" not in out


def test_the_readme_option_table_lists_every_option_of_every_command():
    """Done-when of issue 16: the README's CLI section lists every option (with ruff's name
    where ruff has one), so an option added to a command without a row fails here."""
    import re

    import click

    from promptlint.cli import main

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Command line options", 1)[1].split("\n\n|", 1)[1].split("\n\n", 1)[0]
    rows = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in ("|" + section).splitlines()]
    rows = [r for r in rows if len(r) == 4 and not set(r[0]) <= {"-"}]
    assert rows
    missing = []
    for name, command in main.commands.items():
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            for opt in (*param.opts, *param.secondary_opts):
                if opt in ("-h", "--help"):
                    continue
                if not any(re.search(rf"`{re.escape(opt)}(?![\w-])", r[0])
                           and (r[1] in ("all", "—") or name in re.findall(r"[a-z]+", r[1])) for r in rows):
                    missing.append(f"{name} {opt}")
    assert not missing, missing
