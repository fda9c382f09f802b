"""Reasons in words. A rule returns a :class:`Reason` (a code and its values); it is worded, in the reader's
language, only when shown, so a stored snapshot can be read in zh-hans and English alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "accepted": _("任务已验收办结"),
    "not_started": _("尚无到期节点，也未报送"),
    "rolled_up": _("取下级任务中最差的灯色：%(tasks)s"),
    "milestone_overdue": _("节点“%(milestone)s”逾期 %(days)s 天"),
    "gap": _("序时进度差 %(gap)s 个百分点（应完成 %(expected)s%%，已完成 %(actual)s%%）"),
    "missed_round": _("%(period)s 未报送"),
    "no_indicators": _("无量化指标，F1 的权重并入 F2"),
    "no_rubric": _("本期无督查评分（不足 %(raters)s 人），F4 的权重按比例分给其他各项"),
    "no_progress": _("本期无到期任务，F2 的权重按比例分给其他各项"),
    "no_process": _("本期无可计的过程数据，F3 的权重按比例分给其他各项"),
    "duban_pending": _("督办回复按时率暂按 1.0 计（提醒与督办尚未上线）"),
    "veto": _("一票否决：%(item)s"),
    "major_red_light": _("重大任务“%(task)s”亮红灯"),
    "too_little_data": _("计分任务不足 %(minimum)s 项，本期不评价"),
    "rank_not_top": _("分数达到“%(colour)s”，但排名不在前 %(quantile)s%%，降一档"),
    "rank_not_bottom": _("分数落在“%(colour)s”，但排名不在后 %(quantile)s%%，升一档"),
}


@dataclass(frozen=True)
class Reason:
    code: str
    values: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @property
    def text(self) -> str:
        return gettext(str(MESSAGES[self.code])) % self.values if self.values else gettext(str(MESSAGES[self.code]))

    def __str__(self) -> str:
        return self.text


def worded(reasons: list[dict]) -> list[str]:
    """Stored reasons ({code, values}) in the reader's language."""
    return [Reason(item["code"], item.get("values", {})).text for item in reasons if item.get("code") in MESSAGES]
