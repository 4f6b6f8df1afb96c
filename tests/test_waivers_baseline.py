"""Waivers (with reasons, owners and expiry) and baselines (only new findings fail)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, seed_copy

WAIVER = """waivers:
  - rule: acceptance-docs-incomplete
    record: village-clinics
    reason: 验收资料已补齐，待下次评价复核
    owner: 区卫体局
    expires: {expires}
  - rule: low-execution-rate
    record: no-such-record
    reason: 用于检查未使用的豁免
    owner: 测试
"""


def run(*args: str, today: str = "2024-06-01") -> tuple[int, dict, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "auditcheck", "run", "fixtures/2023", "--format", "json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "AUDITCHECK_TODAY": today},
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else {}, proc.stderr


def by_rule(data: dict, rule: str) -> list[dict]:
    return [f for f in data["findings"] if f["rule"] == rule]


def test_a_waiver_suppresses_and_is_counted(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVER.format(expires="2024-12-31"), "utf-8")
    select = "acceptance-docs-incomplete,low-execution-rate"
    code, data, _ = run("--waivers", str(waivers), "--select", select, "--fail-on", "warning")
    [acceptance] = by_rule(data, "acceptance-docs-incomplete")
    assert acceptance["status"] == "waived"
    assert "区卫体局" in acceptance["justification"]
    assert data["summary"]["waived"] == 1
    [unused] = by_rule(data, "waiver-unused")
    assert unused["file"].endswith("waivers.yaml") and unused["line"] == 7
    assert code == 1  # the low execution rates are still open


def test_jobs_2_waives_as_jobs_1_does(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVER.format(expires="2024-12-31"), "utf-8")
    one = run("--waivers", str(waivers))
    assert by_rule(one[1], "acceptance-docs-incomplete")[0]["status"] == "waived"
    assert run("--waivers", str(waivers), "--jobs", "2") == one


def test_an_expired_waiver_stops_waiving_and_is_reported(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVER.format(expires="2024-01-31"), "utf-8")
    _, data, _ = run("--waivers", str(waivers), "--select", "acceptance-docs-incomplete")
    [acceptance] = by_rule(data, "acceptance-docs-incomplete")
    assert acceptance["status"] == "open"
    [expired] = by_rule(data, "waiver-expired")
    assert expired["severity"] == "warning" and "2024-01-31" in expired["message"]
    assert expired["line"] == 2


def test_a_waiver_without_a_reason_is_an_input_error(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: r\n    record: x\n    owner: 某人\n", "utf-8")
    code, _, stderr = run("--waivers", str(waivers))
    assert code == 2
    assert "waivers.yaml:2:5: waivers[0].reason: required field is missing" in stderr


def test_baseline_keeps_old_findings_from_failing_and_new_ones_fail(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    proc = subprocess.run(
        [sys.executable, "-m", "auditcheck", "baseline", "write", str(baseline), "fixtures/2023"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    stored = json.loads(baseline.read_text("utf-8"))["findings"]
    code, data, _ = run("--baseline", str(baseline), "--fail-on", "info")
    assert code == 0
    assert data["summary"]["baselined"] == len(stored) == len(data["findings"])
    # A stricter threshold makes new findings; only they fail.
    code, data, _ = run(
        "--baseline",
        str(baseline),
        "--fail-on",
        "info",
        "--param",
        "low-execution-rate.threshold=95",
    )
    new = [f for f in data["findings"] if f["status"] == "open"]
    assert code == 1
    assert {f["rule"] for f in new} == {"low-execution-rate"}
    assert {f["record"] for f in new} == {
        "public-culture",
        "government-affairs",
        "housing-security",
    }


def test_fingerprints_do_not_depend_on_line_numbers(tmp_path: Path) -> None:
    batch = seed_copy(tmp_path)
    _, before, _ = run()
    clinic = batch / "05-village-clinics.yaml"
    clinic.write_text("# 新增一行注释\n" + clinic.read_text("utf-8"), "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "auditcheck", "run", str(batch), "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    after = json.loads(proc.stdout)

    def prints(data: dict) -> dict[str, int]:
        return {
            f["fingerprint"]: f["line"]
            for f in data["findings"]
            if f["record"] == "village-clinics"
        }

    assert set(prints(before)) == set(prints(after))
    assert all(prints(after)[fp] == line + 1 for fp, line in prints(before).items())
