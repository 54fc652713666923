"""Phrase packs: the wording rules look for, kept as data in ``rules/packs/`` (format in
``rules/README.md``) so users can read, extend and replace it without writing Python.

A pack has named categories; each category lists literal ``phrases`` (matched
case-insensitively, on word boundaries, any run of whitespace matching a space) and/or
``patterns`` (Python regular expressions, case-insensitive), plus any extra keys a rule
reads (``cap`` for a short-answer cue, ``changes`` for a volatile value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from promptlint.config import ConfigError


class PackError(ConfigError):
    """A pack file is missing or malformed (a configuration error, exit code 2)."""


@dataclass(frozen=True)
class Category:
    name: str
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    category: str
    start: int
    end: int
    text: str


class Matcher:
    """All categories of one or more packs compiled into one regular expression."""

    def __init__(self, categories: list[Category], where: str = "pack") -> None:
        self.categories = {c.name: c for c in categories}
        self._by_category: dict[str, dict[str, list[Hit]]] = {}
        self._names: list[str] = []
        self._bodies: list[str] = []
        alternatives = []
        for category in categories:
            pieces = [phrase_regex(p) for p in category.phrases if p.strip()]
            for pattern in category.patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise PackError(f"{where}: category `{category.name}`: bad pattern {pattern!r}: {exc}") from None
                pieces.append(f"(?:{pattern})")
            if not pieces:
                continue
            body = "|".join(pieces)
            if category.extra.get("case") == "sensitive":
                body = f"(?-i:{body})"
            alternatives.append(f"(?P<c{len(self._names)}>{body})")
            self._names.append(category.name)
            self._bodies.append(body)
        self._combined = "|".join(alternatives)

    # Compiled on first use: a rule reads either all categories at once or each on its own,
    # and compiling these long alternations is most of a warm run's rule time.
    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        return re.compile(self._combined, re.IGNORECASE) if self._combined else None

    @cached_property
    def _each(self) -> list[re.Pattern[str]]:
        return [re.compile(body, re.IGNORECASE) for body in self._bodies]

    def finditer(self, text: str):
        """Non-overlapping hits, left to right."""
        if self._regex is None:
            return
        for match in self._regex.finditer(text):
            if match.end() == match.start():
                continue
            index = int(match.lastgroup[1:])  # type: ignore[index]
            yield Hit(self._names[index], match.start(), match.end(), match.group())

    def find(self, text: str) -> list[Hit]:
        return list(self.finditer(text))

    def first_category(self, text: str) -> Category | None:
        """The first category, in pack order, with a hit anywhere in ``text``."""
        for name, regex in zip(self._names, self._each):
            if regex.search(text):
                return self.categories[name]
        return None

    def search(self, category: str, text: str, pos: int = 0, endpos: int | None = None) -> Hit | None:
        """The first hit of one category in ``text[pos:endpos]`` (offsets into ``text``)."""
        if category not in self._names:
            return None
        m = self._each[self._names.index(category)].search(text, pos, len(text) if endpos is None else endpos)
        return Hit(category, m.start(), m.end(), m.group()) if m else None

    def iter_category(self, category: str, text: str):
        if category in self._names:
            for m in self._each[self._names.index(category)].finditer(text):
                if m.end() > m.start():
                    yield Hit(category, m.start(), m.end(), m.group())

    def by_category(self, text: str) -> dict[str, list[Hit]]:
        """Every category's own hits (categories may overlap each other here).

        Remembered per text: a prompt shared by many requests is scanned once."""
        if text in self._by_category:
            return self._by_category[text]
        out: dict[str, list[Hit]] = {}
        for name, regex in zip(self._names, self._each):
            hits = [Hit(name, m.start(), m.end(), m.group()) for m in regex.finditer(text) if m.end() > m.start()]
            if hits:
                out[name] = hits
        if len(self._by_category) < 4096:
            self._by_category[text] = out
        return out


def phrase_regex(phrase: str) -> str:
    """A literal phrase as a regex: word boundaries where the phrase starts/ends with a word
    character, and any whitespace run where it has a space."""
    words = phrase.strip().split()
    body = r"\s+".join(re.escape(w) for w in words)
    head = r"\b" if re.match(r"\w", words[0]) else ""
    tail = r"\b" if re.search(r"\w$", words[-1]) else ""
    return head + body + tail


def parse_categories(data: Any, where: str) -> list[Category]:
    """The ``categories`` table of a pack (or of a declarative rule file)."""
    if data is None:
        return []
    if not isinstance(data, dict):
        raise PackError(f"{where}: `categories` must map a category name to its phrases and patterns")
    out = []
    for name, spec in data.items():
        if isinstance(spec, list):
            spec = {"phrases": spec}
        if not isinstance(spec, dict):
            raise PackError(f"{where}: category `{name}` must be a list of phrases or a table")
        phrases = spec.get("phrases") or []
        patterns = spec.get("patterns") or []
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise PackError(f"{where}: category `{name}`: `phrases` must be a list of strings")
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise PackError(f"{where}: category `{name}`: `patterns` must be a list of strings")
        extra = {k: val for k, val in spec.items() if k not in ("phrases", "patterns")}
        out.append(Category(str(name), tuple(phrases), tuple(patterns), extra))
    return out


@lru_cache(maxsize=64)
def _load(path: str, mtime: float) -> tuple[Category, ...]:
    import yaml  # only when a pack is read: a run whose rules are cached reads none

    from promptlint.yamlload import SAFE_LOADER

    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PackError(f"{path}: cannot read pack: {exc}") from None
    if not isinstance(data, dict) or "categories" not in data:
        raise PackError(f"{path}: a pack is a mapping with `categories`")
    return tuple(parse_categories(data["categories"], path))


def load_pack(path: Path) -> list[Category]:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise PackError(f"pack file {path} does not exist") from None
    return list(_load(str(path), mtime))


def declared_categories(data: dict, source: str) -> list[Category]:
    """The categories a rule file declares: inline ``categories`` and its ``packs`` (relative
    to the rule file). Read when a rule file loads (to fail early) and when the rule runs."""
    categories = parse_categories(data.get("categories"), source)
    packs = data.get("packs") or []
    if not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
        raise PackError(f"{source}: `packs` must be a list of pack files, relative to the rule file")
    for rel in packs:
        categories += load_pack(Path(source).parent / rel)
    return categories


def rule_categories(ctx) -> list[Category]:
    """Categories of a rule: those its file declares, and the user's ``extra-packs`` option
    (relative to the project root)."""
    return categories_of(ctx.rule, ctx.options, ctx.config)


def categories_of(rule, options: dict, config) -> list[Category]:
    """:func:`rule_categories` of ``rule`` with these options, outside a rule's run."""
    categories = declared_categories(rule.data, rule.source)
    for rel in options.get("extra-packs") or []:
        categories += load_pack(Path(config.root) / rel)
    return categories


_MATCHERS: dict[tuple, Matcher] = {}


def matcher(categories: list[Category], where: str = "pack") -> Matcher:
    """A compiled matcher, reused across runs for the same categories. The extra keys are
    part of the key: they change the regex (``case``) and what rules read back (``cap``,
    ``veto``, ``changes``) from the matcher's categories."""
    key = tuple((c.name, c.phrases, c.patterns, _hashable(c.extra)) for c in categories)
    if key not in _MATCHERS:
        _MATCHERS[key] = Matcher(categories, where)
    return _MATCHERS[key]


def prepare_packs(rules, config) -> None:
    """Compile now the matchers ``rules`` will ask for (:func:`matcher`, both forms: a rule
    reads one or the other) and the persona pack every anatomy reads."""
    from promptlint.anatomy.role import _builtin_cues

    found = [_builtin_cues()]
    for rule in rules:
        if rule.data.get("packs") or rule.data.get("categories"):
            categories = categories_of(rule, rule.option_values(config), config)
            if categories:
                found.append(matcher(categories, rule.source))
    for cues in found:
        cues._regex, cues._each  # noqa: B018 - compiled on first read


def _hashable(value: Any) -> Any:
    """A YAML value (mappings, lists, scalars) as nested tuples, equal when the values are
    (scalars keep their type: ``1``, ``1.0`` and ``true`` are equal in Python, not here)."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted(((repr(k), _hashable(v)) for k, v in value.items()), key=lambda kv: kv[0])))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_hashable(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(_hashable(v) for v in value))
    return (type(value).__name__, value)
