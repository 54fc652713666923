"""Which named values are prompts on their own evidence, judged once they are linked.

Extraction names the candidates (constants, re-bindings, locals, what functions return);
only after linking is their text known (``SYSTEM = BASE + RULES`` with ``BASE`` imported),
so the verdict is given here. A candidate that no evidence carries is not a template; it
may still become one when a request sends it, a prompt config names it, or it is spliced
into a prompt (that evidence is added where it is found).
"""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.extract import values as v
from promptlint.extract.evidence import (content_evidence, fixture_path, for_people, name_evidence, prompt_filename,
                                        reads_like_prose, renders_other, retired_name)
from promptlint.extract.result import NamedValue
from promptlint.extract.shapes import is_message_list
from promptlint.types import Evidence

# Kinds of candidate whose text alone (no telling name) may make them a prompt: a module
# or class constant and a function's return. A local with no telling name is not judged
# by its text: functions hold many sentences for people (errors, logs, replies).
CONTENT_KINDS = ("constant", "binding", "return")


@dataclass(frozen=True)
class Verdict:
    evidence: tuple[Evidence, ...] = ()
    file: str | None = None  # the value names a prompt file (``system_prompt_filename``)


def display_name(candidate: NamedValue) -> str:
    """``fn::prompt#2`` -> ``prompt``; ``Agent.build()`` -> ``Agent.build``."""
    return candidate.name.split("::")[-1].split("#")[0].removesuffix("()")


def judge(candidate: NamedValue, value: v.Value, where: str) -> Verdict:
    """The evidence a linked candidate carries by itself (``where`` names its file)."""
    name = display_name(candidate)
    if fixture_path(where) or (candidate.kind != "return" and retired_name(name)):
        return Verdict()  # a test's fixture, a retired constant: only a request sending it counts
    if isinstance(value, v.Str) and value.origin and "::" not in value.origin and renders_other(value.origin):
        return Verdict()  # ``template = env.get_template("Dockerfile.j2")``: a name is not enough
    if isinstance(value, v.Str):
        holes = sum(1 for s in value.segments if s.hole is not None)
        text = value.text
        if candidate.template:
            if not value.has_holes and prompt_filename(text):
                return Verdict(file=text.strip())
            found = name_evidence(name, text, holes)
            if found is not None:
                return Verdict((found,))
        if candidate.kind in CONTENT_KINDS and not for_people(name) and not _unread_path(candidate.value):
            found = content_evidence(text, holes)
            if found is not None:
                return Verdict((found,))
        return Verdict()
    if is_message_list(value) and _any_prose(value):
        return Verdict((Evidence("shape", f"`{name}` is a message list"),))
    if candidate.template and isinstance(value, (v.Seq, v.Map)) and _any_prose(value):
        return Verdict((Evidence("name", f"`{name}` holds prose"),))
    return Verdict()


def _unread_path(value: v.Value) -> bool:
    """A path no code has read (``GLOSSARY = ROOT / "glossary.md"``): the file's prose is not
    the constant's text (code may write, upload or delete it), so it does not make the
    constant a prompt; a prompt-like name or a request reading it still does."""
    return isinstance(value, v.FileLink) and value.how == "read" and not value.opened


def _any_prose(value: v.Value) -> bool:
    if isinstance(value, v.Str):
        return reads_like_prose(value.text, sum(1 for s in value.segments if s.hole is not None))
    if isinstance(value, v.Seq):
        return any(_any_prose(i) for i in value.items)
    if isinstance(value, v.Map):
        return any(_any_prose(i) for k, i in value.items if k not in ("role", "type"))
    return False
