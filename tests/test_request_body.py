"""What is sent to count_tokens for a request, from what extraction saw."""

from __future__ import annotations

from promptlint.config import parse_config
from promptlint.engine import scan
from promptlint.tokens.request_body import STAND_IN, request_body


def _body(root, model="claude-sonnet-4-5"):
    project, _ = scan([root], parse_config({}, root=str(root)))
    [request] = project.requests
    return request_body(request, project.templates, model)


def test_tools_system_and_few_shot_messages(project):
    root = project({"bot.py": '''
import anthropic
client = anthropic.Anthropic()
TOOLS = [{"name": "get_order", "description": "Look up an order.",
          "input_schema": {"type": "object", "properties": {"id": {"type": "string"}}},
          "cache_control": {"type": "ephemeral"}}]


def label(ticket, history):
    return client.messages.create(
        model="claude-sonnet-4-5", max_tokens=5, tools=TOOLS,
        system=[{"type": "text", "text": "You label tickets."},
                {"type": "text", "text": "Labels: billing, bug, other.", "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "My card was charged twice."},
                  {"role": "assistant", "content": "billing"},
                  *history,
                  {"role": "user", "content": f"Ticket from {ticket.customer}: {ticket.text}"}],
    )
'''})
    body = _body(root)
    assert body.params["tools"] == [{"name": "get_order", "description": "Look up an order.",
                                     "input_schema": {"type": "object", "properties": {"id": {"type": "string"}}}}]
    assert body.params["system"] == [{"type": "text", "text": "You label tickets."},
                                     {"type": "text", "text": "Labels: billing, bug, other."}]
    assert body.params["messages"] == [
        {"role": "user", "content": "My card was charged twice."},
        {"role": "assistant", "content": "billing"},
        {"role": "user", "content": f"Ticket from {STAND_IN}: {STAND_IN}"},
    ]
    assert body.stand_ins == 2 and body.left_out == 1  # two placeholders; *history not sent
    assert list(body.params) == ["model", "tools", "system", "messages"]


def test_a_leading_assistant_turn_gets_a_user_stand_in(project):
    root = project({"bot.py": '''
import anthropic
client = anthropic.Anthropic()


def go(history):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=5,
                                  messages=[*history, {"role": "assistant", "content": "Sure. "}])
'''})
    body = _body(root)
    assert body.params["messages"] == [{"role": "user", "content": STAND_IN},
                                       {"role": "assistant", "content": "Sure."}]
    assert "system" not in body.params and "tools" not in body.params


def test_unresolved_prompt_is_left_out_not_guessed(project):
    root = project({"bot.py": '''
import anthropic
from somewhere_else import PROMPT
client = anthropic.Anthropic()


def go(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=5, system=PROMPT,
                                  messages=[{"role": "user", "content": q}])
'''})
    body = _body(root)
    assert "system" not in body.params
    assert body.params["messages"] == [{"role": "user", "content": STAND_IN}]
    assert body.left_out == 1
