"""promptlint's own usage format: JSON Lines, one object per model call.

    {"time": "2025-06-02T09:14:03Z", "site": "app/bot.py::answer::messages.create#1",
     "model": "claude-sonnet-4-5", "input_tokens": 212, "cache_read_tokens": 1371,
     "cache_write_tokens": 0, "output_tokens": 96,
     "system": "You are ...", "messages": [{"role": "user", "content": "..."}]}

``input_tokens`` is the uncached input, as Anthropic's usage reports it; every field but
the token counts is optional (without ``site``, the call is attributed by its text; without
``time``, it counts toward token and cache figures but not toward a rate).
"""

from __future__ import annotations

from typing import Any, Iterator

from promptlint.traffic.records import LoggedCall, split_messages, to_int, to_time

FIELDS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")


def looks_like(record: dict) -> bool:
    return "input_tokens" in record or "site" in record


def read(records: list[Any], name: str) -> Iterator[LoggedCall]:
    for n, record in enumerate(records, 1):
        if not isinstance(record, dict):
            continue
        system, messages = split_messages(record.get("messages") or [])
        if isinstance(record.get("system"), str) and record["system"]:
            system = record["system"] + ("\n" + system if system else "")
        site = record.get("site")
        model = record.get("model")
        yield LoggedCall(f"{name}:{record.get('id') or n}", model if isinstance(model, str) and model else None,
                         to_time(record.get("time")), *(to_int(record.get(k)) for k in FIELDS), system, messages,
                         site.strip() if isinstance(site, str) and site.strip() else None)
