"""Figures and lists the way Chinese evaluation reports write them in running text.

Tables keep two decimals in every amount so the column lines up; sentences drop
the zeros a person would not type (``15300万元``, ``100%``, ``93.6%``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from auditcheck.templating import money, num

CN_DIGITS = "一二三四五六七八九十"
# The same unit is written with or without its district (区卫体局, 卫体局, 城区财政局).
_DISTRICT = re.compile(r"^(?:\S*?城区|区)")
ORDINALS = ("一是", "二是", "三是", "四是", "五是", "六是", "七是", "八是", "九是", "十是")


def percent(value: float) -> str:
    """A rate in a sentence: ``57.81%``, ``92.7%``, ``100%``."""
    return f"{num(value)}%"


def figure(value: float, unit: str | None) -> str:
    """A stated quantity with its unit: ``83个``, ``191.02万元``, ``64.61万平方米``."""
    if unit == "万元":
        return f"{money(value)}万元"
    if unit == "%":
        return percent(value)
    return f"{num(value)}{unit or ''}"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 25 → 二十五 (headings rarely pass 99)."""
    tens, ones = divmod(n, 10)
    if n <= 10:
        return CN_DIGITS[n - 1]
    head = "" if tens == 1 else CN_DIGITS[tens - 1]
    return f"{head}十{CN_DIGITS[ones - 1] if ones else ''}"


def join(items: Iterable[str]) -> str:
    """Names in a list: ``A、B、C`` (duplicates dropped, order kept)."""
    return "、".join(dict.fromkeys(i for i in items if i))


def join_and(items: Sequence[str]) -> str:
    """Two items take 和, more take 、 with 和 before the last: ``A、B和C``."""
    items = list(dict.fromkeys(i for i in items if i))
    if len(items) <= 1:
        return "".join(items)
    return f"{'、'.join(items[:-1])}和{items[-1]}"


def sentence(*clauses: str) -> str:
    """Clauses joined with ， and closed with 。 (empty clauses are skipped)."""
    body = "，".join(c.rstrip("。；，") for c in clauses if c)
    return f"{body}。" if body else ""


def enumerate_points(items: Sequence[str]) -> str:
    """``一是…；二是…；三是…`` for two or more points, the point itself for one."""
    items = [i.rstrip("。；，") for i in items if i.strip()]
    if len(items) == 1:
        return items[0]
    return "；".join(f"{ORDINALS[i]}{item}" for i, item in enumerate(items[: len(ORDINALS)]))


def split_points(text: str) -> list[str]:
    """A field written as points separated by ；, or one sentence: the points, unclosed."""
    return [p.strip().rstrip("。") for p in text.replace(";", "；").split("；") if p.strip()]


def range_label(numbers: Sequence[int]) -> str:
    """Example numbers as a report refers to them: ``第（2）项``, ``第（1）至（3）项``."""
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"第（{numbers[0]}）项"
    if list(numbers) == list(range(numbers[0], numbers[-1] + 1)):
        return f"第（{numbers[0]}）至（{numbers[-1]}）项"
    return "第" + "、".join(f"（{n}）" for n in numbers) + "项"


def distinct_units(names: Iterable[str], collective: bool = True) -> list[str]:
    """Unit names with each unit once, as first written (区卫体局, 卫体局), and a unit named
    as a budget department (四川's forms: 大英县司法局部门) by its own name; ``collective=False``
    also leaves out names such as 各办事处 that stand for several units."""
    seen: dict[str, str] = {}
    for name in names:
        if collective or not name.startswith("各"):
            own = name.removesuffix("部门")
            if own != name and own.endswith(_BODIES):  # 大英县司法局部门: 大英县司法局
                name = own
            key = _DISTRICT.sub("", name) or name
            key = key.removesuffix("部门") or key
            if seen.setdefault(key, name).endswith("部门") and not name.endswith("部门"):
                seen[key] = name
    return list(seen.values())


# How the name of a body ends (局, 委员会, 办事处, 中心 …): with 部门 after one of these, the name
# is the body's own name followed by the word for a budget department.
_BODIES = (
    "局",
    "委",
    "委员会",
    "办",
    "办公室",
    "办事处",
    "院",
    "中心",
    "厅",
    "所",
    "站",
    "馆",
    "会",
    "队",
)
