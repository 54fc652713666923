"""What a request adds to the tokens of its texts: message frames and the tool-use prompt.

Each figure says whether it is measured. A request's count is exact only when every figure
it uses is:

- Claude, one user message: the family's frame (7, 11 or 6 tokens), measured against
  ``count_tokens`` (:data:`promptlint.tokens.claude.FAMILIES`).
- Claude, a system prompt: its own tokens and nothing more. Anthropic's token-counting page
  gives system "You are a scientist" + user "Hello, Claude" = 14 input tokens, which is
  exactly the Claude 3 family's 7-token frame + 4 + 3 text tokens; so this is measured for
  that family only.
- Claude, every further message and every tool definition: ``message`` and ``tool`` of
  ``[overhead]`` in ``data/calibration.toml`` (estimates), and with tools the model's
  ``tool_use_system_tokens`` (Anthropic's published table, ``models.toml``; where the table
  has no row, the nearest release's figure, never 0: ``ModelCatalog.tool_use_system``).
- OpenAI chat: 3 tokens per message and 3 that prime the reply (the OpenAI cookbook's
  ``num_tokens_from_messages``); tools are an estimate.
- Anything else: the ``[overhead]`` estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.models import ModelCatalog
from promptlint.tokens.offline import CLAUDE, OPENAI, overheads
from promptlint.types import Request

# Families whose system prompt is measured to add nothing beyond its own tokens.
SYSTEM_MEASURED = frozenset(("claude-3",))


@dataclass(frozen=True)
class Frame:
    tokens: int
    measured: bool


def shape(request: Request) -> tuple[int, bool, int]:
    """(messages, whether a system prompt is sent, tool definitions) as extraction saw them."""
    messages = len({p.message for p in request.parts if p.message is not None})
    system = any(p.section == "system" and p.message is None for p in request.parts)
    tools = sum(1 for p in request.parts if p.section == "tools")
    return messages, system, tools


def request_frame(request: Request, catalog: ModelCatalog, model: str) -> Frame:
    if request.embedding:
        return Frame(0, True)  # an embeddings call adds no message frame
    family = catalog.family(model)
    messages, system, tools = shape(request)
    framing = overheads()
    if family in OPENAI:
        total = 3 * (max(messages, 1) + system) + 3
        measured = True
        if tools:
            total += framing.get("tool", 0) * tools
            measured = False
        return Frame(total, measured)
    if family in CLAUDE:
        from promptlint.tokens.claude import FAMILIES

        total = FAMILIES[family].frame
        measured = not system or family in SYSTEM_MEASURED
        if messages > 1:
            total += framing.get("message", 0) * (messages - 1)
            measured = False
        if tools:
            total += framing.get("tool", 0) * tools + catalog.tool_use_system(model)[0]
            measured = False
        return Frame(total, measured)
    total = framing.get("request", 0) + framing.get("message", 0) * (max(messages, 1) + system)
    total += framing.get("tool", 0) * tools
    if tools:
        total += catalog.tool_use_system(model)[0]
    return Frame(total, False)


def text_frame(catalog: ModelCatalog, model: str) -> Frame:
    """The frame of a request that sends one text as its one user message."""
    family = catalog.family(model)
    if family in OPENAI:
        return Frame(6, True)
    if family in CLAUDE:
        from promptlint.tokens.claude import FAMILIES

        return Frame(FAMILIES[family].frame, True)
    framing = overheads()
    return Frame(framing.get("request", 0) + framing.get("message", 0), False)
