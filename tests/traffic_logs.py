"""Writes the usage-log fixtures of tests/fixtures/traffic_app/logs/ (run it to refresh them).

One scenario of calls to the helpdesk fixture project, written in each format promptlint
reads, each following the format's published schema: OTLP JSON with GenAI semantic-convention
attributes, LiteLLM spend-log rows, Langfuse observations, promptlint JSONL. Every call's id
starts with the site it came from (EXPECTED), so tests can check each attribution.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent / "fixtures" / "traffic_app"
LOGS = HERE / "logs"
SYSTEM = (HERE / "helpdesk" / "prompts.py").read_text().split('"""')[1]
CLASSIFY = ("Classify the support ticket into exactly one category: billing, bug, account,\n"
            "hardware or other. Reply with the category only.")
DIGEST = "You write the weekly digest of resolved tickets for the helpdesk team lead, as five bullet points."
DRIFTED = SYSTEM.replace("Keep answers under 150 words", "Keep answers under 120 words, friendly")

SITES = {
    "answer": "helpdesk/chat.py::answer::messages.create#1",
    "translate": "helpdesk/chat.py::translate::messages.create#1",
    "handoff": "helpdesk/handoff.py::handoff_note::messages.create#1",
    "classify": "helpdesk/classify.py::classify::chat.completions.create#1",
    "monthly": "helpdesk/digest.py::monthly_digest::messages.create#1",
}
# id prefix -> the site the call must be attributed to (None: listed as unattributed)
EXPECTED = {**SITES, "twin": None, "unknown": None, "othermodel": None, "drift": SITES["answer"]}

START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def scenario() -> list[dict]:
    calls = []

    def add(cid, minutes, model, system, user, inp, out, read=0, write=0, site=None):
        calls.append({"id": cid, "time": START + timedelta(minutes=minutes), "model": model, "system": system,
                      "user": user, "input": inp, "output": out, "read": read, "write": write, "site": site})

    people = [("Ana", "Why was I charged twice for November?"), ("Bo", "How do I reset the admin password?"),
              ("Chen", "Can I move my licence to a new laptop?"), ("Dara", "The invoice PDF is blank.")]
    for i, (name, question) in enumerate(people):  # two bursts: calls within 5 minutes of each other
        add(f"answer-{i}", 60 * 24 * i + (0 if i % 2 == 0 else 3), "claude-sonnet-4-5-20250929", SYSTEM,
            f"Customer {name} asks the following question:\n{question}", 210 + 9 * i, 140 + 20 * i,
            read=0, write=0)
    add("answer-4", 3, "claude-sonnet-4-5", SYSTEM, "Customer Eli asks the following question:\nIs there an API?", 205, 90)
    add("translate-0", 600, "claude-sonnet-4-5", SYSTEM, "Bonjour, ma facture est fausse.", 190, 80)
    add("translate-1", 3000, "claude-sonnet-4-5", SYSTEM, "Hola, no puedo iniciar sesión.", 188, 75)
    add("handoff-0", 1200, "claude-sonnet-4-5", SYSTEM,
        "Summarize this ticket as a handoff note for a human agent:\n#4411 printer offline since Monday", 230, 120)
    for i, ticket in enumerate(["I was billed twice", "App crashes on save", "Locked out of my account",
                                "Docking station dead", "Feature idea: dark mode"]):
        add(f"classify-{i}", 100 + 700 * i, "gpt-4o-mini-2024-07-18", CLASSIFY, ticket, 40 + i, 2 + i % 2)
    add("twin-0", 5000, "claude-haiku-4-5", DIGEST, "#12 printer fixed\n#13 password reset", 60, 90)
    add("monthly-0", 6000, "claude-haiku-4-5", DIGEST, "#1..#40 resolved", 70, 110, site=SITES["monthly"])
    add("unknown-0", 7000, "claude-sonnet-4-5", "You are a poet who writes haiku about the weather in Lisbon.",
        "Today is rainy.", 30, 20)
    add("othermodel-0", 8000, "gpt-4o", SYSTEM, "Customer Fay asks the following question:\nWhere is my order?", 220, 60)
    add("drift-0", 9000, "claude-sonnet-4-5", DRIFTED,
        "Customer Gus asks the following question:\nDo you have an SLA?", 212, 100)
    add("answer-5", 10080, "claude-sonnet-4-5", SYSTEM, "Customer Hal asks the following question:\nBye?", 200, 30)
    return calls


def nanos(t: datetime) -> str:
    return str(int(t.timestamp()) * 1_000_000_000)


def otel(calls) -> dict:
    def attr(key, value):
        if isinstance(value, int):
            return {"key": key, "value": {"intValue": str(value)}}
        return {"key": key, "value": {"stringValue": value}}

    spans = []
    for c in calls:
        provider = "openai" if c["model"].startswith("gpt") else "anthropic"
        attrs = [attr("gen_ai.operation.name", "chat"), attr("gen_ai.provider.name", provider),
                 attr("gen_ai.request.model", c["model"]),
                 attr("gen_ai.usage.input_tokens", c["input"] + c["read"] + c["write"]),
                 attr("gen_ai.usage.output_tokens", c["output"]),
                 attr("gen_ai.usage.cache_read.input_tokens", c["read"]),
                 attr("gen_ai.usage.cache_creation.input_tokens", c["write"]),
                 attr("gen_ai.system_instructions", json.dumps([{"type": "text", "content": c["system"]}])),
                 attr("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [{"type": "text",
                                                                                       "content": c["user"]}]}]))]
        if c["site"]:
            attrs.append(attr("promptlint.site", c["site"]))
        spans.append({"traceId": "5b8efff798038103d269b633813fc60c", "spanId": c["id"], "name": f"chat {c['model']}",
                      "kind": 3, "startTimeUnixNano": nanos(c["time"]),
                      "endTimeUnixNano": nanos(c["time"] + timedelta(seconds=2)), "attributes": attrs,
                      "status": {}})
    # an agent span around the calls carries totals too: it must not be counted again
    spans.append({"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "agent-0", "name": "invoke_agent helpdesk",
                  "startTimeUnixNano": nanos(START), "endTimeUnixNano": nanos(START),
                  "attributes": [attr("gen_ai.operation.name", "invoke_agent"), attr("gen_ai.usage.input_tokens", 9999)]})
    return {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "helpdesk")]},
                               "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.anthropic"},
                                               "spans": spans}]}]}


def litellm(calls) -> list[dict]:
    rows = []
    for c in calls:
        prompt = c["input"] + c["read"] + c["write"]
        metadata = {"user_api_key_alias": "helpdesk-prod",
                    "usage_object": {"prompt_tokens": prompt, "completion_tokens": c["output"],
                                     "total_tokens": prompt + c["output"], "cache_read_input_tokens": c["read"],
                                     "cache_creation_input_tokens": c["write"]}}
        if c["site"]:
            metadata["spend_logs_metadata"] = {"promptlint_site": c["site"]}
        provider = "openai" if c["model"].startswith("gpt") else "anthropic"
        rows.append({"request_id": c["id"], "call_type": "acompletion", "api_key": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
                     "spend": 0.0012, "total_tokens": prompt + c["output"], "prompt_tokens": prompt,
                     "completion_tokens": c["output"], "startTime": c["time"].isoformat(),
                     "endTime": (c["time"] + timedelta(seconds=2)).isoformat(), "model": f"{provider}/{c['model']}",
                     "model_group": c["model"], "api_base": "", "user": "", "metadata": json.dumps(metadata),
                     "cache_hit": "False", "cache_key": "", "request_tags": "[]",
                     "messages": [{"role": "system", "content": c["system"]}, {"role": "user", "content": c["user"]}]})
    # LiteLLM answered this one from its own response cache: no model call, not billed
    rows.append({**rows[0], "request_id": "cachehit-0", "cache_hit": "True"})
    return rows


def langfuse(calls) -> dict:
    data = []
    for c in calls:
        details = {"input": c["input"], "output": c["output"], "total": c["input"] + c["read"] + c["output"]}
        if c["read"]:
            details["cache_read_input_tokens"] = c["read"]
        data.append({"id": c["id"], "traceId": "t-" + c["id"], "type": "GENERATION", "name": "helpdesk-call",
                     "startTime": c["time"].isoformat().replace("+00:00", "Z"), "endTime": None, "model": c["model"],
                     "modelParameters": {"max_tokens": 600},
                     "input": [{"role": "system", "content": c["system"]}, {"role": "user", "content": c["user"]}],
                     "output": {"role": "assistant", "content": "..."}, "metadata": {"promptlint_site": c["site"]}
                     if c["site"] else {}, "usageDetails": details, "costDetails": {}, "level": "DEFAULT"})
    data.append({"id": "span-0", "traceId": "t-x", "type": "SPAN", "name": "retrieve", "startTime": "2026-11-02T08:00:00Z"})
    return {"data": data, "meta": {"page": 1, "limit": 50, "totalItems": len(data), "totalPages": 1}}


def native(calls) -> str:
    lines = []
    for c in calls:
        record = {"id": c["id"], "time": c["time"].isoformat().replace("+00:00", "Z"), "model": c["model"],
                  "input_tokens": c["input"], "cache_read_tokens": c["read"], "cache_write_tokens": c["write"],
                  "output_tokens": c["output"], "system": c["system"],
                  "messages": [{"role": "user", "content": c["user"]}]}
        if c["site"]:
            record["site"] = c["site"]
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


def main() -> None:
    calls = scenario()
    LOGS.mkdir(exist_ok=True)
    (LOGS / "otel-traces.json").write_text(json.dumps(otel(calls), indent=1) + "\n")
    (LOGS / "litellm-spend-logs.json").write_text(json.dumps(litellm(calls), indent=1) + "\n")
    (LOGS / "langfuse-observations.json").write_text(json.dumps(langfuse(calls), indent=1) + "\n")
    (LOGS / "promptlint-usage.jsonl").write_text(native(calls))


if __name__ == "__main__":
    main()
