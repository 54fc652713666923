"""Property tests of ``promptlint fix`` on generated prompts written in many literal styles:
the output parses, fixing twice equals fixing once, the claimed saving is the measured
one, and BOM and newline style survive."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_fixer
from promptlint.fix import APPLIED, FAILED

SENTENCES = [
    "You answer questions about ACME Home orders, returns and warranty claims.",
    "Quote amounts with their currency and dates as weekday plus date.",
    "Never ask for card numbers, passwords or one-time codes.",
    "When the policy does not allow a request, offer a human agent instead.",
    "Keep answers under four sentences unless the customer asks for steps.",
    "Use the order record in the conversation and never guess a delivery date.",
]
FILLERS = ["Please ", "It is very important that you ", "Make sure to ", "Kindly ", ""]
CONFIG = {"rules": {"PL105": {"min-tokens": 1}, "PL103": {"min-tokens": 1}}}

HEADER = "import anthropic\nfrom textwrap import dedent\n\nclient = anthropic.Anthropic()\n\n"
CALL = ("    return client.messages.create(\n        model=\"claude-sonnet-4-5\",\n        max_tokens=400,\n"
        "        system={system},\n        messages=[{{\"role\": \"user\", \"content\": question}}],\n    )\n")


@st.composite
def prompts(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(3, 7))):
        sentence = draw(st.sampled_from(SENTENCES))
        filler = draw(st.sampled_from(FILLERS))
        line = filler + (sentence[0].lower() + sentence[1:] if filler else sentence)
        line = draw(st.sampled_from(["", "", "- ", "  - "])) + line  # list items
        line += draw(st.sampled_from(["", "", "   "]))  # trailing spaces
        if draw(st.integers(0, 5)) == 0:
            line += " Order {order_id} is the one to check."  # a placeholder
        lines.append(line)
        lines.extend([""] * draw(st.sampled_from([0, 0, 1, 3])))  # blank-line runs
    return "\n".join(lines) + "\n"


def literal(style: str, text: str) -> tuple[str, str]:
    """(module-level code, the expression passed as system=)."""
    if style == "dedent":
        body = "".join("    " + line if line else "" for line in text.splitlines(keepends=True))
        return f'SUPPORT_PROMPT = dedent("""\n{body}""")\n\n\n', "SUPPORT_PROMPT"
    if style == "triple":
        return f'SUPPORT_PROMPT = """{text}"""\n\n\n', "SUPPORT_PROMPT"
    if style == "escaped":
        return f"SUPPORT_PROMPT = {json.dumps(text)}\n\n\n", "SUPPORT_PROMPT"
    if style == "concat":
        pieces = "".join(f"    {json.dumps(line)}\n" for line in text.splitlines(keepends=True))
        return f"SUPPORT_PROMPT = (\n{pieces})\n\n\n", "SUPPORT_PROMPT"
    first, _, rest = text.partition("\n")  # fstring: a placeholder in the first line
    return "", 'f"""' + first + " Address {name} by name.\n" + rest + '"""'


def source_file(style: str, text: str) -> str:
    module, system = literal(style, text)
    return HEADER + module + "def answer(question, name):\n" + CALL.format(system=system)


def fix_once(root: Path):
    return make_fixer(root, ("PL103", "PL104", "PL105"), unsafe=True, config=CONFIG).run()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompts(), st.sampled_from(["dedent", "triple", "escaped", "concat", "fstring"]),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_fixes_parse_are_idempotent_and_save_what_they_claim(text, style, newline, bom):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / "app.py"
        code = source_file(style, text).replace("\n", newline)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + code.encode("utf-8"))

        run = fix_once(root)
        # The one refusal expected here: deleting the least indented line of a dedented
        # block would change the margin textwrap.dedent strips from the others.
        assert not [(r.finding.finding.code, r.reason) for r in run.results
                    if r.status == FAILED and "textwrap.dedent would strip" not in r.reason]
        for result in run.results:
            if result.status != APPLIED:
                continue
            claimed = result.finding
            assert result.measured.tokens == claimed.finding.fix.tokens_saved, claimed.finding.message
            assert abs(result.measured.price.usd_per_request - claimed.price.usd_per_request) < 1e-12

        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == bom
        fixed = data.decode("utf-8-sig")
        compile(fixed, "app.py", "exec")
        if newline == "\r\n":
            assert fixed.count("\n") == fixed.count("\r\n")

        again = fix_once(root)
        assert not [r for r in again.results if r.status == APPLIED]
        assert path.read_bytes() == data
