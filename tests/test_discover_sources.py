"""The prefilter lets every prompt source through and keeps obvious non-prompts out."""

from __future__ import annotations

from promptlint.config import parse_config
from promptlint.discover import discover


def scanned(root) -> set[str]:
    return {f.path for f in discover([root], parse_config({}, root=str(root))).files}


def test_prefilter_by_kind(project):
    root = project({
        "k8s/deploy.yaml": "spec:\n  template:\n    metadata:\n      labels: {app: web}\n",
        "prompts/a.yaml": "system:\n  You answer billing questions.\n",
        "prompts/b.yaml": "agent:\n  triage_prompt: >-\n    Sort the message.\n",
        "flows/x.prompty": "---\nname: x\n---\nHello\n",
        "app/chain.py": "from langchain_openai import ChatOpenAI\nllm = ChatOpenAI(model='gpt-4o')\n",
        "app/use.py": "from app.chain import chain\ndef f(q):\n    return chain.invoke(q)\n",
        "app/util.py": "def add(a, b):\n    return a + b\n",
        "templates/t.j2": "plain text",
        "notes/todo.md": "not a candidate, but linkable",
    })
    assert scanned(root) == {"prompts/a.yaml", "prompts/b.yaml", "flows/x.prompty", "app/chain.py", "app/use.py",
                             "templates/t.j2"}
    discovery = discover([root], parse_config({}, root=str(root)))
    assert "notes/todo.md" in discovery.others
