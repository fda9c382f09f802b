"""docs/evaluation.md's worked example is computed by the code: this test renders it and compares."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import translation

from evaluation.rules import Colour, MilestoneFacts, TaskFacts, UnitFacts, rank_track, task_light, unit_score
from evaluation.rules.scoring import IndicatorShare, ItemEntry, ProcessCounts, TaskShare

DOC = Path(__file__).resolve().parents[2] / "docs" / "evaluation.md"
BLOCK = re.compile(r"<!-- worked-example -->\n```text\n(.*?)```\n", re.S)
D = Decimal
AS_OF = date(2025, 6, 30)


def render() -> str:
    light = task_light(
        TaskFacts(
            milestones=(
                MilestoneFacts("完成项目备案", AS_OF - timedelta(days=12), weight=D(30)),
                MilestoneFacts("主体开工", AS_OF - timedelta(days=40), weight=D(30), done_on=date(2025, 5, 18)),
                MilestoneFacts("竣工投产", date(2025, 12, 31), weight=D(40)),
            ),
            reported=True,
            missed_periods=("2025-Q1",),
        ),
        AS_OF,
    )
    unit = UnitFacts(
        unit="500101",
        tasks=(
            TaskShare("2.3.3", "lead", "major", light.expected, light.actual, light.colour),
            TaskShare("3.1.2", "responsible", "normal", D(40), D(40), Colour.GREEN),
        ),
        indicators=(IndicatorShare("I1", baseline=D(100), interim_target=D(140), actual=D(130)),),
        process=ProcessCounts(
            parts_due=10, parts_on_time=8, reviewed=4, first_pass=3, claims=5, claims_with_evidence=4
        ),
        rubric=((4, 4, 5), (3, 4, 4)),
        items=(ItemEntry("model_case"), ItemEntry("duban", count=2)),
    )
    score = unit_score(unit)
    others = [unit_score(UnitFacts(unit=f"5002{i:02d}", tasks=(TaskShare("9.9", "lead", "normal", D(50), D(a)),)))
              for i, a in enumerate((50, 45, 40, 35, 30, 25, 20, 15, 10))]  # fmt: skip
    standing = next(s for s in rank_track([score, *others]) if s.unit == "500101")
    lines = [
        f"light          {light.colour} (E {light.expected}, A {light.actual}, G {light.gap}, "
        f"overdue {light.overdue_days} d, missed {light.missed_rounds})",
        *(f"  reason       {reason.text}" for reason in light.reasons),
        *(f"{name:<14} {value:.4f}" for name, value in score.components.items() if value is not None),
        "weights        " + ", ".join(f"{name} {weight:.4f}" for name, weight in score.weights.items()),
        f"bonus          +{score.bonus}",
        f"deductions     -{score.deductions}",
        f"score          {score.score}",
        f"rank           {standing.rank} of {len(others) + 1}",
        f"colour         {standing.colour}",
        *(f"  reason       {reason.text}" for reason in standing.reasons),
    ]
    return "\n".join(lines) + "\n"


def test_the_worked_example_in_the_docs_is_what_the_code_computes():
    with translation.override("zh-hans"):
        computed = render()
    found = BLOCK.search(DOC.read_text(encoding="utf-8"))
    assert found, "docs/evaluation.md lost its worked-example block"
    assert found.group(1) == computed, "docs/evaluation.md's worked example is stale; the code computes:\n" + computed
