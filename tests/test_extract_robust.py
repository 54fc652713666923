"""Bad input never stops a scan: every extractor turns it into templates or a diagnostic."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from promptlint.extract import extract_file

_TOKENS = st.sampled_from([
    "system: ", "prompt: ", "- role: user\n  content: ", "messages:\n", "examples:\n  - input: ", "|\n  ", "&a ", "*a",
    "<<: *a\n", "{{ x }}", "{% if y %}", "{% endif %}", "{% include 'z.j2' %}", "{# c #}", "---\n", "\n", "  ", ": ",
    "'", '"', "[", "]", "{", "}", "%pip x\n", "!ls\n", "\t", "\r\n", "user:\n", "model: gpt-4o\n", "max_tokens: 9\n",
])
_SOURCE = st.lists(st.one_of(_TOKENS, st.text(max_size=8)), max_size=25).map("".join)


@settings(max_examples=300, deadline=None)
@given(_SOURCE, st.sampled_from([("p.yaml", "yaml"), ("p.prompty", "yaml"), ("p.j2", "jinja"), ("p.txt", "text")]))
def test_text_extractors_never_fail_internally(source, target):
    path, kind = target
    result = extract_file(path, kind, source.encode("utf-8", "surrogatepass"), ("*PROMPT*",))
    assert not any("internal error" in d.message for d in result.diagnostics), result.diagnostics


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["code", "markdown", "raw"]), _SOURCE), max_size=5))
def test_notebooks_never_fail_internally(cells):
    import json

    notebook = json.dumps({"cells": [{"cell_type": k, "source": s} for k, s in cells], "nbformat": 4})
    result = extract_file("n.ipynb", "notebook", notebook.encode(), ("*PROMPT*",))
    assert not any("internal error" in d.message for d in result.diagnostics), result.diagnostics
