"""Exact token counts from Anthropic's ``messages.count_tokens`` endpoint.

Only this module talks to the network, and only when the user asked for
``--tokenizer anthropic``; the ``anthropic`` SDK is imported on the first call that the
disk cache cannot answer (the import alone costs about a second). The SDK resolves the
credentials (``ANTHROPIC_API_KEY``, ``ANTHROPIC_AUTH_TOKEN``, profiles) and
``ANTHROPIC_BASE_URL`` itself; promptlint never reads, prints or stores the key, and
scrubs it from any error text it shows.

The endpoint is free but rate limited, so calls go through a small thread pool, and
429/5xx answers and dropped connections are retried with exponential backoff, waiting
what ``retry-after`` asks when it asks for a bounded time. Retries are ours (the SDK's
are turned off) so the policy, and the longest wait, is the same whatever SDK version is
installed. A failure never stops a scan: the count falls back to the offline estimate and
the run ends with one warning that says why. A failure that will repeat for every call
(bad key, endpoint unreachable, rate limit outlasting the retries) stops further calls.

The key must not leave for anywhere but the endpoint, and a hostile endpoint must not hang
or corrupt the run: redirects are never followed (the SDK's client follows them, and SDKs
before 1.0 send ``x-api-key`` on to the new host), every call has an overall deadline
besides the per-read timeout (a server trickling a byte at a time never trips the
latter), an answer is a count only when it is a whole number between 0 and
``MAX_COUNT``, and error text is redacted (the key, URL credentials) before it is cut.
"""

from __future__ import annotations

import os
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Callable

from promptlint.models import ModelCatalog, normalize_model_ref
from promptlint.tokens.disk_cache import MAX_COUNT, CountCache, body_key
from promptlint.tokens.request_body import STAND_IN, text_body

WORKERS = 4
ATTEMPTS = 4  # one call and three retries
BACKOFF = 0.5  # seconds before the first retry; doubles each time
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0  # a longer retry-after gives up at once rather than stall a CI job
TIMEOUT = 30.0  # per connect or read
DEADLINE = 90.0  # per call, however slowly the answer arrives
_RETRY_STATUS = frozenset({408, 409, 429})
_FATAL_STATUS = frozenset({401, 402, 403})
_SECRET_VARS = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")


class Stop(Exception):
    """A failure every further call would repeat."""


class AnthropicCounter:
    """Counts request bodies and texts exactly, through the disk cache, for Claude models."""

    def __init__(self, catalog: ModelCatalog, cache: CountCache, *, workers: int = WORKERS,
                 attempts: int = ATTEMPTS, backoff: float | None = None, timeout: float = TIMEOUT,
                 deadline: float = DEADLINE, client_factory: Callable[[], object] | None = None) -> None:
        self.catalog = catalog
        self.cache = cache
        self.workers = workers
        self.attempts = attempts
        self.backoff = BACKOFF if backoff is None else backoff
        self.timeout = timeout
        self.deadline = deadline
        self._client_factory = client_factory
        self._client = None
        self._lock = threading.Lock()
        self._stopped: str | None = None
        self._bad_models: dict[str, str] = {}
        self._first_error: str | None = None
        self.failed = 0  # bodies that fell back to the offline estimate
        self.calls = 0  # HTTP attempts made
        self.cached = 0  # bodies answered by the disk cache
        self.counted = 0  # bodies answered by the API

    # which models ---------------------------------------------------------------------
    def applies(self, model: str | None) -> bool:
        """Only Claude models can be counted by Anthropic's endpoint."""
        return bool(model) and self.catalog.provider(model) == "anthropic"

    def api_model(self, model: str) -> str:
        """The id to send: routing prefixes (``anthropic/``, Bedrock, Vertex) removed."""
        ref = normalize_model_ref(model)
        return ref if ref.startswith("claude") else (self.catalog.canonical(model) or model)

    # counting ---------------------------------------------------------------------------
    def count_batch(self, texts: list[tuple[str, str]], bodies: list[dict]) -> tuple[list[int | None], list[int | None]]:
        """Tokens of each (model, text) alone, and input tokens of each request body.

        A text's tokens are its one-message body's count less that model's framing, measured
        as the count of a message holding the one-token ``STAND_IN``, plus one.
        """
        text_bodies = [text_body(self.api_model(model), text) for model, text in texts]
        baselines = {b["model"]: text_body(b["model"], STAND_IN) for b in text_bodies}
        counted = self.count_bodies([*baselines.values(), *text_bodies, *bodies])
        base = dict(zip(baselines, counted[: len(baselines)]))
        text_counts = counted[len(baselines): len(baselines) + len(text_bodies)]
        out_texts: list[int | None] = []
        for body, total in zip(text_bodies, text_counts):
            framing = base[body["model"]]
            out_texts.append(None if total is None or framing is None else max(0, total - framing + 1))
        return out_texts, counted[len(baselines) + len(text_bodies):]

    def count_bodies(self, bodies: list[dict]) -> list[int | None]:
        results: list[int | None] = [self.cache.get(b["model"], b) for b in bodies]
        self.cached += sum(1 for r in results if r is not None)
        missing: dict[str, list[int]] = {}
        for i, (body, got) in enumerate(zip(bodies, results)):
            if got is None:
                missing.setdefault(body_key(body), []).append(i)
        if not missing:
            return results
        unique = [bodies[idx[0]] for idx in missing.values()]
        # One call first: a bad key or an unreachable endpoint then costs one call, not one per worker.
        answers = [self._count_one(unique[0])]
        if len(unique) > 1:
            workers = max(1, min(self.workers, len(unique) - 1))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="count_tokens") as pool:
                answers += list(pool.map(self._count_one, unique[1:]))
        for indexes, answer in zip(missing.values(), answers):
            for i in indexes:
                results[i] = answer
        return results

    def _count_one(self, body: dict) -> int | None:
        try:
            count = self._call(body)
        except Stop as exc:
            self._fail(str(exc), stop=True)
            return None
        except _ItemError as exc:
            self._fail(str(exc))
            return None
        self.cache.put(body["model"], body, count)
        with self._lock:
            self.counted += 1
        return count

    def _call(self, body: dict) -> int:
        model = body["model"]
        for attempt in range(self.attempts):
            if self._stopped:
                raise Stop(self._stopped)
            if model in self._bad_models:
                raise _ItemError(self._bad_models[model])
            client = self._get_client()
            with self._lock:
                self.calls += 1
            try:
                answer = within(self.deadline, lambda: client.messages.count_tokens(**body))
            except Deadline:
                raise Stop(f"the API did not answer within {self.deadline:.0f} s") from None
            except Exception as exc:  # noqa: BLE001 - every failure becomes a fallback
                wait = self._triage(exc, model, attempt)
            else:
                return valid_count(getattr(answer, "input_tokens", None))
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _triage(self, exc: Exception, model: str, attempt: int) -> float:
        """Seconds to wait before retrying ``exc``, or raise Stop / _ItemError."""
        import anthropic

        what = self._describe(exc)
        last = attempt + 1 >= self.attempts
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            if 300 <= status < 400:
                raise Stop(f"HTTP {status}: the API answered with a redirect, which is not followed")
            if status in _RETRY_STATUS or status >= 500:
                if last:
                    raise Stop(f"{what} (after {self.attempts} attempts)")
                asked = retry_after(exc.response.headers)
                if asked is not None and asked > MAX_RETRY_AFTER:
                    raise Stop(f"{what}; the API asked to wait {asked:.0f} s")
                return asked if asked is not None else self._backoff(attempt)
            if status in _FATAL_STATUS:
                raise Stop(what)
            if status == 404:
                with self._lock:
                    self._bad_models.setdefault(model, what)
            raise _ItemError(what)
        if isinstance(exc, anthropic.APIConnectionError):
            if last:
                raise Stop(f"{what} (after {self.attempts} attempts)")
            return self._backoff(attempt)
        raise Stop(what)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff * 2 ** attempt, MAX_BACKOFF) * (0.75 + 0.25 * random.random())

    def _get_client(self):
        with self._lock:
            if self._client is None:
                try:
                    self._client = self._client_factory() if self._client_factory else _default_client(self.timeout)
                except ImportError:
                    raise Stop("the anthropic SDK is not installed (pip install 'promptlint[anthropic]')") from None
                except Exception as exc:  # noqa: BLE001 - no SDK, bad environment
                    raise Stop(self._describe(exc)) from None
            return self._client

    # failures ---------------------------------------------------------------------------
    def _fail(self, reason: str, stop: bool = False) -> None:
        with self._lock:
            self.failed += 1
            if self._first_error is None:
                self._first_error = reason
            if stop and self._stopped is None:
                self._stopped = reason

    def _describe(self, exc: Exception) -> str:
        status = getattr(exc, "status_code", None)
        if status is not None:
            body = getattr(exc, "body", None)
            error = body.get("error", body) if isinstance(body, dict) else None
            kind = error.get("type") if isinstance(error, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            text = f"HTTP {status}" + (f" {kind}" if kind else "") + (f": {message}" if message else "")
        elif _is_connection_error(exc):
            text = f"cannot reach {getattr(self._client, 'base_url', 'the API')}: {exc}"
        elif "authentication method" in str(exc) or "Credentials" in type(exc).__name__:
            text = f"no usable Anthropic credentials (set ANTHROPIC_API_KEY): {type(exc).__name__}: {exc}"
        else:
            text = f"{type(exc).__name__}: {exc}"
        return self.redact(text)[:300]  # redacted whole, then cut: a cut key is still a key

    def redact(self, text: str) -> str:
        """Remove every credential this process could send from ``text``: the key, and
        ``user:password@`` in any URL (``ANTHROPIC_BASE_URL`` may carry a proxy's)."""
        secrets = [os.environ.get(v) for v in _SECRET_VARS]
        client = self._client
        secrets += [getattr(client, "api_key", None), getattr(client, "auth_token", None)]
        for secret in secrets:
            if isinstance(secret, str) and len(secret) >= 4:
                text = text.replace(secret, "[redacted]")
        return _USERINFO.sub("", text)

    def warning(self) -> str | None:
        """The single warning of a run, or None when every count was exact."""
        parts = []
        if self.failed:
            if self._stopped:
                parts.append(f"exact token counting stopped: {self._stopped}")
            else:
                parts.append(f"count_tokens could not count {self.failed} bodies: {self._first_error}")
            parts.append(f"{self.failed} count{'s use' if self.failed != 1 else ' uses'} the offline estimate instead")
        if self.cache.write_error:
            parts.append(self.cache.write_error)
        return "; ".join(parts) if parts else None


class _ItemError(Exception):
    """A failure of one body only (a 400 or an unknown model)."""


class Deadline(Exception):
    """A call ran past its overall deadline."""


_USERINFO = re.compile(r"(?<=://)[^/?#@\s]*@")


def within(seconds: float, call: Callable[[], object]) -> object:
    """``call()``, or Deadline once ``seconds`` have passed. The call runs in a daemon
    thread, which is abandoned (it cannot be interrupted) and never holds up the exit."""
    box: list = []

    def run() -> None:
        try:
            box.append((True, call()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box.append((False, exc))

    worker = threading.Thread(target=run, name="count_tokens-call", daemon=True)
    worker.start()
    worker.join(seconds)
    if not box:
        raise Deadline()
    ok, value = box[0]
    if not ok:
        raise value
    return value


def valid_count(value: object) -> int:
    """The API's ``input_tokens`` if it is a count (a whole number from 0 to ``MAX_COUNT``);
    anything else is this body's failure, never a number to price."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    shown = repr(value)[:40] if not isinstance(value, int) or abs(value) < 10**12 else \
        f"a number of {int(value.bit_length() * 0.30103) + 1} digits"
    raise _ItemError(f"the API answered input_tokens = {shown}, which is not a token count")


def _is_connection_error(exc: Exception) -> bool:
    sdk = sys.modules.get("anthropic")
    return sdk is not None and isinstance(exc, sdk.APIConnectionError)


def retry_after(headers) -> float | None:
    """Seconds the server asks to wait: ``retry-after-ms``, or ``retry-after`` as seconds
    or an HTTP date."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _default_client(timeout: float):
    import anthropic

    # The SDK's own client follows redirects; this one is the SDK's with that turned off.
    http = anthropic.DefaultHttpxClient(follow_redirects=False, timeout=timeout)
    return anthropic.Anthropic(max_retries=0, timeout=timeout, http_client=http)
