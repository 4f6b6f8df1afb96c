"""The execution-rate chart: a PNG for the Word draft, an inline SVG for the HTML draft.

Chinese labels must come out right on any machine, including one set up only with
``pip install``, where no CJK font is installed and a chart library falls back to
boxes. So the chart never asks the system for a font: it draws every label with
Noto Sans SC (SIL Open Font License 1.1), which the ``pylopdf-fonts-zh-cn`` package
ships inside its wheel. In the PNG the glyphs are rasterised from that file; in the
SVG they are written as outlines (``svg.fonttype = path``), so a browser without
any Chinese font shows them too. A character the font lacks (a place name in CJK
Extension B, 𠀀) is drawn as □, as Chinese print marks a character it cannot set,
rather than as an empty box with a warning on the terminal.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from functools import cache
from typing import TYPE_CHECKING

from pylopdf_fonts_zh_cn import sans_path

from auditcheck.draft import ExecutionChart
from auditcheck.templating import num

# matplotlib is imported where a chart is drawn: it takes a quarter of a second, and every
# run imports this module (so does every --jobs worker) while few of them draw a chart.
if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

WIDTH_IN = 6.1  # the 156 mm between the Word draft's margins
ROW_IN = 0.3
LABEL_CHARS = 16  # wrap longer labels onto a second line
INSIDE = 25  # bars at least this long carry their value inside
BELOW, ABOVE, LINE = "#8b1e1e", "#9db4c8", "#333333"
MISSING = "□"  # 缺字: what Chinese print sets for a character it has no type for
NO_RATE = "资料未列项目合计支出，见各子项目"  # beside a project that only heads its sub-items
# Fixed ids and no date, so the same draft gives the same SVG.
_SVG_SETTINGS = {"svg.fonttype": "path", "svg.hashsalt": "auditcheck"}


@cache
def _font() -> FontProperties:
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=str(sans_path()))


@cache
def _covered() -> frozenset[int]:
    """The characters the font has glyphs for."""
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(str(sans_path())).get_charmap())


def _label(text: str, subitem: bool) -> str:
    """A bar's name on at most two lines; a ``$`` is a dollar sign, not the start of a formula
    (matplotlib would parse ``$…$`` as mathtext, and fail on what it cannot parse); a
    character the font lacks is □."""
    covered = _covered()
    text = "".join(char if ord(char) in covered else MISSING for char in text)
    lines = textwrap.wrap(text, LABEL_CHARS, break_long_words=True) or [text]
    if len(lines) == 2:  # two lines of about the same length, not one with a last character
        balanced = textwrap.wrap(text, -(-len(text) // 2), break_long_words=True)
        lines = balanced if len(balanced) == 2 else lines
    if len(lines) > 2:
        lines = [lines[0], lines[1][: LABEL_CHARS - 1] + "…"]
    return "\n".join(("　" if subitem else "") + line.replace("$", r"\$") for line in lines)


def _figure(chart: ExecutionChart) -> Figure:
    from matplotlib.figure import Figure

    font = _font()
    bars = chart.bars
    fig = Figure(figsize=(WIDTH_IN, ROW_IN * len(bars) + 0.9))
    ax = fig.add_subplot()
    positions = list(range(len(bars)))[::-1]
    below = set(map(id, chart.below()))
    colours = [BELOW if id(b) in below else ABOVE for b in bars]
    ax.barh(positions, [b.rate or 0 for b in bars], color=colours, height=0.62)
    top = max([110.0, *((b.rate or 0) + 12 for b in bars)])
    ax.set_xlim(0, top)
    ax.set_ylim(-0.7, len(bars) - 0.3)
    ax.set_yticks(positions, [_label(b.label, b.subitem) for b in bars])
    for tick, bar in zip(ax.get_yticklabels(), bars, strict=True):
        tick.set_fontproperties(font)
        tick.set_fontsize(8 if bar.subitem else 9)
        tick.set_color("#444444" if bar.subitem else "#000000")
    ticks = [t for t in range(0, int(top) + 1, 20)]
    ax.set_xticks(ticks, [f"{t}%" for t in ticks])
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(font)
        tick.set_fontsize(8)
    for y, bar, colour in zip(positions, bars, colours, strict=True):
        if bar.rate is None:
            ax.text(1, y, NO_RATE, va="center", color="#444444", fontproperties=font, fontsize=8)
            continue
        value = f"{num(bar.rate)}%" + ("（资料所述）" if bar.stated else "")
        inside = bar.rate >= INSIDE and not bar.stated  # clear of the threshold line
        ax.text(
            bar.rate - 1 if inside else bar.rate + 1,
            y,
            value,
            va="center",
            ha="right" if inside else "left",
            color="white" if inside and colour == BELOW else "black",
            fontproperties=font,
            fontsize=8,
        )
    if chart.threshold is not None:
        # Behind the bars: it shows between them, and never crosses a bar's value.
        ax.axvline(chart.threshold, color=LINE, linestyle="--", linewidth=0.9, zorder=0.5)
        ax.text(
            chart.threshold,
            len(bars) - 0.35,
            f"{num(chart.threshold)}%",
            ha="center",
            va="bottom",
            fontproperties=font,
            fontsize=8,
        )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("预算执行率", fontproperties=font, fontsize=8.5)
    fig.tight_layout()
    return fig


def chart_png(chart: ExecutionChart, dpi: int = 200) -> bytes:
    """The chart as a PNG, for Word."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    fig = _figure(chart)
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def chart_svg(chart: ExecutionChart) -> str:
    """The chart as an ``<svg>`` element to place in HTML: labels as outlines, no fonts needed."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.StringIO()
    with rc_context(_SVG_SETTINGS):
        fig = _figure(chart)
        FigureCanvasSVG(fig)
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and doctype
    # Scale with the page: the viewBox keeps the proportions.
    head, rest = svg.split(">", 1)
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    title = html.escape(chart.title)
    return f'{head} width="100%" role="img" aria-label="{title}"><title>{title}</title>{rest}'
