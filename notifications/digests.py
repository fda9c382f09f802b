"""The daily digest: at 08:30 Asia/Shanghai (beat), one message per person who has something in it, listing what
waits for them — overdue, due today, due within 7 days, returned to them, waiting for their review — delivered
in-app and on every channel they enabled.

Contract (``digests_write``):

- **What is in it.** Every open milestone and report step (``notifications.subjects``, the same rules as the sweep)
  for the people who act on it (``planner.ACTOR`` in its unit; supervisors anywhere), each in one section
  (``section_of``, pure): a report returned to its unit → *returned*; the supervisors' review (no due date) →
  *review*; otherwise by its due date: *overdue*, *due today*, *due within 7 days*; later ones are left out. A
  person with nothing gets no digest.
- **Exactly once per person per day.** The message's unique key is ``digest|user:<id>|<date>``; it is inserted with
  ``ON CONFLICT DO NOTHING`` and only new ones get deliveries (unique per message and channel), so a second run on
  the same day — a retried job, two beats — writes nothing.
- **A constant number of queries**, whatever the number of people and items (about ten).
- Delivery is the outbox's (``notifications.outbox``), outside any transaction, as for every message.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from notifications import subjects, writing
from notifications.models import Notification
from notifications.planner import ACTOR, SHANGHAI, ItemKind
from tasks.lifecycle import is_returned
from tasks.models import Milestone, Report

SECTIONS = ("overdue", "due_today", "due_soon", "returned", "review")
DUE_SOON_DAYS = 7
MAX_LINES = 20  # per section; the rest is counted


def _titles() -> dict[str, str]:
    return {"overdue": _("已逾期"), "due_today": _("今天到期"), "due_soon": _("7 天内到期"),
            "returned": _("退回给你"), "review": _("等待你审核")}


def section_of(*, kind: ItemKind, due_date: date | None, returned: bool, today: date) -> str | None:
    """The digest section of an open item on ``today``, or None when it does not belong in today's digest. Pure."""
    if returned:
        return "returned"
    if kind == ItemKind.REVIEW:
        return "review"
    if due_date is None:
        return None
    if due_date < today:
        return "overdue"
    if due_date == today:
        return "due_today"
    if due_date <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return None


@dataclass(frozen=True)
class Entry:
    section: str
    label: str
    what: str
    due_date: date | None


def digest_entries(*, today: date) -> dict[int, list[Entry]]:
    """What each person's digest lists on ``today``, by user id (people with nothing are absent). Three queries."""
    found: list[tuple[subjects.Subject, bool]] = []
    milestones = Milestone.objects.filter(subjects.open_milestones_q(),
                                          due_date__lte=today + timedelta(days=DUE_SOON_DAYS))
    for milestone in milestones.select_related("task", "task__plan", "task__lead_unit", "owner_unit"):
        subject = subjects.milestone_subject(milestone)
        if subject is not None:
            found.append((subject, False))
    reports = Report.objects.filter(subjects.open_reports_q()).select_related("round", "round__plan", "task", "unit")
    for report in reports:
        subject = subjects.report_subject(report)
        if subject is not None:
            found.append((subject, is_returned(status=report.status, times_returned=report.times_returned)))
    people = subjects.recipients(unit for subject, _returned in found for unit in subject.item.unit_ids)
    entries: dict[int, list[Entry]] = defaultdict(list)
    for subject, returned in found:
        section = section_of(kind=subject.item.kind, due_date=subject.due_date, returned=returned, today=today)
        if section is None:
            continue
        entry = Entry(section=section, label=subject.label, what=subject.what, due_date=subject.due_date)
        for user_id in people.users(ACTOR[subject.item.kind], subject.item.unit_ids):
            entries[user_id].append(entry)
    return dict(entries)


def compose_digest(entries: list[Entry], *, today: date) -> tuple[str, str]:
    """(title, body) of one person's digest, in the active language."""
    titles = _titles()
    by_section: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_section[entry.section].append(entry)
    counts = "，".join(_("%(section)s %(n)s 项") % {"section": titles[name], "n": len(by_section[name])}
                      for name in SECTIONS if by_section[name])
    title = _("【每日汇总】%(date)s：%(counts)s") % {"date": today.isoformat(), "counts": counts}
    blocks = []
    for name in SECTIONS:
        rows = sorted(by_section[name], key=lambda entry: (entry.due_date or date.max, entry.label))
        if not rows:
            continue
        lines = [f"{titles[name]}（{len(rows)}）"]
        for entry in rows[:MAX_LINES]:
            due = _("，截止 %(date)s") % {"date": entry.due_date.isoformat()} if entry.due_date else ""
            lines.append(f"· {entry.label}（{entry.what}{due}）")
        if len(rows) > MAX_LINES:
            lines.append(_("…另有 %(n)s 项") % {"n": len(rows) - MAX_LINES})
        blocks.append("\n".join(lines))
    return title[:300], "\n\n".join(blocks)


def digests_write(*, now: datetime) -> int:
    """Write today's digest (Asia/Shanghai) for everyone who has something in it, with their deliveries; returns how
    many it wrote (two runs at the very same instant may both count the same rows; neither writes a second copy).
    Idempotent: exactly one digest per person per day (see the module's contract)."""
    today = now.astimezone(SHANGHAI).date()
    with translation.override(settings.LANGUAGE_CODE):
        entries = digest_entries(today=today)
        url = reverse("inbox")
        messages = {}
        for user_id, rows in entries.items():
            title, body = compose_digest(rows, today=today)
            key = f"digest|user:{user_id}|{today.isoformat()}"
            messages[key] = Notification(recipient_id=user_id, kind=Notification.Kind.DIGEST, level=0,
                                         slot=f"digest:{today.isoformat()}", key=key, title=title, body=body,
                                         url=url, created_at=now)
    return messages_write_once(messages, now=now)


def messages_write_once(messages: dict[str, Notification], *, now: datetime) -> int:
    """Insert these messages once each (``notifications.writing``), with the deliveries of the new ones only (after
    each person's quiet hours); returns how many were new. A key written before — an earlier run, another worker
    that got there first — writes nothing, so a digest or a briefing goes out once."""
    with transaction.atomic():
        return len(writing.messages_write_once([writing.message_row(m) for m in messages.values()], now=now))
