"""Lines the commands print: on stderr (:func:`say`), the browsing commands' (rules list /
show / test, explain, config show), and the last words of a run that could not complete.

Rule files and records are text like any other input: every line goes through
:func:`~auditcheck.render.escape.log_line`.
"""

from __future__ import annotations

import io
import signal
from collections.abc import Iterable, Iterator

import click
import yaml

from auditcheck.config import Config, ConfigError
from auditcheck.examples import RuleReport
from auditcheck.explain import Explanation
from auditcheck.locate import LocatedError
from auditcheck.output import OutputError
from auditcheck.parallel import WorkerFailed
from auditcheck.pipeline import EXIT_ERROR, SetupError
from auditcheck.render.escape import log_line
from auditcheck.rulebook.schema import CompiledRule

_OUTCOME = {True: "成立", False: "不成立", None: "缺数据，不成立"}


def say(*lines: object) -> None:
    """Lines on stderr, each with nothing in it a terminal or a CI log would act on."""
    for line in lines:
        click.echo(log_line(str(line)), err=True)


def last_words(exc: BaseException) -> list[str]:
    """What a run that stopped on ``exc`` says: a usage error as click words it, the signal
    that stopped it, or its located errors and one line saying what to do (one line, too,
    for what nobody foresaw). Never a traceback."""
    if isinstance(exc, click.ClickException):
        shown = io.StringIO()
        exc.show(file=shown)
        return shown.getvalue().rstrip("\n").split("\n")
    if isinstance(exc, KeyboardInterrupt | click.exceptions.Abort):
        signum = getattr(exc, "signum", signal.SIGINT)
        if signum == signal.SIGINT:
            return ["auditcheck: interrupted"]
        return [f"auditcheck: stopped by {signal.Signals(signum).name}"]
    lines = [str(error) for error in getattr(exc, "errors", [])]  # a rulebook's, a form's …
    if isinstance(exc, SetupError | ConfigError | OutputError | WorkerFailed):
        return [*lines, f"auditcheck: {exc}"]
    if isinstance(exc, OSError):  # standard output full or gone (`> /dev/full`)
        where = exc.filename or "standard output"
        return [*lines, f"auditcheck: cannot write {where}: {exc.strerror}"]
    return [*lines, f"auditcheck: internal error: {type(exc).__name__}: {exc} (please report this)"]


def exit_status(exc: BaseException) -> int:
    """The exit code of a run that stopped on ``exc``: 128 + the signal's number when stopped
    from outside, else 2 (a usage error too; never 0 or 1)."""
    if isinstance(exc, KeyboardInterrupt | click.exceptions.Abort):
        return 128 + getattr(exc, "signum", signal.SIGINT)
    return EXIT_ERROR


def _safe(lines: list[str]) -> list[str]:
    return [log_line(part) for line in lines for part in line.split("\n")]


def rule_line(rule: CompiledRule) -> str:
    """id, category, severity in force, summary."""
    r = rule.rule
    return log_line(f"{r.id:32} {rule.category.id:26} {r.severity:8} {r.summary}")


def rule_lines(rule: CompiledRule) -> list[str]:
    """A rule's documentation, parameters, conditions and examples."""
    r = rule.rule
    lines = [
        f"{r.id} — {r.summary}",
        f"类别: {rule.category.title} ({rule.category.id}, {rule.dimension.title})",
        f"级别: {r.severity}    适用: {', '.join(r.applies_to)}    定义: {rule.file}:{rule.line}",
        "",
        r.doc.rstrip(),
        "",
    ]
    lines += [
        f"参数 {n} = {rule.params[n]} (默认 {p.default}): {p.doc}" for n, p in r.params.items()
    ]
    lines += [f"条件 [{kind}]: {r.condition_for(kind).strip()}" for kind in r.applies_to]
    for expect in ("fire", "quiet"):
        for example in getattr(r.examples, expect):
            text = yaml.safe_dump(example, allow_unicode=True, default_flow_style=True).strip()
            lines.append(f"示例 {expect}: {text}")
    return _safe(lines)


def explain_header(rule: CompiledRule) -> list[str]:
    """The rule, its conditions and the parameter values in force."""
    r = rule.rule
    lines = [f"{r.id}: {r.summary}"]
    lines += [f"  条件 [{k}]: {' '.join(r.condition_for(k).split())}" for k in r.applies_to]
    lines += [f"  参数 {name} = {value}" for name, value in rule.params.items()]
    return _safe(lines)


def explanation_lines(item: Explanation) -> list[str]:
    """One fact: where it stands, whether the rule fired, each comparison's outcome."""
    mark = "触发" if item.fired else "未触发"
    lines = ["", f"{item.location}  {item.record} [{item.kind}] {item.label}  → {mark}"]
    lines += [f"    {c.text}  ({_OUTCOME[c.outcome]})" for c in item.comparisons]
    return _safe(lines)


class ExplainTally:
    """``explain``'s output: each fact's lines (stdout), input errors (stderr), and the count."""

    def __init__(self) -> None:
        self.shown = self.fired = self.errors = 0

    def lines(
        self, rule: CompiledRule, items: Iterable[Explanation | LocatedError]
    ) -> Iterator[tuple[bool, str]]:
        """(to standard output?, text): the rule, each item, then the count of facts."""
        yield True, "\n".join(explain_header(rule))
        for item in items:
            if isinstance(item, LocatedError):
                self.errors += 1
                yield False, str(item)
            else:
                self.shown, self.fired = self.shown + 1, self.fired + item.fired
                yield True, "\n".join(explanation_lines(item))
        yield True, f"{self.shown} 条事实，{self.fired} 条触发。"


def config_lines(config: Config) -> list[str]:
    """The configuration file found and every setting it gives."""
    lines = [f"file: {config.path or '(none: built-in defaults)'}"]
    skip = ("params", "severity")
    lines += [f"{k} = {v!r}" for k, v in sorted(config.values.items()) if k not in skip]
    lines += [f"params.{p.rule}.{p.name} = {p.value!r}" for p in config.param_values()]
    lines += [f"severity.{name} = {level!r}" for name, level, _ in config.severity()]
    if chosen := config.preset():
        name, preset = chosen
        lines.append(f"preset {name}: {preset.doc}; leaves out {', '.join(preset.ignore)}")
    lines.append("flags override AUDITCHECK_* environment variables, which override the file.")
    return _safe(lines)


def test_lines(reports: list[RuleReport]) -> list[str]:
    """``rules test``: PASS or FAIL per rule, each problem at the rule's file and line, totals."""
    lines = []
    for report in reports:
        lines.append(f"{'PASS' if report.passed else 'FAIL'}  {report.rule.id}")
        for failure in [*report.failures, *report.uncovered]:
            lines.append(log_line(f"      {report.rule.file}:{report.rule.line}: {failure}"))
    failed = sum(not r.passed for r in reports)
    return [*lines, f"{len(reports) - failed} passed, {failed} failed"]
