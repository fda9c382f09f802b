"""The reminder planner, table by table: each occasion at its minute, the overdue ladder over the Spring Festival and
National Day 2025 调休 weekends (read off ``chinesecalendar``: Sun 26 Jan and Sat 8 Feb 2025; Sun 28 Sep and Sat 11
Oct 2025 were working days), a year the calendar does not cover, report steps and their actors, the stale nudges of
an item without a due date, and the catch-up rule: after occasions have passed unswept only each role's latest is
sent, never a backlog, and nothing older than the policy allows."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from notifications.planner import (
    SHANGHAI,
    ItemKind,
    Kind,
    OpenItem,
    Policy,
    PolicyError,
    Role,
    Send,
    plan,
)
from tasks.workdays import covered, is_working_day
from units.models import Membership

R, H, S, L = Role.REPORTER, Role.HEAD, Role.SUPERVISOR, Role.LEADER
POLICY = Policy()


def at(text: str) -> datetime:
    """'2025-09-23 08:30' in Asia/Shanghai."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


def sent(sends: tuple[Send, ...]) -> list[tuple[str, str]]:
    return [(str(send.role), send.occasion) for send in sends]


def test_the_calendar_facts_the_tables_rest_on():
    workdays = [date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)]
    assert all(is_working_day(day) and day.weekday() >= 5 for day in workdays)
    holidays = [date(2025, 1, 28), date(2025, 2, 4), date(2025, 10, 1), date(2025, 10, 8)]
    assert not any(is_working_day(day) for day in holidays)
    assert not covered(date(2027, 1, 4))  # the plan runs to 2027: Monday to Friday there (tasks.workdays)


def test_the_planners_roles_are_the_membership_roles():
    assert {str(role) for role in Role} == set(Membership.Role.values)


# --- a milestone due Tuesday 30 September 2025: the National Day holiday (1–8 October) lies in the ladder ----------

MILESTONE = OpenItem(ItemKind.MILESTONE, due_date=date(2025, 9, 30), unit_ids=(7,))

# as_of, since → what is sent (role, occasion), and the next occasion.
NATIONAL_DAY_MILESTONE = [
    ("2025-09-20 09:00", None, [], "2025-09-23 08:30"),
    ("2025-09-23 08:29", None, [], "2025-09-23 08:30"),
    ("2025-09-23 08:30", None, [(R, "T-7")], "2025-09-27 08:30"),
    ("2025-09-27 08:30", "2025-09-23 08:30", [(R, "T-3")], "2025-09-29 08:30"),  # a Saturday: T-n is calendar days
    ("2025-09-29 08:30", "2025-09-27 08:30", [(R, "T-1")], "2025-09-30 08:30"),
    ("2025-09-30 08:30", "2025-09-29 08:30", [(R, "due-today")], "2025-10-09 08:30"),
    ("2025-10-08 18:00", "2025-09-30 08:30", [], "2025-10-09 08:30"),  # the holiday is no working day
    ("2025-10-09 08:30", "2025-09-30 08:30", [(R, "overdue-1wd"), (H, "overdue-1wd")], "2025-10-17 08:30"),
    # 9, 10, Sat 11 (调休), 13, 14, 15, 16, 17 October: the eighth working day
    ("2025-10-17 08:30", "2025-10-09 08:30", [(H, "overdue-8wd"), (S, "overdue-8wd")], "2025-10-29 08:30"),
    ("2025-10-29 08:30", "2025-10-17 08:30", [(L, "overdue-16wd")], None),
    ("2025-11-05 08:30", "2025-10-29 08:30", [], None),
]


@pytest.mark.parametrize(("as_of", "since", "sends", "next_at"), NATIONAL_DAY_MILESTONE,
                         ids=[row[0] for row in NATIONAL_DAY_MILESTONE])
def test_a_milestone_over_national_day(as_of, since, sends, next_at):
    agenda = plan(MILESTONE, POLICY, as_of=at(as_of), since=at(since) if since else None)
    assert sent(agenda.sends) == sends
    assert agenda.next_at == (at(next_at) if next_at else None)


def test_each_send_names_its_slot_level_and_the_units():
    agenda = plan(MILESTONE, POLICY, as_of=at("2025-10-09 08:30"), since=at("2025-09-30 08:30"))
    reporter, head = agenda.sends
    assert reporter.slot == head.slot == "milestone:overdue-1wd:2025-09-30"
    assert reporter.kind == Kind.CHASE and reporter.level == 1 and reporter.days == 1
    assert reporter.unit_ids == (7,) and reporter.at == at("2025-10-09 08:30")
    leader, = plan(MILESTONE, POLICY, as_of=at("2025-10-29 09:00")).sends[-1:]
    assert (leader.kind, leader.level, leader.slot) == (Kind.INTERVIEW, 3, "milestone:overdue-16wd:2025-09-30")


# --- the ladder over the 调休 weekends -----------------------------------------------------------------------------

# due date → the working day of each rung (1, 8, 16 working days after).
LADDERS = [
    # Spring Festival 2025: Fri 24 Jan due; Sun 26 Jan is a working day; 28 Jan – 4 Feb off; Sat 8 Feb a working day.
    (date(2025, 1, 24), date(2025, 1, 26), date(2025, 2, 11), date(2025, 2, 21)),
    (date(2025, 1, 27), date(2025, 2, 5), date(2025, 2, 13), date(2025, 2, 25)),
    # National Day 2025: Fri 26 Sep due; Sun 28 Sep a working day; 1–8 Oct off; Sat 11 Oct a working day.
    (date(2025, 9, 26), date(2025, 9, 28), date(2025, 10, 14), date(2025, 10, 24)),
    (date(2025, 10, 1), date(2025, 10, 9), date(2025, 10, 17), date(2025, 10, 29)),  # due inside the holiday
    # 2027 is not in the calendar yet: Monday to Friday.
    (date(2027, 1, 29), date(2027, 2, 1), date(2027, 2, 10), date(2027, 2, 22)),
]


@pytest.mark.parametrize(("due", "chase", "supervise", "interview"), LADDERS, ids=[str(row[0]) for row in LADDERS])
def test_the_overdue_ladder_counts_working_days_with_tiaoxiu(due, chase, supervise, interview):
    item = OpenItem(ItemKind.MILESTONE, due_date=due)
    rungs = []
    as_of = datetime.combine(due, time(9, 0), tzinfo=SHANGHAI)
    agenda = plan(item, POLICY, as_of=as_of)
    while agenda.next_at is not None:
        as_of = agenda.next_at
        agenda = plan(item, POLICY, as_of=as_of, since=as_of.replace(minute=29))
        rungs += sorted({(send.occasion, as_of.date()) for send in agenda.sends})
    assert rungs == [("overdue-1wd", chase), ("overdue-8wd", supervise), ("overdue-16wd", interview)]


def test_a_ladder_rung_on_a_tiaoxiu_sunday_falls_at_half_past_eight_that_sunday():
    item = OpenItem(ItemKind.MILESTONE, due_date=date(2025, 1, 24))
    agenda = plan(item, POLICY, as_of=at("2025-01-24 12:00"))
    assert agenda.next_at == at("2025-01-26 08:30")


# --- report steps: who acts, and the review that no due date binds -------------------------------------------------

STEPS = [
    (ItemKind.FILL, [(R, "overdue-1wd"), (H, "overdue-1wd")]),
    (ItemKind.SIGN_OFF, [(H, "overdue-1wd")]),  # the head acts and is the head: told once
    (ItemKind.CONSOLIDATE, [(R, "overdue-1wd"), (H, "overdue-1wd")]),
    (ItemKind.LEAD_SIGN_OFF, [(H, "overdue-1wd")]),
]


@pytest.mark.parametrize(("kind", "sends"), STEPS, ids=[str(row[0]) for row in STEPS])
def test_each_report_step_reminds_its_actor_and_chases_with_the_head(kind, sends):
    item = OpenItem(kind, due_date=date(2025, 10, 10), waiting_since=at("2025-10-01 09:00"), unit_ids=(3,))
    actor = sends[0][0]
    reminder = plan(item, POLICY, as_of=at("2025-10-03 08:30"))  # T-7 on a holiday: calendar days
    assert sent(reminder.sends) == [(actor, "T-7")]
    assert reminder.sends[0].slot == f"{kind}:T-7:2025-10-10"
    before = plan(item, POLICY, as_of=at("2025-10-11 08:29"), since=at("2025-10-10 08:30"))
    assert sent(before.sends) == [] and before.next_at == at("2025-10-11 08:30")  # Saturday 11 October was worked
    chase = plan(item, POLICY, as_of=at("2025-10-11 08:30"), since=at("2025-10-10 08:30"))
    assert sent(chase.sends) == sends


REVIEW = OpenItem(ItemKind.REVIEW, due_date=None, waiting_since=at("2025-10-09 15:00"))

# A task report in review since Thursday 9 October 15:00: nudged every 5 working days (Sat 11 Oct counts).
STALE = [
    ("2025-10-14 09:00", None, [], "2025-10-15 08:30"),
    ("2025-10-15 08:30", None, [(S, "stale-5wd")], "2025-10-22 08:30"),
    ("2025-10-22 08:30", "2025-10-15 08:30", [(S, "stale-10wd")], "2025-10-29 08:30"),
    ("2025-10-23 10:00", None, [(S, "stale-10wd")], "2025-10-29 08:30"),  # a late sweep: the latest nudge only
    ("2025-10-23 10:00", "2025-10-22 08:30", [], "2025-10-29 08:30"),
]


@pytest.mark.parametrize(("as_of", "since", "sends", "next_at"), STALE, ids=[f"{r[0]}-{r[1]}" for r in STALE])
def test_a_review_waiting_is_nudged_every_five_working_days(as_of, since, sends, next_at):
    agenda = plan(REVIEW, POLICY, as_of=at(as_of), since=at(since) if since else None)
    assert sent(agenda.sends) == sends
    assert agenda.next_at == at(next_at)


def test_a_stale_nudge_names_the_minute_the_wait_began_and_the_days_waited():
    nudge, = plan(REVIEW, POLICY, as_of=at("2025-10-16 10:00")).sends
    assert nudge.slot == "review:stale-5wd:2025-10-09T15:00" and nudge.kind == Kind.STALE and nudge.level == 0
    assert nudge.days == 6  # waited as of the sweep: 10, Sat 11, 13, 14, 15 and 16 October
    assert plan(REVIEW, Policy(stale_after=0), as_of=at("2025-12-01 10:00")).sends == ()
    assert plan(REVIEW, Policy(stale_after=0), as_of=at("2025-12-01 10:00")).next_at is None


def test_a_returned_report_is_told_to_its_actor_at_once_and_its_reminders_go_on():
    returned = OpenItem(ItemKind.FILL, due_date=date(2025, 10, 10), waiting_since=at("2025-10-03 15:20"),
                        unit_ids=(7,), returned=True)
    now = plan(returned, POLICY, as_of=at("2025-10-03 15:21"))
    assert [send.occasion for send in now.sends] == ["T-7", "returned"]  # T-7 again: its unique key sends it once
    told = now.sends[1]
    assert (told.role, told.kind, told.level, told.days) == (R, Kind.RETURNED, 0, 0)
    assert (told.slot, told.at) == ("fill:returned:2025-10-03T15:20", at("2025-10-03 15:20"))
    assert now.next_at == at("2025-10-07 08:30")  # T-3 still comes
    assert plan(returned, POLICY, as_of=at("2025-10-07 08:30"), since=at("2025-10-03 15:21")).sends[0].occasion \
        == "T-3"
    # a return long past (an import) is not told
    assert Kind.RETURNED not in {send.kind for send in plan(returned, POLICY, as_of=at("2025-12-01 10:00")).sends}
    not_returned = OpenItem(ItemKind.FILL, due_date=date(2025, 10, 10), waiting_since=at("2025-10-03 15:20"))
    assert [send.occasion for send in plan(not_returned, POLICY, as_of=at("2025-10-03 15:21")).sends] == ["T-7"]


# --- catching up: the latest occasion of each kind per role, never a backlog -------------------------------------

CATCH_UP = [
    # Nothing swept since before T-3: only due-today goes out, not T-3, T-1 and due-today.
    ("2025-09-30 10:00", "2025-09-22 09:00", [(R, "due-today")], "2025-10-09 08:30"),
    # A fresh watch long after the due date: each role its latest rung; the reminders are over.
    ("2025-10-20 10:00", None, [(R, "overdue-1wd"), (H, "overdue-8wd"), (S, "overdue-8wd")], "2025-10-29 08:30"),
    ("2025-10-20 10:00", "2025-10-17 09:00", [], "2025-10-29 08:30"),  # all of it handled already
    # Three weeks after the last rung: only what is at most 30 days old (the head's 8wd of 17 Oct is 34 days old).
    ("2025-11-20 10:00", None, [(L, "overdue-16wd")], None),
    ("2025-12-15 10:00", None, [], None),  # everything older than 30 days: nothing
]


@pytest.mark.parametrize(("as_of", "since", "sends", "next_at"), CATCH_UP, ids=[f"{r[0]}-{r[1]}" for r in CATCH_UP])
def test_a_late_sweep_sends_only_the_current_occasions(as_of, since, sends, next_at):
    agenda = plan(MILESTONE, POLICY, as_of=at(as_of), since=at(since) if since else None)
    assert sent(agenda.sends) == sends
    assert agenda.next_at == (at(next_at) if next_at else None)


def test_a_reminder_caught_up_after_its_day_says_how_late_it_is():
    item = OpenItem(ItemKind.FILL, due_date=date(2025, 9, 26), unit_ids=(1,))  # Friday; the 1wd rung is Sun 28
    reminder, = plan(item, POLICY, as_of=at("2025-09-27 10:00")).sends
    assert (reminder.occasion, reminder.days) == ("due-today", -1)
    assert plan(item, POLICY, as_of=at("2025-09-24 10:00")).sends[0].days == 2  # T-3 sent a day late: 2 days left


def test_a_moved_due_date_is_a_new_anchor():
    moved = OpenItem(ItemKind.MILESTONE, due_date=date(2025, 11, 14))
    reminder, = plan(moved, POLICY, as_of=at("2025-11-07 08:30"), since=at("2025-10-29 08:30")).sends
    assert reminder.slot == "milestone:T-7:2025-11-14"


# --- the policy ---------------------------------------------------------------------------------------------------


def test_a_policy_changes_the_occasions():
    policy = Policy(days_before=(2,), on_due_day=False, chase_after=2, supervise_after=3, interview_after=4,
                    send_at=time(9, 0))
    item = OpenItem(ItemKind.MILESTONE, due_date=date(2025, 12, 5))  # a Friday
    times = []
    agenda = plan(item, policy, as_of=at("2025-12-01 00:00"))
    while agenda.next_at is not None:
        times.append((agenda.next_at, [send.occasion for send in plan(item, policy, as_of=agenda.next_at,
                                                                       since=agenda.next_at.replace(minute=59, hour=8)
                                                                       ).sends]))
        agenda = plan(item, policy, as_of=agenda.next_at)
    assert times == [
        (at("2025-12-03 09:00"), ["T-2"]),
        (at("2025-12-09 09:00"), ["overdue-2wd", "overdue-2wd"]),
        (at("2025-12-10 09:00"), ["overdue-3wd", "overdue-3wd"]),
        (at("2025-12-11 09:00"), ["overdue-4wd"]),
    ]


BAD_POLICIES = [
    ({"days_before": (0, 3)}, "days_before"),
    ({"days_before": (3, 3)}, "days_before"),
    ({"days_before": (400,)}, "days_before"),
    ({"chase_after": 0}, "chase_after"),
    ({"chase_after": 8}, "supervise_after"),
    ({"supervise_after": 20}, "supervise_after"),
    ({"stale_after": -1}, "stale_after"),
    ({"max_lateness_days": 0}, "max_lateness_days"),
    ({"send_at": time(8, 30, tzinfo=SHANGHAI)}, "send_at"),
    ({"interview_after": True}, "interview_after"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_POLICIES, ids=[row[1] + str(n) for n, row in enumerate(BAD_POLICIES)])
def test_a_policy_that_cannot_work_is_refused_naming_its_field(fields, field):
    with pytest.raises(PolicyError) as refused:
        Policy(**fields)
    assert refused.value.field == field and refused.value.message


def test_the_planner_wants_aware_times():
    with pytest.raises(ValueError):
        plan(MILESTONE, POLICY, as_of=datetime(2025, 9, 30, 9, 0))
    with pytest.raises(ValueError):
        OpenItem(ItemKind.REVIEW, waiting_since=datetime(2025, 9, 30, 9, 0))


def test_as_of_in_another_zone_means_the_same_instant():
    from zoneinfo import ZoneInfo

    utc = at("2025-09-23 08:30").astimezone(ZoneInfo("UTC"))
    assert sent(plan(MILESTONE, POLICY, as_of=utc).sends) == [(R, "T-7")]
