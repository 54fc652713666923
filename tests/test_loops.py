"""The loop analysis (promptlint.loops): what repeats each request, as the loop rules read it."""

from __future__ import annotations

import pytest

from conftest import run_analysis, write_tree

HEAD = "import anthropic\nimport itertools\nimport time\n\nclient = anthropic.Anthropic()\n\n\n"
CALL = 'client.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages={messages})'


def loops_of(tmp_path, body: str, messages: str = '[{"role": "user", "content": x}]'):
    write_tree(tmp_path, {"app.py": HEAD + body.replace("CALL", CALL.format(messages=messages))})
    request = run_analysis(tmp_path).project.requests[0]
    return [(loop.kind, loop.independent, loop.grows) for loop in request.loops]


@pytest.mark.parametrize("body,expected", [
    ("def f(xs):\n    for x in xs:\n        CALL\n", [("collection", True, None)]),
    ("def f(xs):\n    return [CALL for x in xs]\n", [("collection", True, None)]),
    ("def f(x):\n    for i in range(5):\n        CALL\n", [("counter", True, None)]),
    ("def f(x):\n    for m in ['a', 'b']:\n        CALL\n", [("literal", True, None)]),
    ("def f(x):\n    while True:\n        r = CALL\n        if r.stop_reason == 'end_turn':\n            break\n",
     [("unbounded", True, None)]),
    ("def f(x):\n    for i in itertools.count():\n        CALL\n        if i >= 9:\n            break\n",
     [("capped", True, None)]),
    ("def f(x, n):\n    i = 0\n    while i < n:\n        CALL\n        i += 1\n", [("capped", True, None)]),
    ("def f(x):\n    while True:\n        x = input()\n        CALL\n", [("interactive", True, None)]),
    ("def f(x):\n    while True:\n        try:\n            return CALL\n        except Exception:\n            time.sleep(1)\n",
     [("retry", True, None)]),
    ("def f(x):\n    for attempt in range(3):\n        try:\n            return CALL\n        except Exception:\n            pass\n",
     [("retry", True, None)]),
    # a counted retry is a retry: it hides no loop over items around its helper
    ("def f(x):\n    tries = 0\n    while tries < 3:\n        tries += 1\n        try:\n            return CALL\n"
     "        except Exception:\n            pass\n", [("retry", True, None)]),
    # the answer feeds the next prompt, and the text sent keeps every answer so far
    ("def f(xs):\n    x = ''\n    for y in xs:\n        r = CALL\n        x += r.content[0].text\n", [("collection", False, "x")]),
    # the answer replaces the next prompt: carried, nothing grows
    ("def f(xs):\n    x = ''\n    for y in xs:\n        r = CALL\n        x = r.content[0].text\n", [("collection", False, None)]),
    # a fresh value at the top of every iteration
    ("def f(xs):\n    for y in xs:\n        x = y.strip()\n        CALL\n", [("collection", True, None)]),
])
def test_loop_kinds_and_dependence(tmp_path, body, expected):
    assert loops_of(tmp_path, body) == expected


def test_an_inner_retry_does_not_hide_the_outer_loop_over_items(tmp_path):
    """Issue 21: `for item in items: for attempt in range(3): ...` was seen as a range loop only."""
    body = ("def f(items):\n    for x in items:\n        for attempt in range(3):\n            try:\n"
            "                CALL\n                break\n            except Exception:\n                continue\n")
    assert loops_of(tmp_path, body) == [("retry", True, None), ("collection", True, None)]


def test_a_growing_history_and_a_window(tmp_path):
    grows = "def f(qs):\n    messages = []\n    for q in qs:\n        messages.append(q)\n        CALL\n"
    assert loops_of(tmp_path, grows, "messages") == [("collection", False, "messages")]
    write_tree(tmp_path, {"app.py": HEAD + grows.replace("CALL", CALL.format(messages="messages"))
                          + "        messages = messages[-4:]\n"})
    loop = run_analysis(tmp_path).project.requests[0].loops[0]
    assert loop.grows == "messages" and loop.trimmed


def test_loops_through_helpers_in_files_with_no_llm_call(tmp_path):
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/llm.py": HEAD + "def ask(x):\n    return " + CALL.format(messages='[{"role": "user", "content": x}]') + "\n",
        "pkg/steps.py": "from pkg.llm import ask\n\n\ndef twice(x):\n    return ask(x), ask(x)\n",
        "jobs/run.py": "from pkg.steps import twice\n\n\ndef nightly(rows):\n    for row in rows:\n        twice(row)\n",
    })
    request = run_analysis(tmp_path).project.requests[0]
    assert [(loop.kind, loop.header, loop.via) for loop in request.loops] == [
        ("collection", "for row in rows", ("ask", "twice"))]


def test_a_conversation_object_called_in_a_loop_is_not_independent(tmp_path):
    write_tree(tmp_path, {"chat.py": (
        "import anthropic\n\n\nclass Chat:\n    def __init__(self):\n        self.client = anthropic.Anthropic()\n"
        "        self.messages = []\n\n    def send(self, text):\n        self.messages.append(text)\n"
        "        return self.client.messages.create(model='claude-sonnet-4-5', max_tokens=9, messages=self.messages)\n\n\n"
        "def main(qs):\n    chat = Chat()\n    for q in qs:\n        chat.send(q)\n")})
    request = run_analysis(tmp_path).project.requests[0]
    assert request.history == "self.messages"
    assert [(loop.kind, loop.independent, loop.via) for loop in request.loops] == [("collection", False, ("Chat.send",))]


def test_an_openai_call_with_an_unknown_model_is_not_priced_as_claude(tmp_path):
    """Issue 21: with default-model a Claude model, an OpenAI call whose model is a variable
    was counted, priced and capped as that Claude model."""
    write_tree(tmp_path, {"app.py": (
        "from openai import OpenAI\n\nclient = OpenAI()\n\n\ndef answer(model, question):\n"
        "    return client.chat.completions.create(model=model, messages=[{'role': 'user', 'content': question}])\n")})
    analysis = run_analysis(tmp_path, {"default-model": "claude-sonnet-4-5"})
    request = analysis.project.requests[0]
    model = analysis.measurements.requests[request.id].model
    assert model.startswith("gpt-"), model
    exposure = next(f for f in analysis.findings if f.finding.code == "PL301")
    assert "claude" not in exposure.finding.message and model in exposure.finding.message


def test_who_waits_on_each_answer(tmp_path):
    """PL402 reads these: a loop whose answers are only printed, or one query fanned out."""
    printed = "def f(xs):\n    for x in xs:\n        r = CALL\n        print(r.content[0].text)\n"
    write_tree(tmp_path, {"app.py": HEAD + printed.replace("CALL", CALL.format(messages='[{"role": "user", "content": x}]'))})
    assert "only printed" in run_analysis(tmp_path).project.requests[0].loops[0].waited
    ranked = ("def f(query, docs):\n    scores = []\n    for d in docs:\n        r = CALL\n"
              "        scores.append(r)\n    return sorted(scores)\n")
    write_tree(tmp_path, {"app.py": HEAD + ranked.replace("CALL", CALL.format(
        messages='[{"role": "user", "content": f"{query} {d}"}]'))})
    assert "`query`" in run_analysis(tmp_path).project.requests[0].loops[0].waited
    kept = "def f(xs):\n    out = []\n    for x in xs:\n        out.append(CALL)\n    return out\n"
    write_tree(tmp_path, {"app.py": HEAD + kept.replace("CALL", CALL.format(messages='[{"role": "user", "content": x}]'))})
    assert run_analysis(tmp_path).project.requests[0].loops[0].waited is None


@pytest.mark.parametrize("messages, sent, in_text", [
    ("messages", "messages", False),
    ('[{"role": "system", "content": "Be brief."}, *messages]', "messages", False),
    ('[{"role": "user", "content": f"So far: {messages}"}]', "messages", True),
    ('[{"role": "user", "content": "\\n".join(str(m) for m in messages)}]', "messages", True),
    ('[{"role": "user", "content": json.dumps(messages)}]', "messages", True),
    # a slice, an index or a length of the history is not the history
    ('[{"role": "user", "content": f"So far: {messages[-3:]}"}]', None, False),
    ('[{"role": "user", "content": f"Turn {len(messages)}: {messages[-1]}"}]', None, False),
])
def test_a_history_sent_as_messages_or_written_into_text(tmp_path, messages, sent, in_text):
    body = "def f(qs):\n    messages = []\n    for q in qs:\n        messages.append(q)\n        CALL\n"
    write_tree(tmp_path, {"app.py": "import json\n" + HEAD + body.replace("CALL", CALL.format(messages=messages))})
    [loop] = run_analysis(tmp_path).project.requests[0].loops
    assert (loop.grows, loop.grows_in_text) == (sent, in_text)


@pytest.mark.parametrize("bound", [
    "collections.deque(maxlen=6)", "deque([], 6)",
])
def test_a_deque_with_a_maxlen_is_a_sliding_window(tmp_path, bound):
    """It drops its oldest turns itself: no trimming statement, and no growing history."""
    body = (f"def f(qs):\n    messages = {bound}\n    for q in qs:\n        messages.append(q)\n"
            "        r = CALL\n        messages.append(r.content[0].text)\n")
    head = "import collections\nfrom collections import deque\n" + HEAD
    write_tree(tmp_path, {"app.py": head + body.replace("CALL", CALL.format(messages="list(messages)"))})
    analysis = run_analysis(tmp_path)
    [loop] = analysis.project.requests[0].loops
    assert loop.grows == "messages" and loop.trimmed
    assert not [f for f in analysis.findings if f.finding.code == "PL205"]


def test_an_unbounded_loop_over_a_window_does_not_say_the_window_grows(tmp_path):
    body = "def f(q):\n    messages = []\n    while True:\n        messages.append(q)\n        CALL\n{cut}"
    for cut, grows in (("", True), ("        messages = messages[-8:]\n", False)):
        write_tree(tmp_path, {"app.py": HEAD + body.format(cut=cut).replace("CALL", CALL.format(messages="messages"))})
        [finding] = [f.finding for f in run_analysis(tmp_path).findings if f.finding.code == "PL303"]
        assert ("`messages` grows every step" in finding.message) is grows, finding.message
