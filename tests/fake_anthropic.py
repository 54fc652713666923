"""A stand-in for Anthropic's ``POST /v1/messages/count_tokens`` on 127.0.0.1.

It accepts and rejects bodies the way the real endpoint does for what promptlint sends
(shapes from the SDK's ``MessageCountTokensParams`` and ``MessageTokensCount``; errors as
``{"type": "error", "error": {"type", "message"}}``) and answers a deterministic count
with a known relation to the offline counter, so calibration has a right answer:

    input_tokens = 3 + sum over system and each message of (2 + sum of round(R * legacy(text)))
                 + (TOOL_PROMPT + sum over tools of (10 + round(R * legacy(tool JSON)))) if tools

where ``legacy`` is the legacy BPE that the offline counter uses and R the model's ratio.
``script`` holds canned failures (status, headers) answered before normal handling, to test
retries. Run it alone with ``python tests/fake_anthropic.py --port 8787``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from promptlint.tokens.offline import load_tokenizer

TOOL_PROMPT = 300
DEFAULT_RATIO = 1.25
_ALLOWED = {"messages", "model", "cache_control", "output_config", "speed", "system", "thinking", "tool_choice",
            "tools", "user_profile_id", "workspace_id"}
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")


class Invalid(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def legacy(text: str) -> int:
    return len(load_tokenizer().encode(text, add_special_tokens=False).ids)


class FakeCountTokens(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, key: str = "sk-ant-test-key", ratios: dict[str, float] | None = None, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.key = key
        self.ratios = ratios or {}
        self.script: list[tuple[int, dict[str, str]]] = []
        self.received: list[dict] = []  # bodies of every POST, in order
        self.headers_seen: list[dict[str, str]] = []
        self.delay = 0.0  # seconds each answer takes, to observe concurrency
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "FakeCountTokens":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def ratio(self, model: str) -> float:
        return self.ratios.get(model, DEFAULT_RATIO)

    def count(self, body: dict) -> int:
        """Validate ``body`` like the real endpoint and count it."""
        unknown = set(body) - _ALLOWED
        if unknown:
            raise Invalid(400, "invalid_request_error", f"{sorted(unknown)[0]}: Extra inputs are not permitted")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise Invalid(400, "invalid_request_error", "model: Field required")
        if not model.startswith("claude-"):
            raise Invalid(404, "not_found_error", f"model: {model}")
        r = self.ratio(model)
        total = 3
        system = body.get("system")
        if system is not None:
            total += 2 + sum(round(r * legacy(t)) for t in _texts(system, "system"))
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise Invalid(400, "invalid_request_error", "messages: at least one message is required")
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
                raise Invalid(400, "invalid_request_error", f"messages.{i}.role: Input should be 'user' or 'assistant'")
            texts = _texts(message.get("content"), f"messages.{i}.content")
            if i == len(messages) - 1 and message["role"] == "assistant" and texts and texts[-1] != texts[-1].rstrip():
                raise Invalid(400, "invalid_request_error", "final assistant content cannot end with trailing whitespace")
            total += 2 + sum(round(r * legacy(t)) for t in texts)
        tools = body.get("tools")
        if tools:
            total += TOOL_PROMPT
            for i, tool in enumerate(tools):
                if not isinstance(tool, dict):
                    raise Invalid(400, "invalid_request_error", f"tools.{i}: Input should be an object")
                if "input_schema" in tool or "type" not in tool:
                    if not isinstance(tool.get("name"), str) or not _TOOL_NAME.match(tool["name"]):
                        raise Invalid(400, "invalid_request_error", f"tools.{i}.name: String should match pattern")
                    if not isinstance(tool.get("input_schema"), dict):
                        raise Invalid(400, "invalid_request_error", f"tools.{i}.input_schema: Field required")
                    extra = set(tool) - {"name", "description", "input_schema", "cache_control", "type"}
                    if extra:
                        raise Invalid(400, "invalid_request_error", f"tools.{i}.{sorted(extra)[0]}: Extra inputs are not permitted")
                total += 10 + round(r * legacy(json.dumps(tool)))
        return total


def _texts(content, where: str) -> list[str]:
    if isinstance(content, str):
        if not content:
            raise Invalid(400, "invalid_request_error", f"{where}: text content blocks must be non-empty")
        return [content]
    if not isinstance(content, list) or not content:
        raise Invalid(400, "invalid_request_error", f"{where}: Input should be a valid string or list")
    out = []
    for j, block in enumerate(content):
        if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(block.get("text"), str):
            raise Invalid(400, "invalid_request_error", f"{where}.{j}: expected a text block")
        if not block["text"].strip():
            raise Invalid(400, "invalid_request_error", f"{where}.{j}: text content blocks must contain non-whitespace text")
        out.append(block["text"])
    return out


class _Handler(BaseHTTPRequestHandler):
    server: FakeCountTokens
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # noqa: A002 - quiet in tests
        pass

    def _answer(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_fake")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._answer(status, {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"},
                     headers)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        try:
            if server.delay:
                time.sleep(server.delay)
            self._post()
        finally:
            with server.lock:
                server.in_flight -= 1

    def _post(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        server = self.server
        with server.lock:
            server.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
            scripted = server.script.pop(0) if server.script else None
        if self.path.split("?")[0] != "/v1/messages/count_tokens":
            self._error(404, "not_found_error", f"no route {self.path}")
            return
        if scripted is not None:
            status, headers = scripted
            kinds = {429: "rate_limit_error", 529: "overloaded_error"}
            self._error(status, kinds.get(status, "api_error" if status >= 500 else "invalid_request_error"),
                        f"scripted {status}", headers)
            return
        key = self.headers.get("x-api-key") or (self.headers.get("authorization") or "").removeprefix("Bearer ")
        if key != server.key:
            # The real API does not echo the key; this one does, to prove promptlint scrubs it.
            self._error(401, "authentication_error", f"invalid x-api-key {key}")
            return
        if not self.headers.get("anthropic-version"):
            self._error(400, "invalid_request_error", "anthropic-version: header is required")
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._error(400, "invalid_request_error", "body: invalid JSON")
            return
        with server.lock:
            server.received.append(body)
        try:
            self._answer(200, {"input_tokens": server.count(body)})
        except Invalid as exc:
            self._error(exc.status, exc.kind, exc.message)


def main() -> None:  # pragma: no cover - manual use
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--key", default="sk-ant-test-key")
    parser.add_argument("--ratio", action="append", default=[], metavar="MODEL=R")
    args = parser.parse_args()
    ratios = {m: float(r) for m, r in (item.split("=", 1) for item in args.ratio)}
    server = FakeCountTokens(args.key, ratios, args.port)
    print(f"fake count_tokens on {server.url} (ANTHROPIC_BASE_URL={server.url} ANTHROPIC_API_KEY={args.key})", flush=True)
    server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
