"""Notebooks are fixed in their code cells and written back with the JSON byte for byte
as it was outside the edited cell sources (issue 17, deliverable 6)."""

from __future__ import annotations

import json

import pytest

from conftest import make_fixer
from promptlint.fix import APPLIED

DUP = "Never ask for card numbers or passwords."
PROMPT_CELL = (
    "SYSTEM_PROMPT = \"\"\"You answer questions about ACME Home orders — returns and claims.\n"
    "Classify the message. Reply with the category only.\n"
    f"{DUP}\n"
    f"{DUP}\n"
    "\"\"\"\n"
)
CALL_CELL = (
    "for text in messages:\n"
    "    response = client.messages.create(\n"
    "        model=\"claude-sonnet-4-5\",\n"
    "        max_tokens=1000,\n"
    "        system=SYSTEM_PROMPT,\n"
    "        messages=[{\"role\": \"user\", \"content\": text}],\n"
    "    )\n"
    "    print(response.content[0].text)"
)


def notebook(prompt_cell: str = PROMPT_CELL) -> dict:
    def code(source: str, outputs=()):
        return {"cell_type": "code", "execution_count": 3, "id": f"c{source[:3].strip()}",
                "metadata": {"tags": ["keep"]}, "outputs": list(outputs),
                "source": source.splitlines(keepends=True)}

    return {
        "cells": [
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": ["# Triage experiments\n", "Notes."]},
            code("%pip install anthropic\nimport anthropic\nclient = anthropic.Anthropic()\n"),
            code(prompt_cell, [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}]),
            code("%%bash\necho not python\n"),
            code("messages = [\"Where is my parcel?\"]\n" + CALL_CELL,
                 [{"data": {"image/png": "iVBORw0KGgo=", "text/plain": ["<Figure>"]}, "metadata": {},
                   "output_type": "display_data"}]),
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python", "version": "3.11.7"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dumps(nb: dict, ensure_ascii: bool = False, newline: str = "\n") -> bytes:
    """As nbformat writes a notebook: indent 1, sorted keys, a final newline."""
    text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=ensure_ascii) + "\n"
    return text.replace("\n", newline).encode("utf-8")


def check_shape(data: bytes) -> dict:
    """The checks nbformat's v4 schema makes of what a fix could touch."""
    nb = json.loads(data)
    assert nb["nbformat"] == 4 and isinstance(nb["metadata"], dict)
    for cell in nb["cells"]:
        assert cell["cell_type"] in ("code", "markdown", "raw") and isinstance(cell["metadata"], dict)
        assert isinstance(cell["source"], (str, list)) and all(isinstance(s, str) for s in cell["source"])
        if isinstance(cell["source"], list):  # each line but the last ends with its line break
            assert all(s.endswith("\n") for s in cell["source"][:-1]) and all(s for s in cell["source"])
        if cell["cell_type"] == "code":
            assert isinstance(cell["outputs"], list) and "execution_count" in cell
    return nb


def source_of(nb: dict, index: int) -> str:
    return "".join(nb["cells"][index]["source"])


@pytest.mark.parametrize("ensure_ascii", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_fix_in_a_code_cell_changes_only_that_cells_source(tmp_path, ensure_ascii, newline):
    before = dumps(notebook(), ensure_ascii, newline)
    path = tmp_path / "triage.ipynb"
    path.write_bytes(before)
    run = make_fixer(tmp_path, select=("PL104", "PL302"), unsafe=True).run()
    assert sorted(r.finding.finding.code for r in run.by_status(APPLIED)) == ["PL104", "PL302"]
    after = path.read_bytes()
    want = notebook(PROMPT_CELL.replace(f"{DUP}\n", "", 1))
    want["cells"][4]["source"] = [s.replace("max_tokens=1000", "max_tokens=16") for s in want["cells"][4]["source"]]
    # Byte for byte what nbformat would write for the fixed notebook: indent, key order,
    # escaping, outputs, metadata and the final newline are those of the file.
    assert after == dumps(want, ensure_ascii, newline)
    nb = check_shape(after)
    assert source_of(nb, 1).startswith("%pip install anthropic\n")  # IPython lines untouched
    assert nb["cells"][4]["outputs"] == notebook()["cells"][4]["outputs"]
    again = make_fixer(tmp_path, select=("PL104", "PL302"), unsafe=True).run()
    assert not again.by_status(APPLIED) and path.read_bytes() == after


def test_diff_shows_notebook_changes_by_cell(tmp_path, cli):
    (tmp_path / "triage.ipynb").write_bytes(dumps(notebook()))
    code, out, _ = cli(tmp_path, "fix", "--diff", "--unsafe-fixes", "--select", "PL104,PL302", ".")
    assert code == 1
    assert "--- a/triage.ipynb:cell 2\n+++ b/triage.ipynb:cell 2\n" in out and f"-{DUP}\n" in out
    assert "--- a/triage.ipynb:cell 4\n+++ b/triage.ipynb:cell 4\n" in out
    assert "-        max_tokens=1000,\n+        max_tokens=16,\n" in out
    assert '"source"' not in out  # cell lines, not JSON


def test_a_cell_source_written_as_one_string_stays_one_string(tmp_path):
    nb = notebook()
    nb["cells"][2]["source"] = PROMPT_CELL
    (tmp_path / "t.ipynb").write_bytes(dumps(nb))
    run = make_fixer(tmp_path, select=("PL104",)).run()
    assert run.written == ["t.ipynb"]
    fixed = check_shape((tmp_path / "t.ipynb").read_bytes())
    assert fixed["cells"][2]["source"] == PROMPT_CELL.replace(f"{DUP}\n", "", 1)


def test_an_edit_across_cells_or_of_a_magic_line_cannot_happen(tmp_path):
    from promptlint.fix.notebook import NotebookError, layout

    text = dumps(notebook()).decode()
    found = layout(text)
    assert [c.number for c in found.cells] == [1, 2, 4]  # the %%bash cell is not Python
    assert found.render(found.module) == text
    first = found.first_lines(found.module)
    assert found.module.splitlines()[first[2] - 1].startswith("SYSTEM_PROMPT")
    with pytest.raises(NotebookError):
        found.render(found.module.replace(f"#promptlint-cell {found.nonce} 4\n", ""))


def test_an_edited_line_keeps_the_separator_that_followed_it(tmp_path):
    """In a notebook whose JSON mixes line breaks, a source line the fix edits keeps the
    separator after it; it took the first separator of the list."""
    cell = PROMPT_CELL.replace("Reply with the category only.\n", "Reply with the category only.   \n")
    lines = dumps(notebook(cell)).decode().split("\n")
    at = next(i for i, line in enumerate(lines) if "category only." in line)
    text = "".join(line + ("\r\n" if i == at else "\n") for i, line in enumerate(lines[:-1]))
    path = tmp_path / "triage.ipynb"
    path.write_bytes(text.encode())
    run = make_fixer(tmp_path, select=("PL105",), config={"rules": {"PL105": {"min-tokens": 1}}}).run()
    assert [r.finding.finding.code for r in run.by_status(APPLIED)] == ["PL105"]
    after = path.read_bytes().decode()
    assert "category only.\\n\",\r\n" in after and after.count("\r\n") == 1


def test_a_deleted_last_source_line_leaves_the_line_before_its_own_break():
    """In a notebook whose JSON mixes line breaks, deleting the last line of a cell's source
    list made the line before it end with the deleted line's break."""
    from promptlint.fix.notebook import layout

    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "a", "metadata": {}, "outputs": [],
                     "source": ["x = 1\n", "y = 2\n", "z = 3"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    lines = (json.dumps(nb, indent=1) + "\n").split("\n")[:-1]
    text = "".join(line + ("\r\n", "\n", "\r")[i % 3] for i, line in enumerate(lines))
    shape = layout(text)
    after = shape.render(shape.module.replace("y = 2\nz = 3\n", "y = 2\n"))
    kept = text.replace('    "y = 2\\n",\n    "z = 3"\r', '    "y = 2"\n')
    assert '"z = 3"' in text and kept != text
    assert after == kept


def test_a_shell_line_continued_onto_indented_lines_is_kept_and_its_cell_fixed_around(tmp_path):
    """``!pip install -qU \\`` continues onto the indented package lines: the cell parses, the
    fix runs beside it, and every line of the shell escape is written back as it was."""
    nb = notebook()
    pip = "!pip install -qU \\\n    anthropic \\\n    pinecone\nimport anthropic\nclient = anthropic.Anthropic()\n"
    nb["cells"][1]["source"] = pip.splitlines(keepends=True)
    nb["cells"][2]["source"] = (PROMPT_CELL + "!echo \\\n  done\n").splitlines(keepends=True)
    path = tmp_path / "rag.ipynb"
    path.write_bytes(dumps(nb))
    run = make_fixer(tmp_path, select=("PL104",)).run()
    assert [r.finding.finding.code for r in run.by_status(APPLIED)] == ["PL104"]
    after = check_shape(path.read_bytes())
    assert source_of(after, 1) == pip
    assert source_of(after, 2) == PROMPT_CELL.replace(f"{DUP}\n", "", 1) + "!echo \\\n  done\n"
