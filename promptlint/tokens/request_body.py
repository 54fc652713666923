"""The ``messages.count_tokens`` body for a request, built from what extraction saw.

The body holds what the call would send (tools, system, messages, in that order) so the
API counts the framing, the tool-use system prompt and the text together. What is only
known at run time cannot be sent: a placeholder inside a template, or a whole message that
is a variable, is sent as the one-letter stand-in ``STAND_IN`` (and counted, so callers
can say how many there were); a list of unknown length (``*history``) and anything
unresolved are left out, as the offline count leaves them out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from promptlint.types import Part, Request, Template

STAND_IN = "x"
# Keys of a custom tool definition that count_tokens accepts (anything else is a 400).
_TOOL_KEYS = ("name", "description", "input_schema")


@dataclass(frozen=True)
class Body:
    params: dict  # keyword arguments for count_tokens, model included
    stand_ins: int  # run-time values sent as STAND_IN
    left_out: int  # parts not sent (lists of unknown length, unresolved values)


def text_body(model: str, text: str) -> dict:
    """One user message holding ``text``: to count a template alone."""
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def request_body(request: Request, templates: dict[str, Template], model: str) -> Body:
    builder = _Builder(templates)
    for part in request.parts:
        builder.add(part)
    return builder.finish(model)


class _Builder:
    def __init__(self, templates: dict[str, Template]) -> None:
        self.templates = templates
        self.tools: list[dict] = []
        self.system: list[str] = []
        self.messages: list[tuple[int | None, str, list[str]]] = []  # (index, role, texts)
        self.stand_ins = 0
        self.left_out = 0

    def text(self, part: Part) -> str | None:
        """The part's text with holes as stand-ins; None when it cannot be sent."""
        if part.template is not None and part.template in self.templates:
            text = ""
            for segment in self.templates[part.template].segments:
                if segment.hole is None:
                    text += segment.text
                else:
                    text += STAND_IN
                    self.stand_ins += 1
            return text
        if part.hole is not None and part.hole != "...":
            self.stand_ins += 1
            return STAND_IN
        self.left_out += 1
        return None

    def add(self, part: Part) -> None:
        if part.section == "tools":
            tool = self.tool(part)
            if tool is not None:
                self.tools.append(tool)
            return
        text = self.text(part)
        if text is None or not text.strip():
            return
        if part.section == "system" or part.role == "system":
            self.system.append(text)
            return
        role = "assistant" if part.role == "assistant" else "user"
        if part.message is None:
            self.left_out += 1
            return
        if self.messages and self.messages[-1][0] == part.message:
            self.messages[-1][2].append(text)
        else:
            self.messages.append((part.message, role, [text]))

    def tool(self, part: Part) -> dict | None:
        template = self.templates.get(part.template) if part.template else None
        if template is None:
            self.left_out += 1
            return None
        try:
            raw = json.loads(template.text)
        except ValueError:
            self.left_out += 1
            return None
        if not isinstance(raw, dict):
            self.left_out += 1
            return None
        return _anthropic_tool(raw)

    def finish(self, model: str) -> Body:
        messages = [{"role": role, "content": texts[0] if len(texts) == 1 else
                     [{"type": "text", "text": t} for t in texts]} for _, role, texts in self.messages]
        if not messages or messages[0]["role"] != "user":
            # The API needs a user turn first; the real call has one at run time.
            messages.insert(0, {"role": "user", "content": STAND_IN})
            self.stand_ins += 1
        last = messages[-1]
        if last["role"] == "assistant":  # a final assistant turn may not end in whitespace
            if isinstance(last["content"], str):
                last["content"] = last["content"].rstrip()
            else:
                last["content"][-1]["text"] = last["content"][-1]["text"].rstrip()
        params: dict = {"model": model}
        if self.tools:
            params["tools"] = self.tools
        if self.system:
            params["system"] = self.system[0] if len(self.system) == 1 else [
                {"type": "text", "text": t} for t in self.system]
        params["messages"] = messages
        return Body(params, self.stand_ins, self.left_out)


def _anthropic_tool(raw: dict) -> dict:
    """A tool as the Messages API takes it; OpenAI-style ``function`` tools (LiteLLM
    translates them) become custom tools, server tools (a ``type`` and no schema) pass."""
    if isinstance(raw.get("function"), dict):
        fn = raw["function"]
        raw = {"name": fn.get("name"), "description": fn.get("description"), "input_schema": fn.get("parameters")}
    elif "type" in raw and "input_schema" not in raw:
        return raw
    tool = {k: raw[k] for k in _TOOL_KEYS if raw.get(k) is not None}
    if not isinstance(tool.get("name"), str) or not tool["name"]:
        tool["name"] = "tool"
    if not isinstance(tool.get("input_schema"), dict):
        tool["input_schema"] = {"type": "object"}
    return tool
