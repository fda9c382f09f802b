"""The demo's ladder in motion (``manage.py load_demo_reminders``, after ``load_demo`` and ``load_demo_evaluations``):
two 督办单 in flight and the leadership's last weekly briefing, made through the services as people would have made
them in the last few working days, so that each demo account finds something on its pages.

- 市经济信息委 (``jxw-reporter``, ``jxw-head``): a 督办单 on its most recently overdue item, issued by ``supervisor``
  three working days ago and signed for by ``jxw-head`` the next morning: 已签收，待回复, its reply due in two days.
  Each step runs through the services with the clock moved to its moment (``tasks.demo.at_moment``), so the audit
  trail and the messages carry the dates they would have had.
- A district (渝北区 when it has an overdue item, so ``yubei-reporter`` sees it; otherwise the district most
  recently overdue): a 督办单 issued four working days ago, signed for and answered in writing by its reporter:
  已回复，待审核 on ``supervisor``'s list.
- ``leader``: the briefing of the last whole week (Monday 08:30), as the beat would have written it.

Idempotent: with a 督办单 already in the database (an earlier run, or people using the demo), it writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User

from notifications import briefing, selectors_notices
from notifications.models import SupervisionNotice
from notifications.planner import SHANGHAI
from notifications.services import policy_current
from notifications.services_notices import notice_issue, notice_receipt, notice_reply
from tasks.demo import at_moment
from tasks.workdays import is_working_day
from units.models import Unit

LEAD_UNIT = "市经济信息委"
DISTRICT = "渝北区"


@dataclass
class DemoRemindersReport:
    notices: list[str] = field(default_factory=list)
    briefings: int = 0
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return "督办单: already there, nothing written"
        listed = "; ".join(self.notices) or "none (nothing overdue)"
        return f"督办单 in flight: {listed}; weekly briefing to {self.briefings} leader(s)"


def _working_days_ago(today: date, n: int) -> date:
    day = today
    while n:
        day -= timedelta(days=1)
        n -= is_working_day(day)
    return day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def reminders_demo_load(*, now: datetime) -> DemoRemindersReport:
    """Write the demo's 督办单 and last weekly briefing (see the module). Idempotent."""
    report = DemoRemindersReport()
    if SupervisionNotice.objects.exists():
        report.skipped = True
        return report
    today = now.astimezone(SHANGHAI).date()
    supervisor = User.objects.get(username="supervisor")
    issued_a, issued_b = _working_days_ago(today, 3), _working_days_ago(today, 4)
    board = selectors_notices.escalation_board(user=supervisor, filters=selectors_notices.BoardFilters(),
                                               today=today, policy=policy_current())
    # The most recently overdue first: what a supervisor would act on this week, not a years-old gap.
    items = sorted((item for item in board if item.kind != "notice" and item.due_date < issued_b),
                   key=lambda item: (item.overdue_days, item.id))
    units = {unit.pk: unit for unit in Unit.objects.filter(pk__in={item.unit_id for item in items})}

    lead = next((item for item in items if units[item.unit_id].short_name == LEAD_UNIT), None)
    if lead is not None:
        notice = at_moment(_at(issued_a, 10), lambda: notice_issue(
            actor=supervisor, watch_id=lead.id, requirements="请说明逾期原因，提出整改措施和完成时限。"))
        head = User.objects.get(username="jxw-head")
        notice = at_moment(_at(_working_days_ago(today, 2), 9, 15),
                           lambda: notice_receipt(actor=head, notice_id=notice.pk))
        report.notices.append(f"{LEAD_UNIT} {notice.get_status_display()}")

    districts = [item for item in items if units[item.unit_id].kind in Unit.DISTRICT_KINDS]
    district = next((item for item in districts if units[item.unit_id].short_name == DISTRICT),
                    districts[0] if districts else None)
    if district is not None:
        unit = units[district.unit_id]
        reporter = User.objects.filter(memberships__unit=unit, memberships__role="reporter").order_by("pk").first()
        notice = at_moment(_at(issued_b, 10, 30), lambda: notice_issue(
            actor=supervisor, watch_id=district.id, requirements="请于 5 个工作日内书面回复。"))
        if reporter is not None:
            at_moment(_at(issued_b, 15), lambda: notice_receipt(actor=reporter, notice_id=notice.pk))
            notice = at_moment(_at(_working_days_ago(today, 1), 16), lambda: notice_reply(
                actor=reporter, notice_id=notice.pk, reply="已组织专题会议研究，逾期原因系项目审批延后，现已补报。",
                measures="1. 明确专人负责；2. 每周调度进度；3. 下期按时报送。"))
        report.notices.append(f"{unit.short_name} {notice.get_status_display()}")

    monday = today - timedelta(days=today.weekday())
    if monday == today and now.astimezone(SHANGHAI).time() < time(8, 30):
        monday -= timedelta(days=7)
    report.briefings = at_moment(_at(monday, 8, 30), lambda: briefing.briefings_write(now=_at(monday, 8, 30)))
    return report
