"""The one Jinja2 environment: sandboxed, strict about unknown names, with report filters.

Rule messages and category suggestions come from rule files that third parties
may write, so every template is rendered in Jinja2's sandbox; an unknown
variable is an error rather than an empty string. The sandbox keeps templates
from Python's internals but not from memory: ``{{ 'x' * 3000000000 }}`` is
refused by :class:`Sandbox`. Messages are held to what a sentence needs (fields,
filters, ``if``, ``for``), checked when they are compiled, and what one rendering
may do is bounded: :data:`MAX_TURNS` loop turns, texts of :data:`MAX_SIZE` and a
message of :data:`MAX_MESSAGE` characters, each beyond what its data holds. A
long project name or evidence quoted in a message is the record's, and never makes
the message fail; a template that multiplies text or work does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from jinja2 import PackageLoader, StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import missing

MAX_SIZE = 100_000  # the longest text or list an operator may build
MAX_MESSAGE = 10_000  # characters in one rendered message: far more than a sentence
MAX_TURNS = 10_000  # loop turns in one rendering: a sentence lists a few items
# Builtin filters a message may use besides the report filters; none of them can
# build something much larger than its input (``center``, ``indent``, ``replace``,
# ``format`` and ``wordwrap`` can, so they are left out).
SAFE_FILTERS = {
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "first",
    "float",
    "int",
    "join",
    "last",
    "length",
    "lower",
    "max",
    "min",
    "round",
    "string",
    "sum",
    "title",
    "trim",
    "upper",
}
_DISALLOWED = (nodes.Call, nodes.Macro, nodes.CallBlock, nodes.Import, nodes.FromImport)
_DISALLOWED += (nodes.Include, nodes.Extends, nodes.FilterBlock)


def _data_size(context: dict[str, Any]) -> int:
    """How much data a message is rendered from: characters of its values, items of its lists."""
    size, stack = 0, list(context.values())
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, dict):
            size += len(value)
            stack.extend(value.values())
        elif isinstance(value, list | tuple | set | frozenset):
            size += len(value)
            stack.extend(value)
        else:
            size += len(str(value))
    return size


class _Budget:
    """What one rendering may do: a fixed allowance, plus as much again as its data holds."""

    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context
        self._data: int | None = None
        self.turns = 0

    def allows(self, amount: int, allowance: int) -> bool:
        if amount <= allowance:
            return True
        if self._data is None:  # measured only when the allowance is passed
            self._data = _data_size(self.context)
        return amount <= allowance + self._data

    def turn(self) -> None:
        self.turns += 1
        if not self.allows(self.turns, MAX_TURNS):
            raise SecurityError(f"the loops take more than {MAX_TURNS} turns; loop over less")


_BUDGET: ContextVar[_Budget | None] = ContextVar("message_budget", default=None)


def _turns(items: Iterable[Any]) -> Iterator[Any]:
    """A loop's items, each turn counted against the rendering's budget."""
    budget = _BUDGET.get()
    for item in items:
        if budget is not None:
            budget.turn()
        yield item


def _sized(value: Any) -> Any:
    """A text or list an operator built, refused when it is much larger than the data."""
    budget = _BUDGET.get()
    size = len(value) if isinstance(value, str | list | tuple) else 0
    if budget is not None and not budget.allows(size, MAX_SIZE):
        raise SecurityError(f"joining makes more than {MAX_SIZE} items")
    return value


def _digits(base: Any, exponent: Any) -> float:
    """About how many digits ``base ** exponent`` has (0 when either is not a number)."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (base, exponent))
    if not numbers or abs(base) <= 1:
        return 0.0
    return abs(exponent) * math.log10(abs(base))


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, with repetition, joining and formatting bounded in size."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``*``, ``**``, ``%`` and ``+`` as usual, unless the result would be enormous."""
        sizes = [(a, b) for a, b in ((left, right), (right, left)) if isinstance(a, str | list)]
        if operator == "*" and any(isinstance(n, int) and len(a) * n > MAX_SIZE for a, n in sizes):
            raise SecurityError(f"repeating makes more than {MAX_SIZE} items")
        if operator == "**" and _digits(left, right) > 1000:
            raise SecurityError("the power has more than a thousand digits")
        if operator == "%" and isinstance(left, str):
            raise SecurityError("text formatting with % is not allowed; use the filters")
        result = super().call_binop(context, operator, left, right)
        return _sized(result) if operator == "+" else result


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
    return "—" if value is None else f"{value:.2f}"


def money(value: float | None) -> str:
    """An amount in 万元 as a report's sentence writes it: ``6223.15``, a whole ``15300``."""
    # wan's text, written here: a filter is called for each figure of each message
    return "—" if value is None else f"{value:.2f}".removesuffix(".00")


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


_REPORT_FILTERS = {
    "wan": wan,
    "money": money,
    "pct": pct,
    "num": num,
    "figure": figure,
    "gap": gap,
    "cn_date": cn_date,
}


@cache
def environment() -> Sandbox:
    """The shared sandboxed environment (created once per process)."""
    env = Sandbox(
        loader=PackageLoader("auditcheck", "render/templates"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(_REPORT_FILTERS)
    env.filters.update(_turns=_turns, _sized=_sized)
    return env


@dataclass(frozen=True)
class _Message:
    """A message's template with what its one parse tells: the names it reads, and whether it
    has a loop, a join (``~``) or a ``+``, the parts the rendering's budget bounds (without
    them the message's length is the one bound left, and it can be checked on the result)."""

    template: Template
    names: frozenset[str]
    budgeted: bool


@cache
def _message(source: str) -> _Message:
    env = environment()
    tree = env.parse(source)
    allowed = SAFE_FILTERS | set(_REPORT_FILTERS)
    budgeted = False
    for node in tree.find_all(nodes.Node):
        if isinstance(node, _DISALLOWED):
            what = type(node).__name__.lower()
            raise TemplateSyntaxError(f"a message cannot use {what}; use fields and filters", 1)
        if isinstance(node, nodes.Filter) and node.name not in allowed:
            names = ", ".join(sorted(allowed))
            raise TemplateSyntaxError(f"filter '{node.name}' is not allowed; use {names}", 1)
        budgeted = budgeted or isinstance(node, nodes.For | nodes.Concat | nodes.Add)
    names = frozenset(meta.find_undeclared_variables(tree))
    # Loops and joins (~) pass through the budget's filters; the names cannot be written in
    # a message (checked above), only put here.
    for loop in list(tree.find_all(nodes.For)):
        loop.iter = _bounded(loop.iter, "_turns")
    for join in list(tree.find_all(nodes.Concat)):
        join.nodes = [_bounded(nodes.Concat(join.nodes, lineno=join.lineno), "_sized")]
    template = env.from_string(tree)
    # A plain dict rather than Jinja's ChainMap over the environment's globals (which never
    # change): each rendering copies them into its context, and a ChainMap is slow to copy.
    template.globals = dict(template.globals)
    return _Message(template, names, budgeted)


def compile_template(source: str) -> Template:
    """Compile a message once; raises ``jinja2.TemplateSyntaxError`` on bad syntax and on
    what a message may not do (calls, macros, includes, filters outside the list)."""
    return _message(source).template


def _bounded(node: nodes.Expr, filter_name: str) -> nodes.Filter:
    bounded = nodes.Filter(node, filter_name, [], [], None, None, lineno=node.lineno)
    return bounded.set_environment(environment())


def template_names(source: str) -> frozenset[str]:
    """The variables a message reads (raises ``jinja2.TemplateSyntaxError`` as
    :func:`compile_template` does)."""
    return _message(source).names


def render(source: str, context: dict[str, Any]) -> str:
    """Render a message; raises ``jinja2.UndefinedError`` on an unknown name, SecurityError
    when its loops, joins or length pass their bounds (beyond what the data holds)."""
    message = _message(source)
    template = message.template
    if not message.budgeted:
        text = _unbounded(template, context)
        if text is not None:
            return text
    return _budgeted(template, context)


def _unbounded(template: Template, context: dict[str, Any]) -> str | None:
    """A message without loops, joins or ``+`` rendered without the budget's bookkeeping;
    None when it fails or is too long, for :func:`_budgeted` to fail the same way (a
    rendering depends on its values alone) or to allow the length the data holds."""
    try:
        text = "".join(template.root_render_func(_context(template, context)))
    except Exception:
        return None
    return text.strip() if len(text) <= MAX_MESSAGE else None


class Values(dict[str, Any]):
    """A message's values, as its rendering reads them: a name not among them is Jinja's
    ``missing`` (what ``Context.resolve_or_missing`` gives), found by the dict's own lookup."""

    def __missing__(self, key: str) -> Any:
        return missing


def _context(template: Template, values: dict[str, Any]) -> Context:
    """What ``Template.generate`` renders in, less two copies of the values and two calls: a
    message can call nothing, so the environment's globals (range, dict …) are neither in it
    nor named for imports (which a message cannot make), and ``values`` are shared, not copied
    (unless they are a plain dict)."""
    env = template.environment
    names = values if isinstance(values, Values) else Values(values)
    context = env.context_class(env, names, template.name, template.blocks)
    # The generated code resolves each name it reads once, where its scope begins, before a
    # ``{% set %}`` can put anything in the context's vars; a name set at the top is read from
    # its local after. So a name resolves from the values alone, by the dict's C lookup rather
    # than the context's method (a sixth of a message's rendering).
    context.resolve_or_missing = names.__getitem__  # type: ignore[method-assign]
    return context


def _budgeted(template: Template, context: dict[str, Any]) -> str:
    budget = _Budget(context)
    token = _BUDGET.set(budget)
    parts: list[str] = []
    size = 0
    try:
        for part in template.root_render_func(_context(template, context)):
            size += len(part)
            if not budget.allows(size, MAX_MESSAGE):
                raise SecurityError(f"the message is longer than {MAX_MESSAGE} characters")
            parts.append(part)
    finally:
        _BUDGET.reset(token)
    return "".join(parts).strip()
