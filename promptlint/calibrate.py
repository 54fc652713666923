"""``promptlint calibrate``: fit the offline counter to the project's own prompts.

Families with an exact offline counter (Claude 3 and later, OpenAI's encodings) need no
factor: calibration reports their ratio and writes nothing for them. For any other family
the offline count is the legacy BPE times a per-family factor measured on a generic
corpus; a project's prompts (code, another language, JSON schemas) can sit well away
from it. Calibration counts every template both ways, the legacy BPE unscaled and
``count_tokens`` exactly, and takes per tokenizer family the ratio of the sums (so long
templates weigh as much as they cost). A family whose templates hold too little text for
a stable ratio is reported and not written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from promptlint.config import Config, ConfigError
from promptlint.models import ModelCatalog
from promptlint.tokens import make_counter, measure_offline
from promptlint.tokens.offline import is_exact

MIN_LEGACY_TOKENS = 200  # below this one template's quirks move the ratio by whole percents


@dataclass(frozen=True)
class FamilyRatio:
    family: str
    models: tuple[str, ...]
    templates: int
    legacy_tokens: int
    exact_tokens: int
    current: float  # the factor the offline counter uses now
    exact_offline: bool = False  # the family has an exact offline counter: no factor is used

    @property
    def factor(self) -> float:
        return round(self.exact_tokens / self.legacy_tokens, 3)

    @property
    def enough(self) -> bool:
        return self.legacy_tokens >= MIN_LEGACY_TOKENS


@dataclass(frozen=True)
class Calibration:
    families: tuple[FamilyRatio, ...]
    warning: str | None = None  # some templates could not be counted exactly

    @property
    def factors(self) -> dict[str, float]:
        return {f.family: f.factor for f in self.families if f.enough and not f.exact_offline}


def measure_ratios(paths: list[Path], config: Config, models: tuple[str, ...] = ()) -> Calibration:
    """Count the templates under ``paths`` both ways, per tokenizer family.

    Each template is counted for the model that uses it, or for every one of ``models``.
    """
    from promptlint.engine import scan

    catalog = ModelCatalog(config.prices)
    counter = make_counter(replace(config, tokenizer="anthropic"), catalog)
    exact = counter.exact
    for model in models:
        if not exact.applies(model):
            raise ConfigError(f"`{model}` is not a Claude model; count_tokens counts Claude models only")
    project, _ = scan(paths, config)
    template_models = measure_offline(project, counter, config.default_model).template_models
    pairs: list[tuple[str, str]] = []
    for tid, template in project.templates.items():
        if not template.text.strip():
            continue
        for model in models or (template_models[tid],):
            if exact.applies(model):
                pairs.append((model, template.text))
    if not pairs:
        raise ConfigError("no template of a Claude model to calibrate on (try --model claude-...)")
    legacy = counter.offline.raw_many([text for _, text in pairs])
    counted, _ = exact.count_batch(pairs, [])
    sums: dict[str, list] = {}
    for (model, _), raw, got in zip(pairs, legacy, counted):
        if got is None:
            continue
        family = catalog.family(model)
        entry = sums.setdefault(family, [set(), 0, 0, 0])
        entry[0].add(model)
        entry[1] += 1
        entry[2] += raw
        entry[3] += got
    if not sums:
        raise ConfigError(f"calibration needs count_tokens: {exact.warning() or 'no count succeeded'}")
    families = tuple(
        FamilyRatio(family, tuple(sorted(models_)), n, raw, got, counter.offline.factor(family), is_exact(family))
        for family, (models_, n, raw, got) in sorted(sums.items()) if raw > 0
    )
    return Calibration(families, exact.warning())


def config_target(config: Config, paths: list[Path]) -> tuple[Path, bool]:
    """The file to write: the configuration in use, else a new promptlint.toml beside the
    scanned tree. Returns the path and whether keys sit under ``[tool.promptlint]``.

    ``config`` was loaded by searching up from the same first path, so when it came from no
    file there is no file to find here either."""
    if config.source and config.source != "config":
        path = Path(config.source)
        return path, path.name == "pyproject.toml"
    start = paths[0] if paths else Path.cwd()
    folder = start if start.is_dir() else start.parent
    return folder / "promptlint.toml", False


def render(result: Calibration, written: dict[str, float], target: str, output_format: str) -> str:
    """The report of a calibration: a table per family, and where the factors went."""
    if output_format == "json":
        import json

        return json.dumps({
            "families": [{"family": f.family, "models": list(f.models), "templates": f.templates,
                          "legacy_tokens": f.legacy_tokens, "exact_tokens": f.exact_tokens, "factor": f.factor,
                          "previous_factor": f.current, "written": f.family in written} for f in result.families],
            "config": target if written else None,
        }, indent=2) + "\n"
    lines = ["Legacy BPE tokens vs count_tokens, per tokenizer family:",
             f"  {'family':<14} {'templates':>9} {'legacy':>9} {'exact':>9} {'factor':>7} {'was':>6}  models"]
    for f in result.families:
        lines.append(f"  {f.family:<14} {f.templates:>9} {f.legacy_tokens:>9,} {f.exact_tokens:>9,} "
                     f"{f.factor:>7.3f} {f.current:>6.3g}  {', '.join(f.models)}")
    for f in result.families:
        if f.exact_offline:
            lines.append(f"{f.family}: counted exactly offline, so no factor is used; factor not written")
        elif not f.enough:
            lines.append(f"{f.family}: only {f.legacy_tokens:,} legacy tokens of text (needs {MIN_LEGACY_TOKENS:,}); "
                         "factor not written")
    if written:
        pairs = ", ".join(f"{k} = {v}" for k, v in sorted(written.items()))
        lines.append(f"Wrote calibration = {{{pairs}}} to {target}; offline counts now use it.")
    else:
        lines.append(f"Nothing written to {target}.")
    return "\n".join(lines) + "\n"
