"""XML-style tags in prompt text: which blocks they delimit and what their names say.

Prompts mark their parts with tags (``<example>``, ``<documents>``, ``<function_results>``,
``<Task Instruction Example>``, ``<topic name="Billing">``). Tags are paired by name
(case-insensitive) with a stack, so nesting and stray tags are handled; a tag's name,
split into words with digits dropped (``original1`` -> ``original``), decides the kind of
its block by the vocabulary below. Unknown names delimit sections but claim no kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlint.anatomy.lines import Claim

_NAME = r"[A-Za-z][\w.:-]*(?:[ ][A-Za-z(][\w.:()-]*){0,5}?"
_ATTRS = r"(?:\s+[\w:-]+\s*=\s*(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s>]+))*|=[^\s<>]+"
_OPEN = re.compile(rf"<(?P<name>{_NAME})(?P<attrs>{_ATTRS})\s*>")
_CLOSE = re.compile(rf"</(?P<name>{_NAME})\s*>")

EXAMPLE_WORDS = {"example", "examples", "sample", "samples", "demonstration", "demonstrations", "demo", "shot",
                 "shots", "transcript", "transcripts", "conversation", "conversations", "dialogue", "dialog",
                 "chat", "history", "exchange", "interaction", "interactions"}
DOCUMENT_WORDS = {"document", "documents", "doc", "docs", "context", "article", "articles", "passage", "passages",
                  "reference", "references", "knowledge", "kb", "source", "sources", "contract", "lease", "email",
                  "emails", "record", "records", "report", "data", "content", "file", "files", "retrieved",
                  "excerpt", "excerpts", "page", "pages", "original", "faq", "manual", "article", "corpus",
                  "snippet", "snippets", "search", "chunk", "chunks", "paper"}
CODE_WORDS = {"code", "stdout", "stderr", "diff", "patch", "observation", "observations", "traceback", "log", "logs",
              "terminal", "shell", "bash", "output_log"}
RESULT_WORDS = {"result", "results", "output", "outputs", "response", "call", "calls"}
TOOL_WORDS = {"function", "functions", "tool", "tools", "command", "execution"}
SCHEMA_WORDS = {"description", "definition", "definitions", "schema", "spec", "signature", "parameters"}
FORMAT_WORDS = {"format", "formatting", "schema", "structure", "template"}
ANSWER_WORDS = {"output", "response", "answer", "reply"}


@dataclass(frozen=True)
class Tag:
    name: str  # as written
    words: tuple[str, ...]
    start: int  # of the opening tag
    inner: int  # end of the opening tag
    close: int  # start of the closing tag
    end: int  # end of the closing tag
    depth: int


def words_of(name: str) -> tuple[str, ...]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return tuple(w for w in (re.sub(r"\d+$", "", w) for w in re.split(r"[\s_.:()-]+", spaced.lower())) if w)


def find_tags(text: str) -> list[Tag]:
    """Every opening tag paired with its closing tag, outermost first."""
    events = sorted([(m.start(), 0, m) for m in _OPEN.finditer(text)] + [(m.start(), 1, m) for m in _CLOSE.finditer(text)],
                    key=lambda e: e[0])
    stack: list[tuple[str, re.Match]] = []
    found: list[Tag] = []
    for _, closing, m in events:
        key = " ".join(words_of(m.group("name"))) or m.group("name").lower()
        if not closing:
            stack.append((key, m))
            continue
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][0] == key:
                opened = stack[depth][1]
                found.append(Tag(opened.group("name"), words_of(opened.group("name")), opened.start(), opened.end(),
                                 m.start(), m.end(), depth))
                del stack[depth:]
                break
    return sorted(found, key=lambda t: (t.start, -t.end))


def kind_of(tag: Tag) -> str | None:
    words = set(tag.words)
    if words & EXAMPLE_WORDS:
        return "example"
    if words & FORMAT_WORDS and words & (ANSWER_WORDS | {"format"}):
        return "output-format"
    if words & TOOL_WORDS and (words & SCHEMA_WORDS or tag.words in (("tools",), ("functions",))):
        return "tool-schema"
    if words & CODE_WORDS or (words & TOOL_WORDS and words & RESULT_WORDS):
        return "code"
    if words & DOCUMENT_WORDS:
        return "document"
    return None


def tag_claims(tags: list[Tag]) -> list[Claim]:
    """Blocks whose tag names a kind, outermost first (an example's documents are the example's)."""
    out = []
    for tag in tags:
        kind = kind_of(tag)
        if kind is not None:
            out.append(Claim(tag.start, tag.end, kind, f"inside <{tag.name}>"))
    return out
