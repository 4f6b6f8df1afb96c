"""The draft report: Word layout, the table's total, grades, and every finding traced."""

import json
import re
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from auditcheck.draft import NATIONAL_BANDS, cn_number, grade

from .conftest import cli, seed_copy


def draft_md(tmp_path: Path, *args: str) -> str:
    """The Markdown draft of fixtures/2023 written with ``args``."""
    out = tmp_path / "draft.md"
    proc = cli("report", "fixtures/2023", "-o", str(out), *args)
    assert proc.returncode == 0, proc.stderr
    return out.read_text("utf-8")


@pytest.fixture(scope="module")
def findings() -> list[dict]:
    data = json.loads(cli("run", "fixtures/2023", "--format", "json").stdout)
    return [f for f in data["findings"] if f["dimension"] != "consistency"]


@pytest.fixture(scope="module")
def docx_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "draft.docx"
    proc = cli("report", "fixtures/2023", "-o", str(path))
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (100, "优"),
        (90, "优"),
        (89.99, "良"),
        (80, "良"),
        (79.99, "中"),
        (60, "中"),
        (59.99, "差"),
        (0, "差"),
    ],
)
def test_grades_at_the_band_edges(score: float, expected: str) -> None:
    assert grade(score, NATIONAL_BANDS) == expected


def test_bands_follow_the_grade_rule_parameters(tmp_path: Path) -> None:
    text = draft_md(
        tmp_path, "--sections", "summary", "--param", "grade-does-not-match-score.excellent=89.5"
    )
    assert "89.5分及以上为“优”" in text
    assert "“优”2个" in text  # 89.93 and 89.56 are now 优


def test_chinese_numbering() -> None:
    assert [cn_number(n) for n in (1, 9, 10, 11, 20, 25)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "二十五",
    ]


def test_docx_layout_headings_and_fonts(docx_path: Path) -> None:
    doc = Document(str(docx_path))
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    for expected in (
        "一、工作情况",
        "二、项目的基本情况",
        "三、存在的问题及相关建议",
        "（一）投入决策分析",
        "（四）预期效果分析",
        "1、预算编制不够准确，执行率偏低",
    ):
        assert expected in headings
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    heading = doc.styles["Heading 2"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsia")) == "黑体"
    indent = doc.styles["Normal"].element.pPr.ind
    assert indent.get(qn("w:firstLineChars")) == "200"


def test_docx_table_total_is_the_sum_of_rows(docx_path: Path) -> None:
    table = Document(str(docx_path)).tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["序号", "项目单位", "项目名称", "金额（万元）"]
    body, total = rows[1:-1], rows[-1]
    assert len(body) == 9 and total[0] == "合计"
    assert f"{sum(float(r[3]) for r in body):.2f}" == total[3] == "51078.42"
    borders = table._tbl.tblPr.find(qn("w:tblStyle"))
    assert borders is not None and borders.get(qn("w:val")) == "TableGrid"


def test_docx_traces_every_finding_in_a_comment(docx_path: Path, findings: list[dict]) -> None:
    doc = Document(str(docx_path))
    comments = "\n".join(c.text for c in doc.comments)
    for f in findings:
        assert f["fingerprint"] in comments, f
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "改进建议：" in body and "例如：（1）" in body


def test_markdown_covers_every_finding_once(tmp_path: Path, findings: list[dict]) -> None:
    text = draft_md(tmp_path)
    notes = re.findall(r"^\[\^\d+\]: .*指纹 `([0-9a-f]+)`", text, re.M)
    assert sorted(notes) == sorted(f["fingerprint"] for f in findings)
    headings = re.findall(r"^#### (\d+)、", text, re.M)
    assert headings == [
        "1",
        "2",
        "3",
        "1",
        "2",
        "1",
        "2",
        "1",
        "2",
        "3",
    ]  # continuous per dimension
    assert "数据核对" not in text


def test_consistency_only_when_asked(tmp_path: Path) -> None:
    text = draft_md(tmp_path, "--sections", "problems", "--with-consistency")
    assert "（五）数据核对" in text and "一、工作情况" not in text


def test_empty_categories_and_dimensions_drop_out(tmp_path: Path) -> None:
    text = draft_md(
        tmp_path, "--sections", "problems", "--select", "construction-quality,sustainability"
    )
    assert re.findall(r"^### (.*)$", text, re.M) == ["（一）产出执行分析", "（二）预期效果分析"]
    assert re.findall(r"^#### (.*)$", text, re.M) == [
        "1、部分项目建设质量不高",
        "1、可持续影响方面存在不足",
    ]


def test_html_escapes_record_text(tmp_path: Path) -> None:
    name = ("short_name: 困难群众救助", "short_name: <script>x</script>")
    batch = seed_copy(tmp_path, {"07-social-assistance.yaml": [name]})
    out = tmp_path / "draft.html"
    assert cli("report", str(batch), "-o", str(out)).returncode == 0
    page = out.read_text("utf-8")
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["-o", "draft.pdf"], "suffix picks the format"),
        (["-o", "d.md", "--sections", "intro"], "unknown intro"),
    ],
)
def test_report_usage_errors(tmp_path: Path, args: list[str], fragment: str) -> None:
    proc = cli(
        "report",
        "fixtures/2023",
        *[str(tmp_path / a) if a.endswith((".pdf", ".md")) else a for a in args],
    )
    assert proc.returncode == 2 and fragment in proc.stderr
