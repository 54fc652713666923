"""Notebooks: code cells as one module, IPython syntax neutralized, locations per cell."""

from __future__ import annotations

import json

from conftest import as_json, run_analysis
from promptlint.extract.notebook import extract_notebook, neutralize


def notebook(*cells: tuple[str, str]) -> str:
    return json.dumps({"cells": [{"cell_type": kind, "source": source.splitlines(keepends=True), "metadata": {}}
                                 for kind, source in cells], "nbformat": 4, "nbformat_minor": 5})


NOTEBOOK = notebook(
    ("markdown", "# Trying prompts"),
    ("code", "%pip install anthropic\nimport anthropic\nclient = anthropic.Anthropic()\n"),
    ("code", "SYSTEM_PROMPT = '''You are a triage assistant.\nAnswer with one word.'''\n"),
    ("code", "!ls data\nfiles = !ls\nfor q in ['a', 'b']:\n    %time x = 1\n"
             "    r = client.messages.create(model='claude-sonnet-4-5', system=SYSTEM_PROMPT,\n"
             "        messages=[{'role': 'user', 'content': q}])\n"),
    ("code", "%%bash\necho not python\n"),
    ("code", "def broken(:\n    pass\n"),
)


def test_ipython_lines_become_pass_with_their_indentation():
    assert neutralize("%pip install x\n  !ls\nx = !ls\nobj?\nprint(1)") == [
        "pass", "  pass", "pass", "pass", "print(1)"]
    assert neutralize("%%bash\necho") is None
    assert neutralize("%%time\nx = 1") == ["pass", "x = 1"]


def test_a_shell_line_continued_by_a_backslash_is_neutralized_with_its_continuation_lines():
    """``!pip install -qU \\`` with the packages indented on the next lines is valid IPython:
    the continuation lines are part of the shell line, not an indented block."""
    cell = "!pip install -qU \\\n    anthropic==0.40 \\\n    pinecone\nimport anthropic\n"
    assert neutralize(cell) == ["pass", "pass", "pass", "import anthropic"]
    assert neutralize("if True:\n    %pip install \\\n        anthropic\n    x = 1") == [
        "if True:", "    pass", "    pass", "    x = 1"]
    # a Python line continued by a backslash is left alone, and so is the line after a shell line
    assert neutralize("total = 1 + \\\n    2\n!ls\n    ") == ["total = 1 + \\", "    2", "pass", "    "]
    result = extract_notebook("nb/rag.ipynb", notebook(("code", cell)), ("*PROMPT*",))
    assert not result.diagnostics


def test_names_resolve_across_cells_and_locations_name_the_cell():
    result = extract_notebook("nb/explore.ipynb", NOTEBOOK, ("*PROMPT*",))
    (constant,) = [c for c in result.constants if c.name == "SYSTEM_PROMPT"]
    assert (constant.span.cell, constant.span.line) == (2, 1)
    (draft,) = result.drafts
    assert (draft.span.cell, draft.span.line, draft.in_loop) == (3, 5, True)
    system = draft.param("system")
    assert system.origin == "nb/explore.ipynb::SYSTEM_PROMPT"
    assert system.span.start is None  # offsets would point into the JSON, not the cell


def test_a_cell_that_does_not_parse_is_reported_and_the_rest_is_scanned():
    result = extract_notebook("nb/explore.ipynb", NOTEBOOK, ("*PROMPT*",))
    (diagnostic,) = result.diagnostics
    assert (diagnostic.cell, diagnostic.line, diagnostic.code) == (5, 1, "PL001")
    assert result.drafts


def test_not_a_notebook_is_a_parse_error():
    assert "cannot parse notebook JSON" in extract_notebook("x.ipynb", "{not json", ()).diagnostics[0].message
    assert "no `cells`" in extract_notebook("x.ipynb", "{}", ()).diagnostics[0].message


def test_json_output_names_the_cell(project, cli):
    root = project({"nb/explore.ipynb": NOTEBOOK})
    code, out, _ = cli(root, "check", ".", "--format", "json")
    document = as_json(out)
    findings = {f["code"]: f for f in document["findings"]}
    assert findings["PL301"]["cell"] == 3 and findings["PL301"]["line"] == 5
    assert findings["PL001"]["cell"] == 5
    template = next(t for t in document["templates"] if t["id"] == "nb/explore.ipynb::SYSTEM_PROMPT")
    assert (template["kind"], template["cell"], template["line"]) == ("notebook", 2, 1)
    code, text, _ = cli(root, "check", ".")
    assert "nb/explore.ipynb:cell 3:5:" in text


def test_suppression_applies_to_its_own_cell_only(project):
    source = notebook(
        ("code", "import anthropic\nclient = anthropic.Anthropic()\n"),
        ("code", "client.messages.create(model='claude-sonnet-4-5', messages=[])  # promptlint: ignore[PL301]\n"),
        ("code", "client.messages.create(model='claude-sonnet-4-5', messages=[])\n"),
    )
    root = project({"nb.ipynb": source})
    found = [(f.finding.span.cell, f.finding.span.line) for f in run_analysis(root, select=("PL301",)).findings]
    assert found == [(3, 1)]


def saved_notebook(*cells: tuple[str, str]) -> str:
    """As Jupyter saves it: one source line per JSON line."""
    return json.dumps(json.loads(notebook(*cells)), indent=1)


def _request_templates(root):
    analysis = run_analysis(root)
    return analysis, {r.id.split("::", 1)[1]: r for r in analysis.project.requests}


BEDROCK_CELLS = (
    ("code", "import json\nimport boto3\nruntime = boto3.client('bedrock-runtime')\n"),
    ("code", 'body = json.dumps({\n    "anthropic_version": "bedrock-2023-05-31",\n    "max_tokens": 400,\n'
             '    "system": "Reply only with a JSON object that has the keys name and city.",\n'
             '    "messages": [{"role": "user", "content": [{"type": "text", "text": "Anna lives in Oslo."}]}],\n})\n'
             "response = runtime.invoke_model(modelId='anthropic.claude-3-haiku-20240307-v1:0', body=body)\n"
             "body = json.loads(response['body'].read())\n"),
    ("code", "print(body['content'][0]['text'])\n"),
)


def test_a_request_body_is_the_binding_above_the_call_not_the_one_after_it(project):
    """The cell re-binds ``body`` to the decoded response after sending it: the call sent
    the JSON built above it, so the prompt is resolved, not a run-time value."""
    root = project({"nb/extract.ipynb": saved_notebook(*BEDROCK_CELLS)})
    analysis, requests = _request_templates(root)
    (request,) = requests.values()
    assert request.max_tokens == 400
    assert not [f for f in analysis.findings if f.finding.code == "PL002"]


def test_a_later_cells_binding_never_gives_an_earlier_calls_body(project):
    # look-alike that keeps its finding: the body sent in cell 2 is a run-time value; cell 3
    # binds ``body`` to a literal only after the call ran
    cells = (
        BEDROCK_CELLS[0],
        ("code", "body = open('request.json').read()\n"
                 "response = runtime.invoke_model(modelId='anthropic.claude-3-haiku-20240307-v1:0', body=body)\n"),
        ("code", 'body = json.dumps({\n    "anthropic_version": "bedrock-2023-05-31",\n    "max_tokens": 400,\n'
                 '    "messages": [{"role": "user", "content": [\n'
                 '        {"type": "text", "text": "Summarise the attached report in three bullet points."}]}],\n})\n'),
    )
    analysis, requests = _request_templates(project({"nb/replay.ipynb": saved_notebook(*cells)}))
    (request,) = requests.values()
    assert request.max_tokens is None
    assert [f.finding.code for f in analysis.findings if f.finding.code == "PL002"] == ["PL002"]
