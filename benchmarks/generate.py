"""Synthetic evaluation records for benchmarks: realistic figures, every rule fires on some.

    python benchmarks/generate.py 100000 -o data/100k.jsonl
    python benchmarks/generate.py 10000 -o data/10k --yaml      # a batch folder

Budgets are log-normal (a few 万元 to tens of thousands), execution rates mostly high
with a tail of low ones, three sub-items on average, and each qualitative fact
(observations, facilities, defects …) present on a minority of records, so that
every rule in the bundled rulebook fires on some records and stays quiet on most.
The output is fully determined by N and --seed.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

# (topic, evidence) pairs: each classified by one observation rule (see rules/topics.yaml).
OBSERVATIONS = [
    ("preparation", "部分项目前期论证不充分"),
    ("scope", "实际改造范围与可研批复有出入"),
    ("design-change", "施工过程中出现变更项目方案的情况"),
    ("performance-targets", "部分指标标杆值设置不明确"),
    ("self-evaluation", "自评标杆值与年初申报值不一致"),
    ("performance-management", "全周期绩效管理不规范"),
    ("contracts", "合同核心条款缺失"),
    ("application", "申报材料不完整"),
    ("supervision", "监督检查工作落实不到位"),
    ("assets", "未定期对固定资产进行盘点"),
    ("information-system", "未充分利用信息化平台"),
    ("facility-operation", "基础设施配套不完善"),
    ("progress", "个别项目建设进度较迟缓"),
    ("acceptance", "决算审计时间不及时"),
    ("awareness", "群众对政策的知晓度不高"),
    ("maintenance", "施工完成后后续管理跟不上"),
    ("maintenance", "后续管护缺少专业力量"),
]
UNITS = [
    "区住建局",
    "区财政局",
    "区卫体局",
    "区文旅局",
    "区民政局",
    "区教育局",
    "区农业农村局",
    "街道办事处",
]
TYPES = ["专项"] * 8 + ["专项债券", "部门整体"]
KINDS_OF_WORK = ["道路硬化", "设备购置", "困难救助", "文化活动", "小区改造"]


def money(value: float) -> float:
    return round(value, 2)


def funds(rng: random.Random, scale: float) -> dict[str, Any]:
    budget = money(rng.lognormvariate(0, 1) * scale)
    rate = min(1.0, rng.betavariate(30, 1.2)) if rng.random() < 0.9 else rng.uniform(0.3, 0.9)
    if rng.random() < 0.01:
        rate = 1.05  # over-spent
    spent = money(budget * rate)
    out: dict[str, Any] = {"budget": budget, "spent": spent}
    if rng.random() < 0.6 and spent <= budget:
        out["stated_balance"] = money(budget - spent + (0.5 if rng.random() < 0.02 else 0))
    if rng.random() < 0.6 and budget:
        stated = round(spent / budget * 100, 2) + (0.3 if rng.random() < 0.02 else 0)
        out["stated_execution_rate"] = round(stated, 2)
    if rng.random() < 0.1:
        out["received"] = money(budget * rng.uniform(0.7, 1.0))
    return out


def record(i: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(TYPES)
    rec: dict[str, Any] = {
        "id": f"p{i:07d}",
        "name": f"2023年第{i}号{rng.choice(KINDS_OF_WORK)}项目",
        "type": kind,
        "units": rng.sample(UNITS, rng.choice([1, 1, 2])),
        "score": round(rng.uniform(55, 98), 2),
    }
    rec["stated_grade"] = (
        "优"
        if rec["score"] >= 90
        else "良"
        if rec["score"] >= 80
        else "中"
        if rec["score"] >= 60
        else "差"
    )
    if rng.random() < 0.01:
        rec["stated_grade"] = "优"
    n_sub = rng.choice([0, 1, 2, 3, 3, 4, 5, 6])
    if kind == "部门整体":
        initial = money(rng.lognormvariate(0, 0.8) * 2000)
        adjusted = money(initial * rng.uniform(0.85, 1.45))
        spent = money(adjusted * rng.uniform(0.8, 1.0))
        rec.update(
            initial_budget=initial,
            adjusted_budget=adjusted,
            spent=spent,
            recovered=money(adjusted - spent),
        )
    elif n_sub:
        subs = [funds(rng, 300) | {"name": f"子项目{j + 1}"} for j in range(n_sub)]
        rec["subitems"] = subs
        rec["budget"] = money(sum(s["budget"] for s in subs))
        rec["spent"] = money(sum(s["spent"] for s in subs))
        if rng.random() < 0.1:
            rec["stated_average_rate"] = round(
                sum(s["spent"] / s["budget"] * 100 for s in subs if s["budget"]) / n_sub, 2
            )
    else:
        rec.update(funds(rng, 500))
    if rng.random() < 0.3:
        total = rng.randint(3, 60)
        done = total if rng.random() < 0.7 else rng.randint(0, total)
        slip = 1 if rng.random() < 0.03 else 0
        rec["subprojects"] = {
            "total": total,
            "completed": done,
            "in_progress": total - done + slip,
            "behind_schedule": rng.choice([0, 0, 0, 0, 0, 1, 3]),
        }
    if "budget" in rec and rng.random() < 0.1:
        first = money(rec["budget"] * 0.6)
        second = money(rec["budget"] - first + (1 if rng.random() < 0.05 else 0))
        rec["sources"] = [
            {"name": "中央资金", "amount": first},
            {"name": "地方配套", "amount": second},
        ]
    if rng.random() < 0.2:
        start = date(2023, 1, 1) + timedelta(days=rng.randint(0, 200))
        end = start + timedelta(days=rng.randint(60, 400))
        sched: dict[str, Any] = {"planned_start": start, "planned_completion": end}
        if rng.random() < 0.5:
            sched["actual_start"] = start + timedelta(days=rng.randint(0, 20))
            sched["actual_completion"] = end + timedelta(days=rng.randint(-30, 90))
            if rng.random() < 0.03:  # a typing slip: completion before start
                sched["actual_completion"] = sched["actual_start"] - timedelta(days=10)
        else:
            sched["completed"] = False
            sched["stated_overdue_months"] = rng.choice([0, 0, 3, 6])
        rec["schedule"] = sched
    if rng.random() < 0.4:
        planned = rng.randint(10, 200)
        actual = planned - rng.choice([0, 0, 0, 0, 0, 2, 5])
        target = {"indicator": "完成数量", "planned": planned, "actual": actual, "unit": "个"}
        target["adjusted"] = rng.random() < 0.5
        if rng.random() < 0.05:
            target["stated_actual_again"] = actual - rng.choice([0, 0, 10])
        rec["targets"] = [target]
    if rng.random() < 0.15:
        topic, evidence = rng.choice(OBSERVATIONS)
        rec["observations"] = [{"topic": topic, "evidence": evidence}]
    if rng.random() < 0.1:
        opened = date(2023, 6, 1) + timedelta(days=rng.randint(0, 100))
        rec["facilities"] = [
            {
                "name": "建成设施",
                "in_use": rng.random() < 0.85,
                "connected": rng.random() < 0.95,
                "scheduled_for_demolition": rng.random() < 0.05,
                "in_use_since": opened,
                "accepted_on": opened + timedelta(days=rng.choice([-30, -10, 5])),
                "expected_output_min": 500,
                "actual_output": rng.choice([480, 520, 300]),
                "output_unit": "吨",
            }
        ]
    if rng.random() < 0.05:
        rec["defects"] = [
            {
                "site": "某村道路",
                "description": "路面裂缝",
                "months_after_completion": rng.randint(1, 36),
            }
        ]
    if rng.random() < 0.05:
        rec["planned_items"] = [{"name": "配套设施", "carried_out": rng.random() < 0.5}]
    if rng.random() < 0.05:
        rec["publicity"] = {
            "channels": rng.sample(["公众号", "宣传单", "培训", "短视频"], rng.randint(1, 4))
        }
    if rng.random() < 0.05:
        rec["surveys"] = [{"subject": "受益群众", "rate": round(rng.uniform(60, 99), 2)}]
    if rng.random() < 0.03:
        rec["activities"] = [
            {"name": "读书会", "sites": 20, "sites_below": rng.randint(0, 5), "below": 10}
        ]
    if rng.random() < 0.03:
        rec["acceptance"] = {"complete": False}
    return rec


BATCH = {"region": "合成数据区", "fiscal_year": 2023, "as_of": date(2024, 6, 30)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("count", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--yaml", action="store_true", help="write a batch folder of YAML files")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if args.yaml:
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / "batch.yaml").write_text(yaml.safe_dump(BATCH, allow_unicode=True), "utf-8")
        for i in range(args.count):
            text = yaml.safe_dump(record(i, rng), allow_unicode=True, sort_keys=False)
            (args.output / f"p{i:07d}.yaml").write_text(text, "utf-8")
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    (args.output.parent / "batch.yaml").write_text(
        yaml.safe_dump(BATCH, allow_unicode=True), "utf-8"
    )
    with args.output.open("w", encoding="utf-8") as out:
        for i in range(args.count):
            out.write(json.dumps(record(i, rng), ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    main()
