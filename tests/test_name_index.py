"""The name facts the survey records of a skipped file answer the caller searches exactly as
the byte searches do (promptlint.nameindex): every piece of text real code puts around a
name is tried, comments, strings, import lines, notebooks' JSON and long runs of blanks."""

from __future__ import annotations

import json
import os

from hypothesis import given, settings, strategies as st

from promptlint.discover import _caller_check, digest, discover, named_uses
from promptlint.engine import import_line
from promptlint.nameindex import NEAR, NameIndex, name_facts

NAMES = ("ask_llm", "ask", "ask_llm_v2", "Summarize", "summarize", "gpt_call", "llm", "helpers", "app")
PIECES = (*NAMES, "x", "self", "client", ".", "(", ")", ",", "]", "[", " ", "\n", "\t", "\r", "=", "é", "2", "_",
          "def ", "import ", "from ", "  import ", "#", '"', "'", "func=", "tools=[", " " * 31, "\n" * 31, "\\n")

LINE_STARTS = ("", " ", "\t", "    ", "from ", "import ", "  from ", "from\t", "# from ", "importlib ", "'", "x = ")
WORDS = (*NAMES, "x", "self.", "client.", "a.b.c.", ".", "import ", "as ", "(", ")", ", ", ",", "]", "[", " ", "\t",
         "=", "é", "_", "func=", "tools=[", " " * 31, '"', "#")
# Free text, and lines shaped as code is (a start, then words): calls and import lines are common.
texts = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=50).map(lambda parts: "".join(parts)),
    st.lists(st.tuples(st.sampled_from(LINE_STARTS), st.lists(st.sampled_from(WORDS), max_size=8),
                       st.sampled_from(("\n", "\r\n", "\n\n"))), max_size=8)
    .map(lambda lines: "".join(start + "".join(words) + end for start, words, end in lines)),
).map(str.encode)
name_sets = st.sets(st.sampled_from(NAMES), min_size=1).map(lambda s: tuple(sorted(s)))
tests_of = st.dictionaries(st.sampled_from(NAMES), st.sets(st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)),
                                                          min_size=1, max_size=3), min_size=1, max_size=4)


def _index(data: bytes) -> NameIndex:
    return NameIndex({"f.py": ("d", name_facts(data))})


def byte_qualifies(tests: dict[str, set[tuple[str, str]]], data: bytes) -> bool:
    """engine.caller_loader's search of a file's bytes."""
    by_bytes = {n.encode(): pairs for n, pairs in tests.items()}
    named = named_uses(by_bytes)(data)
    return any(import_line(pair).search(data) for pair in sorted({p for n in named for p in by_bytes[n]}))


@settings(max_examples=600, deadline=None)
@given(name_sets, texts)
def test_calls_are_the_caller_checks_answer(names, data):
    told = _index(data).calls_any("f.py", names)
    if name_facts(data).far:
        assert told is None  # the search's window decides: the bytes are searched
    else:
        assert told == _caller_check(names)(data)


@settings(max_examples=600, deadline=None)
@given(tests_of, texts)
def test_uses_and_imports_are_the_helper_searchs_answer(tests, data):
    assert NameIndex.answers(tests)
    assert _index(data).uses_imported("f.py", tests) == byte_qualifies(tests, data)


def test_the_shapes_a_helper_is_named_in():
    source = (b"from app.helpers import summarize  # summarize(x) in a comment counts, as in the bytes\n"
              b"tool = Tool(func=summarize, name='s')\nagent = Agent(tools=[ask_llm])\n"
              b"r = self.client.ask(q)\nq = a.b.c.d.gpt_call(q)\ns = 'llm(' \n")
    facts = name_facts(source)
    uses, calls, imports = (set(words.split()) for words in (facts.uses, facts.calls, facts.imports))
    assert {"summarize", "ask_llm", "ask", "gpt_call", "llm"} <= uses
    assert {"summarize", "ask", "llm"} <= calls and "gpt_call" not in calls  # four parts before it
    assert {"app", "helpers", "import", "summarize"} <= imports and "Tool" not in imports
    for names in (("summarize",), ("ask_llm",), ("gpt_call",), ("llm",), ("Tool",)):
        assert _index(source).calls_any("f.py", names) == _caller_check(names)(source)
    tests = {"summarize": {("helpers", "summarize")}, "ask_llm": {("nowhere", "ask_llm")}}
    assert _index(source).uses_imported("f.py", tests) is True == byte_qualifies(tests, source)
    del tests["summarize"]
    assert _index(source).uses_imported("f.py", tests) is False == byte_qualifies(tests, source)


def test_a_notebook_is_searched_as_its_bytes_are():
    cells = [{"cell_type": "code", "source": ["from helpers import ask_llm\n", "for q in qs:\n", "    ask_llm(q)\n"]}]
    data = json.dumps({"cells": cells, "nbformat": 4}, indent=1).encode()
    tests = {"ask_llm": {("helpers", "ask_llm")}}
    assert _index(data).uses_imported("f.py", tests) == byte_qualifies(tests, data)
    assert _index(data).calls_any("f.py", ("ask_llm",)) == _caller_check(("ask_llm",))(data) is True


def test_a_call_far_from_its_parenthesis_or_a_name_beyond_ascii_is_left_to_the_bytes():
    far = b"ask_llm" + b" " * NEAR + b"(q)\n"
    assert name_facts(far).far and _index(far).calls_any("f.py", ("ask_llm",)) is None
    near = b"ask_llm" + b" " * (NEAR - 1) + b"(q)\n"
    assert _index(near).calls_any("f.py", ("ask_llm",)) is True == _caller_check(("ask_llm",))(near)
    assert _index(near).calls_any("f.py", ("café",)) is None
    assert not NameIndex.answers({"café": {("m", "café")}}) and not NameIndex.answers({"ask": {("my-mod", "ask")}})
    assert NameIndex().calls_any("other.py", ("ask",)) is None and NameIndex().uses_imported("other.py", {}) is None


def test_the_survey_records_the_facts_of_the_skipped_python_files(tmp_path):
    from promptlint.config import parse_config

    (tmp_path / "app.py").write_text("import anthropic\nclient = anthropic.Anthropic()\n"
                                     "def ask(q):\n    return client.messages.create(model='claude-sonnet-4-5', "
                                     "max_tokens=9, messages=[{'role': 'user', 'content': q}])\n")
    (tmp_path / "batch.py").write_text("from app import ask\nfor q in qs:\n    ask(q)\n")
    (tmp_path / "notes.yaml").write_text("a: 1\n")
    found = discover([tmp_path], parse_config({}, root=str(tmp_path)))
    assert set(found.names) == {"batch.py"}
    stamp, facts = found.names["batch.py"]
    assert stamp == digest((tmp_path / "batch.py").read_bytes()) and facts == name_facts(b"from app import ask\n"
                                                                                          b"for q in qs:\n    ask(q)\n")


def test_the_parallel_survey_brings_the_facts_back(tmp_path):
    from promptlint.config import parse_config
    from promptlint.survey import PARALLEL_MIN_CANDIDATES

    for i in range(PARALLEL_MIN_CANDIDATES + 10):
        (tmp_path / f"m{i}.py").write_text(f"from app import ask\nvalue_{i} = ask({i})\n")
    found = discover([tmp_path], parse_config({}, root=str(tmp_path)))
    if os.cpu_count() and os.cpu_count() > 1:
        assert len(found.names) == PARALLEL_MIN_CANDIDATES + 10
    assert all(facts.calls == "\nask\n" and facts.has(facts.imports, "app") for _, facts in found.names.values())
