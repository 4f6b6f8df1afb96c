"""The draft report as a Word document laid out like a Chinese government report.

A4 with the margins of GB/T 9704; headings in 黑体, body in 仿宋 三号 with the East
Asian font set explicitly (otherwise Word falls back to a Latin font for Chinese
text) and a first-line indent of two characters; the project table has borders.
Each example sentence carries a Word comment naming the rule, file and line
behind it, so a reviewer can check every claim and delete the comments after.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.text.paragraph import Paragraph

from auditcheck.draft import Draft

BODY_FONT, HEADING_FONT = "仿宋", "黑体"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
# 序号, 项目单位, 项目名称, 金额: the 156 mm of text width between the margins.
COLUMN_WIDTHS = (Mm(14), Mm(38), Mm(70), Mm(34))


def _fonts(style: BaseStyle, name: str, size: Pt, bold: bool = False) -> None:
    font = style.font  # type: ignore[attr-defined]
    font.name = name
    font.size = size
    font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)


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
    # Two characters of indent however the font size changes later.
    normal.element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")
    for level in (1, 2, 3, 4):
        style = doc.styles[f"Heading {level}"]
        _fonts(style, HEADING_FONT, TITLE_SIZE if level == 1 else BODY_SIZE)
        fmt = style.paragraph_format  # type: ignore[attr-defined]
        fmt.first_line_indent = Pt(0) if level == 1 else BODY_SIZE * 2
        fmt.space_before = fmt.space_after = Pt(6)
    _fonts(doc.styles["Table Grid"], BODY_FONT, Pt(12))


def _heading(doc: DocumentObject, text: str, level: int) -> Paragraph:
    paragraph = doc.add_heading(text, level=level)
    if level == 1:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def _table(doc: DocumentObject, draft: Draft) -> None:
    table = doc.add_table(rows=1, cols=4)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(
        table.rows[0].cells, ("序号", "项目单位", "项目名称", "金额（万元）"), strict=True
    ):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    rows = [(str(n), units, name, amount) for n, units, name, amount in draft.table]
    for values in [*rows, ("合计", "", "", draft.table_total)]:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    table.autofit = False
    for column, width in zip(table.columns, COLUMN_WIDTHS, strict=True):
        column.width = width  # the grid LibreOffice reads; Word reads the cell widths below
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = COLUMN_WIDTHS[i]
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.first_line_indent = Pt(0)
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            if i == 3:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _problems(doc: DocumentObject, draft: Draft) -> None:
    _heading(doc, "三、存在的问题及相关建议", 2)
    doc.add_paragraph(draft.problems_intro)
    notes = {f.fingerprint: label for label, f in draft.traces()}
    for dim in draft.problems:
        _heading(doc, dim.title, 3)
        for cat in dim.categories:
            _heading(doc, f"{cat.number}、{cat.title}", 4)
            paragraph = doc.add_paragraph(f"{cat.lead}例如：")
            for n, example in enumerate(cat.examples, 1):
                run = paragraph.add_run(f"（{n}）{example.text}")
                trace = "\n".join(
                    f"{notes[f.fingerprint]} 规则 {f.rule}：{f.file}:{f.line}"
                    f"（指纹 {f.fingerprint}）"
                    for f in example.findings
                )
                doc.add_comment(run, text=trace, author="auditcheck", initials="AC")
            doc.add_paragraph(f"改进建议：{cat.suggestion}")
    if not draft.problems:
        doc.add_paragraph("本次评价未发现需要列出的问题。")


def write_docx(draft: Draft, path: Path) -> None:
    """Write the draft to ``path`` as a .docx file."""
    doc = Document()
    _setup(doc)
    _heading(doc, draft.title, 1)
    if "summary" in draft.sections:
        _heading(doc, "一、工作情况", 2)
        doc.add_paragraph(draft.intro)
        _table(doc, draft)
        doc.add_paragraph(draft.results)
    if "projects" in draft.sections:
        _heading(doc, "二、项目的基本情况", 2)
        for heading, text in draft.projects:
            _heading(doc, heading, 3)
            doc.add_paragraph(text)
    if "problems" in draft.sections:
        _problems(doc, draft)
    core = doc.core_properties
    core.title, core.author, core.comments = (
        draft.title,
        "auditcheck",
        "由 auditcheck 根据记录数据生成的初稿",
    )
    doc.save(str(path))
