"""Drafts e-mail replies to support tickets from Jinja templates, for an agent to review."""

from __future__ import annotations

from pathlib import Path

import anthropic
from jinja2 import Environment, FileSystemLoader

HERE = Path(__file__).parent
env = Environment(loader=FileSystemLoader(HERE / "templates"))
client = anthropic.Anthropic()


def draft_reply(ticket: dict, order: dict) -> str:
    """One draft per ticket; the agent edits and sends it."""
    system = env.get_template("reply_system.j2").render()
    request = env.get_template("reply_user.j2").render(ticket=ticket, order=order)
    response = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=900,
        system=system,
        messages=[{"role": "user", "content": request}],
    )
    return response.content[0].text


def tone_guide() -> str:
    """The tone notes marketing maintains, shared with the FAQ assistant."""
    return (HERE / "prompts" / "tone.md").read_text(encoding="utf-8")
