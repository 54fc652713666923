"""Prompts given as a parameter's default: ``def __init__(self, system_message="You are ...")``.

A class or a helper often carries its prompt as the default of a parameter callers may
override (``code_output_template="Code output: {content}\\n\\nWhat does this mean?"``).
Nothing binds that text to a name the constants or locals passes see. Here a default
written as text (a string or an f-string) of a parameter with a prompt-like name is a
candidate, judged like a local: the name counts only on a prose value. Its id is the
function and the parameter (``Agent.__init__::system_message``); the resolver gives the
default the same identity where a call passing nothing sends it
(:meth:`promptlint.extract.resolve.Resolver.default_value`), so it is one template.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from promptlint.extract import values as v
from promptlint.extract.evidence import instruction_cues, words
from promptlint.extract.result import NamedValue
from promptlint.extract.scopes import ModuleIndex

KIND = "default"


def default_id(path: str, owner: str, name: str) -> str:
    return f"{path}::{owner}::{name}"


def candidates(index: ModuleIndex, default_of: Callable[[str, str], v.Value | None], path: str,
               named: Callable[[str], bool], tests: bool) -> list[NamedValue]:
    if tests:
        return []  # a test's defaults are fixtures
    out: list[NamedValue] = []
    for scope in index.scopes:
        if scope.kind != "function":
            continue
        for name, default in scope.params.items():
            if not isinstance(default, (ast.Constant, ast.JoinedStr)) or not named(name):
                continue
            if isinstance(default, ast.Constant) and not isinstance(default.value, str):
                continue
            value = default_of(scope.qualname, name)
            if not isinstance(value, v.Str) or not _more_than_a_question(value):
                continue
            out.append(NamedValue(f"{scope.qualname}::{name}", value, True, value.span, KIND))
    return out


def _more_than_a_question(value: v.Str) -> bool:
    """A default is a weaker place than a constant: an input prompt for a person is a
    default as often as a model's (``prompt="Open URL for more info?"``). One short sentence
    counts only with a placeholder or an instruction cue; more text counts as a name's would."""
    text = value.text
    if value.has_holes or instruction_cues(text) or len(words(text)) >= 8:
        return True
    return sum(1 for mark in (". ", "? ", "! ", "\n") if mark in text.strip()) > 0
