"""The draft report as a Word document laid out like a Chinese government report.

A4 with the margins of GB/T 9704 and page numbers (— 1 —) in the footer; the title
in 黑体 二号, headings upright in 黑体 (一、), 楷体 (（一）) and bold 仿宋 (1、), body in
仿宋 三号 with the East Asian font and language (zh-CN, figures en-US) set explicitly, so
Word does not fall back to a Latin font or proof Chinese as English. Tables use their own
smaller style, repeat their header row on every page and never split a row.
Each example of section 三 is a paragraph of its own and carries a Word comment
naming the rule, file and line behind it, so a reviewer can check every claim
and delete the comments after. The document's properties are the draft's own.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

from auditcheck import __version__
from auditcheck.draft import DRAFT_MARK, Draft, Part
from auditcheck.render.chart import chart_png

BODY_FONT, HEADING_FONT, KAI_FONT = "仿宋", "黑体", "楷体"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
TABLE_SIZE = Pt(12)  # 小四
SMALL_TABLE_SIZE = Pt(10.5)  # 五号, for the appendices' wider tables
FOOTER_SIZE = Pt(14)  # 四号
LANGUAGE = "zh-CN"
# Digits and Latin letters are Latin script: proofed as English, as Word on a Chinese system
# sets them. Marked zh-CN, LibreOffice breaks a figure across lines (1680 / 0万元).
LATIN_LANGUAGE = "en-US"
TEXT_WIDTH = Mm(156)  # 210 mm less the 28 mm and 26 mm margins
TABLE_STYLE, CAPTION_STYLE = "表格文字", "图表标题"
# 序号, 项目单位, 项目名称, 金额: 序号 and 合计 fit on one line at 小四.
PROJECT_COLUMNS = (Mm(16), Mm(40), Mm(68), Mm(32))
FINDING_COLUMNS = (Mm(12), Mm(32), Mm(38), Mm(28), Mm(46))
TARGET_COLUMNS = (Mm(80), Mm(26), Mm(26), Mm(24))  # per project: no project column
# What a Word file cannot hold or should not show: C0 and C1 controls (tab and line break
# aside), U+FFFE, U+FFFF and lone surrogates (XML 1.0 forbids them), and bidirectional
# overrides, which would show a sentence in another order than it is written.
_UNFIT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def _fonts(style: BaseStyle, name: str, size: Pt, bold: bool = False) -> None:
    font = style.font  # type: ignore[attr-defined]
    font.name = name
    font.size = size
    font.bold = bold
    font.italic = False  # the template's Heading 4 is italic; Chinese headings are upright
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)


def _language(doc: DocumentObject) -> None:
    """zh-CN for Chinese text (en-US for Latin script, figures included) in the defaults every
    style inherits, in Normal and in the theme fonts."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    targets = [doc.styles["Normal"].element.get_or_add_rPr()]
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            targets.append(rpr)
    for rpr in targets:
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), LATIN_LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
    settings = doc.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is None:
        theme_lang = OxmlElement("w:themeFontLang")
        settings.append(theme_lang)
    theme_lang.set(qn("w:val"), LATIN_LANGUAGE)
    theme_lang.set(qn("w:eastAsia"), LANGUAGE)


def _paragraph_style(doc: DocumentObject, name: str, size: Pt, center: bool = False) -> None:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    _fonts(style, BODY_FONT, size)
    fmt = style.paragraph_format  # type: ignore[attr-defined]
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(2)
    if center:
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    style.element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "0")


def _setup(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _fonts(normal, BODY_FONT, BODY_SIZE)
    fmt = normal.paragraph_format  # type: ignore[attr-defined]
    fmt.first_line_indent = BODY_SIZE * 2
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    # Two characters of indent however the font size changes later.
    normal.element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")
    for level, (font, bold) in {
        1: (HEADING_FONT, False),
        2: (HEADING_FONT, False),
        3: (KAI_FONT, False),
        4: (BODY_FONT, True),
    }.items():
        style = doc.styles[f"Heading {level}"]
        _fonts(style, font, TITLE_SIZE if level == 1 else BODY_SIZE, bold)
        fmt = style.paragraph_format  # type: ignore[attr-defined]
        fmt.first_line_indent = Pt(0) if level == 1 else BODY_SIZE * 2
        fmt.space_before = fmt.space_after = Pt(6)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(36 if level == 1 else 28)
    _paragraph_style(doc, TABLE_STYLE, TABLE_SIZE)
    _paragraph_style(doc, CAPTION_STYLE, TABLE_SIZE, center=True)
    doc.styles[CAPTION_STYLE].font.bold = True  # type: ignore[attr-defined]
    _language(doc)
    _page_numbers(doc)


def _page_numbers(doc: DocumentObject) -> None:
    """— 1 — centred in the footer, the way government documents number pages."""
    footer = doc.sections[0].footer
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph._p.append(paragraph.add_run(" —")._r)
    for r in paragraph.runs:
        r.font.size = FOOTER_SIZE


def _properties(doc: DocumentObject, draft: Draft) -> None:
    """The draft's own properties, not the python-docx template's (2013, Macintosh Word)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    core = doc.core_properties
    core.title = draft.title
    core.subject = "预算绩效评价报告"
    core.author = core.last_modified_by = "auditcheck"
    core.keywords = "绩效评价；初稿"
    core.comments = "由 auditcheck 根据评价记录和检查结果生成的初稿，定稿前请逐项核实。"
    core.category = "绩效评价报告"
    core.language = LANGUAGE
    core.created = core.modified = now.replace(microsecond=0, tzinfo=None)
    core.revision = 1
    package = doc.part.package
    for part in package.iter_parts():
        if part.partname == "/docProps/app.xml":
            # python-docx has no API for the extended properties; the part is plain XML.
            part._blob = _app_xml().encode("utf-8")  # type: ignore[attr-defined]
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:  # the template's preview of an empty page
            del package.rels[rel_id]


def _app_xml() -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties">'
        f"<Application>{escape(f'auditcheck {__version__}')}</Application>"
        "<DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
        "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
        "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
    )


def _heading(doc: DocumentObject, text: str, level: int) -> Paragraph:
    paragraph = doc.add_heading(text, level=level)
    if level == 1:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def _table(
    doc: DocumentObject,
    header: tuple[str, ...],
    rows: list[tuple[str, ...]],
    widths: tuple[Mm, ...],
    size: Pt = TABLE_SIZE,
    right: tuple[int, ...] = (),
) -> Table:
    """A bordered table at its own size: header repeated on every page, rows never split."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = text
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid LibreOffice reads; Word reads the cell widths below
    for index, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if index == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
        for i, cell in enumerate(row.cells):
            cell.width = widths[i]
            for paragraph in cell.paragraphs:
                paragraph.style = doc.styles[TABLE_STYLE]
                for run in paragraph.runs:
                    run.font.size = size
                    run.bold = index == 0
                if index == 0:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                elif i in right:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return table


def _caption(doc: DocumentObject, text: str) -> None:
    doc.add_paragraph(text, style=CAPTION_STYLE).paragraph_format.keep_with_next = True


def _parts(doc: DocumentObject, parts: list[Part], level: int) -> None:
    for part in parts:
        _heading(doc, part.title, level)
        for text in part.paragraphs:
            doc.add_paragraph(text)


def _summary(doc: DocumentObject, draft: Draft) -> None:
    _heading(doc, "一、工作情况", 2)
    doc.add_paragraph(draft.intro)
    _caption(doc, "表1　评价项目明细表")
    rows = [(str(n), units, name, amount) for n, units, name, amount, _ in draft.table]
    rows.append(("合计", "", "", draft.table_total))
    table = _table(
        doc, ("序号", "项目单位", "项目名称", "金额（万元）"), rows, PROJECT_COLUMNS, right=(3,)
    )
    for row in table.rows[1:]:
        row.cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for cell in table.rows[-2].cells:  # 合计 never alone at the top of a page
        cell.paragraphs[0].paragraph_format.keep_with_next = True
    _parts(doc, draft.work, 3)


def _projects(doc: DocumentObject, draft: Draft) -> None:
    _heading(doc, "二、项目的基本情况", 2)
    doc.add_paragraph(draft.projects_intro)
    if draft.chart is not None:
        picture = doc.add_paragraph(style=CAPTION_STYLE)
        picture.paragraph_format.keep_with_next = True
        picture.add_run().add_picture(io.BytesIO(chart_png(draft.chart)), width=TEXT_WIDTH)
        doc.add_paragraph(f"图1　{draft.chart.title}", style=CAPTION_STYLE)
    _parts(doc, draft.projects, 3)


def _problems(doc: DocumentObject, draft: Draft) -> None:
    _heading(doc, "三、存在的问题及相关建议", 2)
    doc.add_paragraph(draft.problems_intro)
    for dim in draft.problems:
        _heading(doc, dim.title, 3)
        for cat in dim.categories:
            _heading(doc, f"{cat.number}、{cat.title}", 4)
            doc.add_paragraph(f"{cat.lead}例如：")
            for n, example in enumerate(cat.examples, 1):
                run = doc.add_paragraph().add_run(f"（{n}）{example.text}")
                trace = "\n".join(
                    f"{example.label} 规则 {f.rule}：{f.file}:{f.place or f.line}"
                    f"（指纹 {f.fingerprint}）"
                    for f in example.findings
                )
                doc.add_comment(run, text=trace, author="auditcheck", initials="AC")
            suggestion = doc.add_paragraph()
            suggestion.add_run("改进建议：").bold = True
            suggestion.add_run(cat.suggestion)


def _appendices(doc: DocumentObject, draft: Draft) -> None:
    # The heading starts the page: a paragraph holding only a break leaves a blank page
    # whenever the text before it ends at the foot of a page.
    _heading(doc, "附件1　问题清单（按项目）", 2).paragraph_format.page_break_before = True
    groups = draft.findings_by_project()
    if not groups:
        doc.add_paragraph("本次评价未发现需要列出的问题。")
    for project, rows in groups:
        _heading(doc, project, 3)
        _table(
            doc,
            ("序号", "所在位置", "问题", "数据依据", "规则及出处"),
            [
                (str(i), r.label, r.summary, r.basis, f"{r.rule}\n{r.location}")
                for i, r in enumerate(rows, 1)
            ],
            FINDING_COLUMNS,
            SMALL_TABLE_SIZE,
        )
    _heading(doc, "附件2　绩效指标完成情况", 2)
    if not draft.target_rows:
        doc.add_paragraph("记录中没有绩效指标。")
        return
    for project, rows in draft.targets_by_project():
        _heading(doc, project, 3)
        _table(
            doc,
            ("指标", "目标值", "实际完成值", "完成率"),
            [(r.indicator, r.planned, r.actual, r.rate) for r in rows],
            TARGET_COLUMNS,
            SMALL_TABLE_SIZE,
            right=(1, 2, 3),
        )


def _fit_for_word(value: Any) -> Any:
    """``value`` with every string in it (through dataclasses, lists, tuples and dicts)
    stripped of what Word cannot hold: record text may hold anything its format allows."""
    if isinstance(value, str):
        return _UNFIT.sub("", value)
    if isinstance(value, list | tuple):
        return type(value)(_fit_for_word(v) for v in value)
    if isinstance(value, dict):
        return {_fit_for_word(k): _fit_for_word(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _fit_for_word(getattr(value, f.name)) for f in fields(value) if f.init}
        return replace(value, **changes)
    return value


def write_docx(draft: Draft, path: Path) -> None:
    """Write the draft to ``path`` as a .docx file."""
    draft = _fit_for_word(draft)
    doc = Document()
    _setup(doc)
    title = _heading(doc, draft.title.removesuffix(DRAFT_MARK), 1)
    if draft.title.endswith(DRAFT_MARK):  # on a line of its own, not split across two
        title.add_run().add_break()
        title.add_run(DRAFT_MARK)
    if "summary" in draft.sections:
        _summary(doc, draft)
    if "projects" in draft.sections:
        _projects(doc, draft)
    if "problems" in draft.sections:
        _problems(doc, draft)
    if "application" in draft.sections:
        _heading(doc, "四、评价结果应用及整改要求", 2)
        _parts(doc, draft.application, 3)
    if "appendices" in draft.sections:
        _appendices(doc, draft)
    _properties(doc, draft)
    doc.save(str(path))
