"""One logged LLM call, whatever tool logged it, and the helpers every reader shares.

Readers turn a log format into :class:`LoggedCall` records: billed token counts split the
way prices are (uncached input, cache reads, cache writes, output), the model, when it
happened, the site tag if the code set one, and the text sent when the log recorded it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

# The metadata key that names the call site (a request id as promptlint prints it). Readers
# look for it wherever the format keeps request metadata (span attributes, LiteLLM
# metadata and request tags, Langfuse observation metadata, the ``site`` field of our JSONL).
SITE_KEYS = ("promptlint.site", "promptlint_site")
SITE_TAG_PREFIX = "promptlint.site:"


@dataclass(frozen=True)
class LoggedCall:
    source: str  # file:record, for listing unattributed calls
    model: str | None
    time: float | None  # POSIX seconds
    input_tokens: int  # uncached input
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    system: str | None = None  # system text when recorded
    messages: tuple[tuple[str, str], ...] = ()  # (role, text) of each recorded input message
    site: str | None = None  # the site tag, when the code set one

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def has_text(self) -> bool:
        return bool(self.system) or bool(self.messages)


class LogError(ValueError):
    """A usage log that cannot be read at all (it is reported and skipped)."""


def to_int(value: Any) -> int:
    """A token count from a log: ints, floats, numeric strings (OTLP JSON writes int64 as a
    string); anything else counts nothing."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, (int, float)):
        return max(0, int(value))
    if isinstance(value, str):
        try:
            return max(0, int(float(value)))
        except ValueError:
            return 0
    return 0


def split_input(total: int, read: int, write: int, includes_cache: bool) -> int:
    """Uncached input tokens. Formats differ in whether their input count includes cache
    reads and writes (OpenTelemetry and OpenAI-style usage do, Anthropic's does not); a total
    smaller than its cache parts cannot include them, whatever the format says."""
    if includes_cache and total >= read + write:
        return total - read - write
    return total


def to_time(value: Any) -> float | None:
    """POSIX seconds from epoch seconds, milliseconds, nanoseconds or an ISO 8601 string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return to_time(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp()
    if isinstance(value, (int, float)):
        number = float(value)
        if number > 1e17:
            return number / 1e9  # nanoseconds (OTLP)
        if number > 1e14:
            return number / 1e6
        if number > 1e11:
            return number / 1e3  # milliseconds
        return number
    return None


def content_text(content: Any) -> str:
    """The text of a message's content: a string, or the text of its blocks (OpenAI and
    Anthropic ``{"type": "text", "text": ...}``, OpenTelemetry ``{"type": "text",
    "content": ...}``); images, tool calls and the like carry no prompt text."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        if content.get("type") not in (None, "text", "input_text", "output_text"):
            return ""
        for key in ("text", "content"):
            if isinstance(content.get(key), (str, list)):
                return content_text(content[key])
        return ""
    if isinstance(content, list):
        return "\n".join(t for t in (content_text(c) for c in content) if t)
    return ""


def split_messages(messages: Any) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """System text and the other messages of a chat message list, in any of the common
    shapes (``content`` as text or blocks, OpenTelemetry ``parts``). ``system`` and
    ``developer`` messages are the system prompt."""
    if isinstance(messages, str):
        return None, ((("user", messages),) if messages else ())
    if isinstance(messages, dict):
        system = content_text(messages.get("system")) if messages.get("system") is not None else None
        inner = messages.get("messages", messages.get("input"))
        if inner is None and ("role" in messages or "content" in messages):
            inner = [messages]
        rest_system, rest = split_messages(inner) if inner is not None else (None, ())
        return join_text(system, rest_system), rest
    if not isinstance(messages, list):
        return None, ()
    system: str | None = None
    out: list[tuple[str, str]] = []
    for message in messages:
        if not isinstance(message, dict):
            if isinstance(message, str):
                out.append(("user", message))
            continue
        role = str(message.get("role") or message.get("type") or "user").lower()
        body = message.get("parts") if "parts" in message else message.get("content")
        text = content_text(body)
        if role in ("system", "developer"):
            system = join_text(system, text)
        elif text:
            out.append((role, text))
    return system, tuple(out)


def join_text(a: str | None, b: str | None) -> str | None:
    parts = [x for x in (a, b) if x]
    return "\n".join(parts) if parts else None


def maybe_json(value: Any) -> Any:
    """A value that a format may store either structured or as a JSON string."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def site_in(metadata: Any) -> str | None:
    """The site tag in a metadata mapping (also one level down, where LiteLLM and Langfuse
    nest the caller's metadata)."""
    metadata = maybe_json(metadata)
    if not isinstance(metadata, dict):
        return None
    for key in SITE_KEYS:
        if isinstance(metadata.get(key), str) and metadata[key].strip():
            return metadata[key].strip()
    for value in metadata.values():
        value = maybe_json(value)
        if isinstance(value, dict):
            for key in SITE_KEYS:
                if isinstance(value.get(key), str) and value[key].strip():
                    return value[key].strip()
    return None


def site_in_tags(tags: Any) -> str | None:
    """A ``promptlint.site:<id>`` request tag (LiteLLM request tags, Langfuse trace tags)."""
    tags = maybe_json(tags)
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, str) and tag.startswith(SITE_TAG_PREFIX):
                value = tag[len(SITE_TAG_PREFIX):].strip()
                if value:
                    return value
    return None
