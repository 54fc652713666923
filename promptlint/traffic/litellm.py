"""LiteLLM request logs: rows of the proxy's spend logs (``LiteLLM_SpendLogs``, as the
``/spend/logs`` endpoint or a table export returns them) and ``StandardLoggingPayload``
records (what custom loggers, S3/GCS and file logging write).

``prompt_tokens`` follows OpenAI's usage, which includes cached tokens; cache reads and
writes come from the usage object kept in ``metadata.usage_object`` (or the payload's
own usage): ``cache_read_input_tokens`` / ``prompt_tokens_details.cached_tokens`` and
``cache_creation_input_tokens``. Calls LiteLLM answered from its own response cache
(``cache_hit``) and failed calls reached no model and are skipped.
"""

from __future__ import annotations

from typing import Any, Iterator

from promptlint.traffic.records import (LoggedCall, maybe_json, site_in, site_in_tags, split_input, split_messages,
                                        to_int, to_time)

MARKERS = ("request_id", "call_type", "spend", "response_cost", "standard_logging_object", "model_group")


def looks_like(record: dict) -> bool:
    return sum(1 for k in MARKERS if k in record) >= 1 and ("prompt_tokens" in record or "standard_logging_object" in record)


def read(records: list[Any], name: str) -> Iterator[LoggedCall | str]:
    """Calls, and for each skipped record the reason (counted in the usage summary)."""
    for n, record in enumerate(records, 1):
        if not isinstance(record, dict):
            continue
        record = record.get("standard_logging_object", record) if isinstance(record.get("standard_logging_object"), dict) else record
        if str(record.get("cache_hit")).lower() == "true":
            yield "served from LiteLLM's response cache (no model call)"
            continue
        if str(record.get("status", "success")).lower() == "failure":
            yield "failed call"
            continue
        metadata = maybe_json(record.get("metadata")) or {}
        usage = maybe_json(metadata.get("usage_object")) if isinstance(metadata, dict) else None
        usage = usage if isinstance(usage, dict) else {}
        details = usage.get("prompt_tokens_details") if isinstance(usage.get("prompt_tokens_details"), dict) else {}
        read_tokens = to_int(usage.get("cache_read_input_tokens")) or to_int(details.get("cached_tokens"))
        write_tokens = to_int(usage.get("cache_creation_input_tokens"))
        total = to_int(record.get("prompt_tokens", usage.get("prompt_tokens")))
        system, messages = split_messages(maybe_json(record.get("messages")))
        site = site_in(metadata) or site_in_tags(record.get("request_tags"))
        model = record.get("model") or record.get("model_group")
        yield LoggedCall(f"{name}:{record.get('request_id') or record.get('id') or n}",
                         model if isinstance(model, str) and model else None, to_time(record.get("startTime")),
                         split_input(total, read_tokens, write_tokens, includes_cache=True), read_tokens, write_tokens,
                         to_int(record.get("completion_tokens", usage.get("completion_tokens"))), system, messages, site)
