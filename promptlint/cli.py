"""Command line: parse options, call the engine, pick a reporter. Nothing else lives here.

Exit codes (SPEC §5), the same for every command: 0 clean, 1 findings at or above
``--fail-on`` (or an audit regression), 2 a usage, configuration or input error (named
with its location), 3 an internal error (one line and a crash log, never a traceback).
Options follow ruff's names where ruff has the option.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from promptlint import __version__
from promptlint.config import CHECK_OUTPUT_FORMATS, Config, ConfigError, key_error, load_config, rule_selection
from promptlint.terminal import COLOR_CHOICES, PLAIN, Palette, showing_progress, wants_color

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
AUDIT_OUTPUT_FORMATS = ("text", "json", "sarif", "github", "markdown", "html")  # report.AUDIT_FORMATS
SEVERITIES = ("error", "warning", "info")


class UsageError(click.ClickException):
    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        from promptlint.escape import line

        click.echo(line(f"promptlint: error: {self.format_message()}"), err=True)


def _collect_garbage_less_often() -> None:
    """A run builds a large heap of small frozen records that live until it ends (a warm
    OpenHands run decodes 120k cached objects); Python's default collector, every 700
    allocations, scans them again and again for cycles they do not form: 10% of a warm
    run's CPU. Collect every 100k allocations instead (about 1 MB more at the peak)."""
    import gc

    gc.set_threshold(100_000, 50, 100)


class _Main(click.Group):
    """Every command's errors end the same way: a configuration error (a bad config file,
    rule file or plugin, found while loading or while running) is a usage error, exit 2;
    anything unexpected is an internal error, exit 3, with the traceback in a crash log."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        _collect_garbage_less_often()
        try:
            code = super().main(args, prog_name or "promptlint", complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:  # click's own (a bad option) and ours
            exc.show()
            code = EXIT_USAGE
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("promptlint: interrupted", err=True)
            code = 130
        except BrokenPipeError:  # `promptlint check | head`: the reader left; say nothing more
            from click.utils import PacifyFlushWrapper

            sys.stdout = PacifyFlushWrapper(sys.stdout)  # type: ignore[assignment]
            code = EXIT_FINDINGS
        except Exception as exc:  # noqa: BLE001 - the one place a bug becomes exit code 3
            from promptlint.crash import crash_message, write_crash_log

            click.echo(crash_message(exc, write_crash_log(exc, ["promptlint", *(args or sys.argv[1:])])), err=True)
            code = EXIT_INTERNAL
        sys.exit(code if isinstance(code, int) else EXIT_OK)


def entry() -> None:
    """The ``promptlint`` program (console script and ``python -m promptlint``): :func:`main`,
    and then the process ends as soon as its work is out. The exit handlers run (kept
    compiled code, logging), the output streams are flushed, and the process ends without
    the interpreter's teardown, which frees every object one by one: after a check of a
    large tree, a few tenths of a second of CPU spent on nothing anyone reads. Everything
    promptlint writes to disk is complete and closed before this point. (Callers of
    :func:`main` itself, such as click's test runner, get its usual ``SystemExit``.)"""
    import atexit

    try:
        main()
        code = EXIT_OK
    except SystemExit as exc:
        code = _exit_status(exc.code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that left (`| head`), a closed stream: nothing more to say
            pass
    os._exit(code)


def _exit_status(code: object) -> int:
    """The status ``sys.exit(code)`` ends with: None is 0; a message is printed, and is 1."""
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


# --- shared options ----------------------------------------------------------------------

def _options(*decorators):
    def apply(func):
        for option in reversed(decorators):
            func = option(func)
        return func

    return apply


config_option = click.option("--config", "config_file", type=click.Path(dir_okay=False),
                             help="Config file (pyproject.toml or promptlint.toml); default: found walking up from "
                                  "the first path.")
scan_options = _options(
    config_option,
    click.option("--default-model", help="Model for requests without a literal model."),
    click.option("--requests-per-month", type=click.IntRange(min=0), help="Traffic per request site, for $/month."),
    click.option("--tokenizer", type=click.Choice(["offline", "anthropic"]), help="Token counter (default: offline)."),
    click.option("--no-cache", is_flag=True, help="Neither read nor write .promptlint_cache/."),
    click.option("--respect-gitignore/--no-respect-gitignore", default=None,
                 help="Skip files ignored by git (default: respect-gitignore, true)."),
    click.option("--color", type=click.Choice(COLOR_CHOICES), default="auto", show_default=True,
                 help="Colour the output (auto: on a terminal; NO_COLOR and FORCE_COLOR are honoured)."),
)
selection_options = _options(
    click.option("--select", multiple=True, help="Rules to run, replacing `select` (codes, names or prefixes; "
                                                 "comma-separated)."),
    click.option("--extend-select", multiple=True, help="Rules to run in addition to the selection."),
    click.option("--ignore", multiple=True, help="Rules to skip (comma-separated)."),
    click.option("--extend-ignore", multiple=True, help="Rules to skip, in addition to --ignore."),
)
quiet_options = _options(
    click.option("-q", "--quiet", is_flag=True, help="Print the findings (or the verdict) and nothing else."),
    click.option("--silent", is_flag=True, help="Print nothing; only the exit code tells."),
    click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (errors still exit 2 or 3)."),
)
listing_options = _options(
    click.option("--show-settings", is_flag=True, help="Print the settings in force and where they come from, then exit."),
    click.option("--show-files", is_flag=True, help="Print the files that would be scanned, then exit."),
)


def _format_option(choices: tuple[str, ...], default_help: str):
    return click.option("--output-format", "--format", "output_format", type=click.Choice(choices, case_sensitive=False),
                        default=None, help=f"Report format ({default_help}).")


output_file_option = click.option("-o", "--output-file", type=click.Path(dir_okay=False),
                                  help="Write the report to this file instead of stdout.")


# --- what every scanning command does ---------------------------------------------------

def _check_paths(paths: tuple[str, ...]) -> None:
    """A path that does not exist is an input error (exit 2), never "All checks passed":
    a typo in a CI path must not turn the gate green."""
    missing = []
    for given in paths:
        try:
            os.lstat(given)
        except FileNotFoundError:
            missing.append(given)
        except NotADirectoryError:
            missing.append(given)
        except OSError:
            pass  # unreadable and the like: the scan reports it and goes on
    if missing:
        raise UsageError(f"{', '.join(f'`{m}`' for m in missing)}: no such file or directory")


def _config(paths: tuple[str, ...], config_file: str | None, **overrides) -> Config:
    start = Path(paths[0]) if paths else Path.cwd()
    if config_file is not None and not Path(config_file).is_file():
        raise UsageError(f"--config {config_file}: no such file")
    config = load_config(start, Path(config_file) if config_file else None)
    if "tokenizer" in overrides:  # a command that counts: the network needs the user's word
        from promptlint.escape import line
        from promptlint.userconfig import choose_tokenizer

        overrides["tokenizer"], notice = choose_tokenizer(config.tokenizer, overrides["tokenizer"], config.source)
        if notice:
            click.echo(line(f"promptlint: {notice}"), err=True)
    changes = {k.replace("-", "_"): v for k, v in overrides.items() if v is not None}
    _check_model(config, "default-model")
    config = config.with_overrides(**changes)
    if changes.get("default_model"):
        _check_model(config, "--default-model")
    return config


def _check_model(config: Config, where: str) -> None:
    """An unknown default model is a configuration error with a suggestion, not a
    traceback when the first request is priced."""
    from promptlint.models import ModelCatalog

    catalog = ModelCatalog(config.prices)
    model = config.default_model
    if catalog.is_known(model):
        return
    close = catalog.closest(model)
    hint = f" (did you mean `{close}`?)" if close else ""
    message = f"unknown model `{model}`{hint}; give a model id genai-prices knows, or its price under [tool.promptlint.prices]"
    if where.startswith("--"):
        raise UsageError(f"{where}: {message}")
    raise key_error(config, where, f"names an {message}")


def _paths(paths: tuple[str, ...]) -> list[Path]:
    return [Path(p) for p in paths] if paths else [Path.cwd()]


def _palette(color: str, output_file: str | None) -> Palette:
    return Palette(wants_color(color, None if output_file else sys.stdout))


def _view(config: Config, palette: Palette = PLAIN, detail: str = "normal"):
    from promptlint.report import View

    return View(config.root, os.getcwd(), palette, detail, verbose=detail == "verbose")


def _detail(quiet: bool, verbose: bool = False) -> str:
    return "verbose" if verbose else "quiet" if quiet else "normal"


def _scope(config: Config, targets: list[Path]) -> tuple[str, ...]:
    """The paths a run reports on, relative to the root: the files and folders given. A
    file they import is still read (for its constants) but not reported on, as pre-commit
    and ruff expect of a run on the staged files."""
    from promptlint.discover import relative

    root = Path(os.path.abspath(config.root))
    return tuple(relative(Path(os.path.abspath(t)), root) for t in targets)


def _in_scope(path: str, scope: tuple[str, ...]) -> bool:
    return any(s in (".", "") or path == s or path.startswith(s.rstrip("/") + "/") for s in scope)


def _scoped(analysis, scope: tuple[str, ...]):
    kept = tuple(f for f in analysis.findings if _in_scope(f.finding.span.path, scope))
    return analysis if len(kept) == len(analysis.findings) else replace(analysis, findings=kept)


def _notices(analysis, silent: bool = False) -> None:
    if silent:
        return
    from promptlint.escape import line

    for notice in analysis.notices:
        click.echo(line(f"promptlint: {notice.path}: {notice.message}"), err=True)
    for warning in analysis.measurements.warnings:
        click.echo(line(f"promptlint: warning: {warning}"), err=True)


def _emit(text: str, output_file: str | None, palette: Palette, silent: bool = False) -> None:
    """The report, on stdout or written whole to ``--output-file`` (never half-written)."""
    if output_file:
        from promptlint.atomic import write_atomic

        try:
            write_atomic(Path(output_file), text.encode("utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot write {output_file}: {exc.strerror or exc}") from None
        return
    if not silent and text:
        click.echo(text, nl=False, color=palette.enabled)


def _analyze(targets: list[Path], config: Config, select=(), ignore=(), use_cache=True, stdin=None,
             show_progress=True, **traffic):
    from promptlint.engine import analyze, open_cache, scan_text

    with showing_progress(show_progress):
        scanned = None
        if stdin is not None:
            rel, data = stdin
            scanned = scan_text(rel, data, config, open_cache(config, use_cache))
        analysis = analyze(targets, config, select, ignore, use_cache=use_cache, scanned=scanned, **traffic)
    if stdin is None:
        _nothing_scanned(targets, config, analysis, show_progress)
    return analysis


def _nothing_scanned(targets: list[Path], config: Config, analysis, speak: bool) -> None:
    """Folders that held no file to scan. With ``include`` set that is a configuration error
    (a mistyped glob must not turn the gate green); otherwise a warning, as ruff gives."""
    if analysis.project.files_scanned or not any(t.is_dir() for t in targets):
        return
    where = ", ".join(f"`{_shown(t)}`" for t in targets)
    if config.include:
        raise key_error(config, "include", f"matches no file under {where}: nothing would be scanned")
    if speak:
        click.echo(f"promptlint: warning: no file to scan under {where} (see `exclude`, `extend-exclude`, "
                   ".gitignore, or `--show-files`)", err=True)


def _selection(config: Config, select, extend_select, ignore, extend_ignore) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(select, ignore) from the command line, checked: a code on the command line that
    names no rule is a usage error naming the option."""
    from promptlint.rules import load_rules

    ruleset = load_rules(config)
    given = {"--select": _split(select), "--extend-select": _split(extend_select), "--ignore": _split(ignore),
             "--extend-ignore": _split(extend_ignore)}
    for option, selectors in given.items():
        for selector in selectors:
            problem = ruleset.unknown(selector)
            if problem:
                raise UsageError(f"{option}: {problem}")
    chosen, _ = rule_selection(config, given["--select"])
    return (*chosen, *given["--extend-select"]), (*given["--ignore"], *given["--extend-ignore"])


def _fixable(config: Config, select, ignore) -> tuple[str, ...]:
    """Codes of the selected rules whose fixes may be applied (``fixable``/``unfixable``)."""
    from promptlint.rules import load_rules, matches

    ruleset = load_rules(config)
    chosen = ruleset.selected(*rule_selection(config, select, ignore))
    allowed = config.fixable or ("ALL",)
    return tuple(r.code for r in chosen if any(matches(s, r) for s in allowed)
                 and not any(matches(s, r) for s in config.unfixable))


def _stdin(paths: tuple[str, ...], stdin_filename: str | None) -> bool:
    """Whether the source comes from stdin: ``-`` (as ruff), or ``--stdin-filename`` alone."""
    if "-" in paths and len(paths) > 1:
        raise UsageError("`-` (read from stdin) cannot be combined with other paths")
    if stdin_filename and paths and paths != ("-",):
        raise UsageError("--stdin-filename names the file read from stdin; it cannot be combined with PATHS")
    return paths == ("-",) or (bool(stdin_filename) and not paths)


def _stdin_source(config: Config, stdin_filename: str | None) -> tuple[str, bytes]:
    from promptlint.discover import relative

    stream = sys.stdin
    data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode("utf-8")
    name = stdin_filename or "-.py"
    rel = relative(Path(os.path.abspath(name)), Path(os.path.abspath(config.root)))
    return rel, data


def _show_settings(config: Config, targets: list[Path], rules: list) -> None:
    from promptlint.report.settings import render_settings

    click.echo(render_settings(config, targets, rules), nl=False)
    sys.exit(EXIT_OK)


def _show_files(config: Config, targets: list[Path], view) -> None:
    from promptlint.discover import iter_candidates

    problems: list = []
    for rel, _, kind in sorted(iter_candidates(targets, config, problems)):
        click.echo(f"{view.path(rel)}  ({kind})")
    for problem in problems:
        click.echo(f"promptlint: {problem.path}: {problem.message}", err=True)
    sys.exit(EXIT_OK)


def _listing(show_settings: bool, show_files: bool, config: Config, targets: list[Path], view, select=(), ignore=()):
    if show_settings:
        from promptlint.rules import load_rules

        ruleset = load_rules(config)
        ruleset.check_config(config)
        _show_settings(config, targets, ruleset.selected(*rule_selection(config, select, ignore)))
    if show_files:
        _show_files(config, targets, view)


def _exit(failed: bool, exit_zero: bool) -> None:
    sys.exit(EXIT_FINDINGS if failed and not exit_zero else EXIT_OK)


# --- commands ------------------------------------------------------------------------

@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="promptlint")
def main() -> None:
    """Find the LLM prompts in a codebase, count their tokens, lint them, and price every finding."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True, readable=False))
@_format_option(CHECK_OUTPUT_FORMATS, "default: output-format, text; full adds code frames")
@output_file_option
@selection_options
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Lowest severity that fails (default: fail-on, warning).")
@quiet_options
@click.option("-v", "--verbose", is_flag=True, help="JSON: say why each template is taken for a prompt (its evidence) "
                                                "and what it is made of (its regions).")
@click.option("--statistics", is_flag=True, help="Print the count and dollars of each rule's findings instead of "
                                                  "the findings.")
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply the safe fixes, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix, apply unsafe fixes too.")
@click.option("--show-fixes", is_flag=True, help="With --fix, list each fix applied.")
@click.option("--stdin-filename", help="The path of the source read from stdin (`-`): its kind, config and ignores.")
@listing_options
@scan_options
def check(paths, output_format, output_file, select, extend_select, ignore, extend_ignore, fail_on, quiet, silent,
          exit_zero, verbose, statistics, apply_fixes, unsafe_fixes, show_fixes, stdin_filename, show_settings, show_files,
          config_file, no_cache, color, **overrides) -> None:
    """Lint the prompts under PATHS (default: the current directory; `-`: stdin)."""
    from promptlint.report import CHECK_FORMATS

    from_stdin = _stdin(paths, stdin_filename)
    files = () if from_stdin else paths
    _check_paths(files)
    config = _config(files or ((stdin_filename,) if stdin_filename else ()), config_file, fail_on=fail_on,
                     **overrides)
    fmt = (output_format or config.output_format).lower()
    if statistics and fmt not in ("text", "full", "json"):
        raise UsageError(f"--statistics prints text or json, not {fmt}")
    if (unsafe_fixes or show_fixes) and not apply_fixes:
        raise UsageError("--unsafe-fixes and --show-fixes go with --fix (or use `promptlint fix`)")
    if apply_fixes and from_stdin:
        raise UsageError("--fix edits files; it cannot fix source read from stdin")
    palette = _palette(color, output_file)
    view = _view(config, palette, _detail(quiet, verbose))
    sel, ign = _selection(config, select, extend_select, ignore, extend_ignore)
    targets = _paths(files)
    _listing(show_settings, show_files, config, targets, view, sel, ign)
    fixes = _apply_fixes(targets, config, sel, ign, unsafe_fixes, not no_cache) if apply_fixes else None
    stdin = _stdin_source(config, stdin_filename) if from_stdin else None
    analysis = _analyze(targets, config, sel, ign, use_cache=not no_cache, stdin=stdin, show_progress=not silent)
    analysis = _scoped(analysis, (stdin[0],) if stdin else _scope(config, targets))
    _notices(analysis, silent)
    if fixes is not None:
        _report_fixes(fixes, view, show_fixes, fmt in ("text", "full") and not output_file, silent)
    if statistics:
        from promptlint.report.statistics import render_statistics

        text = render_statistics(analysis, view, fmt)
    else:
        text = CHECK_FORMATS[fmt](analysis, view)
    _emit(text, output_file, palette, silent)
    _exit(bool(analysis.failing(config.fail_on)), exit_zero)


def _apply_fixes(targets, config, select, ignore, unsafe: bool, use_cache: bool):
    """``check --fix``: the fixer on the fixable rules of the selection; the report that
    follows is a fresh check of the fixed tree."""
    from promptlint.fix import Fixer

    codes = _fixable(config, select, ignore)
    if not codes:
        return None
    with showing_progress(True):
        return Fixer(targets, config, codes, ignore, unsafe=unsafe, use_cache=use_cache).run(write=True)


def _report_fixes(run, view, listed: bool, on_stdout: bool, silent: bool) -> None:
    from promptlint.fix import APPLIED
    from promptlint.report.fixes import fix_line

    applied = run.by_status(APPLIED)
    if silent or not applied:
        return
    lines = [fix_line(r, view) for r in applied] if listed else []
    files = {p for r in applied for p in r.paths}
    lines.append(f"Fixed {len(applied)} finding{'s' if len(applied) != 1 else ''} in {len(files)} "
                 f"file{'s' if len(files) != 1 else ''}.")
    click.echo("\n".join(lines) + ("\n\n" if on_stdout else "\n"), nl=False, err=not on_stdout,
               color=view.paint.enabled)


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
    return os.path.abspath(path) if rel.startswith("..") else rel


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@_format_option(AUDIT_OUTPUT_FORMATS, "default: text; html writes a self-contained page")
@output_file_option
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
@click.option("--anatomy", "anatomy_of", metavar="TEMPLATE_ID",
              help="Show the regions (instructions, examples, documents, code, ...) of the templates whose id "
                   "contains TEMPLATE_ID, and nothing else.")
@quiet_options
@click.option("-v", "--verbose", is_flag=True, help="With a baseline, list every change and the whole inventory too; "
                                                    "JSON: why each template is taken for a prompt (its evidence) and "
                                                    "what it is made of (its regions).")
@listing_options
@scan_options
def audit(paths, output_format, output_file, baseline_file, write_file, max_increase, usage_files, usage_days,
          traffic_file, anatomy_of, quiet, silent, exit_zero, verbose, show_settings, show_files, config_file, no_cache,
          color, **overrides) -> None:
    """Inventory of every template and request with tokens and cost, most expensive first.

    With a baseline, the verdict comes first, then the entries that grew beyond the limit.
    """
    from promptlint import baseline
    from promptlint.report import AUDIT_FORMATS
    from promptlint.thresholds import parse_max_increase

    _check_paths(paths)
    config = _config(paths, config_file, max_increase=max_increase, **overrides)
    fmt = (output_format or "text").lower()
    palette = _palette(color, output_file)
    view = _view(config, palette, _detail(quiet, verbose))
    targets = _paths(paths)
    _listing(show_settings, show_files, config, targets, view, ("PL001",))
    if anatomy_of is not None:
        from promptlint.anatomy.show import render_templates

        analysis = _analyze(targets, config, select=("PL001",), use_cache=not no_cache, show_progress=not silent)
        shown = render_templates(analysis, anatomy_of, view, fmt)
        if shown is None:
            raise UsageError(f"no template id contains `{anatomy_of}` (ids are listed by "
                             "`promptlint audit --output-format json`)")
        _emit(shown, output_file, palette, silent)
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
        if not implicit.exists():  # a gate that compares with nothing would pass whatever changed
            raise key_error(config, "baseline", f"names {_shown(implicit)}, which does not exist; "
                            "write it with `promptlint audit --write-baseline`")
        compare_path = implicit
    if compare_path is not None:
        try:
            before = baseline.load(compare_path)
        except baseline.BaselineError as exc:
            raise UsageError(str(exc)) from None
    if traffic_file is not None and not usage_files:
        raise UsageError("--write-usage-traffic needs --usage FILE")
    usage = _usage_logs(usage_files)
    # the HTML report shows findings with their savings; the other audit formats only inventory
    select = () if fmt == "html" else ("PL001",)
    analysis = _analyze(targets, config, select=select, use_cache=not no_cache, show_progress=not silent,
                        usage=usage, usage_days=usage_days)
    _notices(analysis, silent)
    current = baseline.inventory(analysis)
    budgets = tuple((b.path, parse_max_increase(b.max_increase)) for b in config.budgets if b.max_increase)
    comparison = baseline.compare(before, current, limit, _shown(compare_path), budgets) if before is not None else None
    _emit(AUDIT_FORMATS[fmt](analysis, view, comparison=comparison), output_file, palette, silent)
    if traffic_file is not None:
        _write_usage_traffic(analysis, config, traffic_file)
    if write_path is not None:
        try:
            baseline.write(current, write_path)
        except OSError as exc:
            raise UsageError(f"cannot write baseline {_shown(write_path)}: {exc.strerror or exc}") from None
        if not silent:
            from promptlint.report import plural

            click.echo(f"promptlint: wrote baseline {_shown(write_path)} ({plural(len(analysis.project.requests), 'request')}, "
                       f"{plural(len(analysis.project.templates), 'template')})", err=True)
        sys.exit(EXIT_OK)
    _exit(comparison is not None and comparison.failed, exit_zero)


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
    from promptlint.report import plural

    click.echo(f"promptlint: wrote measured traffic of {plural(len(measured), 'request site')} to {_shown(path)}{hint}",
               err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@click.option("--unsafe-fixes", is_flag=True, help="Apply unsafe fixes too (they change what the model reads or how it is billed).")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of the fixes, write nothing; exit 1 when there is one.")
@selection_options
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Exit 1 when findings at or above this severity remain after fixing (default: warning).")
@click.option("--output-format", "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: every fix with its status, measured saving, safety and the reason it was "
                                      "not applied.")
@quiet_options
@scan_options
def fix(paths, unsafe_fixes, show_diff, select, extend_select, ignore, extend_ignore, fail_on, output_format, quiet,
        silent, exit_zero, config_file, no_cache, color, **overrides) -> None:
    """Apply safe fixes under PATHS; show unsafe ones as diffs with what they save.

    Only the rules in `fixable` (default: all) and not in `unfixable` are fixed.
    """
    from promptlint.fix import Fixer
    from promptlint.report.fixes import render_fix, render_fix_json

    _check_paths(paths)
    config = _config(paths, config_file, fail_on=fail_on, **overrides)
    palette = _palette(color, None)
    view = _view(config, palette, _detail(quiet))
    sel, ign = _selection(config, select, extend_select, ignore, extend_ignore)
    codes = _fixable(config, sel, ign)
    if not codes:
        if not silent:
            click.echo("Nothing to fix: no selected rule is fixable (see `fixable` and `unfixable`).", err=True)
        sys.exit(EXIT_OK)
    with showing_progress(not silent):
        fixer = Fixer(_paths(paths), config, codes, ign, unsafe=unsafe_fixes, use_cache=not no_cache)
        run = fixer.run(write=not show_diff)
    _notices(run.analysis, silent)
    if output_format == "json":
        out, err = render_fix_json(run, _view(config), show_diff, unsafe_fixes), ""
    else:
        out, err = render_fix(run, view, show_diff, unsafe_fixes)
        if quiet and not show_diff:
            from promptlint.fix import APPLIED
            from promptlint.report.fixes import fix_line

            out, err = "".join(fix_line(r, view) + "\n" for r in run.by_status(APPLIED)), ""
        from promptlint.escape import block

        # A diff piped to `git apply` must hold the file's own characters; on a terminal it
        # is shown like any other output.
        out, err = (out if show_diff and not sys.stdout.isatty() else block(out)), block(err)
    if not silent:
        click.echo(out, nl=False, color=palette.enabled)
        click.echo(err, nl=False, err=True, color=palette.enabled)
    if show_diff:
        _exit(bool(run.files), exit_zero)
    after = run.after or run.analysis
    _exit(bool(after.failing(config.fail_on) or run.refused), exit_zero)


@main.command()
@click.argument("source", required=False, type=click.Path(allow_dash=True, readable=False))
@click.option("--model", help="Model to count and price for (default: default-model).")
@click.option("--format", "--output-format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report format.")
@config_option
@click.option("--tokenizer", type=click.Choice(["offline", "anthropic"]), help="Token counter (default: offline).")
def count(source, model, output_format, config_file, tokenizer) -> None:
    """Tokens and input price of a text or template FILE (or - for stdin)."""
    from promptlint.counting import count_source

    if source is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("count needs a FILE, or `-` to read the text from stdin")
        source = "-"
    if source != "-":
        _check_paths((source,))
    config = _config((source,) if source != "-" else (), config_file, tokenizer=tokenizer)
    try:
        result = count_source(source, model or config.default_model, config)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{source}: {getattr(exc, 'strerror', None) or exc}") from None
    from promptlint.escape import json_dumps, line

    for warning in result["warnings"]:
        click.echo(line(f"promptlint: warning: {warning}"), err=True)
    if output_format == "json":
        click.echo(json_dumps(result, indent=2))
    else:
        from promptlint.report import fmt_int, fmt_usd, plural

        holes = f", {plural(len(result['placeholders']), 'placeholder')} not counted" if result["placeholders"] else ""
        click.echo(line(f"{plural(result['tokens'], 'token')} ({result['count']} for {result['model']}{holes}); "
                        f"{fmt_int(result['input_tokens'])} input tokens as one user message: "
                        f"{fmt_usd(result['usd_per_request'])}/request, "
                        f"{fmt_usd(result['usd_per_month'])}/month at {fmt_int(config.requests_per_month)} requests"))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@click.option("--model", "models", multiple=True,
              help="Count every template for this Claude model (repeatable; default: each template's own model).")
@click.option("--dry-run", is_flag=True, help="Report the ratios; write nothing.")
@click.option("--format", "--output-format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report format.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file to read and update.")
@click.option("--default-model", help="Model for templates no request uses.")
def calibrate(paths, models, dry_run, output_format, config_file, default_model) -> None:
    """Fit the offline counter to these prompts with count_tokens.

    Counts the templates under PATHS with the legacy BPE and exactly, and writes the ratio
    per tokenizer family to the config as `calibration`, which offline counts then use.
    """
    from promptlint.calibrate import config_target, measure_ratios, render
    from promptlint.config_edit import set_calibration

    _check_paths(paths)
    config = _config(paths, config_file, default_model=default_model)
    result = measure_ratios(_paths(paths), config, models)
    target, nested = config_target(config, _paths(paths))
    written = result.factors if not dry_run else {}
    if written:
        set_calibration(target, written, nested)
    from promptlint.escape import block, line

    if result.warning:
        click.echo(line(f"promptlint: warning: {result.warning}"), err=True)
    shown = ("[tool.promptlint] of " if nested else "") + _view(config).path(os.path.abspath(target))
    text = render(result, written, shown, output_format)
    click.echo(text if output_format == "json" else block(text), nl=False)


def _ruleset(config_file):
    """Every rule the configuration in force loads (built-in, rule-dirs, plugins)."""
    from promptlint.rules import load_rules

    return load_rules(_config((), config_file))


@main.command("rules")
@click.option("--format", "--output-format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report format.")
@config_option
def rules_command(output_format, config_file) -> None:
    """List every rule: code, name, severity, fixability, where it comes from."""
    from promptlint.escape import json_dumps, line

    ruleset = _ruleset(config_file)
    if output_format == "json":
        click.echo(json_dumps([{"code": r.code, "name": r.name, "severity": r.severity, "fix": r.fix,
                                "origin": r.origin, "summary": r.summary} for r in ruleset.rules], indent=2))
        return
    width = max((len(r.name) for r in ruleset.rules), default=10)
    click.echo(f"{'code':<6}  {'name'.ljust(width)}  {'severity':<8}  {'fix':<9}  summary")
    for r in ruleset.rules:
        origin = "" if r.origin == "builtin" else f"  [{r.origin}]"
        click.echo(line(f"{r.code:<6}  {r.name.ljust(width)}  {r.severity:<8}  {r.fix:<9}  {r.summary}{origin}"))
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
@config_option
def explain(code, config_file) -> None:
    """Show one rule's documentation (by code or name)."""
    from promptlint.report.sarif import rule_help

    ruleset = _ruleset(config_file)
    rule = ruleset.by_code(code)
    if rule is None:
        problem = ruleset.unknown(code) or ""
        hint = problem[problem.find(" (did you mean"):problem.find(";")] if "(did you mean" in problem else ""
        raise UsageError(f"no rule `{code}`{hint}; see `promptlint rules`")
    where = f"\n\nSet them under [tool.promptlint.rules.{rule.code}]." if rule.options else ""
    from promptlint.escape import block

    click.echo(block(f"# {rule.code} {rule.name} ({rule.severity}; fix: {rule.fix})\n\n{rule_help(rule)[1]}{where}\n"))


if __name__ == "__main__":  # pragma: no cover
    main()
