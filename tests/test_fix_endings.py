"""Property tests: every file kind x every line ending (LF, CRLF, CR, mixed) x BOM. A fix
of a file with other line breaks must do exactly what it does to the LF file, with each
line keeping its own break (issue 17, deliverable 3)."""

from __future__ import annotations

import json
import re
import tempfile
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
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


# Derandomized: the same 12 generated cases on every run, so CI is reproducible; shapes
# random search found failing are pinned as examples.
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
# PL104's deletion overlaps PL105's collapse of blank lines: skipped on the CRLF file too.
@example(kind="text", ending="\r\n", bom=False, offset=0, closing=True,
         picks=[(SENTENCES[0], "", 0), (SENTENCES[1], "   ", 0), (SENTENCES[0], "", 3)])
# The repeated line ends in the same letters as the line before it ("claims." / "codes."):
# its deletion takes its own break, not the line before's.
@example(kind="python", ending="mixed", bom=False, offset=0, closing=True,
         picks=[(SENTENCES[2], "", 0), (SENTENCES[2], "", 0), (SENTENCES[0], "", 0)])
# The repeat on a text file's last line: PL104 waited for PL105 on the LF file, then was
# measured against the file as it was on disk.
@example(kind="text", ending="\r", bom=False, offset=0, closing=False,
         picks=[(SENTENCES[0], "", 0), (SENTENCES[1], "   ", 0), (SENTENCES[2], "", 0)])
# Two equal lines, one deleted: which one a diff of the lines cannot say.
@example(kind="python", ending="mixed", bom=False, offset=0, closing=True,
         picks=[(SENTENCES[2], "   ", 0), (SENTENCES[3], "", 0), (SENTENCES[3], "", 0), (SENTENCES[0], "", 0)])
# Jinja reads the template without its last break: its last line, deleted, took the line
# before's break with it.
@example(kind="jinja", ending="mixed", bom=False, offset=0, closing=False,
         picks=[(SENTENCES[0], "", 0), (SENTENCES[0], "", 0), (SENTENCES[1], "", 0)])
# A notebook whose JSON mixes breaks (the cell's code is the one break of its strings).
@example(kind="notebook", ending="mixed", bom=True, offset=1, closing=False,
         picks=[(SENTENCES[1], "   ", 2), (SENTENCES[0], "", 1), (SENTENCES[2], "", 3)])
# A Jinja template with mixed breaks whose last line, the repeat, follows blank lines.
@example(kind="jinja", ending="mixed", bom=False, offset=2, closing=False,
         picks=[(SENTENCES[0], "   ", 0), (SENTENCES[1], "", 2), (SENTENCES[2], "   ", 3)])
# Found by random search: deleting the last lines left the blank line's lone "\r" before the
# file's final "\n", read then as one "\r\n"; deleted whole lines now take their own break.
@example(kind="jinja", ending="mixed", bom=False, offset=0, closing=False,
         picks=[(SENTENCES[0], "", 3), (SENTENCES[0], "", 0), (SENTENCES[0], "", 0)])
@given(kind=st.sampled_from(["python", "yaml", "jinja", "prompty", "text", "notebook"]),
       ending=st.sampled_from(["\r\n", "\r", "mixed"]), bom=st.booleans(), offset=st.integers(0, 2),
       closing=st.booleans(),
       picks=st.lists(st.tuples(st.sampled_from(SENTENCES), st.sampled_from(["", "   "]), st.integers(0, 3)),
                      min_size=3, max_size=6))
def test_a_fix_keeps_every_line_break_in_every_kind(kind, ending, bom, offset, closing, picks):
    lines = []
    for sentence, trailing, blanks in picks:
        lines.append(sentence + trailing)
        lines.extend([""] * blanks)
    lines.append(picks[0][0])  # a repeated instruction: PL104 always has work
    if closing:  # else the repeat is the last line, whose break PL105 may take
        lines.append("Answer in English.")
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
        assert set(BREAK.findall(got)) <= {ending}  # none at all: one line is left
        return
    # Mixed: where the same fixes applied, the same text; every non-blank line the fix
    # kept keeps its own break. (Which fixes conflict can differ: a run of blank lines
    # with different breaks is edited break by break.)
    if applied == plain_applied:
        assert BREAK.sub("\n", got) == expected
    assert kept_lines_keep_their_breaks(varied, got)


def kept_lines_keep_their_breaks(before: str, after: str) -> bool:
    """Whether the lines of ``after`` can be lined up with ``before``'s as well with their
    breaks as without: no kept line took another line's break. (Blank lines are lined up
    by text alone, as a run of them is collapsed; trailing spaces are removed; the last line
    may lose its break; of two
    equal adjacent lines, either may be the one deleted.)"""

    def lines(text: str) -> list[tuple[str, str]]:
        return [(line.rstrip(" "), brk) for line, brk in zip(BREAK.split(text), [*BREAK.findall(text), ""])]

    def common(a: list, b: list, same) -> int:
        row = [0] * (len(b) + 1)
        for x in a:
            prev, row = row, [0]
            for j, y in enumerate(b):
                row.append(prev[j] + 1 if same(x, y) else max(prev[j + 1], row[j]))
        return row[-1]

    old, new = lines(before), lines(after)
    by_text = common(old, new, lambda x, y: x[0] == y[0])
    return by_text == common(old, new, lambda x, y: x[0] == y[0] and (x[1] == y[1] or not x[0].strip() or not y[1]))


def _lines_run(root: Path, kind: str, lines: list[str], ending: str, select=("PL104", "PL105")):
    target, tree = files_for(kind, lines)
    for rel, text in {**tree, target: with_endings(tree[target], ending, 0)}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    run = make_fixer(root, select, config=CONFIG).run()
    return [(r.finding.finding.code, r.status) for r in run.results], (root / target).read_bytes().decode()


def test_a_fix_split_at_crlf_breaks_conflicts_as_it_does_in_the_lf_file(tmp_path):
    """PL104 deletes a repeated line and two of the blank lines before the next repeat;
    PL105 collapses those blank lines. On the LF file the two overlap and PL104 waits for
    the next pass. On the CRLF file PL104's deletion was cut at the located breaks, one
    piece the same as PL105's edit ("made once"), the rest only touching it: both were
    applied and PL105's collapse was lost while it still reported its saving."""
    a, b = SENTENCES[0], SENTENCES[1]
    lines = [a, b + "   ", a, "", "", "", a, "Answer in English."]
    plain, plain_text = _lines_run(tmp_path / "lf", "text", lines, "\n")
    crlf, crlf_text = _lines_run(tmp_path / "crlf", "text", lines, "\r\n")
    assert crlf == plain
    assert crlf_text.replace("\r\n", "\n") == plain_text and "\n" not in crlf_text.replace("\r\n", "")
    assert "\n\n\n" not in plain_text  # the collapse is kept


def test_a_prompt_file_fixed_on_a_later_pass_is_measured_as_edited(tmp_path):
    """A text prompt that code reads is no result of the scan: the second pass measured
    its fixes against the file as it is on disk, not as the first pass left it, so
    PL104 "read differently than intended" and a second ``fix`` still had work."""
    a, b = SENTENCES[0], SENTENCES[1]
    lines = [a, b + "   ", a, "", "", "", a, "Answer in English."]
    statuses, text = _lines_run(tmp_path, "text", lines, "\n")
    assert ("PL104", APPLIED) in statuses and ("PL105", APPLIED) in statuses
    assert text.count(a) == 1
    again = make_fixer(tmp_path, ("PL104", "PL105"), config=CONFIG).run()
    assert not again.by_status(APPLIED) and not again.files


def test_a_deleted_line_takes_its_own_break_in_a_mixed_file(tmp_path):
    """The rule's deletion of a repeated line, found by a diff, may start inside the line
    before when both end alike; it is edited as the whole line, so the line before keeps
    its own break."""
    a, c = SENTENCES[0], SENTENCES[2]
    _, text = _lines_run(tmp_path, "python", [c, c, a, c, "Answer in English."], "mixed", select=("PL104",))
    assert f'"""{c}\n{a}\r\nAnswer in English.\r"""' in text


def test_the_break_check_sees_a_line_that_took_another_lines_break():
    assert kept_lines_keep_their_breaks("A\rB\r\nB\nC\r", "A\rB\r\nC\r")  # either B deleted
    assert kept_lines_keep_their_breaks("A\rB\r\nB\nC\r", "A\rB\nC\r")
    assert not kept_lines_keep_their_breaks("A\rB\r\nC\n", "A\r\nC\n")  # A took B's break
    assert not kept_lines_keep_their_breaks("A\rB\r\n\nC\n", "A\rC\r\n")  # C took B's break


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

