"""The kinds of value a ``[tool.promptlint]`` key takes.

Each kind reads one TOML value (checking it, and saying what is wrong with the key's name
in the message) and describes itself as JSON schema. A key is a kind, a default and a
description (:func:`promptlint.config.key`), so validation and the shipped schema come
from the same definition and cannot drift apart.

Kinds that hold rule codes (``codes=True``) are checked again once the rules are loaded
(rule folders and plugins add codes), by :meth:`promptlint.rules.RuleSet.check_config`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable


class ConfigError(Exception):
    """A configuration problem the user must fix (exit code 2)."""


class Problem(Exception):
    """A bad value, raised by a kind; the loader adds the file and key to the message."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key  # a sub-key the problem is under (``per-file-ignores."tests/*"``)


def did_you_mean(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class Kind:
    """How one value is read and described."""

    codes = False  # holds rule codes (or names, or prefixes)

    def read(self, value: Any) -> Any:
        raise NotImplementedError

    def named_rules(self, value: Any):
        """(selector, exact) of every rule the read ``value`` names; ``exact``: a code, not a
        prefix or name (a rule's option table)."""
        return ()

    def schema(self) -> dict:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Kind):
    """A non-empty string, optionally one of ``choices`` or accepted by ``check``
    (which raises ValueError with the reason)."""

    choices: tuple[str, ...] = ()
    check: Callable[[str], Any] | None = None
    glob: bool = False
    numbers: bool = False  # a number is read as its text (`max-increase = 50`)

    def read(self, value: Any) -> str:
        if self.numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = f"{value:g}"
        if self.choices:
            if value not in self.choices:
                raise Problem(f"must be one of {', '.join(self.choices)}, got {_describe(value)}")
            return value
        if not isinstance(value, str) or not value.strip():
            raise Problem(f"must be a non-empty string, got {_describe(value)}")
        if self.glob:
            from promptlint.globs import glob_problem

            problem = glob_problem(value)
            if problem:
                raise Problem(f"bad glob {_describe(value)}: {problem}")
        if self.check is not None:
            try:
                self.check(value)
            except ValueError as exc:
                raise Problem(str(exc)) from None
        return value

    def schema(self) -> dict:
        if self.choices:
            return {"type": "string", "enum": list(self.choices)}
        if self.numbers:
            return {"anyOf": [{"type": "string", "minLength": 1}, {"type": "number", "minimum": 0}]}
        return {"type": "string", "minLength": 1}


@dataclass(frozen=True)
class Dollars(Kind):
    """Dollars: a number (per ``per``), or text such as ``"$200/month"`` or ``"$0.01/request"``.
    Read as (amount, "request" | "month")."""

    per: str = "request"

    def read(self, value: Any) -> tuple[float, str]:
        if isinstance(value, str):
            from promptlint.thresholds import parse_dollars

            try:
                parsed = parse_dollars(value, self.per)
            except ValueError as exc:
                raise Problem(str(exc)) from None
            return parsed.amount, parsed.per
        return Number(0).read(value), self.per

    def schema(self) -> dict:
        return {"anyOf": [{"type": "number", "minimum": 0},
                          {"type": "string", "pattern": r"^\s*\$?\s*[0-9]"}]}


@dataclass(frozen=True)
class Flag(Kind):
    def read(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Problem(f"must be true or false, got {_describe(value)}")
        return value

    def schema(self) -> dict:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Number(Kind):
    low: float | None = None
    high: float | None = None
    integer: bool = False

    def read(self, value: Any) -> float | int:
        kind = "an integer" if self.integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (self.integer and not isinstance(value, int)):
            raise Problem(f"must be {kind}, got {_describe(value)}")
        if value != value:  # NaN
            raise Problem(f"must be {kind}, got nan")
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise Problem(f"must be {self._range()}, got {value!r}")
        return int(value) if self.integer else float(value)

    def _range(self) -> str:
        if self.low is not None and self.high is not None:
            return f"between {self.low:g} and {self.high:g}"
        if self.low is not None:
            return f"at least {self.low:g}"
        return f"at most {self.high:g}"

    def schema(self) -> dict:
        out: dict = {"type": "integer" if self.integer else "number"}
        if self.low is not None:
            out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out


def Integer(low: int | None = None, high: int | None = None) -> Number:  # noqa: N802 - reads as a kind
    return Number(low, high, integer=True)


@dataclass(frozen=True)
class Strings(Kind):
    """A list of strings (a single string is a list of one). ``glob``: each is a path glob,
    checked for syntax; ``codes``: each names rules."""

    glob: bool = False
    codes: bool = False
    name_patterns: bool = False

    def read(self, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Problem(f"must be a list of strings, got {_describe(value)}")
        if self.glob or self.name_patterns:
            from promptlint.globs import glob_problem

            for pattern in value:
                problem = glob_problem(pattern, path=self.glob)
                if problem:
                    raise Problem(f"bad glob {_describe(pattern)}: {problem}")
        return tuple(value)

    def named_rules(self, value: Any):
        return [(v, False) for v in value] if self.codes else []

    def schema(self) -> dict:
        item: dict = {"type": "string"}
        if self.codes:
            item["description"] = "A rule code (PL201), a prefix (PL2), a rule name or ALL."
        return {"anyOf": [{"type": "array", "items": item}, {"type": "string"}]}


@dataclass(frozen=True)
class Table(Kind):
    """A table of ``name = value``. ``names``: what a name is (``glob`` is checked for
    syntax, ``code`` names a rule); ``build`` turns the read table into the stored value."""

    values: Kind
    names: str = "name"  # name | glob | code | glob-or-id (a glob, or an id with `::`)
    build: Callable[[dict], Any] | None = None

    @property
    def codes(self) -> bool:  # type: ignore[override]
        return self.names == "code" or self.values.codes

    def read(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise Problem(f"must be a table of {self.names} = value, got {_describe(value)}")
        out = {}
        for name, item in value.items():
            if self.names == "glob" or (self.names == "glob-or-id" and "::" not in name):
                from promptlint.globs import glob_problem

                problem = glob_problem(name, path=True)
                if problem:
                    raise Problem(f"bad glob {_describe(name)}: {problem}", name)
            try:
                out[name.upper() if self.names == "code" else name] = self.values.read(item)
            except Problem as exc:
                raise Problem(str(exc), _join(name, exc.key)) from None
        return self.build(out) if self.build else out

    def named_rules(self, value: Any):
        found = [(name, True) for name in value] if self.names == "code" else []
        for item in value.values():
            found += self.values.named_rules(item)
        return found

    def schema(self) -> dict:
        out = {"type": "object", "additionalProperties": self.values.schema()}
        if self.names == "code":
            out["propertyNames"] = {"pattern": "^[A-Za-z]+[0-9]+$"}
        return out


@dataclass(frozen=True)
class AnyTable(Kind):
    """A table whose keys are checked elsewhere (a rule's options, by the rule)."""

    what: str = "table"

    def read(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise Problem(f"must be a {self.what}, got {_describe(value)}")
        return dict(value)

    def schema(self) -> dict:
        return {"type": "object"}


@dataclass(frozen=True)
class Record(Kind):
    """A table with fixed keys, each of its own kind, built into ``build(**fields)``."""

    fields: dict[str, Kind]
    build: Callable[..., Any]
    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()  # at least one of these keys
    descriptions: dict[str, str] = field(default_factory=dict)

    def read(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise Problem(f"must be a table with {', '.join(self.fields)}, got {_describe(value)}")
        out = {}
        for name, item in value.items():
            if name not in self.fields:
                raise Problem(f"unknown key `{name}`{did_you_mean(name, self.fields)} (keys: {', '.join(self.fields)})")
            try:
                out[name.replace("-", "_")] = self.fields[name].read(item)
            except Problem as exc:
                raise Problem(str(exc), _join(name, exc.key)) from None
        for name in self.required:
            if name not in value:
                raise Problem(f"needs `{name}`")
        if self.one_of and not any(name in value for name in self.one_of):
            raise Problem(f"needs {' or '.join(f'`{n}`' for n in self.one_of)}")
        return self.build(**out)

    def schema(self) -> dict:
        props = {}
        for name, kind in self.fields.items():
            props[name] = kind.schema()
            if name in self.descriptions:
                props[name]["description"] = self.descriptions[name]
        out: dict = {"type": "object", "properties": props, "additionalProperties": False}
        if self.required:
            out["required"] = list(self.required)
        if self.one_of:
            out["anyOf"] = [{"required": [n]} for n in self.one_of]
        return out


@dataclass(frozen=True)
class Records(Kind):
    """A list of tables (``budgets = [{...}, {...}]``)."""

    item: Record

    def read(self, value: Any) -> tuple:
        if not isinstance(value, list):
            raise Problem(f"must be a list of tables, got {_describe(value)}")
        out = []
        for index, entry in enumerate(value):
            try:
                out.append(self.item.read(entry))
            except Problem as exc:
                raise Problem(str(exc), _join(f"[{index}]", exc.key)) from None
        return tuple(out)

    def schema(self) -> dict:
        return {"type": "array", "items": self.item.schema()}


def _join(name: str, sub: str | None) -> str:
    if sub is None:
        return name
    return f"{name}{sub}" if sub.startswith("[") else f"{name}.{sub}"
