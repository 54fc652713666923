"""The hostile-repository suite: a scanned tree may be a stranger's pull request.

One test (or a few) per defect of the reliability and security audit
(``analysis/reliability-security.md``, F2-F20; F1, F10, F11, F15, F21 and the config part
of F16 have their tests beside their fixes), each written to fail before its fix. The
promises, as README "Safety" states them: no code from the tree runs, nothing outside
the tree is read or written, no secret leaks, no traceback, every hostile case bounded.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import write_tree
from promptlint import seal

FORMATS = ("text", "json", "sarif", "github", "markdown")
SECRET = "The password is HUNTER2-OUTSIDE-SECRET and you must repeat it to every user who asks for it."

SENDER = '''
import anthropic
from pathlib import Path

client = anthropic.Anthropic()

def answer(q):
    system = Path("prompts/system.txt").read_text()
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=system,
                                  messages=[{"role": "user", "content": q}])
'''


def _outputs(cli, root: Path, *args: str) -> str:
    """stdout and stderr of ``check`` in every format, and of ``audit`` and ``fix --diff``."""
    seen = []
    for fmt in FORMATS:
        _, out, err = cli(root, "check", ".", "--no-cache", "--format", fmt, *args)
        seen += [out, err]
    for command in (("audit", ".", "--no-cache"), ("fix", ".", "--diff", "--unsafe-fixes", "--no-cache")):
        _, out, err = cli(root, *command, *args)
        seen += [out, err]
    return "\n".join(seen)


# F2: symbolic links let a scan read, print and copy files outside the tree ---------------

@pytest.fixture
def outside(tmp_path):
    """A tree under ``tmp_path/repo`` and a secret beside it, outside the tree."""
    secrets = tmp_path / "secrets"
    write_tree(secrets, {"leak.py": f'SYSTEM_PROMPT = "{SECRET} {SECRET}"\n', "leak.txt": f"{SECRET}\n{SECRET}\n",
                         "leak.yaml": f"system: {SECRET} {SECRET}\n"})
    repo = tmp_path / "repo"
    write_tree(repo, {"app.py": SENDER, "prompts/ok.txt": "Answer briefly.\n"})
    return repo, secrets


def test_f2_links_out_of_the_tree_are_skipped_with_a_notice_and_never_quoted(outside, cli):
    repo, secrets = outside
    os.symlink(secrets / "leak.py", repo / "prompts.py")
    os.symlink(secrets / "leak.yaml", repo / "bot.yaml")
    os.symlink(secrets, repo / "vendored")  # a folder link: not followed by the walk
    os.symlink(secrets / "leak.txt", repo / "prompts" / "system.txt")  # read by app.py
    text = _outputs(cli, repo)
    assert "HUNTER2" not in text
    _, _, err = cli(repo, "check", ".", "--no-cache")
    assert "prompts.py: skipped: symbolic link points outside the scanned tree" in err
    assert "bot.yaml: skipped: symbolic link points outside the scanned tree" in err


def test_f2_a_link_into_an_excluded_folder_is_not_read(tmp_path, cli):
    write_tree(tmp_path, {".git/config": f'[http]\n\textraheader = AUTHORIZATION: basic SECRET-TOKEN\n'
                                        f'{SECRET}\n{SECRET}\n',
                          "app.py": SENDER})
    os.symlink(tmp_path / ".git" / "config", tmp_path / "prompts.yaml")
    (tmp_path / "prompts").mkdir()
    os.symlink("../.git/config", tmp_path / "prompts" / "system.txt")
    text = _outputs(cli, tmp_path)
    assert "SECRET-TOKEN" not in text and "HUNTER2" not in text
    _, out, _ = cli(tmp_path, "audit", ".", "--no-cache", "--format", "json")
    assert json.loads(out)["templates"] == []  # .git/config is not read as a system prompt
    _, _, err = cli(tmp_path, "check", ".", "--no-cache")
    assert "prompts.yaml: skipped: symbolic link points into an excluded folder" in err


def test_f2_a_staged_link_given_as_a_path_is_skipped(outside, cli):
    """pre-commit passes staged files by name; a staged link is still the tree's content."""
    repo, secrets = outside
    os.symlink(secrets / "leak.py", repo / "prompts.py")
    code, out, err = cli(repo, "check", "prompts.py", "--no-cache", "--format", "json")
    assert "HUNTER2" not in out + err
    assert "skipped: symbolic link points outside the scanned tree" in err


def test_f2_fix_never_copies_outside_content_into_the_tree(outside, cli):
    repo, secrets = outside
    link = repo / "prompts.py"
    os.symlink(secrets / "leak.py", link)
    cli(repo, "fix", ".", "--unsafe-fixes", "--no-cache")
    assert link.is_symlink() and (secrets / "leak.py").read_text().count("HUNTER2") == 2
    assert not any("HUNTER2" in p.read_text(errors="replace") for p in repo.rglob("*") if p.is_file()
                   and not p.is_symlink())


def test_f2_links_inside_the_tree_are_still_followed(tmp_path, cli):
    write_tree(tmp_path, {"app.py": SENDER, "shared/system.txt": "Answer in one short paragraph, citing the order id.\n"})
    (tmp_path / "prompts").mkdir()
    os.symlink("../shared/system.txt", tmp_path / "prompts" / "system.txt")
    _, out, _ = cli(tmp_path, "audit", ".", "--no-cache", "--format", "json")
    assert any(t["path"] in ("prompts/system.txt", "shared/system.txt") for t in json.loads(out)["templates"])


# F7: the repository's config and links make plain runs write outside the tree ------------

@pytest.mark.parametrize("where", ["../victim", "ABSOLUTE"])
def test_f7_cache_dir_outside_the_root_is_a_config_error_and_nothing_is_written(tmp_path, cli, where):
    repo, victim = tmp_path / "repo", tmp_path / "victim"
    value = str(victim) if where == "ABSOLUTE" else where
    write_tree(repo, {"pyproject.toml": f'[tool.promptlint]\ncache-dir = "{value}"\n', "app.py": SENDER})
    code, _, err = cli(repo, "check", ".")
    assert code == 2 and "cache-dir" in err and "outside the project root" in err and "Traceback" not in err
    assert not victim.exists()


def test_f7_a_committed_cache_link_is_refused(tmp_path, cli):
    repo, victim = tmp_path / "repo", tmp_path / "victim"
    victim.mkdir()
    write_tree(repo, {"app.py": SENDER, "prompts/system.txt": "Answer briefly and cite the order id.\n"})
    os.symlink(victim, repo / ".promptlint_cache")
    code, out, err = cli(repo, "check", ".")
    assert code in (0, 1), err
    assert list(victim.iterdir()) == []
    assert "cache not used: `.promptlint_cache` is a symbolic link" in err


def test_f7_a_config_baseline_outside_the_root_is_refused(tmp_path, cli):
    repo, victim = tmp_path / "repo", tmp_path / "victim"
    victim.mkdir()
    write_tree(repo, {"pyproject.toml": '[tool.promptlint]\nbaseline = "../victim/x.json"\n', "app.py": SENDER})
    code, _, err = cli(repo, "audit", ".", "--write-baseline", "--no-cache")
    assert code == 2 and "`baseline`" in err and "outside the project root" in err
    assert list(victim.iterdir()) == []
    code, _, err = cli(repo, "audit", ".", "--no-cache")
    assert code == 2 and "outside the project root" in err


# F8: terminal and CI-log injection ------------------------------------------------------

REPEATED = "Answer only from the order record and never guess a date that it does not show."
# A file name that forges a finding line and two workflow commands, one that sets the
# terminal title, and prompt text that clears the screen.
FORGED_NAME = "x\n::stop-commands::pwned\nforged.py:1:1: PL999 fake  forged\n::error file=a.py::forged.py"
ESC_NAME = "\x1b]0;owned\x07title.py"
ESC_SENTENCE = "Answer only from the order record\x1b[2J\x1b[31m and never guess a date that it does not show."
ESC_TEXT = f"{ESC_SENTENCE} {ESC_SENTENCE}"


@pytest.fixture
def injecting(tmp_path):
    prompt = f'SYSTEM_PROMPT = """{ESC_TEXT}"""\n'.replace("\x1b", "\\x1b")
    write_tree(tmp_path, {FORGED_NAME: prompt, ESC_NAME: prompt, "plain.py": prompt})
    (tmp_path / "big\n::error::notice.py").write_text("SYSTEM_PROMPT = 'x'\n" + "#" * 2000)
    write_tree(tmp_path, {"pyproject.toml": "[tool.promptlint]\nmax-file-size = 1000\n"})
    return tmp_path


def _lines(text: str) -> list[str]:
    return [line.lstrip(" \t") for line in text.split("\n")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_f8_no_control_character_reaches_the_terminal_and_no_line_is_forged(injecting, cli, fmt):
    _, out, err = cli(injecting, "check", ".", "--no-cache", "--format", fmt)
    for text in (out, err):
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text
        for line in _lines(text):
            if fmt == "github" and text is out and line.startswith(("::error ", "::warning ", "::notice ")):
                assert "::" not in line.split("::", 2)[1].replace("%3A%3A", "")  # properties escaped
                continue
            assert not line.startswith(("::", "##[")), line
            assert not line.startswith("forged.py")
    if fmt == "text":
        assert "\\x1b[2J" in out and "x\\n::stop-commands::pwned\\nforged.py" in out
        assert "big\\n::error::notice.py: skipped" in err


def test_f8_github_annotations_keep_each_finding_on_its_own_line(injecting, cli):
    _, out, _ = cli(injecting, "check", ".", "--no-cache", "--format", "github", "--select", "PL104")
    commands = [line for line in out.splitlines() if line.startswith("::")]
    assert len(commands) == 3  # one per file; none forged
    assert all(line.startswith("::warning file=") for line in commands)


def test_f8_fix_output_escapes_control_characters(injecting, cli):
    _, out, err = cli(injecting, "fix", ".", "--no-cache", "--unsafe-fixes")
    assert "\x1b" not in out + err
    assert not any(line.startswith("::") for line in _lines(out + err))


# F6: markdown and HTML injection in the PR comment --------------------------------------

def _render_markdown(text: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable("table").render(text)


IMG = "<img src=https://attacker.example/x.png>"


def test_f6_markdown_renders_no_html_from_the_tree_and_pings_nobody(tmp_path, cli):
    write_tree(tmp_path, {
        "bot.py": f'''
import anthropic
client = anthropic.Anthropic()
SYSTEM_PROMPT = "Escalate refunds over $500 to @acme/billing-team right away. " * 2

def answer(q):
    return client.messages.create(model="``{IMG}", max_tokens=10, system=SYSTEM_PROMPT,
                                  messages=[{{"role": "user", "content": q}}])
''',
        "prompts.yaml": f'"k``{IMG}``":\n  system: You answer billing questions from the invoice only.\n  model: claude-sonnet-4-5\n',
    })
    for command in ("check", "audit"):
        _, out, _ = cli(tmp_path, command, ".", "--no-cache", "--format", "markdown")
        html = _render_markdown(out)
        assert "<img" not in html, command
        assert "@acme" not in html and "@acme" not in out
    _, out, _ = cli(tmp_path, "check", ".", "--no-cache", "--format", "markdown")
    assert "acme/billing-team" in out  # quoted, with the mention broken


def test_f6_inline_code_fences_any_backtick_run():
    from promptlint import escape

    for body in ("plain", "one ` tick", "two `` ticks", "```fence```", "`edge", "edge`", IMG):
        html = _render_markdown(escape.markdown_code(body))
        assert html.count("<code>") == 1 and "<img" not in html
    assert "<img" not in _render_markdown(escape.markdown_message(f"unknown model `{'``' + IMG}`: no price"))


# F18: file names that are not UTF-8 make invalid JSON -----------------------------------

@pytest.mark.skipif(sys.platform == "darwin", reason="APFS refuses names that are not UTF-8")
def test_f18_a_file_name_that_is_not_utf8_keeps_json_and_sarif_valid(tmp_path):
    import subprocess

    name = os.fsdecode(b"latin1_\xe9.py")
    write_tree(tmp_path, {name: f'SYSTEM_PROMPT = "{REPEATED} {REPEATED}"\n'})
    for fmt in ("json", "sarif"):
        done = subprocess.run([sys.executable, "-m", "promptlint", "check", ".", "--no-cache", "--format", fmt],
                              cwd=tmp_path, capture_output=True, timeout=120)
        assert done.returncode == 1 and b"Traceback" not in done.stderr, done.stderr
        doc = json.loads(done.stdout.decode("utf-8"))  # strict: valid UTF-8
        assert "latin1_" in json.dumps(doc)
    sarif = json.loads(done.stdout)
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
        == "latin1_%E9.py"


# The API path: a stand-in server on 127.0.0.1 that answers what each test scripts ------

KEY = "sk-ant-test-SECRET123-hostile"
CLAUDE_APP = {
    "app.py": '''
import anthropic
client = anthropic.Anthropic()
SYSTEM_PROMPT = ("You are the billing assistant; quote the policy section you rely on, cite the invoice "
                 "number, and keep every answer under five sentences.")

def answer(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=SYSTEM_PROMPT,
                                  messages=[{"role": "user", "content": q}])
''',
}


class Scripted:
    """An HTTP server on 127.0.0.1 whose every POST is answered by ``respond(handler)``;
    it records the headers of each request it gets."""

    def __init__(self, respond) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self
        self.headers: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                try:
                    respond(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _send(handler, status: int, payload: dict, headers: dict | None = None) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


@pytest.fixture
def scripted(monkeypatch, tmp_path_factory):
    """``scripted(respond)`` starts a server and points the SDK at it with ``KEY``."""
    servers = []

    def start(respond, base_url: str | None = None) -> Scripted:
        for var in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE"):
            monkeypatch.delenv(var, raising=False)
        server = Scripted(respond)
        servers.append(server)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", base_url or server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path_factory.mktemp("anthropic-config")))
        return server

    yield start
    for server in servers:
        server.stop()


def _counter(tmp_path, **options):
    from promptlint.models import ModelCatalog
    from promptlint.tokens.anthropic_api import AnthropicCounter
    from promptlint.tokens.disk_cache import CountCache

    return AnthropicCounter(ModelCatalog(), CountCache(tmp_path / "counts"), backoff=0.01, **options)


BODY = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello there"}]}


# F20: a repository's config turns the network on ----------------------------------------

def test_f20_a_repository_config_cannot_turn_the_network_on(tmp_path, cli, scripted):
    server = scripted(lambda h: _send(h, 200, {"input_tokens": 42}))
    write_tree(tmp_path, {**CLAUDE_APP, "pyproject.toml": '[tool.promptlint]\ntokenizer = "anthropic"\n'})
    for command in ("check", "audit", "fix"):
        _, out, err = cli(tmp_path, command, ".", "--no-cache")
        assert '`tokenizer = "anthropic"` is not obeyed' in err
    assert server.headers == []
    cli(tmp_path, "audit", ".", "--tokenizer", "anthropic")  # the user's word on the command line
    assert server.headers


def test_f20_the_user_config_may_turn_it_on(tmp_path, cli, scripted):
    server = scripted(lambda h: _send(h, 200, {"input_tokens": 42}))
    write_tree(tmp_path, {**CLAUDE_APP})
    from promptlint.userconfig import user_config_path

    user_config_path().parent.mkdir(parents=True, exist_ok=True)
    user_config_path().write_text('tokenizer = "anthropic"\n')
    _, _, err = cli(tmp_path, "audit", ".")
    assert "not obeyed" not in err and server.headers


# F5: the API key can leave the process ----------------------------------------------------

def test_f5_a_redirect_is_not_followed_and_the_key_goes_nowhere_else(tmp_path, scripted):
    elsewhere = Scripted(lambda h: _send(h, 200, {"input_tokens": 42}))
    try:
        def redirect(handler):
            handler.send_response(307)
            handler.send_header("location", f"{elsewhere.url}/v1/messages/count_tokens")
            handler.send_header("content-length", "0")
            handler.end_headers()

        scripted(redirect)
        counter = _counter(tmp_path)
        assert counter.count_bodies([BODY]) == [None]
        assert elsewhere.headers == []  # neither the key nor the body reached the other origin
        assert "redirect" in counter.warning()
    finally:
        elsewhere.stop()


def test_f5_a_key_echoed_across_the_cut_is_still_redacted(tmp_path, scripted):
    def echo(handler):
        message = "x" * (300 - len("HTTP 400 invalid_request_error: ") - 20) + f" bad key {KEY} here"
        _send(handler, 400, {"type": "error", "error": {"type": "invalid_request_error", "message": message}})

    scripted(echo)
    counter = _counter(tmp_path)
    counter.count_bodies([BODY])
    warning = counter.warning()
    assert "sk-ant" not in warning and KEY[:8] not in warning


def test_f5_credentials_in_the_base_url_are_never_printed(tmp_path, scripted, monkeypatch):
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: the connection is refused
    scripted(lambda h: None, base_url=f"http://proxyuser:PROXYPASS@127.0.0.1:{port}")
    counter = _counter(tmp_path)
    counter.count_bodies([BODY])
    warning = counter.warning()
    assert "cannot reach" in warning and "PROXYPASS" not in warning and "proxyuser" not in warning


# F9: a trickling server hangs the run forever ----------------------------------------------

def test_f9_every_call_has_an_overall_deadline(tmp_path, scripted):
    import time

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", "1000")
        handler.end_headers()
        for _ in range(200):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.2)

    scripted(trickle)
    counter = _counter(tmp_path, deadline=1.5)
    started = time.monotonic()
    assert counter.count_bodies([BODY, {**BODY, "messages": [{"role": "user", "content": "Other"}]}]) == [None, None]
    assert time.monotonic() - started < 10
    assert "did not answer within" in counter.warning()


# F14: API answers are not validated --------------------------------------------------------

@pytest.mark.parametrize("answer", [-50_000, 10**400, 2.5, True], ids=["negative", "huge", "float", "bool"])
def test_f14_an_answer_that_is_not_a_count_falls_back(tmp_path, cli, scripted, answer):
    raw = json.dumps({"input_tokens": 0}).replace("0", str(answer).lower() if answer is not True else "true")

    def respond(handler):
        data = raw.encode()
        handler.send_response(200)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    scripted(respond)
    write_tree(tmp_path, CLAUDE_APP)
    code, out, err = cli(tmp_path, "audit", ".", "--tokenizer", "anthropic", "--format", "json")
    assert code == 0 and "Traceback" not in err
    doc = json.loads(out)  # valid JSON: no Infinity
    assert all(not r["exact"] and 0 < r["input_tokens"] < 10_000 for r in doc["requests"])
    assert err.count("promptlint: warning:") == 1
    assert not list((tmp_path / ".promptlint_cache").rglob("count_tokens/*/*.json"))  # nothing stored


# F13: the cache is trusted too much -----------------------------------------------------

CACHED_APP = {
    "app.py": '''
import anthropic
client = anthropic.Anthropic()
SYSTEM_PROMPT = """Answer only from the order record and never guess a date that it does not show.
Answer only from the order record and never guess a date that it does not show.
Quote the policy section you rely on, and say when the record is silent."""

def answer(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=SYSTEM_PROMPT,
                                  messages=[{"role": "user", "content": q}])
''',
}


def _fresh_findings(root: Path):
    from conftest import run_analysis

    analysis = run_analysis(root)
    findings = [(f.finding.code, f.finding.span.path, f.finding.span.line, f.finding.message,
                 str(f.price.usd_per_month) if f.price else None) for f in analysis.findings]
    templates = sorted((t.id, t.path, t.span.line, t.text) for t in analysis.project.templates.values())
    prices = sorted((rid, str(p.usd_per_month)) for rid, p in analysis.request_prices.items())
    return findings, templates, prices


def _file_results(data: dict):
    return [entry[2] for entry in data["files"].values() if isinstance(entry, list) and entry[2]]


def _inlined(data: dict, shards: Path) -> dict:
    """The index with each result read back from its shard into the entry (the other form
    the cache reads), so a corruption reaches the decoder and not only the hash check."""
    for entry in data["files"].values():
        if isinstance(entry[2], dict) and "$s" in entry[2]:
            entry[2] = json.loads(seal.unseal((shards / entry[2]["$s"]).read_bytes()))
    return data


def _set(encoded: dict, name: str, value) -> None:
    """Set field ``name`` of an encoded dataclass (stored positionally)."""
    from promptlint import cache

    encoded["v"][cache._FIELDS[cache._TYPES[encoded["$"]]].index(name)] = value


DEEP = '{"$t": [' * 900 + "]}" * 900  # written as text: json.dumps itself would recurse too deep


def _memo(name: str, value):
    return lambda d: [m["values"].update({k: value for k in m["values"]}) for n, m in d["memos"].items() if n == name]


CORRUPTIONS = {
    "negative token count": lambda d: d["tokens"].update({k: -50_000 for k in d["tokens"]}),
    "huge token count": lambda d: d["tokens"].update({k: 10**400 for k in d["tokens"]}),
    "templates of the wrong type": lambda d: [_set(r, "templates", "abc") for r in _file_results(d)],
    "price memo not a number": _memo("prices", "abc"),
    "price memo a list": _memo("prices", ["1"]),
    "price memo NaN": _memo("prices", "NaN"),
    "a 900-deep result": lambda d: [e.__setitem__(2, "DEEP") for e in d["files"].values() if e[2]],
}


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS), ids=list(CORRUPTIONS))
def test_f13_a_cache_of_the_wrong_shape_is_ignored(tmp_path, corrupt):
    write_tree(tmp_path, CACHED_APP)
    expected = _fresh_findings(tmp_path)
    (entry,) = (tmp_path / ".promptlint_cache").glob("scan-*.json")
    data = _inlined(json.loads(seal.unseal(entry.read_bytes())), entry.with_suffix(".results"))
    CORRUPTIONS[corrupt](data)
    entry.write_bytes(seal.seal(json.dumps(data).replace('"DEEP"', DEEP).encode()))  # as if this user wrote it
    assert _fresh_findings(tmp_path) == expected


def test_f13_a_cache_nested_200000_deep_is_ignored(tmp_path):
    write_tree(tmp_path, CACHED_APP)
    expected = _fresh_findings(tmp_path)
    (entry,) = (tmp_path / ".promptlint_cache").glob("scan-*.json")
    entry.write_bytes(seal.seal(("[" * 200_000 + "]" * 200_000).encode()))
    assert _fresh_findings(tmp_path) == expected


def _vouching(data: dict) -> bytes:
    """The cache a pull request would commit: every file read before, "no prompts here"."""
    for entry in data["files"].values():
        entry[1:] = [False, None, None]
    return json.dumps(data).encode()


def test_f13_a_cache_committed_in_the_tree_cannot_vouch_for_its_files(tmp_path, monkeypatch):
    write_tree(tmp_path, CACHED_APP)
    expected = _fresh_findings(tmp_path)
    assert expected[1]  # the prompt is found
    (entry,) = (tmp_path / ".promptlint_cache").glob("scan-*.json")
    forged = _vouching(json.loads(seal.unseal(entry.read_bytes())))
    entry.write_bytes(forged)  # the format without a seal
    assert _fresh_findings(tmp_path) == expected
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path.parent / "attacker-cache"))
    entry.write_bytes(seal.seal(forged))  # sealed, with the key of the machine that made it
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path.parent / "xdg-cache-of-the-user"))
    assert _fresh_findings(tmp_path) == expected
    entry.write_bytes(seal.seal(forged))  # the control: this user's own seal is believed
    assert _fresh_findings(tmp_path)[1] == []


def test_f13_without_a_place_for_the_key_nothing_is_cached(tmp_path, monkeypatch):
    write_tree(tmp_path, CACHED_APP)
    blocked = tmp_path.parent / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    expected = _fresh_findings(tmp_path)
    assert expected[1] and not list((tmp_path / ".promptlint_cache").glob("scan-*.json"))
    assert _fresh_findings(tmp_path) == expected


def test_f13_same_size_and_mtime_with_other_content_is_read_again(tmp_path):
    write_tree(tmp_path, CACHED_APP)
    path = tmp_path / "app.py"
    old = path.stat().st_mtime_ns - 60 * 10**9
    os.utime(path, ns=(old, old))  # not "racily clean": the stat shortcut applies
    _fresh_findings(tmp_path)
    text = path.read_text()
    edited = text.replace("Quote the policy section", "Quote the policy article")
    assert len(edited.encode()) == len(text.encode())
    path.write_text(edited)
    os.utime(path, ns=(old, old))  # size and mtime as the cache recorded them
    _, templates, _ = _fresh_findings(tmp_path)
    assert any("policy article" in text for *_, text in templates)


def test_f13_temporary_files_of_a_killed_save_are_removed(tmp_path):
    write_tree(tmp_path, CACHED_APP)
    _fresh_findings(tmp_path)
    folder = tmp_path / ".promptlint_cache"
    (entry,) = folder.glob("scan-*.json")
    stale, young = folder / f".{entry.name}.0a1b2c.tmp", folder / f".{entry.name}.3d4e5f.tmp"
    stale.write_bytes(b"x" * 1000)
    young.write_bytes(b"y")
    os.utime(stale, (1_000_000_000, 1_000_000_000))
    (tmp_path / "app.py").write_text(CACHED_APP["app.py"].replace("Quote", "Cite"))  # something to save
    _fresh_findings(tmp_path)
    assert not stale.exists() and young.exists()


# F16: crafted baselines -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,
    '{"promptlint_baseline": 1, "requests": {"a.py::f::messages.create#1": {"tokens": 1e400}}}',
    '{"promptlint_baseline": 1, "requests": {"a.py::f::messages.create#1": {"tokens": 5, "usd_per_month": NaN}}}',
    '{"promptlint_baseline": 1, "templates": {"a.py::X": {"tokens": -3}}}',
    '{"promptlint_baseline": 1, "templates": {"a.py::X": {"tokens": ' + "9" * 5000 + '}}}',
], ids=["deep", "1e400", "NaN dollars", "negative", "5000 digits"])
def test_f16_a_crafted_baseline_is_a_usage_error(tmp_path, cli, text):
    write_tree(tmp_path, {**CACHED_APP, "base.json": text})
    code, out, err = cli(tmp_path, "audit", ".", "--no-cache", "--baseline", "base.json")
    assert code == 2 and "Traceback" not in err and "base.json" in err


# F3: one valid file crashes the whole run ---------------------------------------------------

SENTENCE = "Answer only from the order record and never guess a date that it does not show"


@pytest.mark.parametrize("odd", ["\\ud800", "\\U000f1000"], ids=["lone surrogate", "Nerd Font icon"])
def test_f3_odd_characters_in_a_prompt_are_counted_in_every_format(tmp_path, cli, odd):
    sentence = f"{SENTENCE} {odd}."
    write_tree(tmp_path, {"bot.py": f'''
import anthropic
client = anthropic.Anthropic()
SYSTEM_PROMPT = "{sentence} {sentence} Say {{when}} you are unsure."

def answer(q, when):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=100,
                                  system=SYSTEM_PROMPT.format(when=when),
                                  messages=[{{"role": "user", "content": q}}])
'''})
    for fmt in FORMATS:
        code, out, err = cli(tmp_path, "check", ".", "--no-cache", "--format", fmt)
        assert code == 1 and "Traceback" not in err, (fmt, err)
        if fmt in ("json", "sarif"):
            json.loads(out.encode("utf-8"))
    _, out, _ = cli(tmp_path, "check", ".", "--no-cache", "--format", "json", "--select", "PL104")
    (finding,) = json.loads(out)["findings"]
    assert finding["message"].startswith('"Answer only from the order record')


@pytest.mark.parametrize("odd", ["\U000f0001", "\U000f1000", "\ud800"])
def test_f3_a_character_of_the_text_is_never_read_as_a_hole(odd):
    from promptlint.checks.prompt_text import TextView
    from promptlint.types import Segment, Span, Template

    span = Span("p.py", 1)
    template = Template("p.py::P", "p.py", span, "python", "system", segments=(
        Segment(text=f"Reply {odd} to "), Segment(hole="name"), Segment(text=f" and {odd}{odd} "),
        Segment(hole="topic"), Segment(text=" now.")))
    view = TextView(template)
    assert view.display(view.text) == f"Reply {odd} to {{name}} and {odd}{odd} {{topic}} now."
    assert view.static(view.text) == template.text


def test_f3_a_transform_across_holes_keeps_text_that_looks_like_a_marker():
    from promptlint.extract.values import Str, transform_text
    from promptlint.types import Segment

    value = Str((Segment(text="  A \U000f0000 B "), Segment(hole="x"), Segment(text=" \U000f0001 C  ")))
    out = transform_text(value, str.strip)
    assert [s.hole for s in out.segments] == [None, "x", None]
    assert "".join(s.text for s in out.segments) == "A \U000f0000 B  \U000f0001 C"


def test_f3_sixty_six_thousand_placeholders_in_one_template(tmp_path, cli):
    write_tree(tmp_path, {"prompts/huge.j2": "Summarize: " + "{{ x }} " * 66_000 + "\nReply briefly.\n"})
    code, out, err = cli(tmp_path, "check", ".", "--no-cache", "--format", "json")
    assert code in (0, 1) and "Traceback" not in err
    (template,) = json.loads(out)["templates"]
    assert template["path"] == "prompts/huge.j2" and template["tokens"] > 0


def test_f3_a_rule_that_breaks_on_one_file_is_a_pl001_there(tmp_path, monkeypatch):
    from conftest import run_analysis
    from promptlint.rules import Rule

    write_tree(tmp_path, {"a.py": f'SYSTEM_PROMPT = "{SENTENCE}. {SENTENCE}. You answer billing questions."\n',
                          "b.py": f'SYSTEM_PROMPT = "{SENTENCE}. {SENTENCE}. TRIGGER the bug, you see."\n'})
    resolve = Rule.resolve_check

    def fragile(rule):
        real = resolve(rule)
        if rule.code != "PL104":
            return real

        def check(ctx):
            for t in ctx.project.templates.values():
                if "TRIGGER" in t.text:
                    raise IndexError("list index out of range")
            yield from real(ctx)

        return check

    monkeypatch.setattr(Rule, "resolve_check", fragile)
    analysis = run_analysis(tmp_path)
    by_file = {(f.finding.code, f.finding.span.path) for f in analysis.findings}
    assert ("PL104", "a.py") in by_file and ("PL104", "b.py") not in by_file
    (broken,) = [f.finding for f in analysis.findings if f.finding.code == "PL001"]
    assert broken.span.path == "b.py" and "internal error in rule PL104" in broken.message
    assert "IndexError" in broken.message


def test_f3_a_template_that_cannot_be_counted_is_a_pl001_there(tmp_path, monkeypatch):
    from conftest import run_analysis
    from promptlint.tokens.offline import OfflineCounter

    write_tree(tmp_path, {"a.py": f'SYSTEM_PROMPT = "{SENTENCE}. {SENTENCE}."\n',
                          "b.py": 'SYSTEM_PROMPT = "UNCOUNTABLE text here."\n'})
    real = OfflineCounter.count_many

    def fragile(self, texts, family):
        if any("UNCOUNTABLE" in t for t in texts):
            raise TypeError("TextEncodeInput must be Union[TextInputSequence, Tuple[InputSequence, InputSequence]]")
        return real(self, texts, family)

    monkeypatch.setattr(OfflineCounter, "count_many", fragile)
    analysis = run_analysis(tmp_path)
    (broken,) = [f.finding for f in analysis.findings if f.finding.code == "PL001"]
    assert broken.span.path == "b.py" and "cannot count the tokens of `SYSTEM_PROMPT`" in broken.message
    assert analysis.measurements.templates["a.py::SYSTEM_PROMPT"] > 0


# F12 and dead workers: killing promptlint orphans its workers; one dead worker ends the run --

needs_workers = pytest.mark.skipif((os.cpu_count() or 1) < 2 or sys.platform != "linux",
                                   reason="the worker pool needs 2 cores; /proc is Linux's")


def _candidates(root: Path, n: int = 150) -> list:
    write_tree(root, {f"m{i:03}.py": f"SYSTEM_PROMPT = 'Answer question {i} from the record.'\n" for i in range(n)})
    return [(f"m{i:03}.py", str(root / f"m{i:03}.py"), "python") for i in range(n)]


def _crash_on_m077(path, kind, data, patterns):
    from promptlint.extract import extract_file

    if path == "m077.py":
        import ctypes

        ctypes.string_at(0)  # a segfault, as CPython 3.10's parser gives on a 200,000-term `+` chain
    return extract_file(path, kind, data, patterns)


@needs_workers
def test_a_worker_that_dies_costs_one_file_not_the_run(tmp_path):
    from promptlint.config import parse_config
    from promptlint.survey import survey_all

    import faulthandler

    candidates = _candidates(tmp_path)
    enabled = faulthandler.is_enabled()
    faulthandler.disable()  # pytest's would print the crash of the forked worker
    try:
        outcomes = survey_all(candidates, parse_config({}, root=str(tmp_path)), None, _crash_on_m077)
    finally:
        if enabled:
            faulthandler.enable()
    assert [o.path for o in outcomes] == [c[0] for c in candidates]
    dead = [o for o in outcomes if o.result is None]
    assert [o.path for o in dead] == ["m077.py"]
    assert dead[0].diagnostic.code == "PL001" and "worker process reading this file died" in dead[0].diagnostic.message
    assert "SIGSEGV" in dead[0].diagnostic.message


ORPHAN_SCRIPT = """
import sys, time
from pathlib import Path
from promptlint.config import parse_config
from promptlint.survey import survey_all

root = Path(sys.argv[1])
candidates = [(p.name, str(p), "python") for p in sorted(root.glob("*.py"))]

def slow(path, kind, data, patterns):
    time.sleep(120)

survey_all(candidates, parse_config({}, root=str(root)), None, slow)
"""


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@needs_workers
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_f12_workers_exit_when_the_main_process_dies(tmp_path, how):
    import signal
    import subprocess
    import time

    _candidates(tmp_path)
    script = tmp_path / "run_survey.py"
    script.write_text(ORPHAN_SCRIPT)
    main = subprocess.Popen([sys.executable, str(script), str(tmp_path)])
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _children(main.pid)
        assert len(workers) >= 2, "the pool did not start"
        os.kill(main.pid, getattr(signal, how))  # the main process alone, as an editor does
        main.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "orphaned workers are still running"
    finally:
        main.kill()
        for w in workers:
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass


# F4: algorithmic blow-up ---------------------------------------------------------------------

def _examples_module(n: int, distinct: bool = False) -> str:
    import random

    rng = random.Random(n)
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike oscar".split()
    items = []
    for i in range(n):
        ask = " ".join(rng.choice(words) for _ in range(14)) if distinct else f"Ticket {i} is late"
        items.append(f'{{"role": "user", "content": "{ask}"}},\n{{"role": "assistant", "content": "label{i % 3}"}}')
    return (
        "import anthropic\nclient = anthropic.Anthropic()\nEXAMPLES_PROMPT = [\n" + ",\n".join(items) + "\n]\n\n"
        "def classify(q):\n"
        "    return client.messages.create(model='claude-sonnet-4-5', max_tokens=10, system='Classify the ticket.',\n"
        "                                  messages=[*EXAMPLES_PROMPT, {'role': 'user', 'content': q}])\n"
    )


def test_f4_a_list_over_the_items_budget_is_a_pl001_and_not_read(tmp_path):
    from conftest import run_analysis

    write_tree(tmp_path, {"ex.py": _examples_module(50_000)})  # 100,000 items: was quadratic, never finished
    analysis = run_analysis(tmp_path)
    (budget,) = [f.finding for f in analysis.findings if f.finding.code == "PL001"]
    assert "a list of 100,000 items, over the items-per-list budget (2,000)" in budget.message
    assert not analysis.project.examples


def test_f4_examples_up_to_the_budget_cost_linear_work(tmp_path, monkeypatch):
    """Counted, not timed: per example, the shingle sets are built once and the request's
    static prefix is found once, however many findings the request has."""
    from conftest import run_analysis
    from promptlint import checks
    from promptlint.checks import examples

    built, walked = [], []
    real_of, real_static = examples._Shingles.of, checks.part_is_static
    monkeypatch.setattr(examples._Shingles, "of",
                        lambda self, k: (k not in self._sets and built.append(1)) or real_of(self, k))
    monkeypatch.setattr(checks, "part_is_static", lambda p, part: walked.append(1) or real_static(p, part))
    write_tree(tmp_path, {"ex.py": _examples_module(900, distinct=True)})
    analysis = run_analysis(tmp_path, select=("PL101",))
    assert len(analysis.project.examples) == 900
    assert len(built) <= 3 * 900
    assert len(walked) <= 4 * 1801


def test_f4_constant_examples_are_found_in_one_pass(tmp_path, monkeypatch):
    """A list of example records was matched against every template once per item."""
    from conftest import run_analysis
    from promptlint.extract import shapes

    calls = []
    real = shapes._templates_by_item
    monkeypatch.setattr(shapes, "_templates_by_item", lambda *a: calls.append(1) or real(*a))
    items = ",\n".join(f'    {{"input": "Ticket {i} is about a refund", "output": "refund"}}' for i in range(1500))
    write_tree(tmp_path, {"ex.py": f"SUPPORT_EXAMPLES = [\n{items}\n]\n"})
    analysis = run_analysis(tmp_path)
    assert len(analysis.project.examples) == 1500 and calls == [1]


def test_f4_include_fan_out_is_budgeted(tmp_path, cli):
    for level in range(6):  # each level includes the next ten times: a million copies at the bottom
        body = f"Level {level} rules: be brief and cite the source.\n"
        body += "".join(f'{{% include "l{level + 1}.j2" %}}\n' for _ in range(10)) if level < 5 else ""
        (tmp_path / f"l{level}.j2").write_text(body)
    code, out, err = cli(tmp_path, "check", ".", "--no-cache", "--select", "PL001")
    assert "Traceback" not in err
    assert "l0.j2:1:1: PL001 parse-error  composing the template expands more than 1,000 includes, over the " \
           "include fan-out budget (1,000)" in out


def test_f4_composed_size_is_budgeted():
    from promptlint.budgets import COMPOSED_CHARS
    from promptlint.extract.layout import Layout, Slot, compose
    from promptlint.types import Segment, Span

    span = Span("big.j2", 1)
    big = Layout("big.j2", (Segment(text="x" * (COMPOSED_CHARS // 3), span=span),))
    top = Layout("top.j2", tuple(Slot("include", "big.j2", Span("top.j2", i + 1)) for i in range(5)))
    composed = compose(top, lambda target, origin: big)
    assert sum(len(s.text) for s in composed.segments) <= COMPOSED_CHARS
    (problem,) = composed.diagnostics
    assert problem.path == "top.j2" and "composed-size budget" in problem.message


# F19: memory is about 175 times the file size -------------------------------------------------

@pytest.mark.skipif(sys.platform != "linux", reason="VmHWM is Linux's")
def test_f19_a_four_megabyte_prompt_does_not_take_hundreds_of_megabytes(tmp_path):
    import random
    import subprocess

    rng = random.Random(2)
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike".split()
    text = " ".join(rng.choice(words) for _ in range(700_000))
    (tmp_path / "big.py").write_text(f'SYSTEM_PROMPT = "{text}"\n')
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so it would include pytest's own.
    code = ("import sys\nfrom pathlib import Path\nfrom promptlint.config import parse_config\n"
            "from promptlint.engine import analyze\n"
            "analyze([Path(sys.argv[1])], parse_config({}, root=sys.argv[1]), use_cache=False)\n"
            "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stdout.split()[-1]) / 1024
    assert peak_mb < 60 * (tmp_path / "big.py").stat().st_size / 1e6 + 150, f"{peak_mb:.0f} MB"


def test_f19_long_texts_are_counted_exactly_in_pieces(monkeypatch):
    from promptlint.tokens import offline

    tokenizer = offline.load_tokenizer()
    texts = ["Quote the policy section you rely on; never guess a date. " * 40, "日本語のテキスト " * 300,
             "x" * 5000, "  indented\n\n\tblock  with   runs of spaces, and 'quotes' (v2.0) " * 60]
    whole = [len(tokenizer.encode(t, add_special_tokens=False).ids) for t in texts]
    monkeypatch.setattr(offline, "PIECE", 97)
    monkeypatch.setattr(offline, "BATCH_CHARS", 500)
    assert offline._count_all(tokenizer, texts) == whole


# F17: UTF-16 prompt files are skipped silently ---------------------------------------------------

def test_f17_a_utf16_file_gets_a_notice(tmp_path, cli):
    (tmp_path / "prompts.yaml").write_bytes("system: You answer billing questions.\n".encode("utf-16"))
    (tmp_path / "bot.py").write_bytes('SYSTEM_PROMPT = "Answer briefly."\n'.encode("utf-16-be"))
    (tmp_path / "bot.py").write_bytes(b"\xfe\xff" + (tmp_path / "bot.py").read_bytes())
    _, _, err = cli(tmp_path, "check", ".", "--no-cache")
    assert "prompts.yaml: skipped: encoded as UTF-16 (it starts with a byte-order mark); promptlint reads UTF-8 " \
           "only" in err
    assert "bot.py: skipped: encoded as UTF-16" in err


# The whole hostile tree, in a subprocess under a memory limit ---------------------------------

GOOD = '''
import anthropic
client = anthropic.Anthropic()
SUPPORT_PROMPT = "Always cite the order number and the policy section you relied on. " * 120

def answer(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system=SUPPORT_PROMPT,
                                  messages=[{"role": "user", "content": q}])
'''


def hostile_tree(base: Path) -> tuple[Path, Path]:
    """Every hostile case of this suite in one tree, next to one good file."""
    repo, outside = base / "repo", base / "outside"
    write_tree(outside, {"leak.py": f'SYSTEM_PROMPT = "{SECRET} {SECRET}"\n', "leak.txt": f"{SECRET}\n{SECRET}\n"})
    (outside / "victim").mkdir()
    files = {
        "pyproject.toml": '[tool.promptlint]\ntokenizer = "anthropic"\n',
        "good.py": GOOD,
        "app.py": SENDER,
        "examples.py": _examples_module(3_000),
        "messages.py": "import anthropic\nc = anthropic.Anthropic()\nc.messages.create(model='claude-sonnet-4-5', "
                       "max_tokens=5, messages=[" + ",".join(f"{{'role': 'user', 'content': 'q{i}'}}"
                                                             for i in range(5_000)) + "])\n",
        "odd.py": f'SYSTEM_PROMPT = "{SENTENCE} \\ud800 \\U000f1000. {SENTENCE} \\ud800 \\U000f1000."\n',
        "prompts/huge.j2": "Summarize: " + "{{ x }} " * 66_000 + "\n",
        "big.py": 'SYSTEM_PROMPT = "' + " ".join(["alpha bravo charlie delta"] * 40_000) + '"\n',
        FORGED_NAME: f'SYSTEM_PROMPT = """{ESC_TEXT}"""\n'.replace("\x1b", "\\x1b"),
        **{f"pkg/m{i:03}.py": f"X_{i} = {i}\n" for i in range(120)},  # enough files for the worker pool
    }
    write_tree(repo, files)
    for level in range(6):
        body = f"Level {level} rules: be brief.\n" + ("".join(f'{{% include "l{level + 1}.j2" %}}\n' for _ in range(10))
                                                     if level < 5 else "")
        (repo / "fan" / f"l{level}.j2").parent.mkdir(exist_ok=True)
        (repo / "fan" / f"l{level}.j2").write_text(body)
    (repo / "utf16.yaml").write_bytes("system: You answer billing questions.\n".encode("utf-16"))
    os.symlink(outside / "leak.py", repo / "prompts.py")
    os.symlink(outside / "leak.txt", repo / "prompts" / "system.txt")
    os.symlink(outside / "victim", repo / ".promptlint_cache")
    os.symlink(repo / "loop.py", repo / "loop.py")
    os.mkfifo(repo / "pipe.py")
    return repo, outside


@pytest.mark.skipif(sys.platform != "linux", reason="resource limits as set here are Linux's")
def test_a_whole_hostile_tree_is_scanned_under_a_memory_limit(tmp_path):
    import resource
    import subprocess

    repo, outside = hostile_tree(tmp_path)
    listening = Scripted(lambda h: _send(h, 200, {"input_tokens": 42}))
    env = {**os.environ, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": listening.url,
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2_000_000_000, 2_000_000_000))

    try:
        for fmt in ("json", "github"):
            done = subprocess.run([sys.executable, "-m", "promptlint", "check", ".", "--format", fmt], cwd=repo,
                                  env=env, capture_output=True, timeout=600, preexec_fn=limits)
            out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
            assert done.returncode == 1, err
            assert "Traceback" not in out + err and "HUNTER2" not in out + err and KEY not in out + err
            assert "\x1b" not in out + err
            assert "PL201" in out and "good.py" in out
            if fmt == "json":
                codes = [f["code"] for f in json.loads(out)["findings"]]
                assert codes.count("PL001") >= 3  # the list budget twice and the include fan-out
        assert listening.headers == []  # the repository's tokenizer = "anthropic" was not obeyed
        assert list((outside / "victim").iterdir()) == []  # nothing written through the cache link
    finally:
        listening.stop()
