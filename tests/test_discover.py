"""Discovery: what is walked, what the prefilter lets through, and notices for bad files."""

from __future__ import annotations

import os

from promptlint.config import parse_config
from promptlint.discover import discover

from conftest import write_tree


def discovered(tmp_path, config=None):
    result = discover([tmp_path], parse_config(config or {}, root=str(tmp_path)))
    return {f.path for f in result.files}, result


def test_prefilter_keeps_files_that_may_hold_prompts(tmp_path):
    write_tree(tmp_path, {
        "llm.py": "resp = client.messages.create(model=m)\n",
        "chained.py": "resp = (client.chat.completions\n    .create(model=m))\n",
        "consts.py": "SUPPORT_PROMPT = 'You are a support agent.'\n",
        "annotated.py": "    system_instructions: str = 'Answer in one line.'\n",
        "lite.py": "import litellm\nreply = litellm.completion(model=m, messages=msgs)\n",
        # look-alikes: a name with no text, a mention of the SDK with no call, a count
        "short.py": "SUPPORT_PROMPT = 'hi'\n",
        "mention.py": "import litellm\nlitellm.drop_params = True\n",
        "usage.py": "usage = Usage(\n    prompt_tokens=self.prompt_tokens + 1,\n)\n",
        "plain.py": "def add(a, b):\n    return a + b\nTIMEOUT = 3\n",
        "orm.py": "Order.objects.create(name='x')\n",
        "compare.py": "if SYSTEM_PROMPT == other: pass\n",
        "config.yaml": "system: You are helpful\nmodel: x\n",
        "ci.yaml": "jobs:\n  build:\n    runs-on: ubuntu\n",
        "prompts/answer.j2": "Hello {{ name }}",
        "README.md": "SYSTEM_PROMPT = 'x'",
    })
    found, result = discovered(tmp_path)
    assert found == {"llm.py", "chained.py", "consts.py", "annotated.py", "lite.py", "config.yaml", "prompts/answer.j2"}
    assert set(result.skipped) == {"plain.py", "orm.py", "compare.py", "ci.yaml", "short.py", "mention.py",
                                   "usage.py"}
    assert result.candidates == 14


def test_default_and_configured_excludes(tmp_path):
    write_tree(tmp_path, {
        ".venv/lib/x.py": "P_PROMPT = 'Answer in one line.'\n",
        "node_modules/a/b.py": "P_PROMPT = 'Answer in one line.'\n",
        "build/gen.py": "P_PROMPT = 'Answer in one line.'\n",
        "app/legacy/old.py": "P_PROMPT = 'Answer in one line.'\n",
        "app/new.py": "P_PROMPT = 'Answer in one line.'\n",
    })
    found, _ = discovered(tmp_path, {"extend-exclude": ["app/legacy"]})
    assert found == {"app/new.py"}
    found, _ = discovered(tmp_path, {"include": ["app/legacy/*.py"]})
    assert found == {"app/legacy/old.py"}


def test_large_file_and_missing_path_are_notices(tmp_path):
    write_tree(tmp_path, {"big.py": "BIG_PROMPT = '" + "x" * 2000 + "'\n", "ok.py": "OK_PROMPT = 'Answer in one line.'\n"})
    result = discover([tmp_path, tmp_path / "nope"], parse_config({"max-file-size": 1000}, root=str(tmp_path)))
    assert {f.path for f in result.files} == {"ok.py"}
    notices = {d.path: d.message for d in result.diagnostics}
    assert "over max-file-size" in notices["big.py"]
    assert any("does not exist" in m for m in notices.values())


def test_symlink_loop_does_not_hang(tmp_path):
    write_tree(tmp_path, {"pkg/a.py": "A_PROMPT = 'Answer in one line.'\n"})
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "loop")
    found, _ = discovered(tmp_path)
    assert found == {"pkg/a.py"}


def test_explicit_file_paths_are_scanned(tmp_path):
    write_tree(tmp_path, {"a.py": "A_PROMPT = 'Answer in one line.'\n", "b.py": "B_PROMPT = 'Answer in one line.'\n"})
    result = discover([tmp_path / "a.py"], parse_config({}, root=str(tmp_path)))
    assert [f.path for f in result.files] == ["a.py"]


def test_prefilter_reads_name_patterns_as_the_extractor_does(tmp_path):
    """``[...]`` classes in prompt-name-patterns: the prefilter must not drop a file the
    extractor would take a template from."""
    write_tree(tmp_path, {"a.py": 'PROMPT_B = "Answer briefly and politely."\n', "b.py": 'PROMPT_Z = "x"\n'})
    found, _ = discovered(tmp_path, {"prompt-name-patterns": ["PROMPT_[A-C]"]})
    assert found == {"a.py"}
