"""Without --tokenizer anthropic promptlint opens no connection and never imports the SDK.

Runs in a fresh interpreter so the check of imported modules means something: every way
to open a socket or resolve a name is replaced by a recorder that refuses (so even an
attempt that some library would catch and hide is seen), then a full
check and audit of the bundled examples run (with an API key in the environment, which
alone must change nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT

SCRIPT = r"""
import json, socket, sys

attempts = []

def refuse(name):
    def blocked(*args, **kwargs):
        attempts.append(name)
        raise OSError(f"network blocked by test: {name}")
    return blocked

socket.socket.connect = refuse("connect")
socket.socket.connect_ex = refuse("connect_ex")
socket.getaddrinfo = refuse("getaddrinfo")
socket.gethostbyname = refuse("gethostbyname")
socket.create_connection = refuse("create_connection")

from promptlint.cli import main

codes = []
for args in (["check", "examples"], ["audit", "examples"], ["check", "--format", "json", "examples"],
             ["count", "--model", "claude-sonnet-4-5", "examples/support_bot/prompts.py"]):
    try:
        main(args, standalone_mode=False)
        codes.append(0)
    except SystemExit as exc:
        codes.append(exc.code)
sdk = sorted(m for m in sys.modules if m.split(".")[0] == "anthropic")
print("RESULT " + json.dumps({"attempts": attempts, "sdk_modules": sdk, "codes": codes}))
"""


def test_offline_runs_open_no_connection():
    env = {**os.environ, "ANTHROPIC_API_KEY": "sk-ant-test-not-used", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    line = next((s for s in done.stdout.splitlines() if s.startswith("RESULT ")), None)
    assert line is not None, done.stderr
    result = json.loads(line.removeprefix("RESULT "))
    assert result["attempts"] == []
    assert result["sdk_modules"] == []  # the SDK (about a second to import) stays out
    assert result["codes"][1] == 0 and result["codes"][3] in (0, None)
    assert "Tokens are exact (offline tokenizers)" in done.stdout
