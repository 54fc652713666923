"""Regexes compiled on first use (promptlint.lazyre), and what a one-file check imports."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import write_tree
from promptlint.lazyre import lazy


def test_a_lazy_pattern_compiles_on_first_use_and_answers_as_the_compiled_one():
    text = "Retry 3 times, then back off; attempts: 4"
    pattern = lazy(r"(?i)retr(y|ies)|attempt", re.MULTILINE)
    assert "_compiled" not in vars(pattern)
    real = re.compile(r"(?i)retr(y|ies)|attempt", re.MULTILINE)
    assert pattern.search(text).span() == real.search(text).span()
    assert "_compiled" in vars(pattern)
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in real.finditer(text)]
    assert pattern.sub("#", text) == real.sub("#", text)
    assert (pattern.pattern, pattern.flags) == (real.pattern, real.flags)
    assert pattern.compiled is pattern.compiled
    assert re.sub(pattern.compiled, "#", text) == real.sub("#", text)


def test_a_warm_check_of_one_python_file_imports_no_yaml_parser(tmp_path):
    """The pre-commit case: the file's findings are in the cache, so no rule reads a YAML pack."""
    write_tree(tmp_path, {"app/bot.py": "import anthropic\n\nclient = anthropic.Anthropic()\n"
                                        "client.messages.create(model='claude-sonnet-4-5', max_tokens=64,\n"
                                        "    messages=[{'role': 'user', 'content': 'Name three primary colours.'}])\n",
                          "app/util.py": "def slug(text):\n    return text.lower().replace(' ', '-')\n"})
    script = ("import sys\nfrom promptlint.cli import main\n"
              "try:\n    main(['check', '--exit-zero', '-q', *sys.argv[1:]])\nexcept SystemExit:\n    pass\n"
              "print('yaml' in sys.modules)\n")
    for given in ("app/bot.py", "app/util.py"):
        for _ in range(2):
            done = subprocess.run([sys.executable, "-c", script, given], cwd=tmp_path, capture_output=True, text=True,
                                  timeout=120)
        assert done.stdout.strip().splitlines()[-1] == "False", given + done.stdout + done.stderr
