"""OpenTelemetry GenAI spans in OTLP JSON (``ExportTraceServiceRequest``, one document or
one per line as the OTLP file exporter writes them).

Read per the GenAI semantic conventions: ``gen_ai.operation.name`` (chat, text_completion,
generate_content are model calls; agent and tool spans are not, so their totals are not
counted twice), ``gen_ai.request.model`` (else ``gen_ai.response.model``),
``gen_ai.usage.input_tokens`` (which includes cache reads and writes),
``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.usage.cache_creation.input_tokens``,
``gen_ai.usage.output_tokens``, and the text when recorded: ``gen_ai.system_instructions``
and ``gen_ai.input.messages`` (on the span or on an event), the older per-message events
(``gen_ai.system.message``, ``gen_ai.user.message``, ...) and ``gen_ai.prompt.N.role/content``.
"""

from __future__ import annotations

from typing import Any, Iterator

from promptlint.traffic.records import (SITE_KEYS, LoggedCall, content_text, maybe_json, split_input,
                                        split_messages, join_text, to_int, to_time)

MODEL_CALLS = {"chat", "text_completion", "generate_content", "completion", "responses"}
NOT_MODEL_CALLS = {"embeddings", "execute_tool", "invoke_agent", "create_agent", "invoke_workflow", "retrieval"}


def any_value(value: Any) -> Any:
    """An OTLP JSON ``AnyValue`` as a plain Python value."""
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "boolValue", "doubleValue", "bytesValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return to_int(value["intValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values", []))
    return None


def attributes(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {a["key"]: any_value(a.get("value")) for a in items if isinstance(a, dict) and isinstance(a.get("key"), str)}


def spans(document: Any) -> Iterator[dict]:
    if not isinstance(document, dict):
        return
    for resource in document.get("resourceSpans") or []:
        if not isinstance(resource, dict):
            continue
        for scope in (resource.get("scopeSpans") or resource.get("instrumentationLibrarySpans") or []):
            if isinstance(scope, dict):
                for span in scope.get("spans") or []:
                    if isinstance(span, dict):
                        yield span


def is_model_call(attrs: dict) -> bool:
    operation = attrs.get("gen_ai.operation.name")
    if operation in NOT_MODEL_CALLS:
        return False
    if operation in MODEL_CALLS:
        return True
    return any(k in attrs for k in ("gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"))


def read(documents: list[Any], name: str) -> Iterator[LoggedCall]:
    n = 0
    for document in documents:
        for span in spans(document):
            n += 1
            attrs = attributes(span.get("attributes"))
            if not is_model_call(attrs):
                continue
            yield call_from_span(span, attrs, f"{name}:span {span.get('spanId') or n}")


def call_from_span(span: dict, attrs: dict, source: str) -> LoggedCall:
    read_tokens = to_int(attrs.get("gen_ai.usage.cache_read.input_tokens", attrs.get("gen_ai.usage.cache_read_input_tokens")))
    write_tokens = to_int(attrs.get("gen_ai.usage.cache_creation.input_tokens",
                                    attrs.get("gen_ai.usage.cache_creation_input_tokens")))
    total = to_int(attrs.get("gen_ai.usage.input_tokens", attrs.get("gen_ai.usage.prompt_tokens")))
    output = to_int(attrs.get("gen_ai.usage.output_tokens", attrs.get("gen_ai.usage.completion_tokens")))
    system, messages = _text(span, attrs)
    site = next((attrs[k] for k in SITE_KEYS if isinstance(attrs.get(k), str) and attrs[k].strip()), None)
    model = attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model")
    return LoggedCall(source, model if isinstance(model, str) else None, to_time(span.get("startTimeUnixNano")),
                      split_input(total, read_tokens, write_tokens, includes_cache=True), read_tokens, write_tokens,
                      output, system, messages, site.strip() if site else None)


def _text(span: dict, attrs: dict) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    pools = [attrs] + [attributes(e.get("attributes")) for e in span.get("events") or [] if isinstance(e, dict)]
    system = None
    for pool in pools:
        if "gen_ai.system_instructions" in pool:
            system = content_text(maybe_json(pool["gen_ai.system_instructions"])) or None
            break
    for pool in pools:
        if "gen_ai.input.messages" in pool:
            more, messages = split_messages(maybe_json(pool["gen_ai.input.messages"]))
            return join_text(system, more), messages
    events = _message_events(span)
    if events is not None:
        more, messages = events
        return join_text(system, more), messages
    indexed = _indexed_prompt(attrs)
    if indexed:
        more, messages = split_messages(indexed)
        return join_text(system, more), messages
    if "gen_ai.prompt" in attrs:
        more, messages = split_messages(maybe_json(attrs["gen_ai.prompt"]))
        return join_text(system, more), messages
    return system, ()


def _message_events(span: dict):
    """Older conventions: one event per message (``gen_ai.user.message`` with ``content``)."""
    found = []
    for event in span.get("events") or []:
        if not isinstance(event, dict):
            continue
        name = str(event.get("name", ""))
        if not (name.startswith("gen_ai.") and name.endswith(".message")):
            continue
        role = name[len("gen_ai."):-len(".message")]
        attrs = attributes(event.get("attributes"))
        body = maybe_json(attrs.get("content", attrs.get("gen_ai.event.content", event.get("body"))))
        if isinstance(body, dict) and "content" in body:
            body = body["content"]
        found.append({"role": role, "content": body})
    return split_messages(found) if found else None


def _indexed_prompt(attrs: dict) -> list[dict]:
    """``gen_ai.prompt.0.role`` / ``gen_ai.prompt.0.content`` (OpenLLMetry)."""
    rows: dict[int, dict] = {}
    for key, value in attrs.items():
        if key.startswith("gen_ai.prompt.") and key.count(".") == 3:
            _, _, index, field = key.split(".")
            if index.isdigit() and field in ("role", "content"):
                rows.setdefault(int(index), {})[field] = value
    return [rows[i] for i in sorted(rows)]

