"""genai-prices' answers kept per machine: a run without the tree's cache whose questions
were all asked before never imports genai-prices, and gives the same output; a damaged or
wrong kept answer is asked again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from promptlint.machine_memo import MachineMemos
from promptlint.parsed import write_checked

from conftest import ROOT, write_tree

APP = {
    "app.py": '''
import anthropic
client = anthropic.Anthropic()
SYSTEM_PROMPT = "You are a support agent for an online shop. Answer from the order record only."

def answer(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=200, system=SYSTEM_PROMPT,
                                  messages=[{"role": "user", "content": q}])
''',
}

_RUN = """
import sys
from promptlint.cli import main
sys.argv = ["promptlint", "check", "--no-cache", "--format", "json", "app.py"]
try:
    main()
except SystemExit:
    pass
print("genai_prices imported:", "genai_prices" in sys.modules, file=sys.stderr)
"""


def _run(root: Path, cache_home: Path) -> tuple[str, bool]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _RUN], cwd=root, env=env, capture_output=True, text=True,
                          check=True)
    return done.stdout, "genai_prices imported: True" in done.stderr


def _memo_files(cache_home: Path) -> list[Path]:
    return sorted((cache_home / "promptlint" / "genai").glob("prices-*.json"))


def test_a_second_run_without_the_tree_cache_prices_without_genai_prices(tmp_path):
    write_tree(tmp_path / "tree", APP)
    home = tmp_path / "home"
    first, imported = _run(tmp_path / "tree", home)
    assert imported and _memo_files(home)
    assert json.loads(first)["findings"] and "usd_per_month" in first
    second, imported = _run(tmp_path / "tree", home)
    assert not imported
    assert second == first


def test_a_damaged_or_wrong_kept_answer_is_asked_again(tmp_path):
    write_tree(tmp_path / "tree", APP)
    home = tmp_path / "home"
    first, _ = _run(tmp_path / "tree", home)
    (memo,) = _memo_files(home)
    head, _, body = memo.read_bytes().partition(b"\n")
    damaged = body.replace(b'":"0.', b'":"9.', 1)  # still a valid price: only the hash tells
    assert damaged != body
    memo.write_bytes(head + b"\n" + damaged)
    again, imported = _run(tmp_path / "tree", home)
    assert imported and again == first
    (memo,) = _memo_files(home)
    values = json.loads(memo.read_bytes().partition(b"\n")[2])
    wrong = json.dumps({key: "-1" for key in values}, separators=(",", ":")).encode()  # a negative price
    write_checked(memo, wrong)
    again, imported = _run(tmp_path / "tree", home)
    assert imported and again == first


def test_answers_are_kept_per_stamp(tmp_path, monkeypatch):
    """Prices change on dates and with genai-prices' version: another stamp, another memo."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    memos = MachineMemos()
    memos.memo("prices", "0.0.40|2026-12-03")["claude-sonnet-4-5|10|0|0|0|0"] = "0.00003"
    memos.save()
    again = MachineMemos()
    assert again.memo("prices", "0.0.40|2026-12-03") == {"claude-sonnet-4-5|10|0|0|0|0": "0.00003"}
    assert again.memo("prices", "0.0.40|2026-12-04") == {}
    assert again.memo("prices", "0.0.41|2026-12-03") == {}
