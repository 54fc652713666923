"""A small support app shared by the gate, format and pre-commit tests: a policy prompt
imported from another module, repeated ``repeat`` times so a test can grow it."""

from __future__ import annotations

# A clause, not a sentence, so repeating it pads the prompt without a duplicate instruction (PL104).
POLICY = "cite the order number and the policy section you relied on, "
CACHED_SYSTEM = '[{"type": "text", "text": SUPPORT_SYSTEM, "cache_control": {"type": "ephemeral"}}]'

ANSWER = (
    "def answer(question):\n"
    "    return client.messages.create(\n"
    '        model="claude-sonnet-5-5", max_tokens=400, system={system},\n'
    '        messages=[{{"role": "user", "content": question}}],\n'
    "    )\n"
)
TRIAGE = (
    "def triage(ticket):\n"
    "    return client.messages.create(\n"
    '        model="claude-haiku-5-5", max_tokens=5, system=TRIAGE_PROMPT,\n'
    '        messages=[{"role": "user", "content": ticket}],\n'
    "    )\n"
)


def support_app(repeat: int, system: str = "SUPPORT_SYSTEM", functions: tuple[str, ...] = (TRIAGE,),
                imports: str = "") -> dict[str, str]:
    """``app/prompts.py`` and ``app/bot.py``; ``answer`` sits at line 7 of bot.py, its call at line 8."""
    body = "\n\n".join((ANSWER.format(system=system), *functions))
    return {
        "app/__init__.py": "",
        "app/prompts.py": (
            f'SUPPORT_SYSTEM = "{POLICY}" * {repeat}\n'
            'TRIAGE_PROMPT = "Label the ticket as billing, shipping or other. Answer with the label only."\n'
        ),
        "app/bot.py": (
            f"import anthropic\n{imports}from app.prompts import SUPPORT_SYSTEM, TRIAGE_PROMPT\n\n"
            "client = anthropic.Anthropic()\n\n\n" + body
        ),
    }
