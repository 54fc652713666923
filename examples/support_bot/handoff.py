"""Summarizes a conversation for the human agent who takes it over."""

from __future__ import annotations

from openai import OpenAI

from support_bot.prompts import SUMMARY_TEMPLATE

openai_client = OpenAI()


def summarize_for_agent(transcript: str) -> str:
    completion = openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": "You write handoff notes for support agents."},
            {"role": "user", "content": SUMMARY_TEMPLATE.format(transcript=transcript)},
        ],
    )
    return completion.choices[0].message.content
