"""Few-shot examples: the demonstrations a prompt carries, in whatever source they sit.

Two shapes are recognised everywhere (Python message lists, YAML ``messages:`` and
``examples:``, prompty bodies, LangChain message lists): a user turn answered by an
assistant turn before the conversation's final turn, and an item of a collection named
for examples (``{"input": ..., "output": ...}``). Rules (PL101) compare them.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.types import Example, Span

# The note on a template that replays a recorded agent trajectory (SWE-agent's
# ``demonstrations``): read as transcript, never as instructions (promptlint.anatomy).
RECORDING = "a recorded trajectory: transcript material replayed as a demonstration, not instructions"

SHORT_LABEL_CHARS = 60
# Keys of an example item that hold the demonstrated answer (its label when short).
ANSWER_KEYS = ("output", "answer", "label", "completion", "assistant", "response", "expected", "category",
               "ai", "target")


@dataclass(frozen=True)
class Turn:
    role: str
    templates: tuple[str, ...]
    span: Span | None
    static: bool  # every element of the turn is known text (no run-time value)
    text: str = ""  # the turn's static text, for the label


def label_of(answer: str | None) -> str | None:
    """The expected answer when it is short enough to be a label."""
    if answer is None:
        return None
    answer = answer.strip()
    return answer if answer and len(answer) <= SHORT_LABEL_CHARS else None


def common_group(ids: tuple[str, ...]) -> str | None:
    """``app/x.py::EXAMPLES`` when every id is inside that one named prompt, so the same
    demonstration found through two requests is one example."""
    groups = {i.split("[", 1)[0] for i in ids if "[" in i}
    if len(groups) == 1 and all("[" in i for i in ids):
        group = groups.pop()
        return group if "::" in group and "#" not in group else None
    return None


def pair_examples(group: str, turns: list[Turn]) -> list[Example]:
    """User turns answered by an assistant turn, before the final turn of the conversation."""
    examples: list[Example] = []
    if len(turns) < 3:
        return examples
    for a, b in zip(turns[:-2], turns[1:-1]):
        if a.role == "user" and b.role == "assistant" and a.static and b.static and a.templates and b.templates:
            ids = a.templates + b.templates
            examples.append(Example(common_group(ids) or group, ids, label_of(b.text), a.span))
    return examples
