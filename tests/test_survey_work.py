"""The per-file work of a cold check, made smaller without changing what it finds: modules
read only for their values, statement walks, one look at a file's timer calls, and the
cycle collector held off while a file is extracted."""

from __future__ import annotations

import ast
import gc
import os
import sys
import textwrap

import pytest

from promptlint import ondemand
from promptlint.engine import open_cache
from promptlint.extract import VALUES_KIND, extract_file
from promptlint.extract.python import extract_python
from promptlint.loops import FileLoops
from promptlint.pyast import walk_body, walk_statements
from promptlint.types import Span
from promptlint.waits import reads_clock

from conftest import write_tree

PATTERNS = ("*PROMPT*", "*prompt*", "*TEMPLATE*", "*template*", "*INSTRUCTION*", "*instruction*")

# Definitions inside definitions, timers in decorators, defaults, lambdas and classes:
# the places a body's walk does and does not go.
CLOCKS = textwrap.dedent('''
    import time
    from time import perf_counter

    def direct():
        started = time.time()
        return started

    def in_lambda():
        later = lambda: time.time()
        return later

    def outer():
        def inner():
            return perf_counter()
        return inner

    def deeper():
        def middle():
            def innermost():
                return time.monotonic()
            return innermost
        return middle

    def decorated_inside():
        @measure(time.time())
        def job(at=time.perf_counter()):
            pass
        return job

    def with_class():
        class Timer:
            now = time.time()
            def read(self):
                return time.monotonic()
        return Timer

    def in_branch(flag):
        if flag:
            try:
                return time.time()
            except ValueError:
                pass
        for _ in range(3):
            with open("x") as handle:
                handle.write(str(perf_counter()))

    async def awaited():
        async with lock:
            return time.time()

    def none():
        return sleep(1)

    class Outer:
        def method(self):
            return time.time()

    @measure(time.time())
    def decorated(at=time.time()):
        return 1
''')


def _loops(source: str) -> FileLoops:
    tree = ast.parse(source)
    return FileLoops(tree, "m", lambda node: Span("m.py", getattr(node, "lineno", 1)))


def test_the_functions_reading_a_clock_are_those_a_walk_of_each_body_finds():
    loops = _loops(CLOCKS)
    functions = [n for n in loops.nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    expected = {n.name for n in functions if reads_clock(n)}
    found = {n.name for n in functions if id(n) in loops._reading_clock()}
    assert found == expected
    # the shapes above hold both answers, so the comparison says something
    assert {"direct", "outer", "inner", "decorated_inside", "with_class", "middle", "innermost", "method"} <= found
    assert {"in_lambda", "none", "deeper", "job", "decorated"}.isdisjoint(found)


def test_function_facts_mark_the_functions_that_read_a_clock():
    facts = {f.qualname: f for f in _loops(CLOCKS).function_facts()}
    assert facts["direct"].timed and facts["outer.inner"].timed and facts["Outer.method"].timed
    assert "none" not in facts and "in_lambda" not in facts


def test_a_statement_walk_finds_the_statements_of_a_body_walk_in_its_order():
    tree = ast.parse(CLOCKS)
    parts = (ast.stmt, ast.excepthandler, ast.match_case)
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                     ast.ClassDef)))]
    for scope in scopes:
        full = [n for n in walk_body(scope.body) if isinstance(n, parts)]
        assert walk_statements(scope.body) == full


MODULE = textwrap.dedent('''
    import anthropic
    from .shared import BASE as IMPORTED_BASE
    from . import tone

    SYSTEM_PROMPT = """You are a careful reviewer. Read the diff and list every risk you find."""
    PROMPT = "Answer briefly."
    PROMPT = PROMPT + " Then stop."

    class Prompts:
        GREETING = f"{SYSTEM_PROMPT} Greet the user by name."

    def build_prompt(topic):
        instruction = f"Write three sentences about {topic}, plainly."
        return instruction

    def ask(question):
        client = anthropic.Anthropic()
        for _ in range(3):
            client.messages.create(model="claude-sonnet-4-5", max_tokens=200, system=SYSTEM_PROMPT,
                                   messages=[{"role": "user", "content": question}])
        return helper(build_prompt(question))
''')


def test_a_module_read_for_its_values_holds_the_values_the_full_reading_gives():
    full = extract_python("pkg/prompts.py", MODULE, PATTERNS)
    values = extract_python("pkg/prompts.py", MODULE, PATTERNS, values_only=True)
    assert values.kind == VALUES_KIND and full.kind == "python"
    assert values.constants == full.constants and values.bindings == full.bindings
    assert values.reexports == full.reexports and values.module == full.module
    assert full.drafts and full.calls and not values.drafts and not values.calls and not values.wrapper_calls
    assert {c.name for c in values.constants} >= {"SYSTEM_PROMPT", "PROMPT", "Prompts.GREETING", "build_prompt()"}


def test_a_module_that_does_not_parse_says_so_as_either_reading():
    bad = extract_file("pkg/bad.py", VALUES_KIND, b"def broken(:\n", PATTERNS)
    assert bad.kind == VALUES_KIND and "cannot parse Python" in bad.diagnostics[0].message


def _tree(root):
    write_tree(root, {
        "app.py": "import anthropic\nfrom texts import GREETING\nclient = anthropic.Anthropic()\n"
                  "client.messages.create(model='claude-sonnet-4-5', max_tokens=100, system=GREETING,\n"
                  "                       messages=[{'role': 'user', 'content': 'hi'}])\n",
        "texts.py": "GREETING = 'You are a helper. Answer in one line, politely and without preamble.'\n"
                    "def unrelated(items):\n    for item in items:\n        print(item)\n",
    })


def _spy_on_extraction(monkeypatch) -> list:
    """The (path, kind) pairs the on-demand reader extracts during the test, in order."""
    read = []
    real = ondemand.OnDemand._extract

    def spy(self, batch):
        read.extend(key for key, _ in batch)
        return real(self, batch)

    monkeypatch.setattr(ondemand.OnDemand, "_extract", spy)
    return read


def test_an_imported_module_is_read_for_its_values_and_keeps_its_prefilter_verdict(tmp_path, cli, monkeypatch):
    _tree(tmp_path)
    read = _spy_on_extraction(monkeypatch)
    code, cold, _ = cli(tmp_path, "check", ".", "--format", "json", "--no-cache")
    assert ("texts.py", VALUES_KIND) in read
    assert "GREETING" in cold  # the imported text is the request's system prompt
    first = cli(tmp_path, "check", ".", "--format", "json")[1]
    warm = cli(tmp_path, "check", ".", "--format", "json")[1]
    assert cold == first == warm
    from promptlint.config import load_config

    cache = open_cache(load_config(tmp_path))
    digest = cache.files["texts.py"][0]
    assert cache.verdict("texts.py", digest) is False  # the survey's verdict, not the reading's
    assert cache.has_result("texts.py", digest, VALUES_KIND)


def test_extraction_holds_the_cycle_collector_off_and_gives_it_back():
    seen = []
    source = b"PROMPT = 'You are a helper. Answer in one line, politely.'\n"
    assert gc.isenabled()
    import promptlint.extract as extract

    real = extract.EXTRACTORS["python"]
    extract.EXTRACTORS["python"] = lambda *a: (seen.append(gc.isenabled()), real(*a))[1]
    try:
        extract_file("a.py", "python", source, PATTERNS)
        gc.disable()
        try:
            extract_file("a.py", "python", source, PATTERNS)
            assert not gc.isenabled()  # left as the caller had it
        finally:
            gc.enable()
    finally:
        extract.EXTRACTORS["python"] = real
    assert seen == [False, False] and gc.isenabled()


# Names read from many places, names that refer to themselves, defaults that name the
# function, returns inlined into their callers: what a kept binding must answer as a
# fresh resolution does.
READS = textwrap.dedent('''
    import anthropic

    PREFIX = "You are a reviewer."
    PROMPT = f"{PREFIX} Read the diff and list every risk."
    PROMPT = PROMPT + " Be brief."
    loop = loop + "x"
    a = b
    b = a

    def tone(style=DEFAULT_STYLE):
        return f"Answer in a {style} tone."

    DEFAULT_STYLE = tone()

    def build(topic, extra=PROMPT):
        instruction = f"{PROMPT} Topic: {topic}. {extra}"
        instruction += f" {PREFIX}"
        messages = [{"role": "system", "content": instruction}]
        messages.append({"role": "user", "content": topic})
        return messages

    def again():
        return build(again())

    def ask(topic):
        client = anthropic.Anthropic()
        first, second = PROMPT, PREFIX
        for item in range(3):
            notify(PROMPT, first, second)
            notify(f"{PROMPT} {item}", instruction_for(topic))
        client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=PROMPT,
                               messages=build(topic))
        return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=f"{PROMPT}!",
                                      messages=build(PROMPT))

    class Agent:
        SYSTEM_PROMPT = PROMPT

        def __init__(self, prompt=PROMPT):
            self.prompt = prompt

        def run(self, text):
            return notify(self.prompt, self.SYSTEM_PROMPT, text, a, loop)
''')


class _Forgetful(dict):
    """A memo that keeps nothing: every read resolves afresh."""

    def __setitem__(self, key, value) -> None:
        pass


def test_a_kept_binding_answers_as_resolving_it_again_does(monkeypatch):
    from promptlint.extract import resolve

    kept = extract_python("pkg/reads.py", READS, PATTERNS)
    real_init = resolve.Resolver.__init__

    def forgetful(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self._kept = _Forgetful()

    monkeypatch.setattr(resolve.Resolver, "__init__", forgetful)
    fresh = extract_python("pkg/reads.py", READS, PATTERNS)
    assert kept == fresh
    assert kept.drafts and kept.wrapper_calls and kept.constants


def test_a_name_read_from_many_places_is_resolved_once(monkeypatch):
    from promptlint.extract import resolve

    source = ("BASE = 'You are a reviewer. Read the diff and list every risk you find.'\n"
              "PROMPT = f'{BASE} Be brief.'\n"
              + "".join(f"notify_{i}(PROMPT, f'{{PROMPT}} #{i}')\n" for i in range(40)))
    counted = []
    real = resolve.Resolver._event_value

    def counting(self, event, *args):
        counted.append(event)
        return real(self, event, *args)

    monkeypatch.setattr(resolve.Resolver, "_event_value", counting)
    extract_python("pkg/many.py", source, PATTERNS)
    assert 0 < len(counted) < 20  # 80 reads of PROMPT, each of which resolved BASE too


def test_a_file_extracted_leaves_little_for_the_cycle_collector(tmp_path):
    """Its scopes unlinked and its walks dropped, a file's syntax tree is freed by reference
    counting when its extraction ends (the collector would otherwise walk all of it)."""
    source = MODULE + "\n" + READS + "".join(f"\ndef f{i}(x):\n    return g{i}(x, PROMPT)\n" for i in range(50))
    extract_python("pkg/warm.py", source, PATTERNS)
    gc.collect()
    gc.disable()
    try:
        extract_python("pkg/a.py", source, PATTERNS)
        nodes = sum(1 for _ in ast.walk(ast.parse(source)))
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = sum(1 for o in gc.garbage if isinstance(o, ast.AST))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left < nodes // 5


WRAPPER_MODULE = textwrap.dedent('''
    from pathlib import Path
    import openai

    client = openai.OpenAI()
    HERE = Path(__file__).parent
    RUBRIC_FILE = HERE / "prompts" / "rubric.txt"
    SYSTEM_PROMPT = "You review pull requests. Name the riskiest change first, then the rest."

    def review(diff, notes=""):
        user = f"Diff:\\n{diff}\\nNotes: {notes}"
        return client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}])
''')


def test_extraction_leaves_no_cycle_that_holds_the_syntax_tree():
    """A path built with ``/``, a wrapper's summary and stamped bindings leave nothing of the
    module for the cycle collector: a recursive closure over the resolver or the scopes
    would keep the whole tree alive until the next collection walks it."""
    extract_python("pkg/warm.py", WRAPPER_MODULE, PATTERNS)
    gc.collect()
    gc.disable()
    try:
        result = extract_python("pkg/review.py", WRAPPER_MODULE, PATTERNS)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        nodes = sum(1 for o in gc.garbage if isinstance(o, ast.AST))
        ours = [o.__qualname__ for o in gc.garbage
                if callable(o) and getattr(o, "__module__", "").startswith("promptlint")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert result.wrappers and any(c.value.__class__.__name__ == "FileLink" for c in result.constants)
    assert nodes == 0 and ours == []


def test_the_children_of_a_node_are_the_nodes_iter_child_nodes_gives_without_the_leaves():
    """Lists of names and missing keys or defaults keep only their nodes; every other list
    field is taken whole."""
    from promptlint.pyast import children

    source = textwrap.dedent('''
        def f(a, *, b, c=1, **kw):
            global G
            def g():
                nonlocal a
            merged = {**kw, "k": a}
            match a:
                case Point(x=0, y=1) | [1, *rest]:
                    pass
            import os.path as p, sys
            return [x for x in merged if x > 1 and not x]
    ''')
    leaves = (ast.expr_context, ast.operator, ast.cmpop, ast.unaryop, ast.boolop)
    for node in ast.walk(ast.parse(source)):
        assert children(node) == [c for c in ast.iter_child_nodes(node) if not isinstance(c, leaves)]


CALLER_MODULE = textwrap.dedent('''
    import time
    from pkg.llm import summarize, client
    from pkg.store import load

    class Batch:
        def __init__(self, docs):
            self.docs = docs
            self.notes = {"title": "Weekly digest"}

        def run(self, limit):
            for doc in self.docs:
                if len(doc) > limit:
                    return None
                summarize(doc)
            while self.pending():
                time.sleep(1)
                summarize(load())
            return [summarize(d) for d in self.docs]

    def main(paths):
        for path in paths:
            Batch(load(path)).run(10)
''')


def test_a_module_read_for_its_calls_has_the_calls_the_full_reading_gives():
    """A skipped module that calls a helper is read for its call edges, function facts and
    agent runs alone, and they are the full reading's, loops and all."""
    from promptlint.extract import CALLS_KIND

    full = extract_python("pkg/batch.py", CALLER_MODULE, PATTERNS)
    calls = extract_file("pkg/batch.py", CALLS_KIND, CALLER_MODULE.encode(), PATTERNS)
    assert calls.kind == CALLS_KIND and full.kind == "python"
    assert full.calls and any(edge.loops for edge in full.calls)
    assert (calls.calls, calls.functions, calls.agent_runs) == (full.calls, full.functions, full.agent_runs)
    assert not (calls.constants or calls.bindings or calls.wrapper_calls or calls.definitions)


def test_a_skipped_caller_of_a_helper_is_read_for_its_calls(tmp_path, cli, monkeypatch):
    from promptlint.extract import CALLS_KIND

    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/llm.py": "import anthropic\nclient = anthropic.Anthropic()\n"
                      "SAVED = []\n"
                      "def summarize(doc):\n"
                      "    SAVED.append(doc)\n"
                      "    return client.messages.create(model='claude-sonnet-4-5', max_tokens=100,\n"
                      "        messages=[{'role': 'user', 'content': 'Write a short digest of the saved reports.'}])\n",
        "pkg/store.py": "def load(path=None):\n    return open(path).read()\n",
        "pkg/batch.py": CALLER_MODULE,
    })
    read = _spy_on_extraction(monkeypatch)
    cold = cli(tmp_path, "check", ".", "--format", "json", "--no-cache")[1]
    assert ("pkg/batch.py", CALLS_KIND) in read and ("pkg/batch.py", "python") not in read
    assert "while self.pending()` (pkg/batch.py:16, through summarize())" in cold  # the caller's loop
    first = cli(tmp_path, "check", ".", "--format", "json")[1]
    warm = cli(tmp_path, "check", ".", "--format", "json")[1]
    assert cold == first == warm


def _collector_state(path, kind, data, patterns):
    from promptlint.extract.result import FileResult

    return FileResult(path, kind, "collector on" if gc.isenabled() else "collector off")


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or sys.platform != "linux", reason="the worker pool needs 2 cores")
def test_a_survey_over_workers_holds_the_collector_off_in_them_and_gives_it_back(tmp_path, monkeypatch):
    """The workers are forked with the collector paused (their collections would walk, and
    so copy, the heap they inherit) and this process gets it back once the results are in;
    a survey in this process alone leaves it to each file's extraction."""
    from promptlint import survey
    from promptlint.config import parse_config

    files = {f"m{i:02}.py": f"SYSTEM_PROMPT = 'Answer question {i} from the record.'\n" for i in range(12)}
    write_tree(tmp_path, files)
    candidates = [(rel, str(tmp_path / rel), "python") for rel in files]
    config = parse_config({}, root=str(tmp_path))
    monkeypatch.setattr(survey, "PARALLEL_MIN_CANDIDATES", 4)
    assert gc.isenabled()
    outcomes = survey.survey_all(candidates, config, None, _collector_state)
    assert [o.result.module for o in outcomes] == ["collector off"] * len(files)
    assert gc.isenabled()
    monkeypatch.setattr(survey, "PARALLEL_MIN_CANDIDATES", 100)
    alone = survey.survey_all(candidates, config, None, _collector_state)
    assert [o.result.module for o in alone] == ["collector on"] * len(files)


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or sys.platform != "linux", reason="the worker pool needs 2 cores")
def test_a_survey_over_workers_largest_first_gives_the_outcomes_in_the_walks_order(tmp_path, monkeypatch):
    """The workers take the files largest first, in shards cut by size; the survey still
    answers in the order it was asked, the same outcomes one process gives."""
    from promptlint import survey
    from promptlint.config import parse_config

    files = {f"m{i:02}.py": f"SYSTEM_PROMPT = 'Answer question {i} from the record.'\n" + "# pad\n" * (i * 37 % 11)
             for i in range(30)}
    write_tree(tmp_path, files)
    candidates = [(rel, str(tmp_path / rel), "python") for rel in files]
    config = parse_config({}, root=str(tmp_path))
    monkeypatch.setattr(survey, "PARALLEL_MIN_CANDIDATES", 100)
    alone = survey.survey_all(candidates, config, None, extract_file)
    monkeypatch.setattr(survey, "PARALLEL_MIN_CANDIDATES", 4)
    shared = survey.survey_all(candidates, config, None, extract_file)
    assert [o.path for o in shared] == list(files)
    assert shared == alone


def test_preparing_a_kind_imports_its_extractor_and_builds_its_parser():
    """What a survey does once before forking its workers, so none of them does it again."""
    from promptlint import extract
    from promptlint.extract import jinja

    jinja._environment.cache_clear()
    extract.prepare({"jinja", "yaml"})
    assert jinja._environment.cache_info().currsize == 1
    assert "promptlint.extract.yaml_prompts" in sys.modules and "yaml" in sys.modules
