"""Command line: parse options, call the engine, pick a reporter. Nothing else lives here.

Exit codes (SPEC §5): 0 clean, 1 findings at or above ``--fail-on`` (or an audit
regression), 2 a usage or configuration error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from promptlint import __version__
from promptlint.config import Config, ConfigError, load_config

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(click.ClickException):
    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        from promptlint.escape import line

        click.echo(line(f"promptlint: error: {self.format_message()}"), err=True)


class _Main(click.Group):
    """Reports a configuration error from any command (a bad config file, rule file or
    plugin, found while loading or while running) as a usage error: exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def _config(paths: tuple[str, ...], config_file: str | None, **overrides) -> Config:
    start = Path(paths[0]) if paths else Path.cwd()
    config = load_config(start, Path(config_file) if config_file else None)
    if "tokenizer" in overrides:  # a command that counts: the network needs the user's word
        from promptlint.escape import line
        from promptlint.userconfig import choose_tokenizer

        overrides["tokenizer"], notice = choose_tokenizer(config.tokenizer, overrides["tokenizer"], config.source)
        if notice:
            click.echo(line(f"promptlint: {notice}"), err=True)
    changes = {k.replace("-", "_"): v for k, v in overrides.items() if v is not None}
    return config.with_overrides(**changes)


def _paths(paths: tuple[str, ...]) -> list[Path]:
    return [Path(p) for p in paths] if paths else [Path.cwd()]


def _view(config: Config, verbose: bool = False):
    from promptlint.report import View

    return View(config.root, os.getcwd(), verbose)


def _analyze(paths, config, select=(), ignore=(), use_cache=True, **traffic):
    from promptlint.engine import analyze

    return analyze(_paths(paths), config, select, ignore, use_cache=use_cache, **traffic)


def _notices(analysis) -> None:
    from promptlint.escape import line

    for notice in analysis.notices:
        click.echo(line(f"promptlint: {notice.path}: {notice.message}"), err=True)
    for warning in analysis.measurements.warnings:
        click.echo(line(f"promptlint: warning: {warning}"), err=True)


common_options = [
    click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file (pyproject.toml or promptlint.toml)."),
    click.option("--default-model", help="Model for requests without a literal model."),
    click.option("--requests-per-month", type=click.IntRange(min=0), help="Traffic per request site, for $/month."),
    click.option("--tokenizer", type=click.Choice(["offline", "anthropic"]), help="Token counter (default: offline)."),
    click.option("--no-cache", is_flag=True, help="Neither read nor write .promptlint_cache/."),
]


def with_common(func):
    for option in reversed(common_options):
        func = option(func)
    return func


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="promptlint")
def main() -> None:
    """Find the LLM prompts in a codebase, count their tokens, lint them, and price every finding."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", default="text", show_default=True,
              help="Output format: text, json, sarif, github, markdown.")
@click.option("--select", multiple=True, help="Rule codes, names or prefixes to run (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes, names or prefixes to skip (comma-separated).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), help="Lowest severity that fails (default: warning).")
@click.option("--verbose", "-v", is_flag=True,
              help="JSON: say why each template is taken for a prompt (its evidence) and what it is made of (its regions).")
@with_common
def check(paths, output_format, select, ignore, fail_on, verbose, config_file, no_cache, **overrides) -> None:
    """Lint the prompts under PATHS (default: the current directory)."""
    from promptlint.report import CHECK_FORMATS

    if output_format not in CHECK_FORMATS:
        raise UsageError(f"unknown format `{output_format}` (choose from {', '.join(CHECK_FORMATS)})")
    config = _config(paths, config_file, fail_on=fail_on, **overrides)
    analysis = _analyze(paths, config, _split(select), _split(ignore), use_cache=not no_cache)
    _notices(analysis)
    click.echo(CHECK_FORMATS[output_format](analysis, _view(config, verbose)), nl=False)
    sys.exit(EXIT_FINDINGS if analysis.failing(config.fail_on) else EXIT_OK)


def _baseline_path(given: str | None, config: Config, option: str) -> Path | None:
    """``--baseline FILE`` is relative to the working directory; bare ``--baseline`` and the
    config key ``baseline`` name a file relative to the config's folder."""
    if given is None:
        return None
    if given:
        return Path(given)
    if not config.baseline:
        raise UsageError(f"{option} needs a FILE, or `baseline` set in [tool.promptlint]")
    return _config_baseline(config)


def _config_baseline(config: Config) -> Path:
    """The config's ``baseline``, which must stay in the tree (the config may be a stranger's)."""
    from promptlint.boundary import PathError, config_path

    try:
        return config_path(config.root, config.baseline, "baseline")
    except PathError as exc:
        raise UsageError(f"{config.source}: {exc}") from None


def _shown(path: Path) -> str:
    """A path as the user would type it: relative when under the working directory."""
    try:
        rel = Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive on Windows
        rel = ".."
    return path.resolve().as_posix() if rel.startswith("..") else rel


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", default="text", show_default=True,
              help="Output format: text, json, sarif, github, markdown, html.")
@click.option("--baseline", "baseline_file", is_flag=False, flag_value="", default=None, metavar="[FILE]",
              help="Compare with a baseline; exit 1 when an entry or the total grew beyond --max-increase. "
                   "FILE defaults to `baseline` in config, which is also compared when this option is absent.")
@click.option("--write-baseline", "write_file", is_flag=False, flag_value="", default=None, metavar="[FILE]",
              help="Write the inventory as a baseline (FILE defaults to `baseline` in config).")
@click.option("--max-increase", help="Tolerated growth per entry and in total: 5%, 50 (tokens), $200/month, 2x, "
                                     "or several as 5%|50 (the default; 5% also bounds the price per token).")
@click.option("--usage", "usage_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Production usage log (OTLP JSON, LiteLLM, Langfuse or promptlint JSONL; repeatable): "
                   "attribute its calls to request sites and price them at measured traffic.")
@click.option("--usage-days", type=click.FloatRange(min=0, min_open=True),
              help="Days the usage logs cover (default: the span of their timestamps).")
@click.option("--write-usage-traffic", "traffic_file", is_flag=False, flag_value="", default=None, metavar="[FILE]",
              help="Write the measured traffic of --usage to FILE (default: `measured-traffic` in config, "
                   "else promptlint-traffic.json beside it) for later runs without the logs.")
@click.option("-o", "--output", "output_file", type=click.Path(dir_okay=False),
              help="Write the report to FILE instead of standard output.")
@click.option("--anatomy", "anatomy_of", metavar="TEMPLATE_ID",
              help="Show the regions (instructions, examples, documents, code, ...) of the templates whose id "
                   "contains TEMPLATE_ID, and nothing else.")
@click.option("--verbose", "-v", is_flag=True,
              help="JSON: say why each template is taken for a prompt (its evidence) and what it is made of (its regions).")
@with_common
def audit(paths, output_format, baseline_file, write_file, max_increase, usage_files, usage_days, traffic_file,
          output_file, anatomy_of, verbose, config_file, no_cache, **overrides) -> None:
    """Inventory of every template and request with tokens and cost, most expensive first."""
    from promptlint import baseline
    from promptlint.report import AUDIT_FORMATS
    from promptlint.thresholds import parse_max_increase

    if output_format not in AUDIT_FORMATS:
        raise UsageError(f"unknown format `{output_format}` (choose from {', '.join(AUDIT_FORMATS)})")
    config = _config(paths, config_file, max_increase=max_increase, **overrides)
    if anatomy_of is not None:
        from promptlint.anatomy.show import render_templates

        analysis = _analyze(paths, config, select=("PL001",), use_cache=not no_cache)
        shown = render_templates(analysis, anatomy_of, _view(config), output_format)
        if shown is None:
            raise UsageError(f"no template id contains `{anatomy_of}` (ids are listed by `promptlint audit --format json`)")
        click.echo(shown, nl=False)
        sys.exit(EXIT_OK)
    try:
        limit = parse_max_increase(config.max_increase)
    except ValueError as exc:
        raise UsageError(f"--max-increase: {exc}") from None
    compare_path = _baseline_path(baseline_file, config, "--baseline")
    write_path = _baseline_path(write_file, config, "--write-baseline")
    before = None
    if compare_path is None and write_path is None and config.baseline:
        implicit = _config_baseline(config)
        if implicit.exists():
            compare_path = implicit
        else:
            click.echo(f"promptlint: baseline {_shown(implicit)} (from config) does not exist yet; "
                       f"write it with `promptlint audit --write-baseline`", err=True)
    if compare_path is not None:
        try:
            before = baseline.load(compare_path)
        except baseline.BaselineError as exc:
            raise UsageError(str(exc)) from None
    if traffic_file is not None and not usage_files:
        raise UsageError("--write-usage-traffic needs --usage FILE")
    usage = _usage_logs(usage_files)
    # the HTML report shows findings with their savings; the other audit formats only inventory
    select = () if output_format == "html" else ("PL001",)
    analysis = _analyze(paths, config, select=select, use_cache=not no_cache, usage=usage, usage_days=usage_days)
    _notices(analysis)
    current = baseline.inventory(analysis)
    budgets = tuple((b.path, parse_max_increase(b.max_increase)) for b in config.budgets if b.max_increase)
    comparison = baseline.compare(before, current, limit, _shown(compare_path), budgets) if before is not None else None
    _emit(AUDIT_FORMATS[output_format](analysis, _view(config, verbose), comparison=comparison), output_file)
    if traffic_file is not None:
        _write_usage_traffic(analysis, config, traffic_file)
    if write_path is not None:
        try:
            baseline.write(current, write_path)
        except OSError as exc:
            raise UsageError(f"cannot write baseline {_shown(write_path)}: {exc.strerror or exc}") from None
        click.echo(f"promptlint: wrote baseline {_shown(write_path)} ({len(analysis.project.requests)} requests, "
                   f"{len(analysis.project.templates)} templates)", err=True)
        sys.exit(EXIT_OK)
    sys.exit(EXIT_FINDINGS if comparison is not None and comparison.failed else EXIT_OK)


def _usage_logs(files: tuple[str, ...]):
    """Usage logs named on the command line; a missing file is a usage error, an unreadable
    one a warning (the others are still read)."""
    if not files:
        return None
    from promptlint.traffic.logs import read_logs

    for name in files:
        if not Path(name).is_file():
            raise UsageError(f"--usage: {name} does not exist")
    logs = read_logs([(Path(name), name) for name in files])
    from promptlint.escape import line

    for problem in logs.problems:
        click.echo(line(f"promptlint: warning: usage log skipped: {problem}"), err=True)
    return logs


def _emit(text: str, output_file: str | None) -> None:
    if output_file is None:
        click.echo(text, nl=False)
        return
    from promptlint.atomic import write_atomic

    try:
        write_atomic(Path(output_file), text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write {output_file}: {exc.strerror or exc}") from None
    click.echo(f"promptlint: wrote {_shown(Path(output_file))}", err=True)


def _write_usage_traffic(analysis, config: Config, given: str) -> None:
    from promptlint.traffic import sidecar

    path = Path(given) if given else Path(config.root) / (config.measured_traffic or sidecar.DEFAULT_NAME)
    report = analysis.usage
    measured = {rid: site.measured for rid, site in analysis.traffic.requests.items() if site.measured is not None}
    logs = [{"file": f, "format": kind, "calls": n} for f, kind, n in report.logs.files]
    try:
        sidecar.write(path, sidecar.dumps(measured, logs, len(report.attribution.unattributed), report.window_days))
    except OSError as exc:
        raise UsageError(f"cannot write {_shown(path)}: {exc.strerror or exc}") from None
    key = Path(os.path.relpath(path.resolve(), Path(config.root).resolve())).as_posix()
    hint = "" if config.measured_traffic else f"; set `measured-traffic = \"{key}\"` in config to use it"
    click.echo(f"promptlint: wrote measured traffic of {len(measured)} request sites to {_shown(path)}{hint}", err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--unsafe-fixes", is_flag=True, help="Apply unsafe fixes too (they change what the model reads or how it is billed).")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of the fixes, write nothing; exit 1 when there is one.")
@click.option("--select", multiple=True, help="Rule codes, names or prefixes to fix (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes, names or prefixes to leave alone (comma-separated).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]),
              help="Exit 1 when findings at or above this severity remain after fixing (default: warning).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: every fix with its status, measured saving, safety and the reason it was not applied.")
@with_common
def fix(paths, unsafe_fixes, show_diff, select, ignore, fail_on, output_format, config_file, no_cache,
        **overrides) -> None:
    """Apply safe fixes under PATHS; show unsafe ones as diffs with what they save."""
    from promptlint.fix import Fixer
    from promptlint.report.fixes import render_fix, render_fix_json

    config = _config(paths, config_file, fail_on=fail_on, **overrides)
    fixer = Fixer(_paths(paths), config, _split(select), _split(ignore), unsafe=unsafe_fixes, use_cache=not no_cache)
    run = fixer.run(write=not show_diff)
    _notices(run.analysis)
    if output_format == "json":
        click.echo(render_fix_json(run, _view(config), show_diff, unsafe_fixes), nl=False)
    else:
        from promptlint.escape import block

        out, err = render_fix(run, _view(config), show_diff, unsafe_fixes)
        # A diff piped to `git apply` must hold the file's own characters; on a terminal it
        # is shown like any other output.
        click.echo(out if show_diff and not sys.stdout.isatty() else block(out), nl=False)
        click.echo(block(err), nl=False, err=True)
    if show_diff:
        sys.exit(EXIT_FINDINGS if run.files else EXIT_OK)
    after = run.after or run.analysis
    sys.exit(EXIT_FINDINGS if after.failing(config.fail_on) or run.refused else EXIT_OK)


@main.command()
@click.argument("source", default="-", type=click.Path(allow_dash=True))
@click.option("--model", help="Model to count and price for (default: default-model).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
@click.option("--tokenizer", type=click.Choice(["offline", "anthropic"]), help="Token counter (default: offline).")
def count(source, model, output_format, config_file, tokenizer) -> None:
    """Tokens and input price of a text or template FILE (or - for stdin)."""
    from promptlint.counting import count_source

    config = _config((source,) if source != "-" else (), config_file, tokenizer=tokenizer)
    try:
        result = count_source(source, model or config.default_model, config)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    from promptlint.escape import json_dumps, line

    for warning in result["warnings"]:
        click.echo(line(f"promptlint: warning: {warning}"), err=True)
    if output_format == "json":
        click.echo(json_dumps(result, indent=2))
    else:
        from promptlint.report import fmt_int, fmt_usd

        holes = f", {len(result['placeholders'])} placeholders not counted" if result["placeholders"] else ""
        click.echo(line(f"{fmt_int(result['tokens'])} tokens ({result['count']} for {result['model']}{holes}); "
                        f"{fmt_int(result['input_tokens'])} input tokens as one user message: "
                        f"{fmt_usd(result['usd_per_request'])}/request, "
                        f"{fmt_usd(result['usd_per_month'])}/month at {fmt_int(config.requests_per_month)} requests"))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--model", "models", multiple=True,
              help="Count every template for this Claude model (repeatable; default: each template's own model).")
@click.option("--dry-run", is_flag=True, help="Report the ratios; write nothing.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file to read and update.")
@click.option("--default-model", help="Model for templates no request uses.")
def calibrate(paths, models, dry_run, output_format, config_file, default_model) -> None:
    """Fit the offline counter to these prompts with count_tokens.

    Counts the templates under PATHS with the legacy BPE and exactly, and writes the ratio
    per tokenizer family to the config as `calibration`, which offline counts then use.
    """
    from promptlint.calibrate import config_target, measure_ratios, render
    from promptlint.config_edit import set_calibration

    config = _config(paths, config_file, default_model=default_model)
    result = measure_ratios(_paths(paths), config, models)
    target, nested = config_target(config, _paths(paths))
    written = result.factors if not dry_run else {}
    if written:
        set_calibration(target, written, nested)
    from promptlint.escape import block, line

    if result.warning:
        click.echo(line(f"promptlint: warning: {result.warning}"), err=True)
    shown = ("[tool.promptlint] of " if nested else "") + _view(config).path(str(Path(target).resolve()))
    text = render(result, written, shown, output_format)
    click.echo(text if output_format == "json" else block(text), nl=False)


def _ruleset(config_file):
    """Every rule the configuration in force loads (built-in, rule-dirs, plugins)."""
    from promptlint.rules import load_rules

    return load_rules(_config((), config_file))


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def rules_command(output_format, config_file) -> None:
    """List every rule: code, name, severity, fixability, where it comes from."""
    from promptlint.escape import json_dumps, line

    ruleset = _ruleset(config_file)
    if output_format == "json":
        click.echo(json_dumps([{"code": r.code, "name": r.name, "severity": r.severity, "fix": r.fix,
                                "origin": r.origin, "summary": r.summary} for r in ruleset.rules], indent=2))
        return
    width = max((len(r.name) for r in ruleset.rules), default=10)
    for r in ruleset.rules:
        origin = "" if r.origin == "builtin" else f"  [{r.origin}]"
        click.echo(line(f"{r.code}  {r.name.ljust(width)}  {r.severity:<7}  {r.fix:<9}  {r.summary}{origin}"))
    _disabled_plugins_notice()


def _disabled_plugins_notice() -> None:
    from promptlint.rules import installed_plugins
    from promptlint.userconfig import PLUGINS_ENV, load_user_settings, user_config_path

    user = load_user_settings()
    for name, dist, value in installed_plugins():
        if not user.plugin_enabled(name, dist):
            click.echo(f"promptlint: plugin `{name}` ({value}) is installed but not enabled: set "
                       f"{PLUGINS_ENV}={name} or `plugins = [\"{name}\"]` in {user_config_path()}", err=True)


@main.command()
@click.argument("code")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def explain(code, config_file) -> None:
    """Show one rule's documentation (by code or name)."""
    from promptlint.report.sarif import rule_help

    ruleset = _ruleset(config_file)
    rule = ruleset.by_code(code)
    if rule is None:
        raise UsageError(f"no rule `{code}`; see `promptlint rules`")
    where = f"\n\nSet them under [tool.promptlint.rules.{rule.code}]." if rule.options else ""
    from promptlint.escape import block

    click.echo(block(f"# {rule.code} {rule.name} ({rule.severity}; fix: {rule.fix})\n\n{rule_help(rule)[1]}{where}\n"))


if __name__ == "__main__":  # pragma: no cover
    main()
