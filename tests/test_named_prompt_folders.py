"""A prompt folder that code locates without a visible read of one of its files: each of
its text files is a prompt (promptlint.extract.folders), and look-alikes are not."""

from __future__ import annotations

from conftest import run_analysis

from promptlint.config import Config
from promptlint.discover import prefilter

GENERATE = ("You will get instructions for code to write. Think step by step and write out every file "
            "in full, then explain each file in one sentence.\n")
QA = "Ask the user one clarifying question at a time. Stop when nothing is left to clarify.\n"

# The shape of a project that hands its prompt folder to a class of its own, which reads a
# file by a run-time key; the request sits in another module.
STORE = '''from pathlib import Path


class Store:
    def __init__(self, path):
        self.path = Path(path)

    def __getitem__(self, key):
        return (self.path / key).read_text()
'''
MAIN = '''from pathlib import Path
from dataclasses import dataclass

from app.store import Store


@dataclass
class Stores:
    memory: Store
    preprompts: Store


def main(workdir):
    stores = Stores(memory=Store(Path(workdir) / "memory"), preprompts=Store(Path(__file__).parent / "preprompts"))
    return stores
'''
STEPS = '''import openai


def gen(stores, question):
    return openai.chat.completions.create(model="gpt-4o", max_tokens=500, messages=[
        {"role": "system", "content": stores.preprompts["generate"]},
        {"role": "user", "content": question}])
'''


def templates_of(root):
    return dict(run_analysis(root).project.templates)


def test_the_files_of_a_prompt_folder_handed_to_a_store_class_are_prompts(project):
    root = project({
        "app/store.py": STORE, "app/main.py": MAIN, "app/steps.py": STEPS,
        "app/preprompts/generate": GENERATE,  # no suffix, as such folders often have
        "app/preprompts/qa.txt": QA,
        "app/preprompts/empty": "",
        "app/preprompts/README.md": "# Prompts\nThese files are the prompts the steps send.\n",
        "app/preprompts/logo.png": "not text",
        "app/memory/notes.txt": "What the run wrote down: the user wants a snake game in Python.\n",
    })
    found = templates_of(root)
    assert {"app/preprompts/generate", "app/preprompts/qa.txt"} <= set(found)
    # the folder's README, an empty file, a picture and an unnamed folder are not prompts
    assert not {"app/preprompts/empty", "app/preprompts/README.md", "app/preprompts/logo.png",
                "app/memory/notes.txt"} & set(found)
    evidence = " ".join(e.detail for e in found["app/preprompts/generate"].evidence)
    assert "app/main.py:14" in evidence


def test_a_module_constant_and_os_path_join_locate_a_prompt_folder(project):
    root = project({
        "bot/paths.py": "from pathlib import Path\nPROMPTS_DIR = Path(__file__).parent / 'prompts'\n",
        "bot/prompts/triage.md": QA,
        "svc/load.py": ("import os\n\n\ndef loader():\n"
                        "    return Loader(os.path.join(os.path.dirname(__file__), 'system_prompts'))\n"),
        "svc/system_prompts/support": GENERATE,
    })
    found = templates_of(root)
    assert {"bot/prompts/triage.md", "svc/system_prompts/support"} <= set(found)


def test_a_folder_named_otherwise_or_the_word_prompts_that_is_no_path_is_not_a_prompt_folder(project):
    root = project({
        "app/config.py": ('SETTINGS = {"prompts": {"max": 3}}\n'
                          'def load(log, base):\n'
                          '    log.info("loading prompts")\n'
                          '    return Reader(base / "notes")\n'),
        "app/prompts/answer.txt": GENERATE,
        "app/notes/answer.txt": QA,
    })
    assert not {"app/prompts/answer.txt", "app/notes/answer.txt"} & set(templates_of(root))


def test_a_path_to_a_prompt_folder_admits_a_module_the_prefilter_would_skip():
    check = prefilter("python", tuple(Config().prompt_name_patterns))
    assert check.matches(MAIN.encode())
    assert check.matches(b"import os\nBASE = os.path.join(HERE, 'prompts')\n")
    assert not check.matches(b'SETTINGS = {"prompts": {"max": 3}}\nlog.info("loading prompts")\n')
    assert not check.matches(STORE.encode())


def test_a_notebook_that_locates_a_prompt_folder_gives_the_same_evidence_as_a_module(project):
    import json

    cell = ("import anthropic\nfrom pathlib import Path\nclient = anthropic.Anthropic()\n"
            "store = Store(Path('prompts'))\n"
            "client.messages.create(model='claude-sonnet-4-5', max_tokens=50, messages=[{'role': 'user', 'content': 'hi'}])\n")
    root = project({
        "nb/explore.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": cell.splitlines(keepends=True),
                                                   "metadata": {}}], "nbformat": 4, "nbformat_minor": 5}),
        "nb/prompts/triage.txt": QA,
    })
    found = templates_of(root)
    details = [e.detail for e in found["nb/prompts/triage.txt"].evidence]
    assert any("locates" in d for d in details) and not any("prompt config" in d for d in details)
