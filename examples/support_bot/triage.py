"""Routes incoming messages to a queue with a one-word classification."""

from __future__ import annotations

import anthropic

from support_bot.prompts import TRIAGE_INSTRUCTIONS

client = anthropic.AsyncAnthropic()


async def classify(message: str) -> str:
    response = await client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=20,
        system=[
            {
                "type": "text",
                "text": TRIAGE_INSTRUCTIONS,
                "cache_control": {"type": "ephemeral"},
            }
        ],
        messages=[{"role": "user", "content": message}],
    )
    return response.content[0].text.strip()
