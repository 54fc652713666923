"""OpenAI counts from the helper process: the same numbers as the encoding built here, and
the in-process path whenever the helper cannot answer."""

from __future__ import annotations

import sys

import pytest

from promptlint.config import parse_config
from promptlint.engine import analyze
from promptlint.extract import extract_file
from promptlint.models import ModelCatalog
from promptlint.tokens import helper, likely_families
from promptlint.tokens.offline import OfflineCounter
from promptlint.tokens.openai import OpenAICounter, encoding

from conftest import write_tree

TEXTS = [
    "",
    "You are a helpful assistant. Answer in JSON.",
    "  indented\n\n\ttabs and   runs of spaces  \n",
    "Grüße, naïve café — «quotes» and emoji 🙂🚀, 日本語のテキスト, עברית",
    "<|endoftext|> counts as ordinary text <|im_start|>",
    "a\ud800b lone surrogate",
    "x" * 5000 + " 1234567890 " * 50,
]


@pytest.fixture
def fresh_helper(monkeypatch):
    """A helper of the test's own, so a broken one never leaks into other tests."""
    monkeypatch.setattr(helper, "_started", [])
    yield
    for found in helper._started:
        if found is not None:
            found.close()


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_the_helper_counts_what_the_encoding_built_here_counts(fresh_helper, name):
    helper.prepare([name])
    got = helper.count(name, TEXTS)
    assert got == [len(encoding(name).encode_ordinary(t)) for t in TEXTS]


def test_the_counter_asks_the_running_helper_and_never_builds_here(fresh_helper, monkeypatch):
    helper.prepare(["cl100k_base"])
    counter = OpenAICounter("cl100k_base")
    monkeypatch.setattr(OpenAICounter, "encoder", property(lambda self: pytest.fail("built in-process")))
    assert counter.content_many(TEXTS[:3]) == [len(encoding("cl100k_base").encode_ordinary(t)) for t in TEXTS[:3]]


def test_a_helper_that_died_leaves_the_counts_to_this_process(fresh_helper):
    helper.prepare(["cl100k_base"])
    found = helper.running()
    found.process.kill()
    found.process.wait()
    assert helper.count("cl100k_base", ["hello"]) is None
    assert helper.running() is None
    assert OpenAICounter("cl100k_base").content_many(["hello world"]) == [2]


def test_a_helper_that_cannot_start_leaves_the_counts_to_this_process(fresh_helper, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    helper.prepare(["o200k_base"])
    assert helper.running() is None
    assert OpenAICounter("o200k_base").content_many(["hello world"]) == [2]


def test_an_unknown_encoding_is_answered_with_none(fresh_helper):
    helper.prepare(["no_such_base"])
    assert helper.count("no_such_base", ["x"]) is None


class _Store:
    def __init__(self, known: dict[str, int]) -> None:
        self.tokens = known

    def token_count(self, key: str) -> int | None:
        return self.tokens.get(key)


def test_counting_ahead_starts_the_helper_only_for_texts_no_run_counted(fresh_helper):
    family, text = "openai-cl100k", "Summarize the ticket."
    stored = OfflineCounter(store=_Store({OfflineCounter._key(family, text): 5}))
    stored.ahead({family: [text], "claude-3": ["other"]})
    assert not helper._started
    OfflineCounter().ahead({"claude-3": ["other"]})
    assert not helper._started
    OfflineCounter().ahead({family: [text]})
    assert helper.running() is not None and helper.running().prepared == {"cl100k_base"}


def test_likely_families_follow_the_calls_model_literal_or_sdk(tmp_path):
    source = (
        "from openai import OpenAI\n"
        "import anthropic\n"
        "client = OpenAI()\n"
        "def old(q):\n"
        "    return client.chat.completions.create(model='gpt-4-turbo', messages=[{'role': 'user', 'content': q}])\n"
        "def new(q, model):\n"
        "    return client.chat.completions.create(model=model, messages=[{'role': 'user', 'content': q}])\n"
        "def claude(q):\n"
        "    return anthropic.Anthropic().messages.create(model='claude-sonnet-4-5', max_tokens=5,\n"
        "                                                 messages=[{'role': 'user', 'content': q}])\n"
    )
    config = parse_config({}, root=str(tmp_path))
    result = extract_file("app.py", "python", source.encode(), tuple(config.prompt_name_patterns))
    catalog = ModelCatalog(config.prices)
    found = likely_families([result], catalog, config.default_model)
    assert {"openai-cl100k", "openai-o200k"} <= found
    assert catalog.family("claude-sonnet-4-5") in found


def test_a_run_counts_the_same_with_and_without_the_helper(fresh_helper, tmp_path, monkeypatch):
    write_tree(tmp_path, {"app.py": (
        "from openai import OpenAI\n"
        "client = OpenAI()\n"
        "SYSTEM = 'You are a support agent for Ledgerly. Answer in at most three sentences. Grüße 🙂'\n"
        "def answer(q):\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
        "        {'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': q}])\n"
        "def legacy(q):\n"
        "    return client.chat.completions.create(model='gpt-4-turbo', messages=[\n"
        "        {'role': 'system', 'content': SYSTEM + ' Be terse.'}, {'role': 'user', 'content': q}])\n")})
    config = parse_config({}, root=str(tmp_path))
    served = analyze([tmp_path], config, use_cache=False)
    assert helper.running() is not None
    monkeypatch.setattr(helper, "_started", [None])  # as when no helper could start
    local = analyze([tmp_path], config, use_cache=False)
    assert served.measurements == local.measurements
    assert {r.model for r in served.measurements.requests.values()} == {"gpt-4o", "gpt-4-turbo"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_helper_exits_when_the_process_that_started_it_dies(tmp_path):
    import os
    import signal
    import subprocess
    import time

    from test_hostile import _alive

    script = tmp_path / "starts_a_helper.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {helper._package_root()!r})\n"
        "from promptlint.tokens import helper\n"
        "found = helper.helper()\n"
        "found.prepare(['o200k_base'])\n"
        "print(found.process.pid, flush=True)\n"
        "time.sleep(120)\n", encoding="utf-8")
    main = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(main.stdout.readline())
        assert _alive(pid)
        os.kill(main.pid, signal.SIGKILL)
        main.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), "the helper outlived the process that started it"
    finally:
        main.kill()
        main.stdout.close()
