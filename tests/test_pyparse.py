"""Python of any syntax version parses the same on every interpreter (promptlint/extract/pyparse.py)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import as_json, write_tree
from promptlint.extract import pyparse
from promptlint.extract.pyparse import ChainTooLong, parse_python

PYPARSE = Path(pyparse.__file__)

# Python 3.12 (PEP 701, PEP 695), 3.13 (PEP 696) and 3.14 (PEP 750) syntax, in the shapes
# prompt code has: quotes reused inside fields, joins with "\n", comments in long fields.
NEW_SYNTAX = textwrap.dedent('''\
    import anthropic

    client = anthropic.Anthropic()
    RULES = ["Answer in English.", "Cite the order number."]
    SYSTEM_PROMPT = f"You are the returns assistant of Acme. Rules: {"; ".join(RULES)}"
    CHECKLIST = f"Before answering, check:\\n{'\\n'.join(f"- {r}" for r in RULES)}"
    LONG = f"""Summarise the ticket for {
        customer["name"]  # shown to agents only
    } in {n_words!r:>{width}} words; debug {ticket_id=}."""
    type Reply = dict[str, str]

    class Memory[T: (str, bytes) = str]:
        def recall[U](self, key: U) -> T: ...

    def build[T](question: T) -> str:
        return f"Question from {user["id"]}: {question}"

    GREETING = t"Hello {name}, how can I help?"

    def answer(question):
        return client.messages.create(
            model="claude-sonnet-4-5", max_tokens=300, system=SYSTEM_PROMPT,
            messages=[{"role": "user", "content": build(question)}],
        )
''')


_CANON = textwrap.dedent('''\
    import ast, importlib.util, json, sys
    spec = importlib.util.spec_from_file_location("pyparse", sys.argv[1])
    m = importlib.util.module_from_spec(spec); sys.modules["pyparse"] = m; spec.loader.exec_module(m)

    def canon(node, in_fstring=False):
        """The tree promptlint reads: fields newer Pythons added (type_params) left out, and the
        positions of an f-string's own parts, which parsers before 3.12 do not give."""
        if isinstance(node, list):
            return [canon(x, in_fstring) for x in node]
        if not isinstance(node, ast.AST):
            return repr(node)
        name = {"TryStar": "Try"}.get(type(node).__name__, type(node).__name__)
        out = [name]
        for f in node._fields:
            value = getattr(node, f, None)
            if f in ("type_params", "type_comment", "kind") or value in ([], None):
                continue
            out.append([f, canon(value, isinstance(node, ast.JoinedStr) or in_fstring and f == "format_spec")])
        if not (in_fstring and isinstance(node, (ast.Constant, ast.FormattedValue, ast.JoinedStr))):
            out += [getattr(node, a, None) for a in ("lineno", "col_offset", "end_lineno", "end_col_offset")]
        return out

    print(json.dumps(canon(m.parse_python(sys.stdin.read()))))
''')


def _interpreters() -> list[Path]:
    found = {}
    for exe in sorted(Path.home().glob(".pyenv/versions/3.1[0-9]*/bin/python3")):
        version = exe.parent.parent.name.rsplit(".", 1)[0]
        found.setdefault(version, exe)
    found.setdefault(f"{sys.version_info[0]}.{sys.version_info[1]}", Path(sys.executable))
    return list(found.values())


def _canon_with(exe: Path, source: str) -> str:
    done = subprocess.run([str(exe), "-c", _CANON, str(PYPARSE)], input=source, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"{exe}: {done.stderr}"
    return done.stdout


def test_new_syntax_gives_the_same_tree_on_every_interpreter():
    exes = _interpreters()
    if len(exes) < 2:
        pytest.skip("only one Python interpreter on this machine")
    trees = {str(exe): _canon_with(exe, NEW_SYNTAX) for exe in exes}
    first = next(iter(trees.values()))
    assert all(tree == first for tree in trees.values()), sorted(trees)


def _fstring_parts(tree: ast.Module, name: str) -> list:
    node = next(n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) and n.targets[0].id == name)
    return [p.value if isinstance(p, ast.Constant) else "{" + ast.unparse(p.value) + "}" for p in node.values]


def test_pep701_fields_keep_their_text_and_holes():
    tree = parse_python(NEW_SYNTAX)
    assert _fstring_parts(tree, "SYSTEM_PROMPT") == [
        "You are the returns assistant of Acme. Rules: ", "{'; '.join(RULES)}"]
    assert _fstring_parts(tree, "LONG") == [
        "Summarise the ticket for ", "{customer['name']}", " in ", "{n_words}", " words; debug ticket_id=",
        "{ticket_id}", "."]
    assert _fstring_parts(tree, "GREETING") == ["Hello ", "{name}", ", how can I help?"]
    joined = next(n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) and n.targets[0].id == "CHECKLIST")
    assert ast.literal_eval(ast.unparse(joined.values[1].value.func.value)) == "\n"
    field = next(n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) and n.targets[0].id == "LONG").values[1]
    assert (field.value.lineno, field.value.col_offset) == (8, 4)  # the field's own line, not the string's


def test_lowering_keeps_every_other_node_where_it_was():
    tree = parse_python(NEW_SYNTAX)
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "create")
    assert (call.lineno, call.col_offset, call.end_lineno) == (21, 11, 24)
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert names == ["Memory", "build", "answer"]


_LOWERING_SOURCES = [
    'X = f"a{b!r:>{w}}c{d=}e{{f}}"\n',
    'X = ("plain " f\'mixed {y["k"]}\' " tail é")\n',
    'def g():\n    return f"""line one {a}\n    line two {b:%H:%M} \\N{BULLET}"""\n',
    'X = rf"\\d{x}\\{y}" + f"a\\{b}"\n',
    'X = f"outer {f\'inner {z}\'} end"\n',
]


def _dump(tree: ast.AST) -> str:
    for node in ast.walk(tree):  # an f-string's part positions differ before 3.12
        if isinstance(node, ast.JoinedStr):
            for part in ast.walk(node):
                if isinstance(part, (ast.Constant, ast.FormattedValue, ast.JoinedStr)) and part is not node:
                    for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
                        setattr(part, attr, None)
    return ast.dump(tree, include_attributes=True)


def _lowered(source: str) -> ast.Module:
    lowered = pyparse._Lowering(source).run()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyparse._Graft(lowered).visit(ast.parse(lowered.source))


@pytest.mark.parametrize("source", _LOWERING_SOURCES)
def test_lowered_tree_equals_the_native_tree(source):
    """Forced through the lowering, a file this interpreter can parse gives the native tree."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _dump(_lowered(source)) == _dump(ast.parse(source))


_TEXT = st.lists(st.sampled_from(list("ab é\\n'\"") + ["{{", "}}", "\\\\", "\\N{BULLET}"]), max_size=8).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_TEXT.map(lambda t: ("lit", t)),
                          st.sampled_from(["x", "x!r", "x:>4", "x=", "y['k']", "f'{z}'", "a + b"]).map(lambda e: ("field", e))),
                max_size=5), st.sampled_from(['"', '"""']))
def test_lowering_agrees_with_the_native_parser_on_generated_fstrings(pieces, quote):
    body = "".join(t if kind == "lit" else "{" + t + "}" for kind, t in pieces)
    source = f"X = f{quote}{body}{quote}\n"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            native = ast.parse(source)
    except SyntaxError:
        return  # not a valid f-string on this interpreter
    assert _dump(_lowered(source)) == _dump(native)


@pytest.mark.parametrize("source", [
    'X = f""\'\'""\n',        # an empty plain string between two f-strings (found by hypothesis)
    'X = ""f"a"\n',            # an empty string just before an f-string's placeholder
    "X = ''f'a'\n",
    'X = ""f"""a\nb"""\n',      # ... and before a multi-line one
    'X = f"a"""f"b"\n',
])
def test_adjacent_empty_strings_never_read_as_a_triple_quote_after_lowering(source):
    """A placeholder must not meet an empty ``""`` so that three quotes open a triple-quoted
    string the source never had."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _dump(_lowered(source)) == _dump(ast.parse(source))


def test_unparseable_source_raises_the_original_error():
    with pytest.raises(SyntaxError) as err:
        parse_python('X = f"{a"\ndef (:\n')
    assert err.value.lineno is not None


def test_long_left_nested_chain_is_refused_before_it_can_crash_the_parser():
    """CPython 3.10's parser overflows its C stack on a 100,000-link chain (a segfault that
    kills a worker); the check stops such chains at 20,000 links on every version."""
    chain = "X = " + " + ".join(['"a"'] * (pyparse.CHAIN_LIMIT + 2)) + "\n"
    with pytest.raises(ChainTooLong):
        pyparse._check_chains(chain, "big.py")
    attrs = "X = a" + ".b" * (pyparse.CHAIN_LIMIT + 1) + "\n"
    with pytest.raises(ChainTooLong):
        pyparse._check_chains(attrs, "big.py")
    many_short = "X = [\n" + "".join(f'    "a{i}" + "b",\n' for i in range(30_000)) + "]\n"
    pyparse._check_chains(many_short, "data.py")  # 30,000 chains of one link each
    calls = "X = [" + ", ".join(["f(1)[0].y"] * 30_000) + "]\n"
    pyparse._check_chains(calls, "data.py")


def test_a_3_10_run_reports_the_chain_as_pl001_and_goes_on(tmp_path):
    exe = Path.home() / ".pyenv/versions/3.10.13/bin/python3"
    if not exe.exists():
        pytest.skip("no Python 3.10 here")
    big = tmp_path / "big.py"
    big.write_text("X = " + " + ".join(['"a"'] * 150_000) + "\n")
    script = ("import importlib.util, sys\n"
              "spec = importlib.util.spec_from_file_location('pyparse', sys.argv[1])\n"
              "m = importlib.util.module_from_spec(spec); sys.modules['pyparse'] = m; spec.loader.exec_module(m)\n"
              "try:\n    m.parse_python(open(sys.argv[2]).read())\nexcept m.ChainTooLong as e:\n    print('refused', e.msg)\n")
    done = subprocess.run([str(exe), "-c", script, str(PYPARSE), str(big)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "refused" in done.stdout  # without the check: a segfault (exit -11)


def test_check_finds_prompts_in_new_syntax_files(tmp_path, cli):
    root = write_tree(tmp_path / "proj", {"app.py": NEW_SYNTAX})
    code, out, _ = cli(root, "check", ".", "--format", "json", "--select", "PL001")
    data = as_json(out)
    assert not data["findings"]
    ids = {t["id"] for t in data["templates"]}
    assert "app.py::SYSTEM_PROMPT" in ids
    request = next(r for r in data["requests"] if r["path"] == "app.py")
    assert request["model"] == "claude-sonnet-4-5" and "app.py::SYSTEM_PROMPT" in request["templates"]
    system = next(t for t in data["templates"] if t["id"] == "app.py::SYSTEM_PROMPT")
    assert system["line"] == 5 and system["tokens"] > 5
    assert json.dumps(data)  # valid JSON
