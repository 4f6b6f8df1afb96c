"""The HTML draft: one file a bureau can email, read and filter in a real browser.

The browser test drives Debian's Chromium through its matching chromedriver
(packages ``chromium`` and ``chromium-driver``, which ``.ci/run`` installs); it skips,
saying why, where they are not installed. Nothing is downloaded by the test.
"""

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from .conftest import cli

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1100,1400",
)


@pytest.fixture(scope="module")
def html_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "draft.html"
    proc = cli("report", "fixtures/2023", "-o", str(path))
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.fixture(scope="module")
def page(html_path: Path) -> str:
    return html_path.read_text("utf-8")


@pytest.fixture(scope="module")
def findings() -> list[dict]:
    data = json.loads(cli("run", "fixtures/2023", "--format", "json").stdout)
    return [f for f in data["findings"] if f["dimension"] != "consistency"]


def test_self_contained(page: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", page)  # only links within the page
    assert "<link" not in page and "@import" not in page
    assert not re.search(r"url\((?!#)", page)


def test_no_footnote_markers_references_on_hover(page: str, findings: list[dict]) -> None:
    main = page.split("<main>", 1)[1].split("</main>", 1)[0]
    assert "<sup>" not in main and not re.search(r"\[\^?\d+\]", main)
    claims = re.findall(r'<span class="claim" tabindex="0" title="([^"]*)">', page)
    assert len(claims) == len({(f["category"], f["record"]) for f in findings})  # one per example
    titles = "\n".join(claims)
    for f in findings:
        assert f"{f['file']}:{f['line']}" in titles and f["rule"] in titles


def test_chart_is_inline_svg_with_outlined_labels(page: str) -> None:
    svg = re.search(r"<figure id=\"chart\">\s*(<svg.*?</svg>)", page, re.S)
    assert svg is not None
    assert "<text" not in svg.group(1) and "<title>各项目及子项目预算执行率</title>" in svg.group(1)


def test_findings_table_rows_and_filters(page: str, findings: list[dict]) -> None:
    rows = re.findall(
        r'<tr data-project="([^"]+)" data-dimension="([^"]+)" data-severity="([^"]+)">', page
    )
    assert len(rows) == len(findings)
    assert Counter(r[0] for r in rows) == Counter(f["record"] for f in findings)
    for name in ("filter-project", "filter-dimension", "filter-severity", "project-view"):
        assert f'id="{name}"' in page
    assert "@media print" in page


def _browser_missing() -> str:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"no {path}: install Debian's {package} (apt-get install -y {package})"
    return ""


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch):
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="auditcheck-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not fetch a driver
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_in_a_real_browser(browser, html_path: Path, findings: list[dict], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(html_path.as_uri())
    assert browser.title == "晋城市城区财政局2024年度绩效评价（初稿）"

    def shown() -> list:
        rows = browser.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
        return [r for r in rows if r.is_displayed()]

    assert len(shown()) == len(findings)
    # Filter by project, then by dimension.
    Select(browser.find_element(By.ID, "filter-project")).select_by_value("special-bonds")
    bonds = [f for f in findings if f["record"] == "special-bonds"]
    assert len(shown()) == len(bonds)
    assert (
        browser.find_element(By.ID, "filter-count").text
        == f"显示 {len(bonds)} / {len(findings)} 项"
    )
    Select(browser.find_element(By.ID, "filter-dimension")).select_by_visible_text("投入决策")
    assert len(shown()) == sum(f["dimension"] == "decision" for f in bonds)
    Select(browser.find_element(By.ID, "filter-dimension")).select_by_value("")
    # Sort by 问题, both ways.
    button = browser.find_elements(By.CSS_SELECTOR, "#findings th button")[4]
    button.click()
    problems = [r.find_elements(By.TAG_NAME, "td")[4].text for r in shown()]
    collated = browser.execute_script(
        "return arguments[0].slice().sort((a, b) => a.localeCompare(b, 'zh-CN'))", problems
    )
    assert problems == collated and len(set(problems)) > 1
    button.click()
    assert [r.find_elements(By.TAG_NAME, "td")[4].text for r in shown()] == collated[::-1]
    # The per-project view hides the other projects' examples and parts.
    Select(browser.find_element(By.ID, "project-view")).select_by_value("village-clinics")
    examples = browser.find_elements(By.CSS_SELECTOR, "p.example")
    visible = {e.get_attribute("data-project") for e in examples if e.is_displayed()}
    assert visible == {"village-clinics"}
    parts = browser.find_elements(By.CSS_SELECTOR, "section.project")
    assert [p.get_attribute("data-project") for p in parts if p.is_displayed()] == [
        "village-clinics"
    ]
    assert len(shown()) == sum(f["record"] == "village-clinics" for f in findings)
    # A reference shows on hover (the title of the example).
    claim = next(e for e in examples if e.is_displayed()).find_element(By.CLASS_NAME, "claim")
    assert "fixtures/2023/05-village-clinics.yaml:" in claim.get_attribute("title")
    # Print: the controls go.
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    toolbar = browser.find_element(By.CLASS_NAME, "toolbar")
    assert (
        browser.execute_script("return getComputedStyle(arguments[0]).display", toolbar) == "none"
    )
    # A header repeated on each printed page draws no buttons: it prints its label instead.
    heads = browser.find_elements(By.CSS_SELECTOR, "#findings th")
    labels = [
        browser.execute_script(
            "return getComputedStyle(arguments[0], '::before').content", th
        ).strip('"')
        for th in heads
    ]
    assert labels[:2] == ["序号", "项目"] and all(labels), labels
    button = heads[0].find_element(By.TAG_NAME, "button")
    assert browser.execute_script("return getComputedStyle(arguments[0]).display", button) == "none"
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    shot = tmp_path / "draft.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
