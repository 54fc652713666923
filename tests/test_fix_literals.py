"""Python string literals read as value-to-source maps and written back inside the same quotes."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from promptlint.fix.literals import MARK, LiteralError, check_rewritten, expected_value, read_literal, rewrite


def view_of(code: str):
    """The literal ``code`` inside an assignment, read at its offset."""
    text = f"x = {code}\n"
    node = cst.parse_module(text).body[0].body[0].value
    return read_literal(node, 4, text), text


def edited(code: str, changes):
    view, text = view_of(code)
    new = text
    for a, b, repl in sorted(rewrite(view, changes), reverse=True):
        new = new[:a] + repl + new[b:]
    literal = new[4:len(new) - 1]
    check_rewritten(literal, expected_value(view.value, changes))
    return literal


@pytest.mark.parametrize("code", [
    r'"plain text"',
    r'"tab\there \"q\" \\ back \x41 \101 \u00e9 \N{BULLET} \q"',
    "'''multi\nline'''",
    '"""continued \\\nline"""',
    r"r'raw \n stays'",
    "'a' \"b\"  'c'",
    '"""crlf\r\nline"""',
])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_value_matches_what_python_reads(code):
    view, _ = view_of(code)
    assert view.value == ast.literal_eval(f"({code})")


def test_fstring_fields_are_marks_and_doubled_braces_are_one():
    view, _ = view_of('f"Hi {name!r:>{width}}, {{literal}} {x}"')
    assert view.value == f"Hi {MARK}, {{literal}} {MARK}"


def test_deleting_through_escapes_keeps_the_rest_exact():
    code = r'"Say \"hi\".\nPlease be brief.\tOK"'
    value = ast.literal_eval(code)
    start = value.index("Please")
    out = edited(code, [(start, start + 16, "")])
    assert ast.literal_eval(out) == value[:start] + value[start + 16:]
    assert out.startswith(r'"Say \"hi\".\n')  # untouched escapes keep their spelling


def test_replacement_is_escaped_for_its_quotes():
    out = edited("'it'", [(0, 2, "don't \\ \"x\"\n")])
    assert ast.literal_eval(out) == "don't \\ \"x\"\n"
    assert out.startswith("'")


def test_triple_quoted_replacement_keeps_real_newlines():
    out = edited('"""a b"""', [(1, 2, "\n")])
    assert out == '"""a\nb"""'


def test_fstring_text_edit_doubles_braces_and_keeps_fields():
    out = edited('f"Hello {name}, be brief."', [(len("Hello ") + 1, len("Hello ") + 1 + 2, " {x} ")])
    node = cst.parse_expression(out)
    assert isinstance(node, cst.FormattedString) and "{name}" in out and "{{x}}" in out


def test_deletion_across_concatenated_pieces_is_split_at_the_quotes():
    code = "('Be brief. '\n    \"Please help.\")"
    text = f"x = {code}\n"
    node = cst.parse_module(text).body[0].body[0].value.with_changes(lpar=(), rpar=())
    view = read_literal(node, 5, text)
    a = view.value.index("brief")
    b = view.value.index("help")
    pieces = rewrite(view, [(a, b, "")])
    assert len(pieces) == 2  # one edit per piece; the quotes between stay
    new = text
    for s, e, r in sorted(pieces, reverse=True):
        new = new[:s] + r + new[e:]
    assert ast.literal_eval(new[4:-1]) == "Be help."


def test_raw_string_refuses_text_it_cannot_spell():
    view, _ = view_of(r"r'a\d'")
    with pytest.raises(LiteralError):
        rewrite(view, [(0, 1, "\\")])


def test_bytes_are_not_prompts():
    with pytest.raises(LiteralError):
        view_of("b'abc'")


def test_a_rewrite_that_reads_back_differently_is_refused():
    with pytest.raises(LiteralError):
        check_rewritten('"abc"', "abd")
    with pytest.raises(LiteralError):
        check_rewritten('"abc" + x', "abc")
