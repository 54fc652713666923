"""A call that spreads ``**params`` says nothing with its keywords, so the receiver's
constructor decides which SDK it is: Ollama's ``Client`` is not Cohere's, a mock is no
client, and a client built by the SDK itself stays a request."""

from __future__ import annotations

import json

from conftest import write_tree

OLLAMA = '''\
try:
    from ollama import Client
except ImportError:
    raise ImportError("pip install ollama")


class LocalLLM:
    def __init__(self, config):
        self.config = config
        self.client = Client(host=config.base_url)

    def generate(self, messages):
        params = {"model": self.config.model, "messages": messages}
        params["options"] = {"num_predict": self.config.max_tokens}
        return self.client.chat(**params)
'''

ANTHROPIC = '''\
import anthropic


class Drafter:
    def __init__(self):
        self.client = anthropic.Anthropic()

    def draft(self, params):
        return self.client.messages.create(**params)
'''

MOCKED = '''\
from unittest.mock import MagicMock


def test_draft(params):
    client = MagicMock()
    client.messages.create(**params)
'''


def _requests(cli, root):
    _, out, _ = cli(root, "check", ".", "--no-cache", "--format", "json")
    doc = json.loads(out)
    return {r["path"]: r["provider"] for r in doc["requests"]}, doc["findings"]


def test_the_constructor_decides_the_sdk_of_a_spread_call(cli, tmp_path):
    root = write_tree(tmp_path, {"local_llm.py": OLLAMA, "drafter.py": ANTHROPIC, "test_drafter.py": MOCKED})
    providers, findings = _requests(cli, root)
    assert providers == {"local_llm.py": "ollama", "drafter.py": "anthropic"}
    # a local server bills nothing: no output-cap warning priced as a cloud model
    assert not [f for f in findings if f["code"] == "PL301" and f["path"] == "local_llm.py"]
