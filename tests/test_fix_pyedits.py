"""Call and literal edits keep the file's layout and comments."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from promptlint.fix import pyedits
from promptlint.fix.files import apply_edits
from promptlint.fix.pysource import PySource, PySourceError


def source(code: str) -> PySource:
    return PySource("m.py", textwrap.dedent(code).lstrip("\n"))


def nodes(py: PySource, kind):
    return sorted((n for n in py.positions if isinstance(n, kind)), key=lambda n: py.range_of(n))


def applied(py: PySource, edit) -> str:
    return apply_edits(py.text, [edit])


@pytest.mark.parametrize("before,after", [
    ("f(a, b)\n", "f(a, b, max_tokens=16)\n"),
    ("f()\n", "f(max_tokens=16)\n"),
    ("f(\n    a,\n    b,\n)\n", "f(\n    a,\n    b,\n    max_tokens=16,\n)\n"),
    ("f(\n    a,\n    b\n)\n", "f(\n    a,\n    b,\n    max_tokens=16\n)\n"),
    ("f(\n    a)\n", "f(\n    a,\n    max_tokens=16)\n"),
    ("f(model=M, max_tokens=4096)\n", "f(model=M, max_tokens=16)\n"),
])
def test_set_keyword_follows_the_call_layout(before, after):
    py = PySource("m.py", before)
    call = nodes(py, cst.Call)[0]
    assert applied(py, pyedits.set_keyword(py, call, "max_tokens", "16")) == after


def test_comments_stay_on_their_own_argument():
    py = source("""
        r = client.messages.create(
            model=MODEL,  # the model
            messages=m,  # the history
        )
    """)
    out = applied(py, pyedits.set_keyword(py, nodes(py, cst.Call)[0], "max_tokens", "16"))
    assert out == textwrap.dedent("""\
        r = client.messages.create(
            model=MODEL,  # the model
            messages=m,  # the history
            max_tokens=16,
        )
    """)


def test_keyword_is_not_added_beside_star_kwargs():
    py = source("f(model=M, **params)\n")
    with pytest.raises(PySourceError):
        pyedits.set_keyword(py, nodes(py, cst.Call)[0], "max_tokens", "16")


def test_dict_entry_uses_the_dict_quotes_and_layout():
    py = source("""
        block = {
            'type': 'text',  # kind
            'text': X,
        }
    """)
    d = nodes(py, cst.Dict)[0]
    out = applied(py, pyedits.set_entry(py, d, "cache_control", pyedits.cache_control_value("'")))
    assert out.endswith("    'text': X,\n    'cache_control': {'type': 'ephemeral'},\n}\n")
    assert "'type': 'text',  # kind\n" in out


def test_text_block_wraps_the_value_as_written():
    py = source('create(system=SYSTEM, messages=m)\n')
    arg = pyedits.keyword(nodes(py, cst.Call)[0], "system")
    out = applied(py, py.replace(arg.value, pyedits.text_block(py, arg.value, "1h")))
    assert out == ('create(system=[{"type": "text", "text": SYSTEM, '
                   '"cache_control": {"type": "ephemeral", "ttl": "1h"}}], messages=m)\n')


@pytest.mark.parametrize("drop,after", [
    ({1}, "X = [\n    'a',  # first\n    'c',\n]\n"),
    ({1, 2}, "X = [\n    'a',  # first\n]\n"),
    ({2}, "X = [\n    'a',  # first\n    'b',  # second\n]\n"),
    ({0}, "X = [\n    'b',  # second\n    'c',\n]\n"),
])
def test_removing_list_items_keeps_the_others_and_their_comments(drop, after):
    py = source("""
        X = [
            'a',  # first
            'b',  # second
            'c',
        ]
    """)
    lst = nodes(py, cst.List)[0]
    assert applied(py, py.replace(lst, pyedits.without_items(lst, drop))) == after


def test_find_locates_nodes_by_line_and_column():
    py = source("""
        x = ("a"
             "b")
    """)
    from promptlint.types import Span

    found = py.find(Span("m.py", 1, 6, 2, 9), (cst.SimpleString, cst.ConcatenatedString))
    assert isinstance(found.node, cst.ConcatenatedString)
    assert py.text[found.start:found.end] == '"a"\n     "b"'


def test_positions_count_lone_cr_as_a_line_break_like_the_extractors():
    # libcst (and the extractors) break lines at \r; offsets counted on \n alone were -1.
    text = 'x = 1\ry = f("hi")'
    py = PySource("m.py", text)
    [string] = nodes(py, cst.SimpleString)
    start, end = py.range_of(string)
    assert text[start:end] == '"hi"'


@pytest.mark.parametrize("text", ['x = 1\ry = f("hi")\r', 'x = 1\n\x0cy = f("hi")\n'])
def test_a_file_libcst_does_not_reproduce_is_refused(text):
    # Edits regenerate the module; libcst drops a final lone \r, which the edit would delete.
    with pytest.raises(PySourceError, match="does not reproduce it exactly"):
        PySource("m.py", text)
