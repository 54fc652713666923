"""Answers customers with Claude, using the long support policy prompt."""

from __future__ import annotations

import anthropic

from support_bot.prompts import SUPPORT_SYSTEM_PROMPT

MODEL = "claude-sonnet-4-5"

client = anthropic.Anthropic()


def answer(order_record: str, history: list[dict], question: str) -> str:
    """One turn of the support chat: policy prompt, the order, the conversation so far."""
    messages = [
        *history,
        {"role": "user", "content": f"Order record:\n{order_record}\n\nCustomer: {question}"},
    ]
    response = client.messages.create(
        model=MODEL,
        max_tokens=600,
        system=SUPPORT_SYSTEM_PROMPT,
        messages=messages,
    )
    return response.content[0].text
