"""The leadership's weekly briefing (每周简报): on Monday at 08:30 Asia/Shanghai (beat), one message to each leader
about the week that ended the day before — the reminders' own facts (overdue items per rung of the ladder, 督办单
issued, open, late and closed, the 约谈 waiting for a leader's decision) and whatever the apps above ``tasks`` add
through ``tasks.briefing`` (``evaluation``: the tasks whose light worsened, new reds first; the rounds published with
their new reds and biggest movers).

Contract (``briefings_write``):

- **Who.** Every active leader (``Membership.Role.LEADER`` of an active unit). Leaders see every unit, so the
  briefing is composed once and sent to each.
- **Only when there is something in it**, like the daily digest.
- **Exactly once per leader and week**: the key ``weekly|user:<id>|<last day>``, inserted with ``ON CONFLICT DO
  NOTHING`` (``digests.messages_write_once``); delivered in-app and on every enabled endpoint, after quiet hours.
- A fixed number of queries, whatever the number of leaders or items (the escalation board's three, the notices',
  the sections' own).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from notifications import selectors_notices
from notifications.digests import messages_write_once
from notifications.models import InterviewDecision, Notification, SupervisionNotice
from notifications.planner import SHANGHAI
from notifications.services import policy_current
from tasks.briefing import BriefingSection, Week, briefing_sections
from units.models import Membership

MAX_LINES = 10
N = SupervisionNotice.Status


def escalation_section(week: Week, *, leader) -> BriefingSection | None:
    """The ladder as of the day after the week: overdue items per rung, the week's 督办单, and the items at the 约谈
    rung no leader has decided on (listed, most overdue first). ``leader`` reads the board (leaders see it whole)."""
    today = week.last + timedelta(days=1)
    board = selectors_notices.escalation_board(user=leader, filters=selectors_notices.BoardFilters(), today=today,
                                               policy=policy_current())
    notices = SupervisionNotice.objects.filter(Q(issued_at__date__gte=week.first) | ~Q(status=N.ACCEPTED)
                                               | Q(decided_at__date__gte=week.first))
    issued = open_ = late = closed = 0
    for notice in notices.only("status", "issued_at", "decided_at", "receipt_due", "reply_due"):
        issued += week.first <= notice.issued_at.astimezone(SHANGHAI).date() <= week.last
        if notice.status == N.ACCEPTED:
            closed += (notice.decided_at is not None
                       and week.first <= notice.decided_at.astimezone(SHANGHAI).date() <= week.last)
        else:
            open_ += 1
            due = selectors_notices.notice_due(notice)
            late += due is not None and due < today
    if not board and not (issued or open_ or closed):
        return None
    rungs = [0, 0, 0, 0]
    for item in board:
        rungs[min(item.level, 3)] += 1
    at_top = [item for item in board if item.level >= 3]
    decided = set(InterviewDecision.objects.filter(
        Q(milestone_id__in=[item.milestone_id for item in at_top if item.milestone_id])
        | Q(report_id__in=[item.report_id for item in at_top if item.report_id])).values_list("milestone_id",
                                                                                             "report_id"))
    waiting = sorted((item for item in at_top if (item.milestone_id, item.report_id) not in decided),
                     key=lambda item: (-item.overdue_days, item.label))
    lines = [
        _("逾期事项 %(n)s 项：提醒 %(l0)s、催办 %(l1)s、督办 %(l2)s、约谈 %(l3)s") % {
            "n": len(board), "l0": rungs[0], "l1": rungs[1], "l2": rungs[2], "l3": rungs[3]},
        _("督办单：本周下发 %(issued)s 份、办结 %(closed)s 份；办理中 %(open)s 份，其中逾期 %(late)s 份") % {
            "issued": issued, "closed": closed, "open": open_, "late": late},
    ]
    if waiting:
        lines.append(_("待领导决定的约谈建议 %(n)s 项：") % {"n": len(waiting)})
        lines += [_("· %(unit)s %(label)s（逾期 %(days)s 个工作日）") % {
            "unit": item.unit_name, "label": item.label, "days": item.overdue_days} for item in waiting[:MAX_LINES]]
    return BriefingSection(title=_("督查督办"), lines=tuple(lines), more=max(0, len(waiting) - MAX_LINES))


def compose_briefing(week: Week, sections: list[BriefingSection]) -> tuple[str, str]:
    """(title, body) of the briefing, in the active language."""
    title = _("【每周简报】%(first)s 至 %(last)s") % {"first": week.first.isoformat(), "last": week.last.isoformat()}
    blocks = []
    for section in sections:
        lines = [section.title, *section.lines]
        if section.more:
            lines.append(_("…另有 %(n)s 项") % {"n": section.more})
        blocks.append("\n".join(lines))
    return title, "\n\n".join(blocks)


def briefings_write(*, now: datetime) -> int:
    """Write the briefing of the week that ended yesterday (Asia/Shanghai) for every leader, when it has something
    in it; returns how many it wrote. Idempotent: one per leader and week (see the module's contract)."""
    week = Week(last=now.astimezone(SHANGHAI).date() - timedelta(days=1))
    leaders = list(Membership.objects.filter(role=Membership.Role.LEADER, user__is_active=True, unit__active=True)
                   .select_related("user").order_by("user_id"))
    if not leaders:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        ours = escalation_section(week, leader=leaders[0].user)
        sections = ([ours] if ours is not None else []) + briefing_sections(week)
        if not sections:
            return 0
        title, body = compose_briefing(week, sections)
        url = reverse("inbox")
    slot = f"weekly:{week.last.isoformat()}"
    messages = {}
    for user_id in dict.fromkeys(membership.user_id for membership in leaders):
        key = f"weekly|user:{user_id}|{week.last.isoformat()}"
        messages[key] = Notification(recipient_id=user_id, role=Membership.Role.LEADER, kind=Notification.Kind.WEEKLY,
                                     level=0, slot=slot, key=key, title=title, body=body, url=url, created_at=now)
    return messages_write_once(messages, now=now)
