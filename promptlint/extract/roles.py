"""Which conversation role a piece of prompt text plays, from the words that name it.

A message says its role (``{"role": "human"}``, ``("ai", "...")``); a file or a key often
says it in its name (``prompts/system/support.j2``, ``triage_system_prompt:``). Names that
say nothing give ``unknown``: a role is never guessed from the text itself.
"""

from __future__ import annotations

import re

ROLE_ALIASES = {
    "developer": "system", "human": "user", "ai": "assistant", "model": "assistant", "bot": "assistant",
    "function": "tool", "tool": "tool", "system": "system", "user": "user", "assistant": "assistant",
}
_NAME_WORDS = {
    "system": "system", "sys": "system", "instructions": "system", "instruction": "system",
    "persona": "system", "developer": "system", "user": "user", "human": "user", "assistant": "assistant",
}


def role_of(text: str | None) -> str:
    """A role named by a message's ``role`` value (aliases included), else ``unknown``."""
    return ROLE_ALIASES.get(text.strip().lower(), "unknown") if text else "unknown"


def role_from_name(name: str) -> str:
    """``triage_system_prompt`` -> system, ``userTemplate`` -> user; the first role word wins."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    for word in re.split(r"[^A-Za-z0-9]+", spaced.lower()):
        if word in _NAME_WORDS:
            return _NAME_WORDS[word]
    return "unknown"


def role_from_path(path: str) -> str:
    """The role a template file's name gives it, then its folders' names (nearest first)."""
    parts = path.split("/")
    stem = parts[-1].split(".", 1)[0]
    for name in (stem, *reversed(parts[:-1])):
        role = role_from_name(name)
        if role != "unknown":
            return role
    return "unknown"
