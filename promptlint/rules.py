"""The rule registry: rule files from ``rules/``, user ``rule-dirs``, and entry points.

A rule is one YAML file (see ``rules/README.md``): its code, name, severity, the doc a
user reads with ``promptlint explain``, its options with defaults, the examples the test
suite turns into cases, and either the dotted path of its Python check
(``check: promptlint.checks.caching:missing_cache_breakpoint``) or, for declarative
rules, the data the generic check reads. Python rules can also come from other
distributions through the ``promptlint.rules`` entry-point group.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from promptlint.anatomy.model import KINDS
from promptlint.config import Config, ConfigError
from promptlint.types import Finding, Fix, Saving, Severity, Span
from promptlint.userconfig import UserSettings, load_user_settings
from promptlint.parsed import parsed

DOC_TITLES = {"what": "What it does", "why": "Why it costs money", "example": "Example",
              "use-instead": "Use instead", "fix-safety": "Fix safety", "options": "Options"}
PHRASE_CHECK = "promptlint.checks.phrases:phrase_rule"
SEVERITIES = ("error", "warning", "info")
FIXABILITY = ("none", "safe", "unsafe", "sometimes")
STAGES = ("findings", "after-suppressions")


class RuleError(ConfigError):
    """A rule file or plugin is malformed."""


@dataclass(frozen=True)
class RuleOption:
    name: str
    default: Any
    description: str = ""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    doc: dict[str, str]
    options: dict[str, RuleOption] = field(default_factory=dict)
    check: str | None = None
    fix: str = "none"
    examples: tuple[dict, ...] = ()
    source: str = ""
    origin: str = "builtin"  # builtin | rule-dir | plugin
    data: dict = field(default_factory=dict)
    function: Callable[["RuleContext"], Iterable[Finding]] | None = None
    after_suppressions: bool = False  # `stage: after-suppressions`: runs once the others' findings met the suppressions
    reads: tuple[str, ...] = KINDS  # kinds of region the check is given (see promptlint.anatomy)
    edits: tuple[str, ...] = ()  # kinds of region its fix may change; every other must stay byte-identical

    def resolve_check(self) -> Callable[["RuleContext"], Iterable[Finding]]:
        if self.function is not None:
            return self.function
        if not self.check:
            raise RuleError(f"{self.source}: rule {self.code} has no `check`")
        return _import_check(self.check, self.source)

    def option_values(self, config: Config) -> dict[str, Any]:
        values = {name: opt.default for name, opt in self.options.items()}
        given = config.rule_options(self.code)
        for key, value in given.items():
            if key not in self.options:
                known = ", ".join(sorted(self.options)) or "none"
                raise ConfigError(f"{config.source or 'config'}: unknown option `{key}` for rule {self.code} "
                                  f"(options: {known})")
            values[key] = value
        return values


@lru_cache(maxsize=64)
def _import_check(dotted: str, source: str) -> Callable:
    module_name, _, attr = dotted.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise RuleError(f"{source}: cannot load check `{dotted}`: {exc}") from None


def builtin_rules_dir() -> Path:
    """``rules/`` of the source tree, or its copy inside the installed wheel."""
    packaged = Path(__file__).parent / "builtin_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "rules"


def parse_rule_file(path: Path, origin: str) -> Rule:
    try:
        data = parsed(path.read_text(encoding="utf-8"), _parse_yaml, "rule-yaml")
    except (OSError, UnicodeDecodeError, _YAMLFailure) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from None
    return rule_from_data(data, str(path), origin)


def _parse_yaml(text: str) -> Any:
    """A rule file's data (PyYAML is imported only when a rule file is not already parsed)."""
    import yaml

    from promptlint.yamlload import SAFE_LOADER

    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise _YAMLFailure(exc) from None


class _YAMLFailure(Exception):
    """A rule file's YAML error, raised where PyYAML may not be imported."""


def rule_from_data(data: Any, source: str, origin: str) -> Rule:
    if not isinstance(data, dict):
        raise RuleError(f"{source}: a rule file must be a mapping")
    for key in ("code", "name", "severity", "summary"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise RuleError(f"{source}: missing `{key}`")
    if data["severity"] not in SEVERITIES:
        raise RuleError(f"{source}: severity must be one of {', '.join(SEVERITIES)}")
    fix = data.get("fix", "none")
    if fix not in FIXABILITY:
        raise RuleError(f"{source}: fix must be one of {', '.join(FIXABILITY)}")
    doc = data.get("doc") or {}
    if not isinstance(doc, dict):
        raise RuleError(f"{source}: `doc` must be a mapping of sections")
    options = {}
    for name, spec in (data.get("options") or {}).items():
        if not isinstance(spec, dict) or "default" not in spec:
            raise RuleError(f"{source}: option `{name}` needs a `default`")
        options[name] = RuleOption(name, spec["default"], str(spec.get("description", "")))
    examples = data.get("examples") or []
    if not isinstance(examples, list):
        raise RuleError(f"{source}: `examples` must be a list")
    check = data.get("check")
    declarative = "categories" in data or "packs" in data
    if check is None and declarative:
        check = PHRASE_CHECK
        for name, default, description in _PHRASE_OPTIONS:
            options.setdefault(name, RuleOption(name, default, description))
    if origin == "rule-dir" and check is not None and check != PHRASE_CHECK:
        raise RuleError(f"{source}: a rule file in `rule-dirs` is declarative only (`categories`/`packs` of "
                        f"phrases); `check: {check}` would run code named by the scanned repository. Ship Python "
                        "checks as an installed plugin and enable it in your user config (see rules/README.md)")
    if check is None and origin != "plugin":
        raise RuleError(f"{source}: a rule needs `categories`/`packs` of phrases (a declarative rule), or "
                        "`check: module:function` in a built-in rule or plugin (see rules/README.md)")
    stage = data.get("stage", "findings")
    if stage not in STAGES:
        raise RuleError(f"{source}: stage must be one of {', '.join(STAGES)}")
    if declarative and origin != "builtin":  # the built-in packs are validated by the test suite
        _validate_phrases(data, source)
    reads = _kinds(data, "reads", source, ("instruction",) if declarative else KINDS)
    edits = _kinds(data, "edits", source, reads if declarative else ())
    return Rule(
        code=data["code"].strip().upper(), name=data["name"].strip(), severity=data["severity"],
        summary=" ".join(data["summary"].split()), doc={str(k): str(v).strip() for k, v in doc.items()},
        options=options, check=check, fix=fix, examples=tuple(examples), source=source,
        origin=origin, data=data, after_suppressions=stage == "after-suppressions", reads=reads, edits=edits,
    )


def _kinds(data: dict, key: str, source: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """``reads``/``edits`` of a rule file: kinds of region (``all`` for every kind)."""
    given = data.get(key)
    if given is None:
        return default
    if given == "all":
        return KINDS
    if not isinstance(given, list) or not all(isinstance(k, str) for k in given):
        raise RuleError(f"{source}: `{key}` must be a list of region kinds ({', '.join(KINDS)}) or `all`")
    unknown = [k for k in given if k not in KINDS]
    if unknown:
        raise RuleError(f"{source}: `{key}`: unknown region kind `{unknown[0]}` (kinds: {', '.join(KINDS)})")
    return tuple(given)


_PHRASE_OPTIONS = (
    ("min-tokens", 1, "Report a template only when deleting its phrases saves at least this many tokens."),
    ("allow", [], "Phrases not to report, as written in the pack (case-insensitive)."),
    ("extra-packs", [], "More pack files, relative to the project root."),
)


def _validate_phrases(data: dict, source: str) -> None:
    """Fail at load time, with the file named, on a malformed phrase list or regex."""
    from promptlint.checks.packs import Matcher, declared_categories

    Matcher(declared_categories(data, source), source)


def _load_dir(folder: str, origin: str) -> tuple[Rule, ...]:
    path = Path(folder)
    if not path.is_dir():
        raise RuleError(f"rule folder {folder} does not exist")
    files = sorted(path.glob("*.yaml"))
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in files)
    return _parse_dir(folder, origin, stamp)


@lru_cache(maxsize=16)
def _parse_dir(folder: str, origin: str, stamp: tuple) -> tuple[Rule, ...]:
    """Rule files of a folder, parsed once per content version (``stamp``: names and mtimes)."""
    return tuple(parse_rule_file(Path(folder) / name, origin) for name, _ in stamp)


def installed_plugins() -> list[tuple[str, str | None, str]]:
    """Every ``promptlint.rules`` entry point installed: (name, distribution, value), unloaded."""
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group="promptlint.rules"):
        dist = getattr(ep, "dist", None)
        found.append((ep.name, dist.metadata["Name"] if dist is not None else None, ep.value))
    return found


def _entry_point_rules(user: UserSettings) -> list[Rule]:
    """Plugins the user enabled (never the scanned repository: see :mod:`promptlint.userconfig`)."""
    if not user.plugins:
        return []  # none enabled: spare every run the scan of installed distributions
    from importlib.metadata import entry_points

    rules: list[Rule] = []
    for ep in entry_points(group="promptlint.rules"):
        dist = getattr(ep, "dist", None)
        if not user.plugin_enabled(ep.name, dist.metadata["Name"] if dist is not None else None):
            continue
        source = f"entry point {ep.name} ({ep.value})"
        try:
            obj = ep.load()
            items = _plugin_items(obj)
        except RuleError:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken plugin is a clear error, not a crash
            raise RuleError(f"plugin {source} failed to load: {type(exc).__name__}: {exc}") from None
        rules.extend(_plugin_rule(item, source) for item in items)
    return rules


def _plugin_items(obj: Any) -> list:
    """What an entry point names: a rule (a :class:`Rule`, or a module, class or function
    with a ``RULE`` dict), a list of them, or a function that returns them."""
    if isinstance(obj, Rule) or hasattr(obj, "RULE"):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return list(obj)
    if callable(obj):
        made = obj()
        return list(made) if isinstance(made, (list, tuple)) else [made]
    return [obj]


def _plugin_rule(item: Any, source: str) -> Rule:
    if isinstance(item, Rule):
        return Rule(**{**item.__dict__, "origin": "plugin", "source": item.source or source})
    meta = getattr(item, "RULE", None)
    if not isinstance(meta, dict):
        raise RuleError(f"{source}: a plugin must provide Rule objects, or objects with a RULE dict and a check "
                        "function (see rules/README.md)")
    check = getattr(item, "check", None)
    if check is None and callable(item) and not isinstance(item, type):
        check = item  # a check function carrying its own RULE
    rule = rule_from_data(meta, source, "plugin")
    if callable(check):
        return Rule(**{**rule.__dict__, "function": check})
    if rule.check:
        return rule
    raise RuleError(f"{source}: plugin rule {rule.code} has no check function")


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]

    def by_code(self, code_or_name: str) -> Rule | None:
        key = code_or_name.strip()
        for rule in self.rules:
            if rule.code == key.upper() or rule.name == key.lower():
                return rule
        return None

    def unknown(self, selector: str, exact: bool = False) -> str | None:
        """Why ``selector`` names no rule (with the closest code or name), or None.
        ``exact``: it must be a code (a rule's option table), not a prefix or name."""
        key = selector.strip()
        if exact and any(r.code == key.upper() for r in self.rules):
            return None
        if not exact and (key.upper() == "ALL" or any(matches(key, r) for r in self.rules)):
            return None
        from promptlint.config_kinds import did_you_mean

        hint = did_you_mean(key.upper(), [r.code for r in self.rules]) or did_you_mean(key.lower(), [r.name for r in self.rules])
        return f"`{selector}` is no rule {'code' if exact else 'code, name or prefix'}{hint}; see `promptlint rules`"

    def check_config(self, config: Config) -> None:
        """Every rule the configuration names must exist (codes in ``select``,
        ``per-file-ignores``, ``[rules.X]``, ...): a typo would otherwise silently select,
        ignore or configure nothing."""
        from promptlint.config import config_keys, key_error

        for name, definition in config_keys().items():
            kind = definition.metadata["kind"]
            for selector, exact in kind.named_rules(getattr(config, definition.name)):
                problem = self.unknown(selector, exact)
                if problem:
                    raise key_error(config, name, f"names an unknown rule: {problem}")

    def selected(self, select: Iterable[str], ignore: Iterable[str]) -> list[Rule]:
        select = list(select)
        ignore = list(ignore)
        for selector in [*select, *ignore]:
            problem = self.unknown(selector)
            if problem:
                raise ConfigError(problem)
        chosen = [r for r in self.rules if not select or any(matches(s, r) for s in select)]
        return [r for r in chosen if not any(matches(s, r) for s in ignore)]


def prepare_checks(rules: list[Rule], config: Config) -> None:
    """Import the rules' check modules and compile the phrase packs they read, ahead of the
    rules stage (the survey's side thread does, while workers read the tree)."""
    import promptlint.anatomy.build  # noqa: F401 - its detectors' modules, read by the first rule that reads a template
    from promptlint.checks.packs import prepare_packs

    for rule in rules:
        if rule.function is None and rule.check:
            rule.resolve_check()
    prepare_packs(rules, config)


def matches(selector: str, rule: Rule) -> bool:
    """A code (``PL201``), a prefix (``PL2``), a name (``missing-cache-breakpoint``) or ``ALL``."""
    s = selector.strip()
    return s.upper() == "ALL" or rule.code.startswith(s.upper()) or s.lower() == rule.name


def load_rules(config: Config, user: UserSettings | None = None) -> RuleSet:
    rules: list[Rule] = list(_load_dir(str(builtin_rules_dir()), "builtin"))
    root = Path(config.root)
    for folder in config.rule_dirs:
        rules.extend(_load_dir(str((root / folder).resolve()), "rule-dir"))
    rules.extend(_entry_point_rules(user if user is not None else load_user_settings()))
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.code in seen:
            raise RuleError(f"rule code {rule.code} is defined twice: {seen[rule.code].source} and {rule.source}")
        seen[rule.code] = rule
    return RuleSet(tuple(sorted(rules, key=lambda r: r.code)))


@dataclass
class RuleContext:
    """What a check sees: the project, its token counts, model facts and its options."""

    rule: Rule
    options: dict[str, Any]
    project: Any  # promptlint.types.Project
    measurements: Any  # promptlint.tokens.Measurements
    config: Config
    catalog: Any  # promptlint.models.ModelCatalog
    counter: Any  # promptlint.tokens.TokenCounter
    pricer: Any  # promptlint.pricing.Pricer: prices savings and dollar budgets
    traffic: Any = None  # promptlint.traffic.TrafficPlan: each site's traffic, measured figures when logged
    anatomies: Any = None  # promptlint.anatomy.Anatomies: every template's regions
    suppression_use: Any = None  # promptlint.suppress.SuppressionUse, for rules of stage after-suppressions

    def read(self, template_id: str):
        """The template as this rule may read it: only the regions its rule file names
        in ``reads`` (a :class:`promptlint.anatomy.Reading`)."""
        return self.anatomies.reading(template_id, self.rule.reads)

    def finding(self, span: Span, message: str, *, template: str | None = None, request: str | None = None,
                saving: Saving | None = None, fix: Fix | None = None, severity: Severity | None = None) -> Finding:
        return Finding(self.rule.code, self.rule.name, severity or self.rule.severity, span, message,
                       template, request, saving, fix)
