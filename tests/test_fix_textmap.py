"""Edits of a template's text land on the source that wrote it."""

from __future__ import annotations

import textwrap

import pytest

from conftest import write_tree
from promptlint.config import parse_config
from promptlint.engine import scan_tree
from promptlint.fix.files import apply_edits, parse_problem, read_source
from promptlint.fix.textmap import marker_text, text_edits
from promptlint.fix.workspace import FixError, Workspace
from promptlint.types import Segment, Span, Template, TextEdit


def setup(tmp_path, files):
    write_tree(tmp_path, files)
    config = parse_config({}, root=str(tmp_path))
    scanned = scan_tree([tmp_path], config)
    return scanned.project, Workspace(str(tmp_path), scanned.discovery, config)


def delete(project, workspace, tid, piece, replacement=""):
    """The file text after replacing ``piece`` in template ``tid``."""
    text, _ = marker_text(project.templates[tid])
    start = text.index(piece)
    edits = text_edits(project.templates, workspace, [TextEdit(tid, start, start + len(piece), replacement)])
    path = edits[0].path
    return apply_edits(workspace.source(path).text, edits)


def test_whole_lines_of_a_dedented_literal_go_with_their_indentation(tmp_path):
    project, ws = setup(tmp_path, {"p.py": textwrap.dedent('''
        from textwrap import dedent
        SYSTEM_PROMPT = dedent("""
            You answer questions about orders.
            Keep answers short.
            Never promise refunds.
        """)
    ''')})
    out = delete(project, ws, "p.py::SYSTEM_PROMPT", "Keep answers short.\n")
    assert '    You answer questions about orders.\n    Never promise refunds.\n' in out


def test_a_phrase_inside_a_dedented_line_keeps_the_indentation(tmp_path):
    project, ws = setup(tmp_path, {"p.py": textwrap.dedent('''
        from textwrap import dedent
        SYSTEM_PROMPT = dedent("""
            You answer questions about orders.
            Please keep answers short.
        """)
    ''')})
    out = delete(project, ws, "p.py::SYSTEM_PROMPT", "Please ", "")
    assert "\n    keep answers short.\n" in out


def test_placeholders_and_format_fields_stay(tmp_path):
    project, ws = setup(tmp_path, {"p.py": textwrap.dedent('''
        USER_TEMPLATE = "Order {order_id}: please answer {question} in English."
    ''')})
    out = delete(project, ws, "p.py::USER_TEMPLATE", "please ")
    assert 'USER_TEMPLATE = "Order {order_id}: answer {question} in English."' in out


def test_an_fstring_field_inside_the_deleted_text_goes_with_it(tmp_path):
    project, ws = setup(tmp_path, {"app.py": textwrap.dedent('''
        import anthropic
        client = anthropic.Anthropic()
        def ask(q, name):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=50,
                messages=[{"role": "user", "content": f"Hello {name}. Answer: {q}"}])
    ''')})
    tid = next(t for t in project.templates if t.endswith("content"))
    text, _ = marker_text(project.templates[tid])
    start = text.index("Hello")
    edits = text_edits(project.templates, ws, [TextEdit(tid, start, start + len("Hello x. "))])
    out = apply_edits(ws.source("app.py").text, edits)
    assert 'f"Answer: {q}"' in out


def test_text_computed_outside_a_literal_is_refused(tmp_path):
    project, ws = setup(tmp_path, {"app.py": textwrap.dedent('''
        import anthropic
        client = anthropic.Anthropic()
        def ask(q):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=50,
                messages=[{"role": "user", "content": "Question: " + q + " Thanks."}])
    ''')})
    tid = next(t for t in project.templates if t.endswith("content"))
    text, _ = marker_text(project.templates[tid])
    with pytest.raises(FixError, match="run-time value"):
        text_edits(project.templates, ws, [TextEdit(tid, 0, len(text))])


def test_exact_spans_are_edited_verbatim_and_the_file_still_parses(tmp_path):
    """The span path, on a synthetic template whose segments are exact file slices (as the
    Jinja and YAML extractors make them)."""
    body = "Answer about {{ order }}.\nPlease be brief.\n{% if vip %}Be warm.{% endif %}\n"
    write_tree(tmp_path, {"t.j2": body})
    a = body.index("Answer")
    hole = body.index("{{")
    hole_end = body.index("}}") + 2
    rest = body.index("{%")
    segments = (
        Segment(text=body[a:hole], span=Span("t.j2", 1, 1, start=a, end=hole), exact=True),
        Segment(hole="order", span=Span("t.j2", 1, hole + 1, start=hole, end=hole_end)),
        Segment(text=body[hole_end:rest], span=Span("t.j2", 1, hole_end + 1, start=hole_end, end=rest), exact=True),
    )
    template = Template("t.j2", "t.j2", Span("t.j2", 1), "jinja", "system", segments)
    config = parse_config({}, root=str(tmp_path))
    ws = Workspace(str(tmp_path), scan_tree([tmp_path], config).discovery, config)
    text, _ = marker_text(template)
    start = text.index("Please")
    edits = text_edits({"t.j2": template}, ws, [TextEdit("t.j2", start, start + len("Please be brief.\n"))])
    out = apply_edits(body, edits)
    assert out == "Answer about {{ order }}.\n{% if vip %}Be warm.{% endif %}\n"
    assert parse_problem(read_source("t.j2", str(tmp_path / "t.j2"), "jinja"), out) is None
    hole_edit = text_edits({"t.j2": template}, ws, [TextEdit("t.j2", text.index("about"), text.index(".") + 1)])
    assert apply_edits(body, hole_edit).startswith("Answer \nPlease")  # the placeholder's source went too


def test_a_broken_jinja_result_is_reported():
    from promptlint.fix.files import SourceText

    source = SourceText("t.j2", "/nonexistent", "jinja", b"{% if x %}a{% endif %}", "{% if x %}a{% endif %}")
    assert "does not parse" in parse_problem(source, "{% if x %}a")


def test_yaml_lines_break_where_extraction_breaks_them():
    from promptlint.fix.files import split_lines

    # Line numbers of spans count \r\n, \r and \n (LineIndex); lines must be cut the same way.
    assert split_lines("a: 1\rb: 2\r\nc: 3\n\x0cd") == ["a: 1\r", "b: 2\r\n", "c: 3\n", "\x0cd"]
    assert split_lines("") == [] and split_lines("x\n") == ["x\n"]
