"""The Word draft: page layout, styles, tables, the chart, properties and traces."""

import json
import re
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from auditcheck.draft import Bar, ExecutionChart
from auditcheck.render.chart import _label, chart_png, chart_svg

from .conftest import cli, seed_copy


@pytest.fixture(scope="module")
def docx_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "draft.docx"
    proc = cli("report", "fixtures/2023", "-o", str(path))
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.fixture(scope="module")
def doc(docx_path: Path):
    return Document(str(docx_path))


@pytest.fixture(scope="module")
def findings() -> list[dict]:
    data = json.loads(cli("run", "fixtures/2023", "--format", "json").stdout)
    return [f for f in data["findings"] if f["dimension"] != "consistency"]


def test_page_headings_and_fonts(doc) -> None:
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    for expected in (
        "一、工作情况",
        "1、评价目的",
        "4、评价结论",
        "二、项目的基本情况",
        "三、存在的问题及相关建议",
        "（一）投入决策分析",
        "1、预算编制不够准确，执行率偏低",
        "四、评价结果应用及整改要求",
        "附件1　问题清单（按项目）",
        "附件2　绩效指标完成情况",
    ):
        assert expected in headings
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    assert doc.styles["Heading 2"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert doc.styles["Normal"].element.pPr.ind.get(qn("w:firstLineChars")) == "200"


def test_headings_are_upright(doc) -> None:
    for level in (1, 2, 3, 4):
        assert doc.styles[f"Heading {level}"].font.italic is False, level


def test_language_is_chinese(doc) -> None:
    default = (
        doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    )
    for rpr in (default, doc.styles["Normal"].element.rPr):
        lang = rpr.find(qn("w:lang"))
        # Chinese text is zh-CN; Latin script (figures too) en-US, as Word sets it in China
        assert lang.get(qn("w:eastAsia")) == "zh-CN" and lang.get(qn("w:val")) == "en-US"


@pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext")),
    reason="LibreOffice (soffice) and poppler-utils (pdftotext) are not installed",
)
def test_figures_stay_whole_on_the_page(docx_path: Path, doc, tmp_path: Path) -> None:
    """Laid out by LibreOffice, no figure breaks across a line end (1680 / 0万元)."""
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), docx_path],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = tmp_path / "draft.pdf"
    lines = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    text = "\n".join(
        [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for c in t._cells]
    )
    # pdftotext joins a line broken after a hyphen (2020- / 2023): a break allowed there.
    text += re.sub(r"(?<=\d)-(?=\d)", "", text)
    written = set(re.findall(r"\d+(?:\.\d+)?", text))
    on_page = set(re.findall(r"\d{3,}(?:\.\d+)?", lines))
    assert on_page - written == set()


def test_page_numbers_in_the_footer(doc) -> None:
    footer = doc.sections[0].footer.paragraphs[0]
    fields = footer._p.findall(qn("w:fldSimple"))
    assert [f.get(qn("w:instr")) for f in fields] == ["PAGE"]
    assert footer.text.startswith("— ") and footer.text.endswith(" —")


def test_the_drafts_own_properties(doc, docx_path: Path) -> None:
    core = doc.core_properties
    assert core.title == "晋城市城区财政局2024年度绩效评价（初稿）"
    assert core.author == "auditcheck" and core.language == "zh-CN"
    assert core.created.year >= 2025 and "python-docx" not in (core.comments or "")
    with zipfile.ZipFile(docx_path) as z:
        app = z.read("docProps/app.xml").decode()
        assert "<Application>auditcheck" in app and "Macintosh" not in app
        assert "docProps/thumbnail.jpeg" not in z.namelist()  # the template's empty page


def test_project_table(doc) -> None:
    table = doc.tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["序号", "项目单位", "项目名称", "金额（万元）"]
    body, total = rows[1:-1], rows[-1]
    assert len(body) == 9 and total[0] == "合计"
    assert f"{sum(float(r[3]) for r in body):.2f}" == total[3] == "51078.42"
    header = table.rows[0]._tr.trPr
    assert header.find(qn("w:tblHeader")) is not None  # repeated on every page
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
    assert table._tbl.tblPr.find(qn("w:tblStyle")).get(qn("w:val")) == "TableGrid"
    # 合计 goes to a new page with the row before it, never alone
    assert all(c.paragraphs[0].paragraph_format.keep_with_next for c in table.rows[-2].cells)


def test_the_draft_mark_has_a_line_of_its_own(doc) -> None:
    assert doc.paragraphs[0].text == "晋城市城区财政局2024年度绩效评价\n（初稿）"


def test_tables_are_smaller_than_the_body_and_labels_fit(doc) -> None:
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    assert paragraph.style.name == "表格文字"
                    sizes = {r.font.size for r in paragraph.runs} | {paragraph.style.font.size}
                    assert all(s is not None and s <= Pt(12) for s in sizes)
        first = table.rows[0].cells[0]
        # two characters of 小四 (or 五号) and the cell margins need 12 mm
        assert first.width >= Mm(11.9), first.text
    assert doc.tables[0].rows[0].cells[0].width >= Mm(15)


def test_paragraphs_of_reasonable_length(doc) -> None:
    texts = [p.text for p in doc.paragraphs if p.style.name == "Normal"]
    assert max(len(t) for t in texts) <= 400  # about 15 lines of 三号
    # Each heading's examples start their own paragraphs, after the lead.
    leads = [i for i, t in enumerate(texts) if t.endswith("例如：")]
    assert len(leads) == 11  # one per heading of 三 with examples
    assert all(texts[i + 1].startswith("（1）") for i in leads)


def test_chart_is_a_picture_under_its_caption(doc) -> None:
    assert len(doc.inline_shapes) == 1
    assert any(p.text == "图1　各项目及子项目预算执行率" for p in doc.paragraphs)
    blip = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip
    image = doc.part.related_parts[blip.embed]
    assert image.content_type == "image/png" and image.blob[:8] == b"\x89PNG\r\n\x1a\n"


def test_docx_traces_every_finding_in_a_comment(doc, findings: list[dict]) -> None:
    comments = "\n".join(c.text for c in doc.comments)
    for f in findings:
        assert f["fingerprint"] in comments, f
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "改进建议：" in body and ".yaml:" not in "\n".join(
        p.text for p in doc.paragraphs if not p.style.name.startswith("Heading")
    )


CHART = ExecutionChart(
    "各项目及子项目预算执行率",
    [
        Bar("乡村振兴补助资金", 57.81, "a", False, False),
        Bar("2023年棚户区改造（北闫庄城中村改造回迁安置A2、A3地块）", 97.05, "a", True, False),
        Bar("机关事务中心部门整体支出", 92.7, "b", False, True),
    ],
    90,
)


def test_chart_labels_need_no_system_font() -> None:
    # matplotlib warns "Glyph … missing from font(s)" when it falls back to boxes.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = chart_png(CHART)
        svg = chart_svg(CHART)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert svg.startswith("<svg") and "<text" not in svg and "<path" in svg  # glyphs as outlines
    assert "各项目及子项目预算执行率</title>" in svg
    assert chart_svg(CHART) == svg  # the same chart, the same SVG


def test_a_chart_label_on_two_lines_splits_in_the_middle() -> None:
    # 17 characters: 9 and 8, not 16 and a last character alone on the second line
    assert _label("2023年全县安可替代补助资金项目", False) == "2023年全县安可\n替代补助资金项目"
    assert _label("水旱灾害防御经费", False) == "水旱灾害防御经费"  # fits on one line
    longest = _label("中江县农业水价综合改革精准补贴和节水奖励项目小型水库水标尺制作安装", False)
    assert longest == "中江县农业水价综合改革精准补贴和\n节水奖励项目小型水库水标尺制作…"  # 2 × 16


def test_chart_labels_are_text_not_formulas() -> None:
    # matplotlib reads $…$ as mathtext and raises on what it cannot parse
    chart = ExecutionChart("图", [Bar("资金$\\frac$项目", 50.0, "p", False, False)], 90.0)
    assert chart_png(chart)[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart_svg(chart).startswith("<svg")


def test_text_word_cannot_hold_is_dropped_not_fatal(tmp_path: Path) -> None:
    """A record may hold U+FFFE or a bidirectional override, a folder name a control
    character; XML forbids some of them and Word would show others misleadingly. The Word
    draft drops them; the Markdown and HTML drafts keep escaping what they escape."""
    name = ("short_name: 困难群众救助", 'short_name: "困难\\uFFFE群众\\u202E救助<b>"')
    folder = tmp_path / "资料\x01\x0b"
    seed_copy(folder, {"07-social-assistance.yaml": [name]})
    batch = f"{folder.name}/2023"
    proc = cli("report", batch, "-o", "draft.docx", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "draft.docx") as z:
        xml = {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}
    for part, text in xml.items():
        assert not any(ch in text for ch in "\ufffe\u202e\x01\x0b"), part
    assert "困难群众救助&lt;b&gt;：预算资金3378.22万元" in xml["word/document.xml"]
    assert "资料/2023/07-social-assistance.yaml" in xml["word/comments.xml"]
    assert cli("report", batch, "-o", "draft.md", cwd=tmp_path).returncode == 0
    md = (tmp_path / "draft.md").read_text("utf-8")
    assert "困难\\\\ufffe群众\\\\u202e救助&lt;b&gt;：预算资金" in md
    assert cli("report", batch, "-o", "draft.html", cwd=tmp_path).returncode == 0
    assert "救助&lt;b&gt;" in (tmp_path / "draft.html").read_text("utf-8")


def test_indicators_appendix_is_per_project(doc) -> None:
    """A long project name is a heading once, not a narrow column wrapped on every row."""
    rows = [
        [c.text for c in row.cells]
        for t in doc.tables
        if [c.text for c in t.rows[0].cells] == ["指标", "目标值", "实际完成值", "完成率"]
        for row in t.rows[1:]
    ]
    assert ["更新医疗及办公设备的村卫生室数量", "88个", "83个", "94.32%"] in rows
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    after = headings[headings.index("附件2　绩效指标完成情况") + 1 :]
    assert after == ["政府专项债券", "村卫生室服务能力提升工程"]


def test_the_appendices_start_a_page_without_an_empty_paragraph(doc) -> None:
    """A break alone in a paragraph leaves a blank page when the text before fills one."""
    [heading] = [p for p in doc.paragraphs if p.text.startswith("附件1")]
    assert heading.paragraph_format.page_break_before is True
    assert not any('w:type="page"' in p._p.xml for p in doc.paragraphs)
