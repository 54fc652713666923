"""Load and validate ``[tool.promptlint]`` (pyproject.toml) or ``promptlint.toml``.

Unknown keys are errors that name the key, because a misspelt ``ingore`` that is silently
dropped is how a linter loses its users' trust.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(Exception):
    """A configuration problem the user must fix (exit code 2)."""


DEFAULT_NAME_PATTERNS = ("*PROMPT*", "*INSTRUCTION*", "*SYSTEM*", "*TEMPLATE*", "*EXAMPLES*")
DEFAULT_TEMPLATE_GLOBS = ("*.j2", "*.jinja", "*.jinja2")
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "node_modules", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", "build", "dist",
    ".promptlint_cache", "site-packages", ".eggs", "*.egg-info",
)
PRICE_KEYS = ("input", "output", "cache-read", "cache-write", "cache-write-1h")
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


@dataclass(frozen=True)
class Config:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_model: str = "claude-sonnet-4-5"
    requests_per_month: int = 100_000
    cache_hit_rate: float = 0.9
    tokenizer: str = "offline"
    calibration: dict[str, float] = field(default_factory=dict)
    prompt_name_patterns: tuple[str, ...] = DEFAULT_NAME_PATTERNS
    template_globs: tuple[str, ...] = DEFAULT_TEMPLATE_GLOBS
    rule_dirs: tuple[str, ...] = ()
    budgets: tuple[Budget, ...] = ()
    baseline: str | None = None
    max_increase: str = "5%|50"
    fail_on: str = "warning"
    max_file_size: int = 5_000_000
    cache_dir: str = ".promptlint_cache"
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, PriceOverride] = field(default_factory=dict)
    traffic: dict[str, int] = field(default_factory=dict)  # path glob or request id -> requests/month
    non_production: tuple[str, ...] = DEFAULT_NON_PRODUCTION
    measured_traffic: str | None = None  # file of measured traffic written by `audit --write-usage-traffic`
    # Where the configuration came from (not a key): relative paths resolve against it.
    source: str | None = None
    root: str = "."

    def rule_options(self, code: str) -> dict[str, Any]:
        return dict(self.rules.get(code, {}))

    def with_overrides(self, **changes: Any) -> "Config":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_KEY_FIELDS = {f.name.replace("_", "-"): f.name for f in fields(Config) if f.name not in ("source", "root")}


def _fail(where: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: {message}")


def _str_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _fail(where, f"`{key}` must be a list of strings")


def _number(value: Any, key: str, where: str, *, integer: bool = False, low: float | None = None,
            high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise _fail(where, f"`{key}` must be {'an integer' if integer else 'a number'}, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _fail(where, f"`{key}` must be between {low} and {high}, got {value!r}")
    return value


def _unknown_key(key: str, known: Any, where: str, section: str = "[tool.promptlint]") -> ConfigError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    return _fail(where, f"unknown key `{key}` in {section}{hint}")


def parse_config(data: dict[str, Any], where: str = "config", root: str = ".") -> Config:
    """Validate a raw table into a :class:`Config`; raise ConfigError naming the bad key."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _KEY_FIELDS:
            raise _unknown_key(key, _KEY_FIELDS, where)
        name = _KEY_FIELDS[key]
        if name in ("include", "exclude", "extend_exclude", "select", "ignore", "prompt_name_patterns",
                    "template_globs", "rule_dirs", "non_production"):
            values[name] = _str_list(value, key, where)
        elif name == "per_file_ignores":
            if not isinstance(value, dict):
                raise _fail(where, "`per-file-ignores` must be a table of glob = [codes]")
            values[name] = {glob: _str_list(codes, f"per-file-ignores.{glob}", where) for glob, codes in value.items()}
        elif name in ("default_model", "baseline", "cache_dir", "measured_traffic"):
            if not isinstance(value, str) or not value:
                raise _fail(where, f"`{key}` must be a non-empty string")
            values[name] = value
        elif name == "requests_per_month":
            values[name] = int(_number(value, key, where, integer=True, low=0))
        elif name == "max_file_size":
            values[name] = int(_number(value, key, where, integer=True, low=1))
        elif name == "cache_hit_rate":
            values[name] = float(_number(value, key, where, low=0.0, high=1.0))
        elif name == "tokenizer":
            if value not in ("offline", "anthropic"):
                raise _fail(where, f"`tokenizer` must be \"offline\" or \"anthropic\", got {value!r}")
            values[name] = value
        elif name == "fail_on":
            if value not in ("error", "warning", "info"):
                raise _fail(where, f"`fail-on` must be error, warning or info, got {value!r}")
            values[name] = value
        elif name == "max_increase":
            from promptlint.thresholds import parse_max_increase

            try:
                parse_max_increase(str(value))
            except ValueError as exc:
                raise _fail(where, f"`max-increase`: {exc}") from None
            values[name] = str(value)
        elif name == "calibration":
            if not isinstance(value, dict):
                raise _fail(where, "`calibration` must be a table of tokenizer family = factor")
            values[name] = {fam: float(_number(f, f"calibration.{fam}", where, low=0.1, high=10)) for fam, f in value.items()}
        elif name == "budgets":
            values[name] = tuple(_budget(b, i, where) for i, b in enumerate(value if isinstance(value, list) else [None]))
        elif name == "rules":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise _fail(where, "`rules` must hold one table per rule code: [tool.promptlint.rules.PL102]")
            values[name] = {code.upper(): dict(opts) for code, opts in value.items()}
        elif name == "prices":
            values[name] = {model: _price_override(model, v, where) for model, v in _table(value, key, where).items()}
        elif name == "traffic":
            values[name] = {target: int(_number(n, f"traffic.{target}", where, integer=True, low=0))
                            for target, n in _table(value, key, where).items()}
    return Config(**values, source=where, root=root)


def _table(value: Any, key: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(where, f"`{key}` must be a table")
    return value


def _budget(value: Any, index: int, where: str) -> Budget:
    from promptlint.thresholds import parse_dollars, parse_max_increase

    shape = ("`budgets` must be a list of tables {path = \"glob\", max-tokens = N | max-usd = X | "
             "max-usd = \"$200/month\" | max-total-usd = \"$1000/month\" | max-increase = \"2x\"}")
    if not isinstance(value, dict):
        raise _fail(where, shape)
    allowed = {"path", "max-tokens", "max-usd", "max-total-usd", "max-increase"}
    for key in value:
        if key not in allowed:
            raise _unknown_key(key, allowed, where, f"budgets[{index}]")
    if not isinstance(value.get("path"), str):
        raise _fail(where, f"budgets[{index}] needs `path`, a glob")
    if not allowed.intersection(value) - {"path"}:
        raise _fail(where, f"budgets[{index}] needs `max-tokens`, `max-usd`, `max-total-usd` or `max-increase`")

    def dollars(key: str, per: str) -> tuple[float | None, str]:
        given = value.get(key)
        if given is None:
            return None, per
        if isinstance(given, str):
            try:
                parsed = parse_dollars(given, per)
            except ValueError as exc:
                raise _fail(where, f"budgets[{index}].{key}: {exc}") from None
            return parsed.amount, parsed.per
        return float(_number(given, key, where, low=0)), per

    max_tokens = value.get("max-tokens")
    max_usd, per = dollars("max-usd", "request")
    total, total_per = dollars("max-total-usd", "month")
    if total is not None and total_per != "month":
        raise _fail(where, f"budgets[{index}].max-total-usd is dollars per month, like \"$1000/month\"")
    increase = value.get("max-increase")
    if increase is not None:
        try:
            parse_max_increase(str(increase))
        except ValueError as exc:
            raise _fail(where, f"budgets[{index}].max-increase: {exc}") from None
    return Budget(
        path=value["path"],
        max_tokens=int(_number(max_tokens, "max-tokens", where, integer=True, low=0)) if max_tokens is not None else None,
        max_usd=max_usd, max_usd_per=per, max_total_usd=total,
        max_increase=str(increase) if increase is not None else None,
    )


def _price_override(model: str, value: Any, where: str) -> PriceOverride:
    table = _table(value, f"prices.{model}", where)
    out: dict[str, float] = {}
    for key, amount in table.items():
        if key not in PRICE_KEYS:
            raise _unknown_key(key, PRICE_KEYS, where, f"[tool.promptlint.prices.\"{model}\"]")
        out[key.replace("-", "_")] = float(_number(amount, f"prices.{model}.{key}", where, low=0))
    return PriceOverride(**out)


def find_config_file(start: Path) -> tuple[Path, bool] | None:
    """Walk up from ``start``: the first promptlint.toml, or pyproject.toml with our table.

    Returns the file and whether its keys sit under ``[tool.promptlint]``.
    """
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        candidate = folder / "promptlint.toml"
        if candidate.is_file():
            return candidate, False
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "promptlint" in data.get("tool", {}):
                return candidate, True
    return None


def load_config(start: Path | None = None, explicit: Path | None = None) -> Config:
    """Load the configuration that applies to ``start`` (a path being scanned)."""
    if explicit is not None:
        found: tuple[Path, bool] | None = (explicit, explicit.name == "pyproject.toml")
    else:
        found = find_config_file((start or Path.cwd()).resolve())
    if found is None:
        return Config(root=str(Path.cwd()))
    path, nested = found
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if nested:
        data = data.get("tool", {}).get("promptlint", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [tool.promptlint] must be a table")
    return parse_config(data, where=str(path), root=str(path.parent))
