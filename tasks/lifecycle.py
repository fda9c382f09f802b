"""The report lifecycle, in one table: (kind, status) → the step it waits for, who acts, where each action leads.

Every reader of a report's state uses this table: the services (which check the actor and move the status), the
inbox (what waits for whom), the selectors and serializers (the step of a status), the pages (labels, chips, the
stepper) and the flow's engine (``workflow.machine`` declares its state machine from ``TABLE``). Pure Python: no
viewflow here, and no database access (``returned_q`` builds a filter expression, it runs nothing).

A unit's part::

    draft ──submit──► submitted ──sign_off──► signed_off ──(task approved)──► approved
      ▲                  │ return (head, inside the unit)  │ return (lead unit while consolidating; supervisor)
      └──────────────────┴─────────────────────────────────┘

The lead unit's task report::

    waiting ──(all parts signed off)──► consolidating ──submit──► lead_sign_off ──sign_off──► in_review ──approve──► …
      ▲                                   ▲    ▲                     │ return (lead head)       │ return (supervisor)
      │ (a part returned)                 │    └─────────────────────┘                          │
      └───────────────────────────────────┴─────────────────────────────────────────────────────┘
    … approved

When a plan turns the lead unit head's sign-off off (``Plan.lead_sign_off``), consolidation goes straight to review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PART = "part", _("单位报告")
    TASK = "task", _("任务汇总报告")


class Status(models.TextChoices):
    DRAFT = "draft", _("填报中")
    SUBMITTED = "submitted", _("待审签")
    SIGNED_OFF = "signed_off", _("已审签")
    WAITING = "waiting", _("待汇总")
    CONSOLIDATING = "consolidating", _("汇总中")
    LEAD_SIGN_OFF = "lead_sign_off", _("待牵头单位审签")
    IN_REVIEW = "in_review", _("待审核")
    APPROVED = "approved", _("已通过")


class Step(models.TextChoices):
    """A human step: what a report waiting in a status waits for."""

    FILL = "fill", _("填报")
    SIGN_OFF = "sign_off", _("审签")
    CONSOLIDATE = "consolidate", _("汇总")
    LEAD_SIGN_OFF = "lead_sign_off", _("牵头审签")
    REVIEW = "review", _("审核")


class Action(StrEnum):
    """What a user can do to a report (the API's action names; ``edit`` saves without moving)."""

    EDIT = "edit"
    SUBMIT = "submit"
    SIGN_OFF = "sign_off"
    RETURN = "return"
    APPROVE = "approve"


ACTIONS: tuple[Action, ...] = tuple(Action)


class Actor(StrEnum):
    """Who may act, as a role and its relation to the report."""

    UNIT_REPORTER = "unit_reporter"  # a reporter of the report's own unit
    UNIT_HEAD = "unit_head"  # the head of the report's own unit
    LEAD_MEMBER = "lead_member"  # a reporter or the head of the task's lead unit
    LEAD_HEAD = "lead_head"  # the head of the task's lead unit
    SUPERVISOR = "supervisor"  # 督查专班


class System(StrEnum):
    """Moves nobody asks for: the engine makes them when something else happened."""

    PARTS_READY = "parts_ready"  # the last part was signed off: consolidation opens
    PART_RETURNED = "part_returned"  # one of the parts went back to its unit: the task report waits again
    APPROVED = "approved"  # the task report was approved: its parts count too


@dataclass(frozen=True)
class Stage:
    """One row of the table: a report of ``kind`` in ``status``."""

    kind: Kind
    status: Status
    step: Step | None = None  # the human step it waits for (None: nobody's turn)
    actor: Actor | None = None  # who acts on that step
    moves: dict[str, Status] = field(default_factory=dict)  # action (or System move) → next status
    verb: str = ""  # the inbox button (去填报 …)


TABLE: dict[tuple[str, str], Stage] = {
    (stage.kind, stage.status): stage
    for stage in (
        Stage(Kind.PART, Status.DRAFT, Step.FILL, Actor.UNIT_REPORTER,
              {Action.EDIT: Status.DRAFT, Action.SUBMIT: Status.SUBMITTED}, _("去填报")),
        Stage(Kind.PART, Status.SUBMITTED, Step.SIGN_OFF, Actor.UNIT_HEAD,
              {Action.SIGN_OFF: Status.SIGNED_OFF, Action.RETURN: Status.DRAFT}, _("去审签")),
        # Signed off: the lead unit may return it while it consolidates (a condition on the task report), and a
        # supervisor through the task report in review.
        Stage(Kind.PART, Status.SIGNED_OFF, None, Actor.LEAD_MEMBER,
              {Action.RETURN: Status.DRAFT, System.APPROVED: Status.APPROVED}),
        Stage(Kind.PART, Status.APPROVED),
        Stage(Kind.TASK, Status.WAITING, moves={System.PARTS_READY: Status.CONSOLIDATING}),
        Stage(Kind.TASK, Status.CONSOLIDATING, Step.CONSOLIDATE, Actor.LEAD_MEMBER,
              {Action.EDIT: Status.CONSOLIDATING, Action.SUBMIT: Status.LEAD_SIGN_OFF,
               System.PART_RETURNED: Status.WAITING}, _("去汇总")),
        Stage(Kind.TASK, Status.LEAD_SIGN_OFF, Step.LEAD_SIGN_OFF, Actor.LEAD_HEAD,
              {Action.SIGN_OFF: Status.IN_REVIEW, Action.RETURN: Status.CONSOLIDATING}, _("去审签")),
        Stage(Kind.TASK, Status.IN_REVIEW, Step.REVIEW, Actor.SUPERVISOR,
              {Action.APPROVE: Status.APPROVED, Action.RETURN: Status.CONSOLIDATING,
               System.PART_RETURNED: Status.WAITING}, _("去审核")),
        Stage(Kind.TASK, Status.APPROVED),
    )
}

#: The status a report waits in while each human step is open (one status per step).
STEP_STATUS: dict[Step, Status] = {stage.step: stage.status for stage in TABLE.values() if stage.step}
#: The step a status waits for, or none.
STEP_OF_STATUS: dict[Status, Step] = {status: step for step, status in STEP_STATUS.items()}


def stage(kind: str, status: str) -> Stage:
    """The table's row; KeyError for a pair that does not exist (a bug, not bad input)."""
    return TABLE[(kind, status)]


def next_status(kind: str, status: str, action: str, *, lead_sign_off: bool = True) -> Status | None:
    """Where ``action`` leads from (kind, status), or None when the table has no such move.

    With the lead unit head's sign-off turned off for the plan, consolidation is submitted straight to review.
    """
    target = TABLE[(kind, status)].moves.get(action)
    if target == Status.LEAD_SIGN_OFF and not lead_sign_off:
        return Status.IN_REVIEW
    return target


def step_of(status: str) -> Step | None:
    return STEP_OF_STATUS.get(status)  # type: ignore[call-overload]


def is_returned(*, status: str, times_returned: int) -> bool:
    """Sent back and not yet passed on again: a part in draft, or a task report being consolidated again.

    The one definition of "returned" (the inbox, the chips, the round counts through ``returned_q``).
    """
    return times_returned > 0 and status in (Status.DRAFT, Status.CONSOLIDATING)


def returned_q(prefix: str = "") -> Q:
    """``is_returned`` as a filter on reports (``prefix`` for a related lookup such as ``"reports__"``)."""
    return Q(**{f"{prefix}times_returned__gt": 0, f"{prefix}status__in": [Status.DRAFT, Status.CONSOLIDATING]})


class ReturnLevel(models.TextChoices):
    """Who sent a report back, as the round counts tell them apart (issue 8). Only a supervisor's return counts
    against the first-pass approval rate in scoring; the other two are shown, not scored."""

    SUPERVISOR = "supervisor", _("督查退回")  # 专班: the task report to the lead unit, or one unit's part
    LEAD = "lead", _("牵头单位退回")  # the lead unit sends a co-unit's signed-off part back while consolidating
    IN_UNIT = "in_unit", _("单位内退回")  # a unit's own head: a part to its reporter; the lead head: the consolidation


#: Each return's audit action → its level. A return "inside the unit" is one made for the report's own unit:
#: a unit head returning the unit's part, and the lead unit's head returning the lead unit's own consolidation.
RETURN_LEVELS: dict[str, ReturnLevel] = {
    "report.return_in_unit": ReturnLevel.IN_UNIT,
    "report.return_by_lead_head": ReturnLevel.IN_UNIT,
    "report.return_by_lead": ReturnLevel.LEAD,
    "report.return_by_supervisor": ReturnLevel.SUPERVISOR,
    "report.return_part_by_supervisor": ReturnLevel.SUPERVISOR,
}

#: The counter on ``Report`` of each level: how many times the report was sent back at that level.
RETURN_COUNTERS: dict[ReturnLevel, str] = {
    ReturnLevel.SUPERVISOR: "returns_by_supervisor",
    ReturnLevel.LEAD: "returns_by_lead",
    ReturnLevel.IN_UNIT: "returns_in_unit",
}
