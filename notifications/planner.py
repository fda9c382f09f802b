"""The reminder planner: given one open item, a policy and ``as_of``, what is due to send now and when the next thing
falls due. Pure: no ORM, no clock (``as_of`` is passed in), frozen dataclasses in and out. The sweep
(``notifications.services``) builds the items from the register and writes what this returns; nothing else decides
when anyone is reminded.

An **item** is something open that waits for someone (``ItemKind``): a milestone, or one step of a report (a part to
fill or to sign off, a task report to consolidate, to sign off for the lead unit, or to review). Who acts on it is
the item kind's ``ACTOR``; the other people of the ladder are the unit's head, the supervisors and the leadership.

**Occasions** (the escalation ladder of DOMAIN.md; every number is a ``Policy`` field):

====================  ===========================================  =====  ==================================
occasion              when (at ``send_at``, 08:30 Asia/Shanghai)   level  to
====================  ===========================================  =====  ==================================
``T-7`` ``T-3`` ``T-1``  7 / 3 / 1 *calendar* days before the due     0      the actor (提醒)
``due-today``         on the due date                              0      the actor (提醒)
``overdue-1wd``       1 *working* day after the due date           1      the actor and the unit head (催办)
``overdue-8wd``       8 working days after                         2      the unit head and the supervisors
                                                                           (督办 recommended)
``overdue-16wd``      16 working days after                        3      the leadership (约谈 recommended)
``stale-5wd``,        every 5 working days an item *without a due*  0      the actor (久未处理)
``stale-10wd`` …      *date* has waited in its step
====================  ===========================================  =====  ==================================

- T-n counts calendar days, as ``tasks.due`` does ("due within 7 days"): a T-1 may fall on a Sunday. The overdue
  ladder counts working days on the Chinese public-holiday calendar with 调休 (``tasks.workdays``; for a year the
  ``chinesecalendar`` package does not cover yet, Monday to Friday are working days).
- Levels 2 and 3 are *recommendations* to the people who decide (DOMAIN.md: levels 2+ need a human decision); the
  unit head is told that its item has reached 督办 level. Issuing a 督办单 or deciding a 约谈 is not the planner's.
- "Not updated for N days" (``stale``) applies to items without a due date — today the supervisors' review, which
  the round's due date does not bind; an item with a due date is covered by its reminders and its ladder.
- Once the first ladder occasion has passed, the reminders are over (no "due today" after the 催办).
- A report **returned** into its step (to fill or to consolidate again) is told to its actor at once — at the minute
  it came back, not at ``send_at`` (``returned``, level 0, its own group; the slot is anchored to that minute, so a
  second return is a new message).

**One occasion, one message.** Each occasion has a ``slot`` that names it for good — the item kind, the occasion
and its anchor (the due date, or for ``stale`` the minute the wait began): ``"fill:T-3:2025-10-10"``. The sweep
makes the slot part of each message's unique key, so sending twice writes once; a moved due date or a new step is a
new anchor, hence new occasions.

**Only the current occasion, never a backlog.** For each recipient role and each group of occasions (the
reminders, the ladder, the stale nudges) only the *latest* occasion at or before ``as_of`` is sent, and only if it
is after ``since`` (what an earlier run already handled) and no older than ``Policy.max_lateness_days``. A sweep
that catches up after a day of downtime sends 催办 once, not T-1, due-today and 催办; one that meets an item long
overdue (an import, a month of downtime) sends nothing for it — the lists show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from tasks.workdays import add_working_days, working_days_between

__all__ = [
    "ACTOR",
    "SHANGHAI",
    "Agenda",
    "ItemKind",
    "Kind",
    "OpenItem",
    "Policy",
    "PolicyError",
    "Role",
    "Send",
    "plan",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The ladder's dates, cached: a sweep batch asks for the same few due dates and thresholds hundreds of times, and each
# answer walks the calendar day by day (about 50 µs for 16 working days). Pure, so a cache cannot go stale.
_working_days_after = lru_cache(maxsize=8192)(add_working_days)


class ItemKind(StrEnum):
    """What waits: a milestone, or one step of a report (``tasks.lifecycle.Step``)."""

    MILESTONE = "milestone"
    FILL = "fill"  # a unit's part to fill (its reporter)
    SIGN_OFF = "sign_off"  # a unit's part to sign off (its head)
    CONSOLIDATE = "consolidate"  # a task report to consolidate (the lead unit's reporter)
    LEAD_SIGN_OFF = "lead_sign_off"  # the consolidated report to sign off (the lead unit's head)
    REVIEW = "review"  # a task report to review (the supervisors)


class Role(StrEnum):
    """Who receives: the values of ``units.models.Membership.Role`` (a test keeps them equal)."""

    REPORTER = "reporter"
    HEAD = "head"
    SUPERVISOR = "supervisor"
    LEADER = "leader"


#: Who acts on each kind of item (for a report, in the report's unit: for a task report, the lead unit).
ACTOR: dict[ItemKind, Role] = {
    ItemKind.MILESTONE: Role.REPORTER,
    ItemKind.FILL: Role.REPORTER,
    ItemKind.SIGN_OFF: Role.HEAD,
    ItemKind.CONSOLIDATE: Role.REPORTER,
    ItemKind.LEAD_SIGN_OFF: Role.HEAD,
    ItemKind.REVIEW: Role.SUPERVISOR,
}


class Kind(StrEnum):
    """What a message is, with its rung of the ladder (``LEVELS``)."""

    REMINDER = "reminder"  # 提醒
    STALE = "stale"  # 久未处理
    CHASE = "chase"  # 催办
    SUPERVISE = "supervise"  # 督办 recommended
    INTERVIEW = "interview"  # 约谈 recommended
    RETURNED = "returned"  # 退回: a report sent back to whoever fills or consolidates it


LEVELS: dict[Kind, int] = {Kind.REMINDER: 0, Kind.STALE: 0, Kind.CHASE: 1, Kind.SUPERVISE: 2, Kind.INTERVIEW: 3,
                           Kind.RETURNED: 0}


class PolicyError(ValueError):
    """A policy that cannot work; ``field`` names the setting."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Policy:
    """When reminders and the ladder fall due. The defaults are DOMAIN.md's; ``notifications.models.ReminderPolicy``
    makes them configurable in the admin. Invalid combinations raise ``PolicyError`` when the policy is made."""

    days_before: tuple[int, ...] = (7, 3, 1)  # calendar days before the due date: 提醒
    on_due_day: bool = True  # 提醒 on the due date itself
    chase_after: int = 1  # working days overdue: 催办 (level 1)
    supervise_after: int = 8  # working days overdue: 督办 recommended (level 2)
    interview_after: int = 16  # working days overdue: 约谈 recommended (level 3)
    stale_after: int = 5  # working days an item without a due date may wait before a nudge, and between nudges; 0: off
    max_lateness_days: int = 30  # an occasion older than this (calendar days) when first reached is not sent
    send_at: time = time(8, 30)  # the time of day every occasion falls at (Asia/Shanghai)

    def __post_init__(self) -> None:
        days = tuple(self.days_before)
        object.__setattr__(self, "days_before", days)
        if any(isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 366 for n in days):
            raise PolicyError("days_before", _("提前提醒天数应为 1 到 366 之间的整数"))
        if len(set(days)) != len(days):
            raise PolicyError("days_before", _("提前提醒天数不能重复"))
        ladder = (("chase_after", self.chase_after), ("supervise_after", self.supervise_after),
                  ("interview_after", self.interview_after))
        for name, value in ladder:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 250:
                raise PolicyError(name, _("逾期工作日数应为 1 到 250 之间的整数"))
        if not self.chase_after < self.supervise_after < self.interview_after:
            raise PolicyError("supervise_after", _("催办、督办、约谈的逾期工作日数应逐级递增"))
        stale = self.stale_after
        if isinstance(stale, bool) or not isinstance(stale, int) or not 0 <= stale <= 250:
            raise PolicyError("stale_after", _("久未处理的工作日数应为 0（不提醒）到 250 之间的整数"))
        if (isinstance(self.max_lateness_days, bool) or not isinstance(self.max_lateness_days, int)
                or not 1 <= self.max_lateness_days <= 366):
            raise PolicyError("max_lateness_days", _("补发期限应为 1 到 366 天"))
        if not isinstance(self.send_at, time) or self.send_at.tzinfo is not None:
            raise PolicyError("send_at", _("发送时刻应为不带时区的时刻（按北京时间）"))


@dataclass(frozen=True)
class OpenItem:
    """One open item as the planner sees it. ``due_date``: when it must be done (None: no date binds it);
    ``waiting_since``: when it entered its current step (aware; reports have it, milestones do not need it);
    ``unit_ids``: the units whose reporters and heads the roles mean (passed through to each ``Send``);
    ``returned``: a report that was sent back into this step (``tasks.lifecycle.is_returned``)."""

    kind: ItemKind
    due_date: date | None = None
    waiting_since: datetime | None = None
    unit_ids: tuple[int, ...] = ()
    returned: bool = False

    def __post_init__(self) -> None:
        if type(self.kind) is not ItemKind:  # an enum call costs more than the rest of an item
            object.__setattr__(self, "kind", ItemKind(self.kind))
        if type(self.unit_ids) is not tuple:
            object.__setattr__(self, "unit_ids", tuple(self.unit_ids))
        if self.waiting_since is not None and self.waiting_since.tzinfo is None:
            raise ValueError("waiting_since must be an aware datetime")


@dataclass(frozen=True)
class Send:
    """One message to send now: to everyone holding ``role`` (in the item's units, for reporters and heads).

    ``occasion`` is the ladder's name for it (``"T-3"``, ``"overdue-1wd"``); ``slot`` identifies it for good
    (``"fill:T-3:2025-10-10"``); ``at`` is when it fell due. ``days`` is as of ``as_of``: for a reminder, the
    calendar days left until the due date (0 on the day, negative once past); for the ladder, the working days
    overdue; for a stale nudge, the working days waited."""

    role: Role
    kind: Kind
    occasion: str
    slot: str
    at: datetime
    days: int
    unit_ids: tuple[int, ...] = ()

    @property
    def level(self) -> int:
        return LEVELS[self.kind]


@dataclass(frozen=True)
class Agenda:
    """What to send now, and when the next occasion of this item falls due (None: nothing more will)."""

    sends: tuple[Send, ...]
    next_at: datetime | None


@dataclass(frozen=True)
class _Occasion:
    kind: Kind
    name: str
    anchor: str
    at: datetime
    roles: tuple[Role, ...]

    @property
    def group(self) -> str:
        return "ladder" if LEVELS[self.kind] > 0 and self.kind != Kind.RETURNED else str(self.kind)


def _at(day: date, policy: Policy) -> datetime:
    return datetime.combine(day, policy.send_at, tzinfo=SHANGHAI)


def _unique(roles: tuple[Role, ...]) -> tuple[Role, ...]:
    return tuple(dict.fromkeys(roles))


def _dated_occasions(item: OpenItem, policy: Policy) -> list[_Occasion]:
    """The reminders and the ladder of an item with a due date, in time order."""
    assert item.due_date is not None
    return list(_dated_occasions_of(item.kind, item.due_date, policy))


@lru_cache(maxsize=4096)
def _dated_occasions_of(kind: ItemKind, due: date, policy: Policy) -> tuple[_Occasion, ...]:
    """``_dated_occasions`` by what they depend on, cached: a sweep batch meets the same few due dates hundreds of
    times (a round's parts, a quarter's milestones). Pure and immutable (frozen occasions), so a cache cannot go
    stale; a changed policy is another key."""
    actor, anchor = ACTOR[kind], due.isoformat()
    occasions = [_Occasion(Kind.REMINDER, f"T-{n}", anchor, _at(due - timedelta(days=n), policy), (actor,))
                 for n in sorted(policy.days_before, reverse=True)]
    if policy.on_due_day:
        occasions.append(_Occasion(Kind.REMINDER, "due-today", anchor, _at(due, policy), (actor,)))
    for rung, after, roles in (
        (Kind.CHASE, policy.chase_after, (actor, Role.HEAD)),
        (Kind.SUPERVISE, policy.supervise_after, (Role.HEAD, Role.SUPERVISOR)),
        (Kind.INTERVIEW, policy.interview_after, (Role.LEADER,)),
    ):
        occasions.append(_Occasion(rung, f"overdue-{after}wd", anchor, _at(_working_days_after(due, after), policy),
                                   _unique(roles)))
    return tuple(occasions)


def _stale_occasions(item: OpenItem, policy: Policy, as_of: datetime) -> list[_Occasion]:
    """The latest stale nudge at or before ``as_of`` (if any) and the next one: the series never ends while the item
    waits, so only these two are made."""
    assert item.waiting_since is not None and policy.stale_after
    since = item.waiting_since.astimezone(SHANGHAI)
    start, step = since.date(), policy.stale_after
    anchor = since.strftime("%Y-%m-%dT%H:%M")

    def nth(k: int) -> _Occasion:
        return _Occasion(Kind.STALE, f"stale-{k * step}wd", anchor, _at(_working_days_after(start, k * step), policy),
                         (ACTOR[item.kind],))

    k = working_days_between(start, as_of.date()) // step if as_of.date() > start else 0
    if k >= 1 and nth(k).at > as_of:
        k -= 1
    return [nth(n) for n in (k, k + 1) if n >= 1]


def _returned_occasion(item: OpenItem) -> _Occasion:
    """A return, told at once (not at ``send_at``): the moment the report came back into its step."""
    assert item.waiting_since is not None
    since = item.waiting_since.astimezone(SHANGHAI)
    return _Occasion(Kind.RETURNED, "returned", since.strftime("%Y-%m-%dT%H:%M"), since, (ACTOR[item.kind],))


def _days(occasion: _Occasion, item: OpenItem, as_of: datetime) -> int:
    today = as_of.date()
    if occasion.kind == Kind.RETURNED:
        return 0
    if occasion.kind == Kind.REMINDER:
        assert item.due_date is not None
        return (item.due_date - today).days
    if occasion.kind == Kind.STALE:
        assert item.waiting_since is not None
        return working_days_between(item.waiting_since.astimezone(SHANGHAI).date(), today)
    assert item.due_date is not None
    return working_days_between(item.due_date, today)


def plan(item: OpenItem, policy: Policy, *, as_of: datetime, since: datetime | None = None) -> Agenda:
    """What is due to send for ``item`` at ``as_of`` (aware), and when its next occasion falls.

    ``since``: occasions at or before it were handled by an earlier run (None: none were). Per recipient role and
    group (reminders, ladder, stale) only the latest occasion at or before ``as_of`` counts, and it is sent only if
    it is after ``since`` and at most ``policy.max_lateness_days`` old. Deterministic: the sends come in time order,
    then in role order.
    """
    if as_of.tzinfo is None or (since is not None and since.tzinfo is None):
        raise ValueError("as_of and since must be aware datetimes")
    as_of = as_of.astimezone(SHANGHAI)
    if item.due_date is not None:
        occasions = _dated_occasions(item, policy)
    elif item.waiting_since is not None and policy.stale_after:
        occasions = _stale_occasions(item, policy, as_of)
    else:
        occasions = []
    if item.returned and item.waiting_since is not None:
        occasions = sorted([_returned_occasion(item), *occasions], key=lambda occasion: occasion.at)
    passed = [occasion for occasion in occasions if occasion.at <= as_of]
    if any(occasion.group == "ladder" for occasion in passed):
        passed = [occasion for occasion in passed if occasion.kind != Kind.REMINDER]
    latest: dict[tuple[Role, str], _Occasion] = {}
    for occasion in passed:  # in time order: a later one replaces an earlier one
        for role in occasion.roles:
            latest[role, occasion.group] = occasion
    oldest = as_of - timedelta(days=policy.max_lateness_days)
    chosen = [(occasion, role) for (role, _group), occasion in latest.items()
              if occasion.at >= oldest and (since is None or occasion.at > since)]
    order = list(Role)
    chosen.sort(key=lambda pair: (pair[0].at, order.index(pair[1])))
    sends = tuple(
        Send(role=role, kind=occasion.kind, occasion=occasion.name,
             slot=f"{item.kind}:{occasion.name}:{occasion.anchor}", at=occasion.at,
             days=_days(occasion, item, as_of), unit_ids=item.unit_ids)
        for occasion, role in chosen
    )
    upcoming = [occasion.at for occasion in occasions if occasion.at > as_of]
    return Agenda(sends=sends, next_at=min(upcoming) if upcoming else None)
