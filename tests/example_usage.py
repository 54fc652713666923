"""Writes examples/usage/otel-traces.json: a day of OpenTelemetry GenAI spans from the example
support app, as an instrumented deployment would export them (run it to refresh the sample).

The calls are built from the example's own prompts with run-time values filled in (customer
names, questions, order records), so the sample exercises attribution the way real traffic
does: answer() calls carry a `promptlint.site` tag and no recorded text; the others record
their messages (`gen_ai.input.messages`) and are matched by their static text.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from promptlint.config import load_config
from promptlint.engine import scan

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OUT = EXAMPLES / "usage" / "otel-traces.json"
START = 1_793_606_400  # 2026-11-02T08:00:00Z
VOLUME = {  # calls in the logged day, typical output tokens
    "support_bot/assistant.py::answer::messages.create#1": (90, 180),
    "support_bot/replies.py::draft_reply::messages.create#1": (30, 260),
    "support_bot/triage.py::classify::messages.create#1": (120, 3),
    "support_bot/handoff.py::summarize_for_agent::chat.completions.create#1": (12, 150),
    "support_bot/faq_chain.py::answer_faq::invoke#1": (25, 90),
    "support_bot/nightly_tags.py::tag_closed_tickets::messages.create#1": (40, 2),
}
WORDS = "order kettle lid refund parcel courier blender warranty address invoice account voucher".split()


def fill(template, rng) -> str:
    return "".join(s.text if s.hole is None else " ".join(rng.sample(WORDS, 3)) for s in template.segments)


def attr(key, value):
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def main() -> None:
    rng = random.Random(18)
    config = load_config(EXAMPLES)
    project, _ = scan([EXAMPLES], config, None)
    spans = []
    for request in project.requests:
        if request.id not in VOLUME:
            continue
        calls, output = VOLUME[request.id]
        model = request.model or config.default_model
        for n in range(calls):
            system, messages, tokens = [], [], 0
            for part in request.parts:
                template = project.templates.get(part.template) if part.template else None
                text = fill(template, rng) if template is not None else " ".join(rng.sample(WORDS, 5))
                tokens += len(text) // 4
                if part.section == "system" or part.role == "system":
                    system.append({"type": "text", "content": text})
                else:
                    messages.append({"role": part.role if part.role != "unknown" else "user",
                                     "parts": [{"type": "text", "content": text}]})
            start = START + int(rng.uniform(0, 86_400)) if "nightly" not in request.id else START + 79_200 + 20 * n
            attrs = [attr("gen_ai.operation.name", "chat"), attr("gen_ai.request.model", model),
                     attr("gen_ai.usage.input_tokens", tokens + 12),
                     attr("gen_ai.usage.output_tokens", max(1, int(rng.gauss(output, output / 4)))),
                     attr("gen_ai.usage.cache_read.input_tokens", 0)]
            if request.id.endswith("answer::messages.create#1"):
                attrs.append(attr("promptlint.site", request.id))
            else:
                attrs += [attr("gen_ai.system_instructions", json.dumps(system)),
                          attr("gen_ai.input.messages", json.dumps(messages))]
            spans.append({"traceId": f"{rng.getrandbits(128):032x}", "spanId": f"{rng.getrandbits(64):016x}",
                          "name": f"chat {model}", "kind": 3, "startTimeUnixNano": f"{start}000000000",
                          "endTimeUnixNano": f"{start + 2}000000000", "attributes": attrs, "status": {}})
    spans.append({"traceId": "0" * 31 + "1", "spanId": "0" * 15 + "1", "name": "chat claude-sonnet-4-5", "kind": 3,
                  "startTimeUnixNano": f"{START + 500}000000000", "endTimeUnixNano": f"{START + 502}000000000",
                  "attributes": [attr("gen_ai.operation.name", "chat"), attr("gen_ai.request.model", "claude-sonnet-4-5"),
                                 attr("gen_ai.usage.input_tokens", 40), attr("gen_ai.usage.output_tokens", 30),
                                 attr("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [
                                     {"type": "text", "content": "Write a haiku about our spring sale."}]}]))]})
    spans.sort(key=lambda s: s["startTimeUnixNano"])
    doc = {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "acme-support-bot")]},
                              "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.genai"}, "spans": spans}]}]}
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
