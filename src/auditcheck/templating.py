"""The one Jinja2 environment: sandboxed, strict about unknown names, with report filters.

Rule messages and category suggestions come from rule files that third parties
may write, so every template is rendered in Jinja2's sandbox; an unknown
variable is an error rather than an empty string.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

from jinja2 import PackageLoader, StrictUndefined, Template, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Folded YAML joins lines with a space; Chinese text joins them with nothing.
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
# Spaces around arithmetic signs are kept: "200.88 ÷ 预算资金217.36".
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+|(?<![\s÷×+−=→])\s+(?=[{_CJK}])")


def join_cjk(text: str) -> str:
    """Drop the white space that line folding leaves next to Chinese characters."""
    return _CJK_GAP.sub("", text)


_BLOCK_GAP = re.compile(r"(?<=%\})\s+|\s+(?=\{%)")


def fold_template(source: str) -> str:
    """A folded message template as written: no spaces from line folding, none around
    ``{% … %}`` blocks (a message is one Chinese sentence; blocks only choose its words)."""
    return _BLOCK_GAP.sub("", join_cjk(source.strip()))


def wan(value: float | None) -> str:
    """An amount in 万元 with two decimals, as reports print it: ``6223.15``."""
    return "—" if value is None else f"{value:,.2f}".replace(",", "")


def money(value: float | None) -> str:
    """An amount in 万元 as a report's sentence writes it: ``6223.15``, a whole ``15300``."""
    if value is None:
        return "—"
    text = wan(value)
    return text.removesuffix(".00")


def pct(value: float | None) -> str:
    """A percentage with two decimals and the sign: ``57.81%``."""
    return "—" if value is None else f"{value:.2f}%"


def num(value: float | None) -> str:
    """A count or measure without trailing zeros: ``83``, ``104.5``."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def figure(value: float | None, unit: str = "") -> str:
    """A figure with its unit: ``6223.15万元``, ``92.40%``, ``83个``."""
    if unit == "万元":
        return f"{wan(value)}万元"
    if unit == "%":
        return pct(value)
    return f"{num(value)}{unit}"


def gap(value: float | None, unit: str = "") -> str:
    """A difference between two figures: percentages differ by 个百分点, not by %."""
    return f"{num(value)}个百分点" if unit in ("%", "个百分点") else figure(value, unit)


def cn_date(value: date | str | None) -> str:
    """``2023-12-31`` (a date or its ISO text) → ``2023年12月31日``."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日"


@cache
def environment() -> ImmutableSandboxedEnvironment:
    """The shared sandboxed environment (created once per process)."""
    env = ImmutableSandboxedEnvironment(
        loader=PackageLoader("auditcheck", "render/templates"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        wan=wan, money=money, pct=pct, num=num, figure=figure, gap=gap, cn_date=cn_date
    )
    return env


@cache
def compile_template(source: str) -> Template:
    """Compile ``source`` once; raises ``jinja2.TemplateSyntaxError`` on bad syntax."""
    return environment().from_string(source)


def template_names(source: str) -> set[str]:
    """The variables a template reads (raises ``jinja2.TemplateSyntaxError`` on bad syntax)."""
    return meta.find_undeclared_variables(environment().parse(source))


def render(source: str, context: dict[str, Any]) -> str:
    """Render a template string; raises ``jinja2.UndefinedError`` on an unknown name."""
    return compile_template(source).render(context).strip()
