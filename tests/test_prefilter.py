"""The byte prefilter: every kind of evidence discovery uses gets a file parsed, and the
look-alikes real code is full of (a mention of the SDK, a count named ``prompt_tokens``, a
keyword argument in a test, a help text) do not."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptlint.config import DEFAULT_NAME_PATTERNS
from promptlint.discover import prefilter
from promptlint.extract.sinks import SINKS, Sink, _tail, prefilter_markers


def admits(source: str) -> bool:
    return prefilter("python", DEFAULT_NAME_PATTERNS).matches(source.encode())


MUST_PASS = {
    "sdk call": "reply = client.messages.create(model=m, messages=msgs)\n",
    "sdk call over lines": "reply = (client.chat.completions\n    .with_raw_response.create(model=m))\n",
    "litellm on its module": "import litellm\nr = litellm.acompletion(model=m, messages=msgs)\n",
    "litellm imported": "from litellm import (\n    acompletion,\n    token_counter,\n)\n",
    "litellm imported under another name": "from litellm import completion as llm_call\n",
    "litellm called bare": "async def go():\n    return await acompletion(model=m)\n",
    "langchain prompt": "p = ChatPromptTemplate.from_messages([('system', s)])\n",
    "chat model": "llm = ChatAnthropic(model='claude-3-5-haiku-latest')\n",
    "invoke": "answer = chain.invoke({'q': q})\n",
    "system message with prose": "msgs = [\n    {\n        'role': 'system',\n        'content': 'You are terse and exact.',\n",
    "user message of a constant": 'msgs = [{"role": "user", "content": QUESTION_TEMPLATE}]\n',
    "role dict with a constant": 'msgs = [{"role": "system", "content": SYSTEM_RULES}]\n',
    "system message of content blocks": 'm = {"role": "system", "content": [{"type": "text", "text": t}]}\n',
    "message object with prose": "m = Message(role='system', content='Summarize this for me.')\n",
    "named prose": "SUPPORT_PROMPT = 'You are a support agent.'\n",
    "named environment read with a default prompt": "SYSTEM_PROMPT = os.getenv('SYSTEM_PROMPT', 'You are terse.')\n",
    "named sentence": "SYSTEM_PROMPT = 'Answer briefly.'\n",
    "named f-string": "def f(q):\n    prompt = f'Q: {q}'\n    return run(prompt)\n",
    "named prompt file": "system_prompt_filename = 'system_prompt.j2'\n",
    "named attribute in a method": "class A:\n    def __init__(self, tools):\n        self.system_message = f\"\"\"\n"
                                   "# TOOLS\n{tools}\n\"\"\"\n",
    "named attribute of an object": "interpreter.llm.custom_instructions = 'Reply in the language of the user.'\n",
    "named list of prose": "EXAMPLES = [\n    'Add a user named Bob.',\n]\n",
    "named concatenation": "    prompt += BASE_RULES + extra\n",
    "named file read": "    system_template = path.read_text()\n",
    "builder": "def build_prompt(q):\n    parts = [q]\n    return f'Answer {parts}'\n",
    "builder joining a list": "def extra_instructions(self):\n    return '\\n'.join(\n        [\n"
                              "            f'Your working directory is {self.root}.',\n        ]\n    )\n",
    "class text with a cue": "class Prompts:\n    main = '''Act as an expert.\n    Respond in JSON.'''\n",
    "returned text with a cue": "def f():\n    return '''Classify the review\n    as good or bad.'''\n",
    "module text with a late cue": 'NOTE = """' + "Plain words here.\n" * 200 + 'Answer in one word."""\n',
    "a one-word SDK method with its package": "import boto3\nrt = boto3.client('bedrock-runtime')\n"
                                              "def ask(m):\n    return rt.converse(modelId=M, messages=m)\n",
    "a one-word SDK method, imported late": "def ask(p):\n    return model.generate_content(p)\n\n"
                                            "import google.generativeai as genai\n",
}

MUST_SKIP = {
    "a mention of the SDK": "import litellm\nlitellm.drop_params = True\n",
    "a package of an SDK used for something else": "import boto3\ns3 = boto3.client('s3')\n"
                                                   "s3.put_object(Bucket=b, Key=k)\n",
    "a cloud library of the same vendor": "from google.cloud import storage\nclient = storage.Client()\n",
    "a sentence about completion": "p.add_argument('--fancy', help='history and completion (default: on)')\n",
    "a method named completion": "class LLM:\n    def completion(self, **kwargs):\n        return self._call(**kwargs)\n",
    "an ORM create": "Order.objects.create(name='x')\n",
    "a type named Chat...Param": "tool = ChatCompletionToolParam(type='function')\n",
    "PowerShell Invoke": "ps.Invoke(command)\n",
    "a count": "usage = Usage(\n    prompt_tokens=usage.prompt_tokens + 1,\n)\n",
    "a count on an attribute": "        self.stats.prompt_tokens = 0\n        self.system_prompt_id = new_id()\n",
    "a keyword argument in a test": "    run(\n        instruction='Test instruction number one',\n    )\n",
    "a one-word value": "SUPPORT_PROMPT = 'hi'\n",
    "an id": "template_id = get_id()\n",
    "a path": "    prompt_file = os.path.join(root, name)\n",
    "a list of globs": "PROMPT_CACHE_PATTERNS: list[str] = [\n    'claude-3*',\n]\n",
    "a builder with no text, before one with text": "class R:\n    def extra_instructions(self):\n"
                                                     "        return ''\n\n    def name(self):\n"
                                                     "        return 'The runtime of the agent'\n",
    "a builder that only logs": "def refresh_prompt(self):\n    \"\"\"Reload it from disk.\"\"\"\n"
                                 "    logger.info('Reloading the prompt now')\n    self._load()\n",
    "a test named for prompts": "def test_prompt_is_sent(client):\n    assert client.called\n",
    "a property named for prompts": "class A:\n    @property\n    def prompt_manager(self):\n        return self._pm\n",
    "a role dict with a greeting": "msgs = [{'role': 'user', 'content': 'Hello, how are you?'}]\n",
    "a builder that returns a template object": "def get_prompt_template(self):\n    \"\"\"Return it.\"\"\"\n"
                                                 "    return self._templates[self.name]\n",
    "a message object of another library": "m = Message(role='user', content=[TextContent(text=t)])\n",
    "a local page in a test": "def test_page():\n    if x:\n        page = '''<html>Respond</html>'''\n",
    "a keyword text": "p = ArgumentParser(\n    epilog='''Examples: list the runs'''\n)\n",
    "an environment flag": "_USE_LOCAL_PROMPTS = os.getenv('USE_LOCAL_PROMPTS', 'false')\n",
    "a file name pattern": "    log_filename_template = f'{run_id}-{step}.log'\n",
    "a page": 'PAGE = f"""<!DOCTYPE html>\n<html><body>Answer: {a}</body></html>"""\n',
    "a drawing": 'LOGO = """<?xml version="1.0"?>\n<svg><text>list</text></svg>"""\n',
    "code in a string": 'ORIGINAL = """from flask import Flask\napp = Flask(__name__)\n# return the page\n"""\n',
    "a docstring": 'def f():\n    """Return the list of things given."""\n',
    "text with an order word in passing": 'NOTE = """Use this tool to think about a plan.\nIt changes no files."""\n',
}


@pytest.mark.parametrize("name", sorted(MUST_PASS))
def test_each_kind_of_evidence_gets_its_file_parsed(name):
    assert admits(MUST_PASS[name])


@pytest.mark.parametrize("name", sorted(MUST_SKIP))
def test_look_alikes_are_not_parsed(name):
    assert not admits(MUST_SKIP[name])


def test_sink_markers_come_from_the_registry():
    """A new SDK shape is one registry entry; the prefilter admits its calls with no edit."""
    acme = Sink("acme.generate", "acme", _tail("text", "generate"), text=("prompt",), packages=("acme",))
    line = b"out = client.text.generate(prompt=p)\n"
    added = [pattern for anchors, pattern in prefilter_markers((*SINKS, acme)) if b"text" in anchors]
    assert any(re.search(pattern, line, re.MULTILINE) for pattern in added)
    assert not any(re.search(pattern, line, re.MULTILINE) for _, pattern in prefilter_markers(SINKS))


def test_joined_literals_with_a_cue_are_text():
    assert admits("def reply():\n    msg = (\n        'Please continue the task.\\n'\n"
                  "        'Summarize what you did when you are done.\\n'\n    )\n    return msg\n")
    assert admits("def reply():\n    msg = (\n        'Please continue the task. '\n"
                  "        f'{done}Answer in JSON.'\n    )\n    return msg\n")
    # the pieces may sit among other operands: a nested conditional, a name, ``+ name``
    assert admits("def reply(done):\n    extra = (\n        (\n            'Put the result in <result></result> tags.'\n"
                  "        )\n        if done\n        else ''\n    )\n    return extra\n")
    assert admits("def reply(msg):\n    return (\n        msg\n        + 'When done, run: <bash> exit </bash>.'\n    )\n")
    # an order word in passing is no order: content evidence would not read one there
    assert not admits("def reply():\n    msg = (\n        'Please continue the task.\\n'\n"
                      "        'When you are done, include your answer.\\n'\n    )\n    return msg\n")
    assert not admits("def total():\n    n = (\n        'a'\n        'b'\n    )\n    return n\n")
    assert not admits("def pair():\n    x = (\n        'a',\n        'b',\n    )\n    return list(x)\n")


# Pieces of text as prompts and look-alikes have them: order words at a sentence's start and
# in passing, formats, tags, placeholders, list marks, emphasis, spaces a source may escape.
_CUE_PIECES = ["you", "the plan", "Summarize", "summarize", "Briefly ", "think", "list", "json", "one word",
               ".", ", ", " ", "\n", "\t", "- ", "**", "> ", "{x}", "</a>", "é", "\u00a0", "\u3000", "Answer"]
_TASK = {"gives orders", "asks for a format", "marks its parts"}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_CUE_PIECES), min_size=1, max_size=30), st.booleans())
def test_text_whose_value_shows_a_task_cue_is_parsed(pieces, escaped):
    """The prefilter's cue is found in the source of every text content evidence could take
    (its value shows orders, a format or tagged parts): bound to a name in one literal, or
    joined from pieces, whatever the source escapes or splits into placeholders."""
    from promptlint.extract.evidence import instruction_cues

    value = "".join(pieces)
    if not _TASK & set(instruction_cues(value)):
        return
    escape = {"\n": "\\n", "\t": "\\t"} if escaped else {}
    source = "".join(escape.get(ch, ch) for ch in value)
    assert admits(f'NOTE = f"""{source}"""\n')
    lines = [line.replace("\t", "\\t") for line in value.split("\n")]  # a piece a line, as code joins them
    joined = "".join(f"        f'{line}\\n'\n" for line in lines[:-1]) + f"        f'{lines[-1]}'\n"
    assert admits("def reply():\n    msg = (\n" + joined + "    )\n    return msg\n")


# -- the anchored matcher admits what one regex over every anchor's window admitted ------

def _one_regex_verdict(check, data: bytes, flags: int) -> bool:
    """The matcher as it was: all markers as one regex, searched from the line start of every
    occurrence of any anchor to ``window`` bytes past it (slow, and the reference)."""
    confirm = re.compile(b"|".join(pattern for _, pattern in check.markers), flags)
    low = data.lower()
    for anchor in {a for anchors, _ in check.markers for a in anchors}:
        at = low.find(anchor)
        while at != -1:
            line_start = low.rfind(b"\n", 0, at) + 1
            if confirm.search(data, line_start, min(len(data), at + check.window)):
                return True
            at = low.find(anchor, at + 1)
    return False


# Lines in the shapes real modules have: calls, message dicts, prompt bindings, docstrings,
# builders, joined literals, and the look-alikes around them.
_LINES = [
    "reply = client.messages.create(model=m, messages=msgs)", "r = litellm.acompletion(model=m)",
    "from litellm import (", "    acompletion,", ")", "from litellm import completion as llm_call",
    "    return await acompletion(model=m)", "p = ChatPromptTemplate.from_messages([('system', s)])",
    "llm = ChatAnthropic(model='claude')", "answer = chain.invoke({'q': q})", "msgs = [{", "    'role': 'system',",
    "    'content': 'You are terse and exact.',", "}]", 'm = {"role": "user", "content": QUESTION}',
    "m = Message(role='system', content='Summarize this for me.')", "SUPPORT_PROMPT = 'You are a support agent.'",
    "prompt_tokens = 12", "def build_prompt(q):", "    text = 'Answer the question below.'", '    """',
    '    Summarize the text. Respond in JSON.', '    """', 'HELP = """', 'Explain what you did.', '"""',
    "    msg = (", "        'Please continue the task.\\n'", "        'When you are done, include your answer.\\n'",
    "    )", "    return msg", "# messages are logged including SystemMessageAction", "agent = AgentExecutor(agent=a)",
    "result = Runner.run(agent, q)", "x = role_of(message)", "chat_history.append(message)", "import openai",
    "from anthropic import Anthropic", "def test_prompt():", "    pass", "class Agent:", "    role = 'helper'",
    "logger.info('completion done')", "value = models.completion(x)", "",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_LINES), st.sampled_from(["", "    ", "\t", "        "]),
                          st.text(alphabet="ab _=(", max_size=4)), max_size=40))
def test_anchored_matcher_admits_what_one_regex_admitted(lines):
    data = "\n".join(indent + line + tail for line, indent, tail in lines).encode()
    for kind, flags in (("python", re.MULTILINE | re.IGNORECASE), ("notebook", re.IGNORECASE)):
        for check in prefilter(kind, DEFAULT_NAME_PATTERNS).checks:
            if _one_regex_verdict(check, data, flags):
                assert check.found(data, data.lower()), (kind, check.markers[0][0])


def test_a_name_that_only_starts_with_a_marker_is_not_one_where_a_window_ends():
    """``SystemMessageAction`` is no ``SystemMessage``, even when another anchor's window
    ends right after ``SystemMessage`` (the one-regex matcher saw a word end there)."""
    head = b"x = role_of(y)\n# "
    line = head + b"a" * (300 - len(head) + head.index(b"role") - len(b"SystemMessage")) + b"SystemMessageAction\n"
    assert line.index(b"SystemMessage") + len(b"SystemMessage") == line.index(b"role") + 300
    check = prefilter("python", DEFAULT_NAME_PATTERNS).checks[0]
    assert _one_regex_verdict(check, line, re.MULTILINE | re.IGNORECASE)  # the old matcher's mistake
    assert not admits(line.decode())


def test_a_test_suite_module_is_parsed_for_its_calls_not_its_fixtures():
    from promptlint.config import Config
    from promptlint.discover import SourceFile, passes_prefilter

    fixture = "EXPECTED_PROMPT = 'You are a support agent. Answer in one sentence.'\n"
    call = "def test_live():\n    client.messages.create(model=m, messages=[{'role': 'user', 'content': Q}])\n"
    config = Config()

    def parsed(path: str, text: str, kind: str = "python") -> bool:
        data = text.encode()
        return passes_prefilter(SourceFile(path, path, kind, data, ""), config)

    assert parsed("app/prompts.py", fixture)
    assert parsed("test_block.py", fixture)  # a benchmark script named test_*: its name says nothing
    assert not parsed("tests/unit/test_prompts.py", fixture)
    assert not parsed("tests/conftest.py", fixture)
    assert parsed("tests/unit/test_live.py", call)
    expected = "EXPECTED = [{'role': 'system', 'content': 'You are a support agent.'}]\n"
    template = "P = ChatPromptTemplate.from_messages([('system', 'You are terse.')])\n"
    assert parsed("app/messages.py", expected) and parsed("app/chains.py", template)
    assert not parsed("tests/unit/test_convert.py", expected)  # compared with what code builds
    assert not parsed("tests/unit/test_chains.py", template)
    assert parsed("tests/unit/test_chains.py", template + "answer = (P | llm).invoke({'q': q})\n")
    recorded = "agent:\n  system_template: You are an autonomous programmer. Fix the issue.\n"
    conversation = "messages:\n  - role: system\n    content: You are terse.\n"
    assert parsed("config/agent.yaml", recorded, "yaml")
    assert not parsed("tests/test_data/args.yaml", recorded, "yaml")
    assert parsed("tests/test_data/chat.yaml", conversation, "yaml")


def test_a_confirming_regex_is_compiled_only_when_its_anchor_is_in_a_file():
    """A one-file run wakes few anchors: building the prefilter compiles nothing, and a
    file compiles only the regexes of the anchors it holds (compiling every one was most
    of a one-file run's prefilter)."""
    from promptlint.discover import Check

    check = Check.of((((b"alpha",), rb"alpha\(\)"), ((b"beta",), rb"beta\(\)")), 0)
    regexes = {anchor: confirm for anchor, confirm in check.searches}
    assert all(r._compiled is None for r in regexes.values())
    assert check.found(b"x = alpha()\n", b"x = alpha()\n")
    assert regexes[b"alpha"]._compiled is not None and regexes[b"beta"]._compiled is None
    assert not check.found(b"beta = 1\n", b"beta = 1\n")  # its anchor woke it; the call is not there
    assert regexes[b"beta"]._compiled is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_LINES), st.sampled_from(["", "    ", "\t"]),
                          st.text(alphabet="ab_=(é\t.-", max_size=5)), max_size=60))
def test_reading_anchor_absence_off_the_word_runs_changes_no_verdict(lines):
    """An anchor of word characters occurs in a file exactly when it occurs in one of the
    file's word runs, so every check gives the same answer with the runs as without, on
    any text (non-ASCII letters and punctuation next to anchors included)."""
    from promptlint.discover import word_runs

    data = "\n".join(indent + line + tail for line, indent, tail in lines).encode()
    low = data.lower()
    words = word_runs(low)
    for kind in ("python", "notebook", "yaml"):
        for check in prefilter(kind, DEFAULT_NAME_PATTERNS).checks:
            assert check.found(data, low, words) == check.found(data, low), (kind, check.markers[0][0])


def test_word_runs_never_join_two_runs_into_an_anchor():
    from promptlint.discover import word_runs

    runs = word_runs(b"com.pletion = 1\nopen-ai\n")
    assert b" completion " not in runs and b"openai" not in runs
    assert {b"com", b"pletion", b"open", b"ai", b"1"} == set(runs.split())
