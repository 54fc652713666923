"""``promptlint fix``: safe fixes applied, unsafe ones suggested, --diff, selection,
conflicts, measured savings, and the safety rules of SPEC §9."""

from __future__ import annotations

import json
import os
import stat
import textwrap
from decimal import Decimal

import pytest

from conftest import make_fixer, write_tree
from promptlint.fix import APPLIED, FAILED, REFUSED, SKIPPED, SUGGESTED
from promptlint.types import Edit, Fix, PricedFinding

APP = textwrap.dedent('''
    import anthropic
    from textwrap import dedent

    client = anthropic.Anthropic()

    SYSTEM_PROMPT = dedent("""
        You answer questions about ACME Home orders, returns and warranty claims.
        Quote amounts with their currency.
        Never ask for card numbers or passwords.
        Never ask for card numbers or passwords.
    """)


    def answer(question):
        return client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=400,
            system=SYSTEM_PROMPT,
            messages=[{"role": "user", "content": question}],
        )


    def classify(message):
        return client.messages.create(
            model="claude-haiku-5-5",
            max_tokens=4096,
            system="Classify the message as order_status, return or other. Reply with the category only.",
            messages=[{"role": "user", "content": message}],
        )
''').lstrip()


def caller(module: str, name: str, functions: tuple[str, ...]) -> str:
    """A module whose functions each send the prompt constant ``module.name`` as system."""
    code = f"import anthropic\nfrom {module} import {name}\nclient = anthropic.Anthropic()\n"
    for function in functions:
        code += (f"def {function}(q):\n    return client.messages.create(model=\"claude-sonnet-4-5\", max_tokens=99, "
                 f"system={name}, messages=[{{\"role\": \"user\", \"content\": q}}])\n")
    return code


def test_safe_fixes_are_applied_and_unsafe_ones_shown(tmp_path, cli):
    write_tree(tmp_path, {"app.py": APP})
    code, out, err = cli(tmp_path, "fix", ".")
    text = (tmp_path / "app.py").read_text()
    assert text.count("Never ask for card numbers or passwords.") == 1
    assert "max_tokens=4096" in text  # PL302 is unsafe: not applied
    assert "PL104 duplicate-instruction  fixed: delete the repeated sentence" in out
    assert "PL302 oversized-max-tokens  suggestion: set max_tokens=16" in out
    assert "-        max_tokens=4096,\n+        max_tokens=16,\n" in out  # the suggestion's diff
    assert "saves $" in out and "/month" in out
    assert code == 0  # what remains is an info finding


def test_unsafe_fixes_flag_applies_them_too(tmp_path, cli):
    write_tree(tmp_path, {"app.py": APP})
    code, out, _ = cli(tmp_path, "fix", ".", "--unsafe-fixes")
    text = (tmp_path / "app.py").read_text()
    assert "max_tokens=16," in text and text.count("Never ask for card numbers") == 1
    compile(text, "app.py", "exec")
    code, out, _ = cli(tmp_path, "check", ".", "--format", "json")
    assert not [f for f in json.loads(out)["findings"] if f["code"] in ("PL104", "PL302")]


def test_diff_writes_nothing_and_exits_1_when_there_is_a_diff(tmp_path, cli):
    write_tree(tmp_path, {"app.py": APP})
    before = (tmp_path / "app.py").read_bytes()
    code, out, err = cli(tmp_path, "fix", ".", "--diff")
    assert code == 1
    assert (tmp_path / "app.py").read_bytes() == before
    assert out.startswith("--- a/app.py\n+++ b/app.py\n") and "-    Never ask for card numbers or passwords.\n" in out
    assert "max_tokens=16" not in out  # unsafe fixes are not in the diff without --unsafe-fixes
    assert "would fix" in err
    cli(tmp_path, "fix", ".")
    code, out, _ = cli(tmp_path, "fix", ".", "--diff")
    assert code == 0 and out == ""


def test_select_and_ignore_choose_the_rules_fixed(tmp_path, cli):
    write_tree(tmp_path, {"app.py": APP})
    cli(tmp_path, "fix", ".", "--unsafe-fixes", "--select", "PL302")
    text = (tmp_path / "app.py").read_text()
    assert "max_tokens=16," in text and text.count("Never ask for card numbers") == 2
    cli(tmp_path, "fix", ".", "--ignore", "duplicate-instruction")
    assert (tmp_path / "app.py").read_text() == text


def test_measured_saving_equals_the_rules_estimate(tmp_path):
    write_tree(tmp_path, {"app.py": APP})
    run = make_fixer(tmp_path).run(write=False)
    [result] = run.by_status(APPLIED)
    claimed = result.finding.price
    assert result.measured.tokens == result.finding.finding.fix.tokens_saved > 0
    assert abs(result.measured.price.usd_per_month - claimed.usd_per_month) < 1e-9


def test_conflicting_edits_apply_the_first_and_skip_the_other(tmp_path):
    write_tree(tmp_path, {"p.py": textwrap.dedent('''
        REFUND_PROMPT = """You decide refund requests for ACME Home orders and reply in English.
        It is very important that you never approve refunds above the order total.
        Check the order date against the 30 day return window.
        It is very important that you never approve refunds above the order total.
        """
    ''')})
    session = make_fixer(tmp_path, select=("PL103", "PL104"), unsafe=True)
    session.MAX_PASSES = 1
    run = session.run(write=False)
    statuses = {r.finding.finding.code: r for r in run.results}
    assert statuses["PL103"].status == APPLIED
    assert statuses["PL104"].status == SKIPPED and "conflicts with PL103" in statuses["PL104"].reason
    # With the default passes the skipped fix is tried again on the fixed text, and applies.
    run = make_fixer(tmp_path, select=("PL103", "PL104"), unsafe=True).run()
    statuses = {r.finding.finding.code: r for r in run.results}
    assert statuses["PL104"].status == APPLIED and "on pass 1 it conflicts with PL103" in statuses["PL104"].notes[0]
    text = (tmp_path / "p.py").read_text()
    assert text.count("Never approve refunds above the order total.") == 1 and "important" not in text


def test_encoding_bom_newlines_and_permissions_are_kept(tmp_path):
    text = APP.replace("\n", "\r\n").replace("returns and", "returns — and")
    path = tmp_path / "app.py"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    os.chmod(path, 0o640)
    run = make_fixer(tmp_path).run()
    assert run.written == ["app.py"]
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    body = data[3:].decode("utf-8")
    assert "—" in body and body.count("\r\n") == body.count("\n")
    assert body.count("Never ask for card numbers or passwords.") == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_file_changed_since_it_was_read_is_not_written(tmp_path):
    write_tree(tmp_path, {"app.py": APP})
    session = make_fixer(tmp_path)
    (tmp_path / "app.py").write_text(APP + "\n# edited after the analysis\n")
    run = session.run()
    assert run.written == [] and run.by_status(FAILED)
    assert all("changed since promptlint analyzed it" in r.reason for r in run.by_status(FAILED))

    write_tree(tmp_path, {"app.py": APP})
    session = make_fixer(tmp_path)
    run = session.run(write=False)
    (tmp_path / "app.py").write_text(APP + "\n# edited while the fixes were made\n")
    session.write(run)
    assert run.written == [] and "app.py" in run.refused
    assert run.by_status(REFUSED) and not run.by_status(APPLIED)
    assert (tmp_path / "app.py").read_text().endswith("# edited while the fixes were made\n")


def test_an_edit_that_breaks_the_file_is_refused(tmp_path):
    write_tree(tmp_path, {"app.py": APP})
    session = make_fixer(tmp_path)
    priced = session.analysis.findings[0]
    start = APP.index("def answer")
    broken = Fix("safe", "break it", (Edit("app.py", start, start + 3, "de"),))
    result = session.try_fix(PricedFinding(priced.finding, priced.price), broken)
    assert result.status == FAILED and "would not parse" in result.reason


def test_a_template_shared_by_two_requests_is_edited_once(tmp_path):
    write_tree(tmp_path, {
        "prompts.py": 'SUPPORT_PROMPT = """You help ACME Home customers.   \n\n\n\n\nAnswer briefly.        \n"""\n',
        "a.py": caller("prompts", "SUPPORT_PROMPT", ("one", "two")),
    })
    run = make_fixer(tmp_path, select=("PL105",), config={"rules": {"PL105": {"min-tokens": 1}}}).run()
    [result] = run.by_status(APPLIED)
    assert {e.path for e in result.edits} == {"prompts.py"}
    assert (tmp_path / "prompts.py").read_text() == 'SUPPORT_PROMPT = """You help ACME Home customers.\n\nAnswer briefly."""\n'
    per_request = result.measured.price.usd_per_request
    assert per_request > 0 and abs(Decimal(str(per_request)) - Decimal(str(result.finding.price.usd_per_request))) < Decimal("1e-12")


def test_files_outside_the_given_paths_are_not_edited(tmp_path, cli):
    write_tree(tmp_path, {
        "app/prompts.py": 'RULES_PROMPT = "Answer in English. It is very important that you keep it short."\n',
        "app/bot.py": caller("app.prompts", "RULES_PROMPT", ("ask",)),
    })
    before = (tmp_path / "app/prompts.py").read_text()
    code, out, _ = cli(tmp_path, "fix", "app/bot.py", "--unsafe-fixes", "--select", "PL103")
    assert (tmp_path / "app/prompts.py").read_text() == before
    assert "outside the paths being fixed" in out


@pytest.mark.parametrize("args", [("--select", "PL999"), ("--format", "sarif")])
def test_usage_errors_exit_2(tmp_path, cli, args):
    write_tree(tmp_path, {"app.py": APP})
    code, _, _ = cli(tmp_path, "fix", ".", *args)
    assert code == 2


def test_yaml_prompt_files_get_their_cap_lowered_and_examples_removed(tmp_path):
    repeat = ('  - input: "Where is my parcel 77310? It should have arrived on 2024-05-19."\n'
              "    output: shipping\n")
    before = textwrap.dedent('''
        name: router
        model: claude-sonnet-4-5
        max_tokens: 1024   # generous
        system: |
          Classify the message into one category: billing, shipping, other.
          Reply with the category only.
        examples:
          - input: "Where is my parcel 10482? It should have arrived on 2024-03-02."
            output: shipping
        REPEAT  - input: "I was charged twice."
            output: billing
        user: "{{ message }}"
    ''').lstrip()
    write_tree(tmp_path, {"prompts/router.yaml": before.replace("REPEAT", repeat)})
    run = make_fixer(tmp_path, select=("PL101", "PL302"), unsafe=True).run()
    assert sorted(r.finding.finding.code for r in run.by_status(APPLIED)) == ["PL101", "PL302"]
    after = before.replace("REPEAT", "").replace("max_tokens: 1024", "max_tokens: 16")
    assert (tmp_path / "prompts/router.yaml").read_text() == after


def test_litellm_system_message_becomes_a_cached_block(tmp_path):
    write_tree(tmp_path, {"lite.py": textwrap.dedent('''
        import litellm

        POLICY = "Always cite the order number and the policy section you relied on. " * 120


        def answer(question):
            return litellm.completion(
                model="anthropic/claude-sonnet-4-5",
                max_tokens=300,
                messages=[
                    {"role": "system", "content": POLICY},
                    {"role": "user", "content": question},
                ],
            )
    ''')})
    run = make_fixer(tmp_path, select=("PL201",), unsafe=True).run()
    [result] = run.by_status(APPLIED)
    assert result.measured.price.usd_per_month > 0
    assert ('{"role": "system", "content": [{"type": "text", "text": POLICY, "cache_control": {"type": "ephemeral"}}]}'
            in (tmp_path / "lite.py").read_text())


def test_automatic_caching_in_a_conversation_is_priced():
    """Top-level cache_control on a chat that sends its history: each call reads the static
    prefix the previous call wrote, so the request costs less than without it."""
    import tempfile
    from pathlib import Path

    from conftest import run_analysis

    code = textwrap.dedent('''
        import anthropic
        client = anthropic.Anthropic()
        POLICY = "Always cite the order number and the policy section you relied on. " * 120
        def reply(history, q):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=POLICY,
                                          messages=[*history, {"role": "user", "content": q}]{extra})
    ''')
    prices = []
    for extra in ("", ', cache_control={"type": "ephemeral"}'):
        with tempfile.TemporaryDirectory() as folder:
            write_tree(Path(folder), {"chat.py": code.replace("{extra}", extra)})
            analysis = run_analysis(Path(folder))
            [price] = analysis.request_prices.values()
            prices.append(price.usd_per_request)
    assert prices[1] < prices[0]


def test_jinja_templates_are_edited_on_their_own_characters(tmp_path):
    write_tree(tmp_path, {
        "app/templates/reply.j2": (
            "{# the reply prompt #}\n"
            "You are a support agent for ACME. Answer the question about {{ order.id }}.\n"
            "Keep answers under five sentences.\n"
            "{% if vip %}Greet the customer by name.{% endif %}\n"
            "Keep answers under five sentences.\n"
        ),
        "app/bot.py": textwrap.dedent('''
            import anthropic
            from jinja2 import Environment, FileSystemLoader
            env = Environment(loader=FileSystemLoader("app/templates"))
            client = anthropic.Anthropic()
            def reply(order, question):
                system = env.get_template("reply.j2").render(order=order, vip=False)
                return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=system,
                                              messages=[{"role": "user", "content": question}])
        '''),
    })
    run = make_fixer(tmp_path, select=("PL104",)).run()
    [result] = run.by_status(APPLIED)
    assert result.measured.tokens > 0
    assert (tmp_path / "app/templates/reply.j2").read_text() == (
        "{# the reply prompt #}\n"
        "You are a support agent for ACME. Answer the question about {{ order.id }}.\n"
        "Keep answers under five sentences.\n"
        "{% if vip %}Greet the customer by name.{% endif %}\n"
    )


def test_a_cr_only_python_file_is_fixed_and_stays_cr_only(tmp_path):
    # libcst drops the final lone \r of such a file; the fix stage parses it with the CRs
    # read as \n (the same offsets) and writes every break it adds as \r.
    data = APP.replace("\n", "\r").encode()
    (tmp_path / "app.py").write_bytes(data)
    run = make_fixer(tmp_path, unsafe=True, select=("PL104", "PL302")).run()
    assert sorted(r.finding.finding.code for r in run.by_status(APPLIED)) == ["PL104", "PL302"]
    fixed = (tmp_path / "app.py").read_bytes()
    assert b"\n" not in fixed and fixed.endswith(b"\r")
    assert fixed.count(b"Never ask for card numbers or passwords.") == 1 and b"max_tokens=16" in fixed
    compile(fixed, "app.py", "exec")


def test_diff_marks_only_a_missing_final_newline():
    from promptlint.fix.files import unified_diff

    # Lone-CR and form-feed lines are lines of their own, as extraction counts them.
    diff = unified_diff("p.txt", "a\rb\rc\r", "a\rB\rc\r")
    assert "No newline" not in diff and "-b\r+B\r" in diff
    assert "No newline" not in unified_diff("p.txt", "a\x0cb\nc\n", "a\x0cB\nc\n")
    assert unified_diff("p.txt", "a\nb", "a\nc").endswith("+c\n\\ No newline at end of file\n")


def test_a_prompty_front_matter_is_checked_where_the_extractor_finds_it():
    from promptlint.fix.files import SourceText, parse_problem

    source = SourceText("p.prompty", "/p.prompty", "yaml", b"", "---\nmodel: a\n---\nsystem:\nHi\n")
    assert parse_problem(source, "---\nmodel: b\n---\nsystem:\n{{ x: }\n") is None  # the body is Jinja
    assert "does not parse" in parse_problem(source, "---\r\nmodel: [b\r\n---\r\nsystem:\r\nHi\r\n")
    # After blank lines the extractor still reads a front matter, so the check must too.
    assert "does not parse" in parse_problem(source, "\n---\nmodel: [b\n---\nsystem:\nHi\n")
