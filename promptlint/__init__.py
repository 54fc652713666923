"""promptlint: static analysis of the LLM prompts that live in a codebase.

The pipeline reads in one direction: discover -> extract -> measure -> rules -> price ->
report | baseline | fix. Each stage is a module that knows only the stage before it
through the frozen dataclasses in :mod:`promptlint.types`.
"""

__version__ = "0.1.0"

from promptlint import codecache as _codecache  # noqa: E402 - before any module defines a dataclass

_codecache.install()
