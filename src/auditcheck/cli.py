"""The command line: it parses, calls, prints once and exits. Nothing else lives here.

``main`` is the one place where a run ends: every outcome becomes an exit code
and at most one line. 0 clean; 1 findings at or above ``--fail-on``; 2 the check
could not complete (bad input, rulebook, settings, usage, output, or an internal
error — never a traceback); 128 + the signal when stopped (130 Ctrl-C, 143 SIGTERM, 129
SIGHUP); 141 standard output closed early.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, NoReturn

import click
from click.core import ParameterSource

from auditcheck import __version__, pipeline
from auditcheck.baseline import write_baseline
from auditcheck.check import RunResult
from auditcheck.config import Config, GivenPath, Megabytes, RulebookSpec, load_config, rulebook_spec
from auditcheck.draft import SECTIONS
from auditcheck.examples import run_rulebook_examples
from auditcheck.explain import explain
from auditcheck.output import open_output, refuse_overlap
from auditcheck.pipeline import EXIT_ERROR, Run, Sink, exit_code
from auditcheck.progress import Progress
from auditcheck.render import console
from auditcheck.render.console import say
from auditcheck.render.escape import log_line
from auditcheck.render.review import finish_review
from auditcheck.render.rule_pages import write_pages
from auditcheck.render.summary import summary_line
from auditcheck.render.writers import make_writer, use_colour
from auditcheck.review import SUBMITTED, Reviewing, sheet
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulelint import lint_rulebook
from auditcheck.vocabulary import describe as describe_fields
from auditcheck.waivers import today

FORMATS = click.Choice(["text", "json", "jsonl", "sarif", "junit", "github", "markdown"])
LEVELS = click.Choice(["error", "warning", "info"])
COLOURS = click.Choice(["auto", "always", "never"])
FILE = GivenPath(dir_okay=False, path_type=Path)
FOLDER = GivenPath(exists=True, file_okay=False, path_type=Path)
NEW_FOLDER = GivenPath(file_okay=False, path_type=Path)
BUNDLED = Path(__file__).parent / "rules"
MEGABYTES, JOBS = Megabytes(), click.IntRange(1, 64)
EXIT_PIPE = 141


def fail(message: str, errors: Any = ()) -> NoReturn:
    """Print located errors, then what to do, and end with exit code 2."""
    say(*errors, f"auditcheck: {message}")
    raise click.exceptions.Exit(EXIT_ERROR)


def config() -> Config:
    return click.get_current_context().find_object(Config) or Config()


def spec(o: dict[str, Any], only: str = "") -> RulebookSpec:
    """The rulebook the options ask for (``--param`` merged over the file key by key)."""
    ctx = click.get_current_context()
    sources = {ctx.get_parameter_source(k) for k in ("select", "ignore")}
    where = f"{config().path}: select/ignore" if ParameterSource.DEFAULT_MAP in sources else None
    given = (o.get(k, ()) for k in ("params", "select", "ignore"))
    return rulebook_spec(config(), o["rules_dir"], *given, only, where)


def make_run(paths: tuple[Path, ...], o: dict[str, Any], *outs: Path | None, only: str = "") -> Run:
    """A run from the checking options; outputs that would overwrite an input are refused."""
    given = pipeline.Suppressors(o["waivers"], o["baseline"], today())
    sources = pipeline.Sources(paths, int(o["max_file_size"] * 2**20))
    run = Run(spec(o, only), sources, given, o["jobs"])
    refuse_overlap(outs, [*run.inputs(), *filter(None, [config().path])])
    return run


def check(run: Run, sink: Callable[[Rulebook], Sink], quiet: bool, **kw: Any) -> RunResult:
    """Execute a run; print its notes and input errors once."""
    with Progress(enabled=not quiet and sys.stderr.isatty()) as progress:
        result = pipeline.execute(run, sink, on_progress=progress.advance, **kw)
    say(*result.notes, *result.errors)
    if result.records == 0 and not result.errors:
        say("auditcheck: no project records found in the given paths")
    return result


def options(*decorators: Callable[..., Any]) -> Callable[..., Any]:
    """All ``decorators`` as one, applied in the order given."""
    return lambda command: functools.reduce(lambda f, d: d(f), reversed(decorators), command)


def opt(names: str, env: str, text: str, **kw: Any) -> Callable[..., Any]:
    """An option (``names`` space-separated), its variable AUDITCHECK_<env>, its help."""
    env = f"AUDITCHECK_{env}" if env else ""
    shown = not isinstance(kw.get("default"), Path)  # not a path of this installation
    kw = {"show_default": shown, "show_envvar": bool(env), "envvar": env or None, **kw}
    return click.option(*names.split(), help=text, **kw)


RULES = opt("--rules rules_dir", "RULES", "Rules (default: bundled).", type=FOLDER, default=BUNDLED)
PARAM = opt("--param params", "PARAM", "e.g. low-execution-rate.threshold=85", multiple=True)
PATHS = click.argument("paths", nargs=-1, required=True, type=GivenPath(path_type=Path))
MAX_SIZE = opt("--max-file-size", "MAX_FILE_SIZE", "MB a file may have.", type=MEGABYTES, default=5)
CHECK = options(
    RULES,
    PARAM,
    opt("--select", "SELECT", "Only these rules, tag:TAGs, categories, dimensions.", multiple=True),
    opt("--ignore", "IGNORE", "Leave out rules, tag:TAGs, categories, dimensions.", multiple=True),
    opt("--waivers", "WAIVERS", "YAML file of waived findings.", type=FILE),
    opt("--baseline", "BASELINE", "Findings in this baseline do not fail the run.", type=FILE),
    opt("--jobs -j", "JOBS", "Worker processes; same output.", type=JOBS, default=1),
    opt("--quiet -q", "", "No progress bar on long runs.", is_flag=True),
    MAX_SIZE,
)
OUTPUT = options(
    opt("--format fmt", "", "Output format.", type=FORMATS, default="text"),
    opt("--output -o", "", "Write the report here (whole, or not at all).", type=FILE),
    opt("--fail-on", "FAIL_ON", "Lowest severity that fails.", type=LEVELS, default="error"),
    opt("--exit-zero", "", "Exit 0 on findings; 2 still means the check failed.", is_flag=True),
    opt("--show-waived", "", "Also show waived and baselined findings.", is_flag=True),
    opt("--color", "", "auto: at a terminal, without NO_COLOR.", type=COLOURS, default="auto"),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditcheck")
@opt("--config config_path", "CONFIG", "Default: auditcheck.toml, else pyproject.toml.", type=FILE)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Check budget-performance evaluation records (预算绩效评价) against the rulebook.

    Settings come from flags, then AUDITCHECK_* environment variables, then the
    configuration file; see `auditcheck config show`. Exit codes: 0 clean, 1
    findings at or above --fail-on, 2 the check could not complete, 130 Ctrl-C,
    143 SIGTERM, 129 SIGHUP.
    """
    ctx.obj = load_config(config_path)
    defaults = ctx.obj.command_defaults()
    ctx.default_map = dict.fromkeys(("run", "validate", "explain", "report", "convert"), defaults)
    ctx.default_map["baseline"] = {"write": defaults}
    ctx.default_map["rules"] = dict.fromkeys(("list", "show", "test", "check", "docs"), defaults)


def _checking(name: str, only: str, help_text: str, *extra: Callable[..., Any]) -> None:
    @cli.command(name, help=help_text)
    @PATHS
    @CHECK
    @OUTPUT
    @options(*extra)
    def command(paths: tuple[Path, ...], fmt: str, output: Path, **o: Any) -> None:
        run = make_run(paths, o, output, o.get("review"), only=only)
        with open_output(output) as out:
            baselined = run.suppressors.baseline is not None
            colour = use_colour(o["color"], output is None and sys.stdout.isatty())

            def make(book: Rulebook) -> Sink:
                return make_writer(fmt, out, book.rules, colour, o["show_waived"], baselined)

            review = Reviewing(make) if extra else None
            hooks = {"on_record": review.keep} if review else {}
            result = check(run, review or make, o["quiet"], keep_checked=fmt == "junit", **hooks)
        if output is not None:
            say(summary_line(result))
        say(*(finish_review(review, o["review"]) if review else []))
        raise click.exceptions.Exit(exit_code(result, o["fail_on"], o["exit_zero"]))


_checking("run", "", "Check the records in PATHS (batch folders or files) against every rule.")
REVIEW = opt("--review", "", "Also write a sheet per unit: .md, .html.", type=FILE, callback=sheet)
_checking("validate", SUBMITTED, "The gate for submitted data and forms (自评抽查复核).", REVIEW)


@cli.command("report")
@PATHS
@opt("--output -o", "", "The draft: .docx, .md or .html.", type=FILE, required=True)
@opt("--sections", "", f"Parts to write: {', '.join(SECTIONS)}.", default=",".join(SECTIONS))
@opt("--with-consistency", "", "Also list the 数据核对 findings in 三.", is_flag=True)
@CHECK
def report(paths: tuple[Path, ...], output: Path, sections: str, **o: Any) -> None:
    """Write a draft report: 一 table and grades, 二 projects, 三 problems and 改进建议."""
    drafting = pipeline.Drafting(output, sections, o["with_consistency"])
    result = check(make_run(paths, o, output), drafting, o["quiet"], on_record=drafting.keep)
    if exit_code(result, "error") == EXIT_ERROR:
        fail("the draft was not written: fix the errors above and rerun")
    traced = len(drafting.finish().traces())
    say(f"wrote {output}: {result.records} projects, {traced} findings in section 三")


@cli.group("baseline")
def baseline() -> None:
    """Record today's findings so that only new ones fail."""


@baseline.command("write")
@click.argument("file", type=FILE)
@PATHS
@CHECK
def baseline_write(file: Path, paths: tuple[Path, ...], **o: Any) -> None:
    """Write the fingerprints of the open findings on PATHS to FILE."""
    run = make_run(paths, {**o, "baseline": None}, file)
    result = check(run, lambda _: pipeline.Collect(), o["quiet"])
    if result.errors:
        fail("input errors: fix them before writing a baseline")
    click.echo(log_line(f"wrote {write_baseline(file, result.findings)} fingerprints to {file}"))


@cli.command("convert")
@click.argument("files", nargs=-1, required=True, type=FILE)
@opt("--output -o", "", "The batch folder to write.", type=NEW_FOLDER, required=True)
@opt("--region", "", "The batch's region (forms do not state it).")
@MAX_SIZE
def convert(files: tuple[Path, ...], output: Path, region: str | None, **o: Any) -> None:
    """Write forms (自评表, 绩效目标表: .xlsx, .xls, .docx) as a batch folder for `run`."""
    done = pipeline.convert(files, output, region, int(o["max_file_size"] * 2**20))
    say(*done.notes)
    say(f"wrote {output}: batch.yaml and {len(done.written) - 1} project record(s)")


@cli.command("explain")
@PATHS
@opt("--rule rule_id", "", "The rule to explain.", required=True)
@opt("--record record_id", "", "Only this record id.")
@RULES
@PARAM
def explain_command(paths: tuple[Path, ...], rule_id: str, record_id: str | None, **o: Any) -> None:
    """Show, for every fact the rule looks at, the values compared and whether it fired."""
    rulebook = pipeline.load_checker(spec(o)).rulebook
    rule = pipeline.rule_named(rulebook, rule_id)
    tally = console.ExplainTally()
    for to_stdout, text in tally.lines(rule, explain(paths, rulebook, rule, record_id)):
        (click.echo if to_stdout else say)(text)
    if tally.errors:
        raise click.exceptions.Exit(EXIT_ERROR)
    if tally.shown == 0:
        fail(f"no fact of the kinds this rule looks at in {record_id or 'the records'}")


@cli.group("rules")
def rules() -> None:
    """Browse, lint and test the rulebook."""


@rules.command("list")
@RULES
def rules_list(**o: Any) -> None:
    """One line per rule: id, category, severity (as configured), summary."""
    book = pipeline.load_checker(spec(o)).rulebook
    click.echo("\n".join(console.rule_line(rule) for rule in book.all_rules))


@rules.command("show")
@click.argument("rule_id")
@RULES
@PARAM
def rules_show(rule_id: str, **o: Any) -> None:
    """A rule's documentation, parameters, condition and examples."""
    rule = pipeline.rule_named(pipeline.load_checker(spec(o)).rulebook, rule_id)
    click.echo("\n".join(console.rule_lines(rule)))


@rules.command("test")
@RULES
def rules_test(rules_dir: Path) -> None:
    """Run every rule's examples with default parameters; a rule without both kinds fails."""
    reports = run_rulebook_examples(pipeline.load_checker(RulebookSpec(rules_dir)).rulebook)
    click.echo("\n".join(console.test_lines(reports)))
    raise click.exceptions.Exit(pipeline.EXIT_FINDINGS if not all(r.passed for r in reports) else 0)


@rules.command("check")
@RULES
def rules_check(rules_dir: Path) -> None:
    """Lint the rulebook: schema, conditions, messages, examples' coverage, sources."""
    book = pipeline.load_checker(RulebookSpec(rules_dir)).rulebook
    if errors := lint_rulebook(book):
        fail(f"{len(errors)} problem(s) in the rulebook; fix them and rerun", errors)
    click.echo(f"{len(book.all_rules)} rules in {len(book.categories)} categories: OK")


@rules.command("docs")
@RULES
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default="docs/rules")
def rules_docs(rules_dir: Path, folder: Path) -> None:
    """Write a page per rule into FOLDER: what it checks, why, its source, parameters, examples."""
    changed = write_pages(pipeline.load_checker(RulebookSpec(rules_dir)).rulebook, folder)
    click.echo(f"{len(changed)} page(s) written or removed in {folder}")


@rules.command("fields")
def rules_fields() -> None:
    """The fact fields conditions may use, per fact kind: type, meaning, where each comes from."""
    click.echo("\n".join(describe_fields()))


@cli.group("config")
def config_group() -> None:
    """Inspect the configuration in force."""


@config_group.command("show")
def config_show() -> None:
    """The configuration file found and the settings it gives."""
    click.echo("\n".join(console.config_lines(config())))


def _silence_stdout() -> None:
    # Whatever is still buffered for a closed or full stdout must not fail again at exit.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _invoke(args: list[str]) -> int:
    try:
        with cli.make_context("auditcheck", args) as ctx:
            cli.invoke(ctx)
        code = 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    sys.stdout.flush()  # a full or closed stdout shows here, not at interpreter exit
    return code


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line and exit with its code."""
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    try:
        with pipeline.interruptible():
            code = _invoke(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        _silence_stdout()
        code = EXIT_PIPE
    except (Exception, KeyboardInterrupt) as exc:  # the last boundary: never a traceback
        if isinstance(exc, OSError):  # standard output full or gone: stop writing to it
            _silence_stdout()
        with suppress(OSError):  # a terminal that hung up (SIGHUP) cannot show them
            say(*console.last_words(exc))
        code = console.exit_status(exc)
    sys.exit(code)
