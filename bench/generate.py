"""Generate a province-scale plan register as YAML: ~80 units, 5,000 tasks, 20,000 milestones.

Deterministic for a given seed. Uses the real unit directory (units/data/units.yaml), so the
file imports into any database where ``units_load()`` has run.

    python -m bench.generate -o /tmp/province.yaml [--tasks 5000] [--milestones 4] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

UNITS_FILE = Path(__file__).resolve().parent.parent / "units" / "data" / "units.yaml"
WORDS = [
    "推进",
    "实施",
    "建设",
    "培育",
    "完善",
    "加快",
    "强化",
    "提升",
    "打造",
    "深化",
    "优化",
    "落实",
    "统筹",
    "保障",
    "创新",
    "数字",
    "绿色",
    "集群",
    "园区",
    "企业",
    "平台",
]


def _units() -> list[str]:
    data = yaml.safe_load(UNITS_FILE.read_text(encoding="utf-8"))
    return [row["short_name"] for row in data["units"] if row.get("track")]


def _milestones(count: int) -> list[dict]:
    return [
        {"code": f"M{m}", "title": f"第{m}阶段成果", "due": f"{2023 + m}-12-31", "weight": round(100 / count, 2)}
        for m in range(1, count + 1)
    ]


def build(*, tasks: int = 5000, milestones_per_task: int = 4, seed: int = 7, code: str = "bench-province") -> dict:
    """The plan document: 50 parts share the leaf tasks; every task has milestones; every 25th has an indicator."""
    rng = random.Random(seed)
    units = _units()
    parts = 50
    per_part = max(1, (tasks - parts) // parts)
    nodes = []
    made = 0
    indicator_no = 0
    for p in range(1, parts + 1):
        children = []
        for t in range(1, per_part + 1):
            if made + parts >= tasks:
                break
            made += 1
            lead, *responsible = rng.sample(units, 4)
            task = {
                "code": f"{p}.{t}",
                "title": "".join(rng.sample(WORDS, 4)) + f"第{made}项",
                "text": "，".join("".join(rng.sample(WORDS, 6)) for _ in range(4)) + "。",
                "kind": "deliverable",
                "importance": "major" if made % 7 == 0 else "normal",
                "lead": lead,
                "responsible": responsible[: rng.randint(1, 3)],
                "due": f"{rng.choice([2025, 2026, 2027])}-12-31",
                "milestones": _milestones(milestones_per_task),
            }
            if made % 25 == 0:
                indicator_no += 1
                task["kind"] = "indicator"
                task["indicators"] = [
                    {
                        "code": f"IND{indicator_no:04d}",
                        "name": f"指标{indicator_no}",
                        "unit": "%",
                        "direction": "higher",
                        "baseline": {"year": 2022, "value": 10},
                        "target": {"year": 2027, "value": 30},
                        "interim": {2024: 18, 2025: 22, 2026: 26},
                    }
                ]
            children.append(task)
        nodes.append(
            {
                "code": str(p),
                "title": f"第{p}部分",
                "lead": rng.choice(units),
                "milestones": _milestones(milestones_per_task),
                "children": children,
            }
        )
    return {
        "plan": {
            "code": code,
            "title": "省级规模基准方案",
            "start_date": "2023-01-01",
            "end_date": "2027-12-31",
            "cadence": "quarterly",
            "units_illustrative": True,
        },
        "tasks": nodes,
    }


def write(path: Path, **kwargs) -> Path:
    path.write_text(yaml.safe_dump(build(**kwargs), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--milestones", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    write(args.output, tasks=args.tasks, milestones_per_task=args.milestones, seed=args.seed)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
