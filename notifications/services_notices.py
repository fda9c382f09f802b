"""Writes of the people's side of the ladder: a 督办单 from issue to accepted reply, a leader's 约谈 decision, and a
催办 sent by hand on a missing part. Keyword-only, atomic, audited (``tasks.audit.audit_record``), each checks the
acting user itself.

Lock order, always: the watch's row (issuing, deciding), then the notice's row. A 催办 by hand locks the part's row
only (the task report is read, not locked: ``workflow.services`` locks a part before its task report, never the other
way round, and so must we); its once-a-day limit is a unique constraint. Nothing here locks a report and then a
watch.

Errors: ``NotFound`` (404: outside the actor's units, never saying which), ``PermissionDenied`` (403: visible, but not
this actor's step), ``Conflict`` (409: wrong state, stale version, a second click, already chased today),
``ValidationError`` (400).

Messages: each step tells the people who must act next, at once (in-app, delivered when written — the in-app
channel is the database — with a unique key per notice, step and version, so a retry never tells twice). A 催办 by
hand is also queued for the other enabled channels (its slot names the part's step, which the delivery stage checks
again); the notices' messages are in-app only until the delivery stage knows notices (docs/notifications.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import planner, subjects, writing
from notifications.models import (
    InterviewDecision,
    ManualChase,
    Notification,
    SupervisionNotice,
    Watch,
)
from notifications.selectors_notices import (
    HOLDER_ROLE,
    MISSING_STATUSES,
    ladder_level,
    notice_due,
    notice_level,
    notice_list,
    working_day_of,
)
from notifications.services import policy_current
from tasks.audit import audit_record
from tasks.errors import Conflict, NotFound
from tasks.lifecycle import Status
from tasks.models import Report
from tasks.policy import visible_reports
from tasks.workdays import add_working_days, working_days_between
from units.models import Membership
from units.selectors import Scope, user_scope

#: Working days a unit has to sign for a notice, and to reply in writing (DOMAIN.md: 5).
RECEIPT_DAYS = 1
REPLY_DAYS = 5

N = SupervisionNotice.Status


# --- messages -------------------------------------------------------------------------------------------------------

def _unit_members(unit_id: int, roles: Iterable[str]) -> list[int]:
    return list(Membership.objects.filter(unit_id=unit_id, role__in=list(roles), user__is_active=True,
                                          unit__active=True).order_by("user_id").values_list("user_id", flat=True)
                .distinct())


def _everyone_with(role: str) -> list[int]:
    return list(Membership.objects.filter(role=role, user__is_active=True, unit__active=True)
                .order_by("user_id").values_list("user_id", flat=True).distinct())


def _tell(messages: list[Notification], *, now: datetime) -> int:
    """Write these messages once each (``notifications.writing``: a key already written is skipped) with their
    in-app delivery already sent and a pending delivery on every other channel the recipient enabled for the kind
    (``preferences``: a 督办单's steps and 约谈 go out at once by default; the outbox checks the step again before
    sending). Returns how many are new."""
    return len(writing.messages_write_once([writing.message_row(m) for m in messages], now=now, in_app_sent=True))


def _notice_messages(notice: SupervisionNotice, users: Iterable[int], *, role: str, step: str, title: str,
                     body: str, now: datetime, kind: str = Notification.Kind.NOTICE, level: int | None = None
                     ) -> list[Notification]:
    url = reverse("notice-detail", kwargs={"pk": notice.pk})
    return [Notification(
        recipient_id=user_id, role=role, unit_id=notice.unit_id, kind=kind, notice_id=notice.pk,
        level=notice.level if level is None else level, slot=f"notice:{step}", title=title[:300], body=body,
        key=Notification.make_key(subject=f"notice:{notice.pk}", recipient_id=user_id, kind=kind,
                                  slot=f"notice:{step}"), url=url, created_at=now,
    ) for user_id in dict.fromkeys(users)]


# --- checks ---------------------------------------------------------------------------------------------------------

def _require_supervisor(scope: Scope) -> None:
    if not scope.is_supervisor:
        raise PermissionDenied(_("只有督查专班可以执行此操作。"))


def _is_unit_member(scope: Scope, unit_id: int) -> bool:
    return scope.has_role(unit_id, Membership.Role.REPORTER) or scope.has_role(unit_id, Membership.Role.HEAD)


def _check_version(notice: SupervisionNotice, version: int | None) -> None:
    if version is not None and int(version) != notice.version:
        raise Conflict(_("督办单已被他人处理（当前版本 %(current)s，你提交的是 %(sent)s），请刷新后再试。")
                       % {"current": notice.version, "sent": version})


def _wrong_status(notice: SupervisionNotice) -> Conflict:
    return Conflict(_("督办单当前状态为“%(status)s”，不能执行此操作。") % {"status": notice.get_status_display()})


def _lock_notice(actor: AbstractBaseUser, notice_id: int) -> SupervisionNotice:
    """The notice, row-locked, if the actor may see it (404 otherwise)."""
    try:
        return notice_list(user=actor).select_for_update(of=("self",)).get(pk=notice_id)
    except SupervisionNotice.DoesNotExist:
        raise NotFound from None


def _audit(notice: SupervisionNotice, action: str, actor: AbstractBaseUser, *, before: str, comment: str = "",
           **after: object) -> None:
    audit_record(action=action, obj=notice, actor=actor, unit_id=notice.unit_id, plan_id=notice.plan_id,
                 before={"status": before}, after={"status": notice.status, "version": notice.version, **after},
                 comment=comment)


def _lock_watch_subject(actor: AbstractBaseUser, watch_id: int) -> tuple[Watch, subjects.Subject]:
    """The watch, row-locked, and its subject; 404 for an unknown watch, 409 when its item is no longer open."""
    try:
        watch = Watch.objects.select_for_update().get(pk=watch_id)
    except Watch.DoesNotExist:
        raise NotFound from None
    if watch.milestone_id is not None:
        subject = subjects.milestone_subject(subjects.milestones([watch.milestone_id])[watch.milestone_id])
    else:
        subject = subjects.report_subject(subjects.reports([watch.report_id])[watch.report_id])  # type: ignore[index]
    if subject is None or subject.unit_id is None:
        raise Conflict(_("该事项已办结或不在办理中。"))
    return watch, subject


# --- 督办单 ----------------------------------------------------------------------------------------------------------

@transaction.atomic
def notice_issue(*, actor: AbstractBaseUser, watch_id: int, requirements: str = "",
                 now: datetime | None = None) -> SupervisionNotice:
    """A supervisor issues a 督办单 on an overdue item (a board row: its watch). 403 for anyone else; 404 for an
    unknown item; 409 when the item is not open or not overdue, or already has an open notice. The unit's reporters
    and heads are told at once; the receipt is due in ``RECEIPT_DAYS`` working day, the reply in ``REPLY_DAYS``."""
    now = now or timezone.now()
    scope = user_scope(actor)
    _require_supervisor(scope)
    watch, subject = _lock_watch_subject(actor, watch_id)
    today = timezone.localdate(now)
    if subject.due_date is None or subject.due_date >= today:
        raise Conflict(_("该事项尚未逾期，不能下发督办单。"))
    plan_id = (subjects.milestones([subject.milestone_id])[subject.milestone_id].task.plan_id  # type: ignore[index]
               if subject.milestone_id else
               subjects.reports([subject.report_id])[subject.report_id].round.plan_id)  # type: ignore[index]
    open_notices = SupervisionNotice.objects.exclude(status=N.ACCEPTED)
    if open_notices.filter(Q(milestone_id=subject.milestone_id) if subject.milestone_id
                           else Q(report_id=subject.report_id)).exists():
        raise Conflict(_("该事项已有办理中的督办单。"))
    notice = SupervisionNotice(
        milestone_id=subject.milestone_id, report_id=subject.report_id, unit_id=subject.unit_id, plan_id=plan_id,
        title=f"{subject.what}：{subject.label}"[:300], requirements=requirements.strip(), level=2,
        issued_by=actor, issued_at=now, receipt_due=add_working_days(today, RECEIPT_DAYS),
        reply_due=add_working_days(today, REPLY_DAYS))
    try:
        with transaction.atomic():
            notice.save()
    except IntegrityError:  # another supervisor issued one for this item at the same moment
        raise Conflict(_("该事项已有办理中的督办单。")) from None
    audit_record(action="notice_issue", obj=notice, actor=actor, unit_id=notice.unit_id, plan_id=plan_id,
                 after={"status": notice.status, "watch": watch.pk, "receipt_due": notice.receipt_due,
                        "reply_due": notice.reply_due, "overdue_days": working_days_between(subject.due_date, today)},
                 comment=notice.requirements)
    title = _("【督办单】%(title)s") % {"title": notice.title}
    body = _("%(unit)s · 请于 %(receipt)s 前签收，%(reply)s 前书面回复整改措施。") % {
        "unit": subject.unit_name, "receipt": notice.receipt_due.isoformat(), "reply": notice.reply_due.isoformat()}
    users = _unit_members(notice.unit_id, (Membership.Role.REPORTER, Membership.Role.HEAD))
    _tell(_notice_messages(notice, users, role=Membership.Role.HEAD, step="issued", title=title, body=body, now=now),
          now=now)
    return notice


@transaction.atomic
def notice_receipt(*, actor: AbstractBaseUser, notice_id: int, version: int | None = None,
                   now: datetime | None = None) -> SupervisionNotice:
    """The unit (a reporter or head of the notice's unit) signs for receipt. 404 outside the unit, 403 for a
    supervisor or leader (not their step), 409 once signed or with a stale version."""
    now = now or timezone.now()
    notice = _lock_notice(actor, notice_id)
    if not _is_unit_member(user_scope(actor), notice.unit_id):
        raise PermissionDenied(_("只有督办单位的填报员或负责人可以签收。"))
    _check_version(notice, version)
    if notice.status != N.ISSUED:
        raise _wrong_status(notice)
    before = notice.status
    notice.status, notice.received_by, notice.received_at = N.RECEIVED, actor, now
    notice.version += 1
    notice.save(update_fields=["status", "received_by", "received_at", "version"])
    _audit(notice, "notice_receipt", actor, before=before)
    return notice


@transaction.atomic
def notice_reply(*, actor: AbstractBaseUser, notice_id: int, reply: str, measures: str = "",
                 version: int | None = None, now: datetime | None = None) -> SupervisionNotice:
    """The unit replies in writing with its measures (after signing; again after a return). 400 without a reply,
    404 outside the unit, 403 for others, 409 in any other state or with a stale version. The issuer is told."""
    now = now or timezone.now()
    notice = _lock_notice(actor, notice_id)
    if not _is_unit_member(user_scope(actor), notice.unit_id):
        raise PermissionDenied(_("只有督办单位的填报员或负责人可以回复。"))
    _check_version(notice, version)
    if notice.status not in (N.RECEIVED, N.RETURNED):
        raise _wrong_status(notice)
    if not reply.strip():
        raise ValidationError({"reply": [_("请填写书面回复。")]})
    before = notice.status
    notice.status, notice.reply, notice.measures = N.REPLIED, reply.strip(), measures.strip()
    notice.replied_by, notice.replied_at = actor, now
    notice.version += 1
    notice.save(update_fields=["status", "reply", "measures", "replied_by", "replied_at", "version"])
    late = notice.reply_due < timezone.localdate(now)
    _audit(notice, "notice_reply", actor, before=before, on_time=not late)
    title = _("【督办单回复】%(unit)s 已回复：%(title)s") % {"unit": notice.unit.short_name, "title": notice.title}
    _tell(_notice_messages(notice, [notice.issued_by_id], role=Membership.Role.SUPERVISOR,
                           step=f"replied-v{notice.version}", title=title, body=_("请审核回复：办结或退回。"), now=now),
          now=now)
    return notice


@transaction.atomic
def notice_accept(*, actor: AbstractBaseUser, notice_id: int, version: int | None = None,
                  now: datetime | None = None) -> SupervisionNotice:
    """A supervisor accepts the reply: the notice is closed (办结). 403 for others, 409 unless replied."""
    now = now or timezone.now()
    notice = _lock_notice(actor, notice_id)
    _require_supervisor(user_scope(actor))
    _check_version(notice, version)
    if notice.status != N.REPLIED:
        raise _wrong_status(notice)
    before = notice.status
    notice.status, notice.decided_by, notice.decided_at = N.ACCEPTED, actor, now
    notice.version += 1
    notice.save(update_fields=["status", "decided_by", "decided_at", "version"])
    _audit(notice, "notice_accept", actor, before=before)
    users = _unit_members(notice.unit_id, (Membership.Role.REPORTER, Membership.Role.HEAD))
    title = _("【督办单办结】%(title)s") % {"title": notice.title}
    _tell(_notice_messages(notice, users, role=Membership.Role.HEAD, step="accepted", title=title,
                           body=_("督查专班已审核通过你单位的回复。"), now=now), now=now)
    return notice


@transaction.atomic
def notice_return(*, actor: AbstractBaseUser, notice_id: int, reason: str, version: int | None = None,
                  now: datetime | None = None) -> SupervisionNotice:
    """A supervisor returns the reply with a reason; the unit replies again within ``REPLY_DAYS`` working days of
    today. 400 without a reason, 403 for others, 409 unless replied. The unit is told at once."""
    now = now or timezone.now()
    notice = _lock_notice(actor, notice_id)
    _require_supervisor(user_scope(actor))
    _check_version(notice, version)
    if notice.status != N.REPLIED:
        raise _wrong_status(notice)
    if not reason.strip():
        raise ValidationError({"reason": [_("退回须填写理由。")]})
    before = notice.status
    notice.status, notice.return_reason = N.RETURNED, reason.strip()
    notice.times_returned += 1
    notice.reply_due = add_working_days(timezone.localdate(now), REPLY_DAYS)
    notice.decided_by, notice.decided_at = actor, now
    notice.version += 1
    notice.save(update_fields=["status", "return_reason", "times_returned", "reply_due", "decided_by", "decided_at",
                               "version"])
    _audit(notice, "notice_return", actor, before=before, comment=notice.return_reason, reply_due=notice.reply_due)
    users = _unit_members(notice.unit_id, (Membership.Role.REPORTER, Membership.Role.HEAD))
    title = _("【督办单退回】%(title)s") % {"title": notice.title}
    body = _("退回理由：%(reason)s\n请于 %(due)s 前重新回复。") % {"reason": notice.return_reason,
                                                              "due": notice.reply_due.isoformat()}
    _tell(_notice_messages(notice, users, role=Membership.Role.HEAD, step=f"returned-v{notice.version}",
                           title=title, body=body, now=now), now=now)
    return notice


def notices_overdue_sweep(*, now: datetime, policy: planner.Policy | None = None) -> int:
    """Open notices remind and climb by themselves (beat, with the reminder sweep), from the policy's ``send_at``
    (08:30 Asia/Shanghai) of each day, like the planner's occasions — never at midnight:

    - on the day the receipt or the reply is due, the unit's reporters and heads are reminded (督办单到期), once per
      step and due date;
    - a notice whose receipt or reply is late tells the unit's head and its issuer (督办单逾期, level 2) once per step
      and due date; late by as many working days again as separate 督办 from 约谈 (8 by default), it recommends a 约谈
      to the leadership (level 3), once.

    Idempotent (the messages' unique keys). Queries: the notices due or late, their people, the leaders when one is
    needed, then the write (few: one notice per overdue item at most)."""
    policy = policy or policy_current()
    local = now.astimezone(planner.SHANGHAI)
    if local.time().replace(tzinfo=None) < policy.send_at:
        return 0  # today's reminders and rungs fall at send_at; yesterday's were sent yesterday
    today = local.date()
    waiting = list(SupervisionNotice.objects.filter(
        Q(status=N.ISSUED, receipt_due__lte=today)
        | Q(status__in=[N.RECEIVED, N.RETURNED], reply_due__lte=today)).select_related("unit"))
    if not waiting:
        return 0
    people: dict[tuple[int, str], list[int]] = {}
    for unit_id, role, user_id in (Membership.objects.filter(
            unit_id__in={n.unit_id for n in waiting}, role__in=[Membership.Role.REPORTER, Membership.Role.HEAD],
            user__is_active=True).order_by("user_id").values_list("unit_id", "role", "user_id")):
        people.setdefault((unit_id, role), []).append(user_id)
    leaders: list[int] | None = None
    messages: list[Notification] = []
    for notice in waiting:
        due = notice_due(notice)
        assert due is not None
        what = _("签收") if notice.status == N.ISSUED else _("回复")
        heads = people.get((notice.unit_id, Membership.Role.HEAD), [])
        if due == today:
            title = _("【督办单到期】今天须%(what)s：%(title)s") % {"what": what, "title": notice.title}
            messages += _notice_messages(
                notice, people.get((notice.unit_id, Membership.Role.REPORTER), []) + heads,
                role=Membership.Role.HEAD, step=f"due-{notice.status}-{due.isoformat()}", title=title,
                body=_("请于今天内办理。"), now=now)
            continue
        days = working_days_between(due, today)
        step = f"late-{notice.status}-{due.isoformat()}"
        title = _("【督办单逾期】%(unit)s 逾期未%(what)s（%(n)s 个工作日）：%(title)s") % {
            "unit": notice.unit.short_name, "what": what, "n": days, "title": notice.title}
        messages += _notice_messages(notice, heads, role=Membership.Role.HEAD, step=step,
                                     title=title, body=_("请尽快办理。"), now=now)
        messages += _notice_messages(notice, [notice.issued_by_id], role=Membership.Role.SUPERVISOR, step=step,
                                     title=title, body=_("督办单逾期，请跟进。"), now=now)
        if notice_level(policy, days) >= 3:
            if leaders is None:
                leaders = _everyone_with(Membership.Role.LEADER)
            messages += _notice_messages(
                notice, leaders, role=Membership.Role.LEADER, step=f"interview-{due.isoformat()}",
                title=_("【建议约谈】%(unit)s 督办单逾期 %(n)s 个工作日：%(title)s") % {
                    "unit": notice.unit.short_name, "n": days, "title": notice.title},
                body=_("已达约谈条件，建议约谈责任单位（由领导决定）。"), now=now,
                kind=Notification.Kind.INTERVIEW, level=3)
    with transaction.atomic():
        return _tell(messages, now=now)


# --- 约谈 ------------------------------------------------------------------------------------------------------------

@transaction.atomic
def interview_decide(*, actor: AbstractBaseUser, watch_id: int, outcome: str, minutes: str,
                     now: datetime | None = None) -> InterviewDecision:
    """A leader decides on a 约谈 the planner recommends for an overdue item (a board row): to hold it, with its
    minutes, or not, with the reason. 403 for anyone but the leadership; 404 for an unknown item; 409 when the item
    is not at the 约谈 rung (``ladder_level`` 3) nor has a 督办单 late enough; 400 without minutes."""
    now = now or timezone.now()
    scope = user_scope(actor)
    if not scope.is_leader:
        raise PermissionDenied(_("只有领导可以决定约谈。"))
    if outcome not in InterviewDecision.Outcome.values:
        raise ValidationError({"outcome": [_("请选择约谈或暂不约谈。")]})
    if not minutes.strip():
        raise ValidationError({"minutes": [_("请填写约谈纪要或不约谈的理由。")]})
    watch, subject = _lock_watch_subject(actor, watch_id)
    policy, today = policy_current(), timezone.localdate(now)
    level = ladder_level(policy, working_days_between(subject.due_date, today)) if subject.due_date else 0
    if level < 3:
        raise Conflict(_("该事项未达约谈条件。"))
    decision = InterviewDecision.objects.create(
        milestone_id=subject.milestone_id, report_id=subject.report_id, unit_id=subject.unit_id, outcome=outcome,
        minutes=minutes.strip(), decided_by=actor, decided_at=now)
    audit_record(action="interview_decide", obj=decision, actor=actor, unit_id=subject.unit_id,
                 after={"outcome": outcome, "watch": watch.pk, "level": level}, comment=decision.minutes)
    return decision


# --- 催办 by hand ----------------------------------------------------------------------------------------------------

@transaction.atomic
def report_chase(*, actor: AbstractBaseUser, report_id: int, part_id: int,
                 now: datetime | None = None) -> ManualChase:
    """The lead unit (a reporter or head of the task report's unit) or a supervisor sends a 催办 on a part of the task
    report that is still missing (to fill, or to sign off in its unit): its unit's reporters and head are told at
    once. Once per part per working day (a 催办 on a Saturday counts for Monday). 404 for a report the actor may not
    see, or a part not of it; 403 for anyone else who sees it; 409 for a part no longer missing, or already chased
    this working day."""
    now = now or timezone.now()
    scope = user_scope(actor)
    try:
        task_report = (visible_reports(user=actor).select_related("round", "task", "unit")
                       .get(pk=report_id, kind=Report.Kind.TASK))
    except Report.DoesNotExist:
        raise NotFound from None
    if not (scope.is_supervisor or _is_unit_member(scope, task_report.unit_id)):
        raise PermissionDenied(_("只有牵头单位或督查专班可以催办。"))
    try:
        part = (Report.objects.select_for_update(of=("self",)).select_related("unit")
                .get(pk=part_id, task_report_id=task_report.pk))
    except Report.DoesNotExist:
        raise NotFound from None
    if part.status not in MISSING_STATUSES:
        raise Conflict(_("该单位报告已报送，无需催办。"))
    day = working_day_of(timezone.localdate(now))
    try:
        with transaction.atomic():
            chase = ManualChase.objects.create(part=part, day=day, chased_by=actor, chased_at=now)
    except IntegrityError:
        raise Conflict(_("今天已催办过该单位，请明天再催。")) from None
    audit_record(action="report_chase", obj=part, actor=actor, unit_id=part.unit_id, plan_id=task_report.round.plan_id,
                 task_id=task_report.task_id, lead_unit_id=task_report.unit_id,
                 after={"day": day, "holder": HOLDER_ROLE[Status(part.status)]})
    subject = subjects.report_subject(subjects.reports([part.pk])[part.pk])
    kind = subject.item.kind if subject is not None else "fill"
    slot = f"{kind}:chase-by-hand:{day.isoformat()}"
    title = _("【催办】%(lead)s 催报：%(period)s %(task)s") % {
        "lead": task_report.unit.short_name, "period": task_report.round.period,
        "task": f"{task_report.task.code} {task_report.task.title}"}
    body = _("%(unit)s 的单位报告尚未报送牵头单位（截止 %(due)s），请尽快办理。本催办同时发给经办人和单位负责人。") % {
        "unit": part.unit.short_name, "due": part.due_date.isoformat()}
    users = _unit_members(part.unit_id, (Membership.Role.REPORTER, Membership.Role.HEAD))
    head_ids = set(_unit_members(part.unit_id, (Membership.Role.HEAD,)))
    messages = []
    for user_id in users:
        role = Membership.Role.HEAD if user_id in head_ids else Membership.Role.REPORTER
        messages.append(Notification(
            recipient_id=user_id, role=role, unit_id=part.unit_id, kind=Notification.Kind.CHASE, level=1, slot=slot,
            key=Notification.make_key(subject=f"report:{part.pk}", recipient_id=user_id,
                                      kind=Notification.Kind.CHASE, slot=slot),
            title=title[:300], body=body, url=reverse("report-detail", kwargs={"pk": part.pk}), report_id=part.pk,
            illustrative=subject.illustrative if subject is not None else False, created_at=now))
    _tell(messages, now=now)
    return chase


@transaction.atomic
def round_unit_chase(*, actor: AbstractBaseUser, round_id: int, unit_id: int,
                     now: datetime | None = None) -> list[ManualChase]:
    """A supervisor chases, from the round page, every part a unit still owes in a round (to fill, or to sign off in
    the unit) that was not chased this working day yet: one 催办 per part (``ManualChase``: the same rate limit as
    the lead unit's 催办 on one part), one message per person of the unit listing them. 404 for a round the actor
    may not read; 403 for anyone but a supervisor (a lead unit chases its co-units from its task reports); 409 when
    the unit owes nothing in the round, or everything it owes was chased today. The parts are locked, so two
    supervisors at once chase each part once."""
    now = now or timezone.now()
    scope = user_scope(actor)
    if not visible_reports(user=actor).filter(round_id=round_id).exists():
        raise NotFound
    if not scope.is_supervisor:
        raise PermissionDenied(_("只有督查专班可以按单位催办。"))
    parts = list(Report.objects.select_for_update(of=("self",)).select_related("unit", "round", "task")
                 .filter(round_id=round_id, kind=Report.Kind.PART, unit_id=unit_id, status__in=MISSING_STATUSES)
                 .order_by("task_sort_key", "pk"))
    if not parts:
        raise Conflict(_("该单位本轮没有尚未报送的单位报告。"))
    day = working_day_of(timezone.localdate(now))
    chased = set(ManualChase.objects.filter(part__in=parts, day=day).values_list("part_id", flat=True))
    parts = [part for part in parts if part.pk not in chased]
    if not parts:
        raise Conflict(_("今天已催办过该单位，请明天再催。"))
    chases = ManualChase.objects.bulk_create(
        [ManualChase(part=part, day=day, chased_by=actor, chased_at=now) for part in parts])
    round_, unit = parts[0].round, parts[0].unit
    audit_record(action="round_unit_chase", obj=round_, actor=actor, unit_id=unit.pk, plan_id=round_.plan_id,
                 after={"day": day, "parts": [part.pk for part in parts]})
    waiting = {Status.DRAFT: _("待填报"), Status.SUBMITTED: _("待负责人审签")}
    lines = [f"· {part.task.code} {part.task.title}（{waiting[Status(part.status)]}）" for part in parts[:10]]
    if len(parts) > 10:
        lines.append(_("…另有 %(n)s 项") % {"n": len(parts) - 10})
    title = _("【催办】督查专班催报：%(period)s 本单位 %(n)s 份单位报告未报送") % {
        "period": round_.period, "n": len(parts)}
    body = _("截止 %(due)s。请尽快办理：\n%(lines)s") % {"due": round_.due_date.isoformat(), "lines": "\n".join(lines)}
    slot = f"round-chase:{round_.pk}:{day.isoformat()}"
    head_ids = set(_unit_members(unit.pk, (Membership.Role.HEAD,)))
    messages = [Notification(
        recipient_id=user_id, role=Membership.Role.HEAD if user_id in head_ids else Membership.Role.REPORTER,
        unit_id=unit.pk, kind=Notification.Kind.CHASE, level=1, slot=slot,
        key=Notification.make_key(subject=f"round:{round_.pk}:unit:{unit.pk}", recipient_id=user_id,
                                  kind=Notification.Kind.CHASE, slot=slot),
        title=title[:300], body=body, url=reverse("inbox"), illustrative=round_.illustrative, created_at=now,
    ) for user_id in _unit_members(unit.pk, (Membership.Role.REPORTER, Membership.Role.HEAD))]
    _tell(messages, now=now)
    return chases
