"""Lines the browsing commands print (rules list / show, explain, config show), and the lines
a run that could not complete ends with.

Rule files and records are text like any other input: every line goes through
:func:`~auditcheck.render.escape.log_line`.
"""

from __future__ import annotations

import io
import signal

import click
import yaml

from auditcheck.config import Config, ConfigError
from auditcheck.explain import Explanation
from auditcheck.output import OutputError
from auditcheck.parallel import WorkerFailed
from auditcheck.pipeline import EXIT_ERROR, SetupError
from auditcheck.render.escape import log_line
from auditcheck.rulebook.schema import CompiledRule

_OUTCOME = {True: "成立", False: "不成立", None: "缺数据，不成立"}


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


def config_lines(config: Config) -> list[str]:
    """The configuration file found and every setting it gives."""
    lines = [f"file: {config.path or '(none: built-in defaults)'}"]
    skip = ("params", "severity")
    lines += [f"{k} = {v!r}" for k, v in sorted(config.values.items()) if k not in skip]
    lines += [f"params.{p.rule}.{p.name} = {p.value!r}" for p in config.param_values()]
    lines += [f"severity.{name} = {level!r}" for name, level, _ in config.severity()]
    lines.append("flags override AUDITCHECK_* environment variables, which override the file.")
    return _safe(lines)


def last_words(exc: BaseException) -> list[str]:
    """What a run that stopped on ``exc`` says: a usage error as click words it, the signal
    that stopped it, or its located errors and one line saying what to do (one line, too,
    for what nobody foresaw). Never a traceback."""
    if isinstance(exc, click.ClickException):
        shown = io.StringIO()
        exc.show(file=shown)
        return _safe(shown.getvalue().rstrip("\n").split("\n"))
    if isinstance(exc, KeyboardInterrupt | click.exceptions.Abort):
        signum = getattr(exc, "signum", signal.SIGINT)
        if signum == signal.SIGINT:
            return ["auditcheck: interrupted"]
        return [f"auditcheck: stopped by {signal.Signals(signum).name}"]
    lines = [str(error) for error in getattr(exc, "errors", [])]  # a rulebook's, a waivers file's
    if isinstance(exc, SetupError | ConfigError | OutputError | WorkerFailed):
        lines.append(f"auditcheck: {exc}")
    elif isinstance(exc, OSError):  # standard output full or gone (`> /dev/full`)
        where = exc.filename or "standard output"
        lines.append(f"auditcheck: cannot write {where}: {exc.strerror}")
    else:
        lines.append(
            f"auditcheck: internal error: {type(exc).__name__}: {exc} (please report this)"
        )
    return [log_line(line) for line in lines]


def exit_status(exc: BaseException) -> int:
    """The exit code of a run that stopped on ``exc``: 128 + the signal's number when stopped
    from outside, else 2 (a usage error too; never 0 or 1)."""
    if isinstance(exc, KeyboardInterrupt | click.exceptions.Abort):
        return 128 + getattr(exc, "signum", signal.SIGINT)
    return EXIT_ERROR
