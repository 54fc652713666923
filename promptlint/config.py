"""Load and validate ``[tool.promptlint]`` (pyproject.toml) or ``promptlint.toml``.

Every key is one field of :class:`Config` declared with :func:`key`: its kind (how the
TOML value is read and checked, :mod:`promptlint.config_kinds`), its default and its
description. Reading, the error messages and the JSON schema shipped for editors
(:mod:`promptlint.config_schema`) all come from those definitions, so adding a key is one
line here.

Unknown keys are errors that name the key, a file that does not parse is an error with
its line and column, never skipped: a misspelt ``ingore`` or a stray bracket that silently
drops the team's settings is how a linter loses its users' trust.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from promptlint.config_kinds import (AnyTable, ConfigError, Dollars, Flag, Integer, Kind, Number, Problem, Record,
                                     Records, Strings, Table, Text, did_you_mean)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Config", "ConfigError", "Budget", "PriceOverride", "load_config", "parse_config", "find_config_file"]

DEFAULT_NAME_PATTERNS = ("*PROMPT*", "*INSTRUCTION*", "*SYSTEM*", "*TEMPLATE*", "*EXAMPLES*")
DEFAULT_TEMPLATE_GLOBS = ("*.j2", "*.jinja", "*.jinja2")
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "node_modules", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", "build", "dist",
    ".promptlint_cache", "site-packages", ".eggs", "*.egg-info",
)
PRICE_KEYS = ("input", "output", "cache-read", "cache-write", "cache-write-1h")
# `check`'s report formats (`output-format`); report.CHECK_FORMATS renders each one.
CHECK_OUTPUT_FORMATS = ("text", "full", "json", "sarif", "github", "markdown")
SEVERITY_NAMES = ("error", "warning", "info")
# Where requests are inventoried and linted but priced apart from production (SPEC §7):
# tests, docs, examples, benchmarks, notebooks and evaluation folders.
DEFAULT_NON_PRODUCTION = (
    "tests", "test", "testing", "test_*.py", "*_test.py", "conftest.py", "docs", "doc", "examples", "example",
    "samples", "benchmarks", "benchmark", "notebooks", "*.ipynb", "evals", "eval", "evaluation", "evaluations",
)


@dataclass(frozen=True)
class Budget:
    """A limit for the templates and requests under ``path``: tokens or dollars each
    (``max-tokens``, ``max-usd`` per request or per month), dollars together
    (``max-total-usd``), or growth against the baseline (``max-increase``)."""

    path: str
    max_tokens: int | None = None
    max_usd: float | None = None
    max_usd_per: str = "request"  # "request" | "month"
    max_total_usd: float | None = None  # dollars per month, all requests under the glob together
    max_increase: str | None = None  # promptlint.thresholds grammar: "5%|50", "2x", "$200/month"


@dataclass(frozen=True)
class PriceOverride:
    """Dollars per million tokens; None keeps the genai-prices figure."""

    input: float | None = None
    output: float | None = None
    cache_read: float | None = None
    cache_write: float | None = None
    cache_write_1h: float | None = None


def _check_max_increase(text: str) -> None:
    from promptlint.thresholds import parse_max_increase

    parse_max_increase(text)


def key(kind: Kind, default: Any, description: str) -> Any:
    """A configuration key: the dataclass field, with its kind and description as metadata."""
    meta = {"kind": kind, "description": " ".join(description.split())}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def _budget(path: str, max_tokens: int | None = None, max_usd: tuple | None = None,
            max_total_usd: tuple | None = None, max_increase: str | None = None) -> Budget:
    usd, per = max_usd if max_usd is not None else (None, "request")
    total = None
    if max_total_usd is not None:
        total, total_per = max_total_usd
        if total_per != "month":
            raise Problem('is dollars per month, like "$1000/month"', "max-total-usd")
    return Budget(path, max_tokens, usd, per, total, max_increase)


_MAX_INCREASE = Text(check=_check_max_increase, numbers=True)
_BUDGET = Record({"path": Text(glob=True), "max-tokens": Integer(0), "max-usd": Dollars("request"),
                  "max-total-usd": Dollars("month"), "max-increase": _MAX_INCREASE}, _budget, required=("path",),
                 one_of=("max-tokens", "max-usd", "max-total-usd", "max-increase"),
                 descriptions={"path": "Path glob of the templates and requests it limits.",
                               "max-tokens": "Tokens allowed, per template or request.",
                               "max-usd": 'Dollars allowed per request (a number), or "$200/month" each.',
                               "max-total-usd": 'Dollars per month of every request under the glob together, '
                                                'like "$1000/month".',
                               "max-increase": 'Growth tolerated over the baseline: "5%|50", "2x", "$200/month".'})
_RULE_OPTIONS = AnyTable("table of options, one table per rule ([tool.promptlint.rules.PL102])")
_PRICE = Record({k: Number(0) for k in PRICE_KEYS}, PriceOverride,
                descriptions={k: "USD per million tokens." for k in PRICE_KEYS})


@dataclass(frozen=True)
class Config:
    include: tuple[str, ...] = key(Strings(glob=True), (), "Only files matching these globs are scanned.")
    exclude: tuple[str, ...] = key(Strings(glob=True), (), "Globs to skip, replacing the built-in list "
                                   "(.git, .venv, node_modules, build, dist, ...).")
    extend_exclude: tuple[str, ...] = key(Strings(glob=True), (), "Globs to skip in addition to `exclude`.")
    respect_gitignore: bool = key(Flag(), True, "Skip files that .gitignore, .git/info/exclude or the global "
                                  "git excludes file ignore.")
    select: tuple[str, ...] = key(Strings(codes=True), (), "Rules to run: codes, prefixes or names (default: all).")
    extend_select: tuple[str, ...] = key(Strings(codes=True), (), "Rules to run in addition to `select`.")
    ignore: tuple[str, ...] = key(Strings(codes=True), (), "Rules to skip: codes, prefixes or names.")
    extend_ignore: tuple[str, ...] = key(Strings(codes=True), (), "Rules to skip in addition to `ignore`.")
    per_file_ignores: dict[str, tuple[str, ...]] = key(
        Table(Strings(codes=True), names="glob"), {}, "Path glob = rules to skip in the files it matches.")
    fixable: tuple[str, ...] = key(Strings(codes=True), (), "Rules whose fixes may be applied (default: all).")
    unfixable: tuple[str, ...] = key(Strings(codes=True), (), "Rules whose fixes are never applied.")
    output_format: str = key(Text(CHECK_OUTPUT_FORMATS), "text", "The report format of `promptlint check`.")
    default_model: str = key(Text(), "claude-sonnet-4-5", "Model for requests whose model is not a literal.")
    requests_per_month: int = key(Integer(0), 100_000, "Traffic per request site, for $/month.")
    cache_hit_rate: float = key(Number(0.0, 1.0), 0.9, "Share of cached prefixes read from the cache.")
    tokenizer: str = key(Text(("offline", "anthropic")), "offline",
                         "Token counter: offline estimates, or Anthropic's count_tokens endpoint.")
    calibration: dict[str, float] = key(Table(Number(0.1, 10)), {},
                                        "Offline token factor per tokenizer family (written by `calibrate`).")
    prompt_name_patterns: tuple[str, ...] = key(Strings(name_patterns=True), DEFAULT_NAME_PATTERNS,
                                                "Names of constants that hold prompts (case-insensitive).")
    template_globs: tuple[str, ...] = key(Strings(glob=True), DEFAULT_TEMPLATE_GLOBS, "Files read as Jinja templates.")
    rule_dirs: tuple[str, ...] = key(Strings(), (), "Folders of declarative rule files.")
    budgets: tuple[Budget, ...] = key(Records(_BUDGET), (), "Token or dollar budgets by path glob (PL106).")
    baseline: str | None = key(Text(), None, "The baseline file `audit` compares with.")
    max_increase: str = key(_MAX_INCREASE, "5%|50",
                            "Tolerated growth over the baseline: 5%, 50 (tokens) or 5%|50.")
    fail_on: str = key(Text(SEVERITY_NAMES), "warning", "Lowest severity that fails `check`.")
    max_file_size: int = key(Integer(1), 5_000_000, "Files larger than this many bytes are skipped.")
    cache_dir: str = key(Text(), ".promptlint_cache", "Folder of the cache.")
    rules: dict[str, dict[str, Any]] = key(Table(_RULE_OPTIONS, names="code"), {},
                                           "Options per rule: [tool.promptlint.rules.PL103].")
    prices: dict[str, PriceOverride] = key(Table(_PRICE), {}, "Prices per model id (USD per million tokens).")
    deployments: dict[str, str] = key(Table(Text(), names="deployment"), {},
                                      "Azure deployment name = the model id it runs (`\"chat-prod\" = \"gpt-4o\"`).")
    traffic: dict[str, int] = key(Table(Integer(0), names="glob-or-id"), {},
                                  "Requests per month by path glob or request id (the most specific key wins).")
    non_production: tuple[str, ...] = key(Strings(glob=True), DEFAULT_NON_PRODUCTION,
                                          "Globs of requests priced apart from production (tests, docs, examples, ...).")
    measured_traffic: str | None = key(Text(), None, "File of measured traffic written by "
                                       "`audit --write-usage-traffic`.")
    # Where the configuration came from (not keys): relative paths resolve against `root`.
    source: str | None = None
    root: str = "."

    def rule_options(self, code: str) -> dict[str, Any]:
        return dict(self.rules.get(code, {}))

    def with_overrides(self, **changes: Any) -> "Config":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def config_keys() -> dict[str, Any]:
    """Key name (``default-model``) -> its dataclass field, for every configuration key."""
    return {f.name.replace("_", "-"): f for f in fields(Config) if "kind" in f.metadata}


def key_error(config: Config, name: str, message: str) -> ConfigError:
    """An error about key ``name`` of a loaded configuration, located in its file."""
    where = config.source or "config"
    text = None
    if config.source and Path(config.source).is_file():
        try:
            text = Path(config.source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
    table = "[tool.promptlint]" if Path(where).name == "pyproject.toml" else ""
    return ConfigError(f"{_located(where, text, name, table)}: `{name}` {message}")


def rule_selection(config: Config, select=(), ignore=()) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The rules to run, as (select, ignore) selectors. ``select`` given (``--select``)
    replaces the configured selection, as in ruff; ignores add up."""
    chosen = tuple(select) if select else (*(config.select or ("ALL",)), *config.extend_select)
    return chosen, (*config.ignore, *config.extend_ignore, *ignore)


def parse_config(data: dict[str, Any], where: str = "config", root: str = ".", text: str | None = None,
                 table: str = "[tool.promptlint]") -> Config:
    """Validate a raw table into a :class:`Config`; raise ConfigError naming the file,
    the key's line when ``text`` (the file) is given, and the key."""
    known = config_keys()
    values: dict[str, Any] = {}
    for name, value in data.items():
        where_key = _located(where, text, name, table)
        if name not in known:
            raise ConfigError(f"{where_key}: unknown key `{name}` in {table}{did_you_mean(name, known)}")
        definition = known[name]
        try:
            values[definition.name] = definition.metadata["kind"].read(value)
        except Problem as exc:
            shown = name if exc.key is None else name + (exc.key if exc.key.startswith("[") else f".{exc.key}")
            raise ConfigError(f"{where_key}: `{shown}` {exc}") from None
    return Config(**values, source=where, root=root)


def _located(where: str, text: str | None, name: str, table: str) -> str:
    """``file:line`` of a key of our table in the TOML text, when it can be found: its
    ``name = ...`` line, or the header of its sub-table (``[tool.promptlint.rules.PL103]``)."""
    if not text:
        return where
    prefix = table.strip("[]")
    in_table = not prefix
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            head = stripped.strip("[]").replace(" ", "").replace('"', "").replace("'", "")
            inner = head[len(prefix) + 1:] if prefix and head.startswith(prefix + ".") else head if not prefix else None
            if inner is not None and inner.split(".")[0] == name:
                return f"{where}:{number}"
            in_table = bool(prefix) and head == prefix
            continue
        if in_table and re.match(rf"""["']?{re.escape(name)}["']?\s*[=.]""", stripped):
            return f"{where}:{number}"
    return where


def toml_problem(path: Path, exc: Exception) -> ConfigError:
    """A TOML syntax error as ``file:line:col: message`` (the position tomllib names)."""
    if isinstance(exc, RecursionError):
        return ConfigError(f"{path}: invalid TOML: values nested too deeply to read")
    message = str(exc)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
    if found:
        return ConfigError(f"{path}:{found[1]}:{found[2]}: invalid TOML: {message[: found.start()]}")
    found = re.search(r"\s*\(at end of document\)", message)
    if found:
        return ConfigError(f"{path}: invalid TOML at the end of the file: {message[: found.start()]}")
    return ConfigError(f"{path}: invalid TOML: {message}")


def _read_toml(path: Path) -> tuple[dict, str]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 (byte {exc.start})") from None
    try:
        return tomllib.loads(text), text
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise toml_problem(path, exc) from None


def _mentions_us(path: Path) -> bool:
    try:
        return b"promptlint" in path.read_bytes()
    except OSError:
        return False


def find_config_file(start: Path) -> tuple[Path, bool] | None:
    """Walk up from ``start``: the first promptlint.toml, or pyproject.toml with our table.

    Returns the file and whether its keys sit under ``[tool.promptlint]``. A pyproject.toml
    that does not parse is an error when it mentions promptlint (its table may be the one
    that configures this run); one that does not is another tool's business.
    """
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        candidate = folder / "promptlint.toml"
        if candidate.is_file():
            return candidate, False
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data, _ = _read_toml(candidate)
            except ConfigError:
                if _mentions_us(candidate):
                    raise
                continue
            tool = data.get("tool", {})
            if isinstance(tool, dict) and "promptlint" in tool:
                return candidate, True
    return None


def _absolute(path: Path) -> Path:
    """``path`` made absolute without resolving links: a looping link must not raise."""
    import os

    return Path(os.path.abspath(path))


_PROJECT_MARKERS = (".git", ".hg", "pyproject.toml", "setup.py", "setup.cfg")


def default_root(start: Path) -> Path:
    """The project a run without a configuration file is about.

    The working folder when ``start`` (the first path scanned) lies in it, as before.
    Otherwise the nearest folder above ``start`` that marks a project (a repository or a
    Python package's metadata), else ``start``'s own folder: ``promptlint check ../app``
    run from elsewhere must read ``app`` as it reads it from inside, with the same module
    names, the same relative paths and the same imported constants. Rooted at an unrelated
    working folder, every imported module lay outside the tree and was refused."""
    cwd = _absolute(Path.cwd())
    here = start if start.is_dir() else start.parent
    if here == cwd or cwd in here.parents:
        return cwd
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in _PROJECT_MARKERS):
            return folder
    return here


def load_config(start: Path | None = None, explicit: Path | None = None) -> Config:
    """Load the configuration that applies to ``start`` (a path being scanned)."""
    if explicit is not None:
        found: tuple[Path, bool] | None = (explicit, explicit.name == "pyproject.toml")
    else:
        found = find_config_file(_absolute(start or Path.cwd()))
    if found is None:
        return Config(root=str(default_root(_absolute(start or Path.cwd()))))
    path, nested = found
    data, text = _read_toml(path)
    if nested:
        tool = data.get("tool", {})
        if explicit is not None and not (isinstance(tool, dict) and "promptlint" in tool):
            raise ConfigError(f"{path}: no [tool.promptlint] table: the file given with --config configures nothing")
        data = tool.get("promptlint", {}) if isinstance(tool, dict) else {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [tool.promptlint] must be a table")
        return parse_config(data, where=str(path), root=str(_absolute(path).parent), text=text)
    tool = data.get("tool")
    if isinstance(tool, dict) and "promptlint" in tool:
        raise ConfigError(f"{_located(str(path), text, 'tool', '')}: promptlint.toml takes the keys without a "
                          "[tool.promptlint] header; remove the header (it belongs in pyproject.toml)")
    return parse_config(data, where=str(path), root=str(_absolute(path).parent), text=text, table="")
