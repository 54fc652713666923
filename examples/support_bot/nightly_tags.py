"""Nightly job: tags yesterday's closed tickets for the support dashboard."""

from __future__ import annotations

import anthropic

client = anthropic.Anthropic()

TAGGING_PROMPT = (
    "Tag the closed support ticket with the one topic it was mostly about: delivery, returns, "
    "damaged_item, warranty, billing, account or other. Reply with the tag only."
)


def tag_closed_tickets(tickets: list[dict]) -> dict[str, str]:
    tags = {}
    for ticket in tickets:
        response = client.messages.create(
            model="claude-opus-4-1",
            max_tokens=1024,
            system=TAGGING_PROMPT,
            messages=[{"role": "user", "content": ticket["transcript"]}],
        )
        tags[ticket["id"]] = response.content[0].text.strip()
    return tags
