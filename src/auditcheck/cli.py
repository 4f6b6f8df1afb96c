"""The command line: run, validate, explain, baseline, rules, config.

Exit codes: 0 no open finding at or above ``--fail-on``; 1 such findings; 2 the
check could not complete (bad input, bad rulebook, bad usage, nothing to check).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml

from auditcheck import __version__
from auditcheck.baseline import BaselineError, apply_baseline, read_baseline, write_baseline
from auditcheck.check import Checker, RunResult, run
from auditcheck.config import Config, ConfigError, load_config
from auditcheck.draft import SECTIONS, ProjectInfo, build_draft
from auditcheck.examples import run_rulebook_examples
from auditcheck.explain import Explanation, explain
from auditcheck.findings import Finding, Tally
from auditcheck.locate import LocatedError
from auditcheck.parallel import RulebookSpec, run_parallel
from auditcheck.progress import Progress
from auditcheck.records.load import LoadedRecord, iter_records
from auditcheck.records.model import Batch
from auditcheck.render.report_docx import write_docx
from auditcheck.render.report_text import render_report_html, render_report_markdown
from auditcheck.render.summary import summary_line
from auditcheck.render.writers import Writer, make_writer
from auditcheck.rulebook.load import Rulebook, RulebookError
from auditcheck.rulebook.schema import SEVERITY_RANK
from auditcheck.vocabulary import describe as describe_fields
from auditcheck.waivers import WaiverSet, load_waivers

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
BUNDLED_RULES = Path(__file__).parent / "rules"
FORMATS = ("text", "json", "jsonl", "sarif", "junit", "github", "markdown")
CONSISTENCY = "consistency"


def _fail(message: str) -> NoReturn:
    click.echo(f"auditcheck: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _parse_params(items: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        rule, dot, name = key.partition(".")
        if not sep or not dot or not rule or not name:
            _fail(
                f"--param {item!r}: write it as RULE.PARAM=VALUE, "
                "e.g. low-execution-rate.threshold=85"
            )
        overrides.setdefault(rule, {})[name] = value
    return overrides


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _spec(
    rules_dir: Path,
    params: tuple[str, ...],
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    only_dimension: str | None = None,
) -> RulebookSpec:
    """What rulebook to load: the config file's parameters, overridden key by key by ``--param``."""
    overrides = {rule: dict(values) for rule, values in _config().params.items()}
    for rule, values in _parse_params(params).items():
        overrides.setdefault(rule, {}).update(values)
    return RulebookSpec(rules_dir, overrides, _split(select), _split(ignore), only_dimension)


def _load(spec: RulebookSpec) -> Rulebook:
    try:
        return spec.load()
    except RulebookError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        _fail(f"the rulebook in {spec.folder} has {len(exc.errors)} error(s); fix them and rerun")


def _load_rules(
    rules_dir: Path,
    params: tuple[str, ...],
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> Rulebook:
    """The rulebook with the config file's parameters, overridden key by key by ``--param``."""
    return _load(_spec(rules_dir, params, select, ignore))


def _config() -> Config:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(Config) if ctx else None
    return obj or Config()


def _use_color(choice: str, to_file: bool) -> bool:
    if choice == "always":
        return True
    if choice == "never" or to_file or "NO_COLOR" in os.environ:
        return False
    return sys.stdout.isatty()


def _style(enabled: bool) -> Callable[..., str]:
    if enabled:
        return click.style
    return lambda text, **_: text


def _today() -> date:
    """Today, or AUDITCHECK_TODAY (YYYY-MM-DD) so that runs can be reproduced exactly."""
    fixed = os.environ.get("AUDITCHECK_TODAY")
    if not fixed:
        return date.today()
    try:
        return date.fromisoformat(fixed)
    except ValueError:
        _fail(f"AUDITCHECK_TODAY={fixed!r}: write the date as YYYY-MM-DD")


rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=BUNDLED_RULES,
    envvar="AUDITCHECK_RULES",
    show_default="the bundled rules/",
    help="Folder of rule files (categories.yaml + one YAML per category).",
)
param_option = click.option(
    "--param",
    "params",
    multiple=True,
    metavar="RULE.PARAM=VALUE",
    envvar="AUDITCHECK_PARAM",
    help="Override a rule parameter, e.g. low-execution-rate.threshold=85. Repeatable.",
)

_CHECK_OPTIONS = [
    rules_option,
    param_option,
    click.option(
        "--select",
        multiple=True,
        envvar="AUDITCHECK_SELECT",
        help="Only these rule ids, categories or dimensions (comma-separated).",
    ),
    click.option(
        "--ignore",
        multiple=True,
        envvar="AUDITCHECK_IGNORE",
        help="Leave out these rule ids, categories or dimensions (comma-separated).",
    ),
    click.option(
        "--waivers",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="AUDITCHECK_WAIVERS",
        help="YAML file of waived findings (rule, record, reason, owner, expires).",
    ),
    click.option(
        "--baseline",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="AUDITCHECK_BASELINE",
        help="Baseline file: findings in it are reported but do not fail the run.",
    ),
    click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        envvar="AUDITCHECK_JOBS",
        help="Worker processes; the output is the same as with one (JUnit and reports use one).",
    ),
    click.option("-q", "--quiet", is_flag=True, help="No progress bar on long runs."),
    click.option(
        "--max-file-size",
        type=click.FloatRange(min=0, min_open=True),
        default=5,
        show_default=True,
        envvar="AUDITCHECK_MAX_FILE_SIZE",
        metavar="MB",
        help="Refuse record files larger than this many megabytes.",
    ),
]
_OUTPUT_OPTIONS = [
    click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True),
    click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the report here.",
    ),
    click.option(
        "--fail-on",
        type=click.Choice(["error", "warning", "info"]),
        default="error",
        show_default=True,
        envvar="AUDITCHECK_FAIL_ON",
        help="Lowest severity that makes the exit code 1.",
    ),
    click.option(
        "--exit-zero", is_flag=True, help="Report findings but exit 0 unless the check failed."
    ),
    click.option("--show-waived", is_flag=True, help="Also show waived and baselined findings."),
    click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Colour in text output; auto means only on a terminal and without NO_COLOR.",
    ),
]


def _with(options: list[Callable[..., Any]]) -> Callable[..., Any]:
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


@dataclass
class Checked:
    """A finished check: the rulebook used and the result."""

    rulebook: Rulebook
    result: RunResult


def _suppressor(
    waivers: Path | None, baseline: Path | None
) -> tuple[Callable[[list[Finding]], list[Finding]], Callable[[], list[Finding]]]:
    """Waivers and baseline as a function over each record's findings, plus end-of-run notices."""
    waiver_set = None
    if waivers is not None:
        try:
            waiver_set = WaiverSet(load_waivers(waivers), _today())
        except LocatedError as exc:
            click.echo(str(exc), err=True)
            _fail(f"the waivers file {waivers} cannot be used; fix it and rerun")
    known: set[str] | None = None
    if baseline is not None:
        try:
            known = read_baseline(baseline)
        except BaselineError as exc:
            _fail(str(exc))

    def apply(findings: list[Finding]) -> list[Finding]:
        if waiver_set is not None:
            findings = waiver_set.apply(findings)
        return apply_baseline(findings, known) if known is not None else findings

    def notices() -> list[Finding]:
        return waiver_set.notices() if waiver_set is not None else []

    return apply, notices


def _check(
    paths: tuple[Path, ...],
    rules_dir: Path,
    params: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    waivers: Path | None,
    baseline: Path | None,
    max_file_size: float,
    jobs: int,
    quiet: bool,
    only_consistency: bool = False,
    on_record: Callable[[LoadedRecord], None] | None = None,
    writer: Callable[[Rulebook], Writer] | None = None,
    keep_checked: bool = False,
) -> Checked:
    """Load the rulebook, check PATHS, and pass each record's findings through
    waivers, baseline and the tally to ``writer`` (or collect them in the result)."""
    spec = _spec(rules_dir, params, select, ignore, CONSISTENCY if only_consistency else None)
    rulebook = _load(spec)
    if not rulebook.rules:
        _fail("no rules selected; check --select/--ignore")
    suppress, notices = _suppressor(waivers, baseline)
    tally = Tally()
    collected: list[Finding] = []
    sink = writer(rulebook) if writer is not None else None

    def on_findings(findings: list[Finding]) -> None:
        findings = tally.add(suppress(findings))
        if sink is not None:
            sink.write(findings)
        else:
            collected.extend(findings)

    max_bytes = int(max_file_size * 1024 * 1024)
    with Progress(enabled=not quiet and sys.stderr.isatty()) as progress:
        if jobs > 1 and on_record is None and not keep_checked:
            result = run_parallel(
                paths, spec, rulebook, jobs, max_bytes, on_findings, progress.advance
            )
        else:
            items = progress.count(iter_records(paths, max_bytes))
            result = run(items, Checker(rulebook), on_record, on_findings, keep_checked)
    on_findings(notices())
    result.tally = tally
    result.findings = collected
    for error in result.errors:
        click.echo(str(error), err=True)
    if sink is not None:
        sink.close(result)
    return Checked(rulebook, result)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditcheck")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="AUDITCHECK_CONFIG",
    help="Configuration file (default: auditcheck.toml, else pyproject.toml [tool.auditcheck]).",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Check budget-performance evaluation records (预算绩效评价) against the rulebook.

    Settings come from flags, then AUDITCHECK_* environment variables, then the
    configuration file; see `auditcheck config show`.
    """
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        _fail(str(exc))
    ctx.obj = config
    defaults = config.command_defaults()
    ctx.default_map = {
        "run": defaults,
        "validate": defaults,
        "explain": defaults,
        "baseline": {"write": defaults},
        "report": defaults,
        "rules": {name: defaults for name in ("list", "show", "test", "check")},
    }


def _checking_command(name: str, only_consistency: bool, help_text: str) -> None:
    """Register `run` or `validate`: the same options, output and exit codes.

    Findings stream in ``--format`` to stdout or ``--output``; then the process exits.
    """

    @main.command(name, help=help_text)
    @click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
    @_with(_CHECK_OPTIONS + _OUTPUT_OPTIONS)
    def command(
        paths: tuple[Path, ...],
        fmt: str,
        output: Path | None,
        fail_on: str,
        exit_zero: bool,
        show_waived: bool,
        color: str,
        **check: Any,
    ) -> None:
        style = _style(_use_color(color, output is not None))
        handle = output.open("w", encoding="utf-8") if output is not None else sys.stdout
        try:
            checked = _check(
                paths,
                **check,
                only_consistency=only_consistency,
                writer=lambda rulebook: make_writer(
                    fmt, handle, rulebook.rules, style, show_waived, check["baseline"] is not None
                ),
                keep_checked=fmt == "junit",
            )
        finally:
            if output is not None:
                handle.close()
        if output is not None:
            click.echo(summary_line(checked.result), err=True)
        code = exit_code(checked.result, fail_on)
        sys.exit(EXIT_OK if exit_zero and code == EXIT_FINDINGS else code)


_checking_command(
    "run",
    False,
    """Check the records in PATHS (batch folders or record files) against every rule.

    Input errors are printed as FILE:LINE:COL: FIELD: MESSAGE on stderr; the other
    records are still checked. Exit code: 0 clean, 1 open findings at or above
    --fail-on, 2 the check could not complete.
    """,
)
_checking_command(
    "validate",
    True,
    """Gate for submitted data: schema errors and cross-checks of stated figures only.

    No judgement rules run. Same output formats and exit codes as `run`; use
    --fail-on warning to fail on any figure that does not add up.
    """,
)


@main.command("explain")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rule", "rule_id", required=True, help="The rule to explain.")
@click.option("--record", "record_id", help="Only this record id.")
@rules_option
@param_option
def explain_command(
    paths: tuple[Path, ...],
    rule_id: str,
    record_id: str | None,
    rules_dir: Path,
    params: tuple[str, ...],
) -> None:
    """Show, for every fact the rule looks at, the values compared and whether it fired."""
    rulebook = _load_rules(rules_dir, params)
    rule = rulebook.rule(rule_id)
    if rule is None:
        _fail(f"no rule '{rule_id}'; see `auditcheck rules list`")
    click.echo(f"{rule.id}: {rule.rule.summary}")
    for kind in rule.rule.applies_to:
        click.echo(f"  条件 [{kind}]: {' '.join(rule.rule.condition_for(kind).split())}")
    for name, value in rule.params.items():
        click.echo(f"  参数 {name} = {value}")
    shown = fired = errors = 0
    for item in explain(paths, rulebook, rule, record_id):
        if isinstance(item, LocatedError):
            errors += 1
            click.echo(str(item), err=True)
            continue
        shown += 1
        fired += item.fired
        click.echo(_explanation(item))
    click.echo(f"{shown} 条事实，{fired} 条触发。")
    if errors:
        sys.exit(EXIT_ERROR)
    if shown == 0:
        _fail(
            "no fact of the kinds this rule looks at"
            + (f" in record '{record_id}'" if record_id else "")
        )


def _explanation(item: Explanation) -> str:
    mark = "触发" if item.fired else "未触发"
    lines = [f"\n{item.location}  {item.record} [{item.kind}] {item.label}  → {mark}"]
    for c in item.comparisons:
        outcome = {True: "成立", False: "不成立", None: "缺数据，不成立"}[c.outcome]
        lines.append(f"    {c.text}  ({outcome})")
    return "\n".join(lines)


REPORT_SUFFIXES = (".docx", ".md", ".html")


@main.command("report")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The draft to write; its suffix picks the format: .docx, .md or .html.",
)
@click.option(
    "--sections",
    default=",".join(SECTIONS),
    show_default=True,
    help="Which parts to write: summary (一、明细表和评价结果), projects (二), problems (三).",
)
@click.option(
    "--with-consistency", is_flag=True, help="Also list the 数据核对 findings in section 三."
)
@_with(_CHECK_OPTIONS)
def report_command(
    paths: tuple[Path, ...], output: Path, sections: str, with_consistency: bool, **check: Any
) -> None:
    """Write a draft evaluation report from the records and the findings.

    Section 三 follows the report's shape: for each dimension, each heading with
    findings, numbered examples per project, then 改进建议. Waived and baselined
    findings are left out. Exit code 2 when the check could not complete.
    """
    if output.suffix not in REPORT_SUFFIXES:
        _fail(f"{output}: the suffix picks the format; use one of {', '.join(REPORT_SUFFIXES)}")
    chosen = tuple(s.strip() for s in sections.split(",") if s.strip())
    if unknown := sorted(set(chosen) - set(SECTIONS)):
        _fail(f"--sections: unknown {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    projects: list[ProjectInfo] = []
    batches: list[Batch] = []

    def keep(record: LoadedRecord) -> None:
        projects.append(ProjectInfo.of(record))
        if record.batch is not None and not batches:
            batches.append(record.batch)

    checked = _check(paths, **check, on_record=keep)
    for error in checked.result.errors:
        click.echo(str(error), err=True)
    code = exit_code(checked.result, "error")
    if code == EXIT_ERROR:
        _fail("the draft was not written: fix the errors above and rerun")
    draft = build_draft(
        batches[0] if batches else None,
        projects,
        checked.result.findings,
        checked.rulebook,
        tuple(s for s in SECTIONS if s in chosen),
        with_consistency,
    )
    if output.suffix == ".docx":
        write_docx(draft, output)
    elif output.suffix == ".md":
        output.write_text(render_report_markdown(draft), encoding="utf-8")
    else:
        output.write_text(render_report_html(draft), encoding="utf-8")
    traced = len(draft.traces())
    click.echo(
        f"wrote {output}: {len(projects)} projects, {traced} findings in section 三", err=True
    )


@main.group("baseline")
def baseline_group() -> None:
    """Record today's findings so that only new ones fail."""


@baseline_group.command("write")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_with(_CHECK_OPTIONS)
def baseline_write(file: Path, paths: tuple[Path, ...], **check: Any) -> None:
    """Write the fingerprints of the open findings on PATHS to FILE."""
    check["baseline"] = None
    checked = _check(paths, **check)
    for error in checked.result.errors:
        click.echo(str(error), err=True)
    if checked.result.errors:
        _fail("input errors: fix them before writing a baseline")
    count = write_baseline(file, checked.result.findings)
    click.echo(f"wrote {count} finding fingerprints to {file}")


def exit_code(result: RunResult, fail_on: str) -> int:
    """2 when the check could not complete, 1 for open findings at or above ``fail_on``, else 0."""
    if result.errors or result.records == 0 or result.rules == 0:
        if result.records == 0 and not result.errors:
            click.echo("auditcheck: no project records found in the given paths", err=True)
        return EXIT_ERROR
    floor = SEVERITY_RANK[fail_on]
    if any(n and SEVERITY_RANK[s] >= floor for s, n in result.tally.open.items()):
        return EXIT_FINDINGS
    return EXIT_OK


@main.group("rules")
def rules_group() -> None:
    """Browse, lint and test the rulebook."""


@rules_group.command("list")
@rules_option
def rules_list(rules_dir: Path) -> None:
    """One line per rule: id, category, severity, summary."""
    rulebook = _load_rules(rules_dir, ())
    for rule in rulebook.rules:
        click.echo(f"{rule.id:32} {rule.category.id:26} {rule.rule.severity:8} {rule.rule.summary}")


@rules_group.command("show")
@click.argument("rule_id")
@rules_option
@param_option
def rules_show(rule_id: str, rules_dir: Path, params: tuple[str, ...]) -> None:
    """A rule's documentation, parameters, condition and examples."""
    rulebook = _load_rules(rules_dir, params)
    rule = rulebook.rule(rule_id)
    if rule is None:
        _fail(f"no rule '{rule_id}'; see `auditcheck rules list`")
    r = rule.rule
    click.echo(f"{r.id} — {r.summary}")
    click.echo(f"类别: {rule.category.title} ({rule.category.id}, {rule.dimension.title})")
    click.echo(
        f"级别: {r.severity}    适用: {', '.join(r.applies_to)}    定义: {rule.file}:{rule.line}"
    )
    click.echo(f"\n{r.doc.rstrip()}\n")
    for name, p in r.params.items():
        click.echo(f"参数 {name} = {rule.params[name]} (默认 {p.default}): {p.doc}")
    for kind in r.applies_to:
        click.echo(f"条件 [{kind}]: {r.condition_for(kind).strip()}")
    for expect in ("fire", "quiet"):
        for example in getattr(r.examples, expect):
            text = yaml.safe_dump(example, allow_unicode=True, default_flow_style=True).strip()
            click.echo(f"示例 {expect}: {text}")


@rules_group.command("test")
@rules_option
def rules_test(rules_dir: Path) -> None:
    """Run every rule's examples; a rule without both kinds of example fails."""
    rulebook = _load_rules(rules_dir, ())
    reports = run_rulebook_examples(rulebook)
    for report in reports:
        mark = "PASS" if report.passed else "FAIL"
        click.echo(f"{mark}  {report.rule.id}")
        for failure in report.failures:
            click.echo(f"      {report.rule.file}:{report.rule.line}: {failure}")
    failed = sum(not r.passed for r in reports)
    click.echo(f"{len(reports) - failed} passed, {failed} failed")
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


@rules_group.command("check")
@rules_option
def rules_check(rules_dir: Path) -> None:
    """Lint the rulebook only: schema, categories, conditions, templates."""
    rulebook = _load_rules(rules_dir, ())
    click.echo(f"{len(rulebook.all_rules)} rules in {len(rulebook.categories)} categories: OK")


@rules_group.command("fields")
def rules_fields() -> None:
    """The fact fields conditions may use, per fact kind: type, meaning, where each comes from."""
    for line in describe_fields():
        click.echo(line)


@main.group("config")
def config_group() -> None:
    """Inspect the configuration in force."""


@config_group.command("show")
def config_show() -> None:
    """The configuration file found and the settings it gives."""
    config = _config()
    click.echo(f"file: {config.path or '(none: built-in defaults)'}")
    for key, value in sorted(config.values.items()):
        if key != "params":
            click.echo(f"{key} = {value!r}")
    for rule, values in sorted(config.params.items()):
        for name, value in sorted(values.items()):
            click.echo(f"params.{rule}.{name} = {value!r}")
    click.echo("flags override AUDITCHECK_* environment variables, which override the file.")
