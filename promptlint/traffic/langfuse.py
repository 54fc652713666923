"""Langfuse observation exports: the public API's ``/api/public/observations`` pages
(``{"data": [...]}``), a list of observations, or the JSON Lines export.

Only ``GENERATION`` observations are model calls. Token counts come from
``usageDetails`` (``input`` is the uncached input; cache reads under
``input_cached_tokens``, ``cache_read_input_tokens`` or ``input_cache_read``; writes under
``cache_creation_input_tokens`` or ``input_cache_creation``), else the older ``usage``
(``input``/``output`` or ``promptTokens``/``completionTokens``). ``input`` holds the
messages as the SDK recorded them.
"""

from __future__ import annotations

from typing import Any, Iterator

from promptlint.traffic.records import LoggedCall, maybe_json, site_in, split_messages, to_int, to_time

READ_KEYS = ("input_cached_tokens", "cache_read_input_tokens", "input_cache_read", "cached_tokens", "cache_read")
WRITE_KEYS = ("cache_creation_input_tokens", "input_cache_creation", "input_cache_write", "cache_creation")


def looks_like(record: dict) -> bool:
    return "type" in record and ("usageDetails" in record or "traceId" in record or "startTime" in record)


def read(records: list[Any], name: str) -> Iterator[LoggedCall]:
    for n, record in enumerate(records, 1):
        if not isinstance(record, dict) or str(record.get("type", "")).upper() != "GENERATION":
            continue
        details = record.get("usageDetails") if isinstance(record.get("usageDetails"), dict) else {}
        usage = record.get("usage") if isinstance(record.get("usage"), dict) else {}
        read_tokens = next((to_int(details[k]) for k in READ_KEYS if k in details), 0)
        write_tokens = next((to_int(details[k]) for k in WRITE_KEYS if k in details), 0)
        if details:
            uncached, output = to_int(details.get("input")), to_int(details.get("output"))
        else:
            uncached = to_int(usage.get("input", usage.get("promptTokens")))
            output = to_int(usage.get("output", usage.get("completionTokens")))
        system, messages = split_messages(maybe_json(record.get("input")))
        model = record.get("model")
        yield LoggedCall(f"{name}:{record.get('id') or n}", model if isinstance(model, str) and model else None,
                         to_time(record.get("startTime")), uncached, read_tokens, write_tokens, output, system,
                         messages, site_in(record.get("metadata")))
