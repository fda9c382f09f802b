"""Who may see and act on reports: the rules the reporting loop, evaluation and notifications share.

Everything here reads the lifecycle table (``tasks.lifecycle.TABLE``): which step a report waits for, who acts on
it, which actions it accepts. Pure rules over ``units.selectors.Scope``, plus the scoped querysets of reports (the
one definition of which reports a user may see, and of which wait for them). No viewflow here: ``workflow``
drives the engine, and every app above ``tasks`` asks these functions what a user may do.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from tasks.lifecycle import ACTIONS, TABLE, Action, Actor, Kind, Status, Step
from tasks.models import Plan, Report, ReportRevision
from units.models import Membership
from units.selectors import Scope, user_scope

Role = Membership.Role


def visible_reports(*, user: AbstractBaseUser) -> QuerySet[Report]:
    """Reports a user may see: supervisors all; leaders those of non-draft plans; others their units' parts
    and the reports of tasks their units lead (the lead unit reviews every part of its tasks)."""
    scope = user_scope(user)
    if scope.user_id is None:
        return Report.objects.none()
    qs = Report.objects.filter(round__plan__in=Plan.objects.exclude(status=Plan.Status.DRAFT))
    if scope.sees_all_units:
        return Report.objects.all() if scope.is_supervisor else qs
    return qs.filter(Q(unit_id__in=scope.unit_ids) | Q(task__lead_unit_id__in=scope.unit_ids))


def is_lead_member(scope: Scope, report: Report) -> bool:
    """A reporter or head of the lead unit of the report's task (needs ``report.task`` loaded)."""
    lead_id = report.task.lead_unit_id
    return scope.has_role(lead_id, Role.REPORTER) or scope.has_role(lead_id, Role.HEAD)


def is_actor(scope: Scope, actor: Actor, report: Report) -> bool:
    """Whether the user is ``actor`` for this report (the table's "who acts", resolved against units)."""
    if actor == Actor.UNIT_REPORTER:
        return scope.has_role(report.unit_id, Role.REPORTER)
    if actor == Actor.UNIT_HEAD:
        return scope.has_role(report.unit_id, Role.HEAD)
    if actor == Actor.LEAD_MEMBER:
        return is_lead_member(scope, report)
    if actor == Actor.LEAD_HEAD:
        return scope.has_role(report.task.lead_unit_id, Role.HEAD)
    return scope.is_supervisor


def allowed(scope: Scope, report: Report, action: str, *, task_report_status: str | None = None) -> bool:
    """Whether the user may take ``action`` on the report now. A signed-off part can only be returned by the lead
    unit while its task report is being consolidated (``task_report_status``; the supervisor returns a part
    through the task report in review)."""
    stage = TABLE[(report.kind, report.status)]
    if action not in stage.moves or stage.actor is None or action not in ACTIONS:
        return False
    if report.kind == Kind.PART and report.status == Status.SIGNED_OFF:
        return task_report_status == Status.CONSOLIDATING and is_lead_member(scope, report)
    return is_actor(scope, stage.actor, report)


def report_actions(scope: Scope, report: Report, *, task_report_status: str | None = None,
                   hands: Hands | None = None) -> list[str]:
    """Every action the user may take on the report now, in ``ACTIONS`` order: allowed to them (``allowed``) and
    no conflict of duty (``duty_conflict``; ``hands`` are loaded when a rule needs them and not given)."""
    actions = [action for action in ACTIONS if allowed(scope, report, action, task_report_status=task_report_status)]
    hands = _hands_for(report, actions, hands)
    return [str(action) for action in actions if not duty_conflict(scope, report, action, hands=hands)]


def barred_actions(scope: Scope, report: Report, *, hands: Hands | None = None) -> list[str]:
    """The actions the user's role would allow now but segregation of duties bars (to say why on the page)."""
    actions = [action for action in ACTIONS if allowed(scope, report, action)]
    hands = _hands_for(report, actions, hands)
    return [str(action) for action in actions if duty_conflict(scope, report, action, hands=hands)]


def _hands_for(report: Report, actions: list[Action], hands: Hands | None) -> Hands | None:
    """``hands`` as given, or loaded once (one query) when a rule of ``DUTY_CONFLICTS`` applies to an action."""
    if hands is None and any((report.kind, report.status, action) in DUTY_CONFLICTS for action in actions):
        return report_hands(report)
    return hands


# --- segregation of duties ---------------------------------------------------------------------------------------

#: Who moved a report (and, for a task report, its parts) in its round: (kind, action, user id) of every submit and
#: sign-off. Submitting the task report is consolidating it.
Hands = frozenset[tuple[str, str, int]]

_ANY_HAND_IN_THE_ROUND = frozenset({(Kind.PART, Action.SUBMIT), (Kind.PART, Action.SIGN_OFF),
                                    (Kind.TASK, Action.SUBMIT), (Kind.TASK, Action.SIGN_OFF)})

#: Segregation of duties in one table: (kind, status, action) → the moves (kind, action) whose takers may not take
#: this action, whoever they are otherwise. Rounds are separate: a report and its parts belong to one round.
#:
#: - A unit head does not sign off a part they submitted themselves. They may send it back (a withdrawal decides
#:   nothing), so a head who filled on the reporter's behalf is not stuck with it.
#: - The lead unit's head does not sign off the consolidated report they consolidated (submitted) themselves. Their
#:   sign-off of their own unit's part is no bar: signing off the unit's work and then the consolidation is the job.
#: - The supervisor who approves or returns a task report in review submitted, signed off or consolidated none of
#:   it, nor of its parts, in the round (a supervisor may also hold a unit role; the review must still be another's).
DUTY_CONFLICTS: dict[tuple[str, str, str], frozenset[tuple[str, str]]] = {
    (Kind.PART, Status.SUBMITTED, Action.SIGN_OFF): frozenset({(Kind.PART, Action.SUBMIT)}),
    (Kind.TASK, Status.LEAD_SIGN_OFF, Action.SIGN_OFF): frozenset({(Kind.TASK, Action.SUBMIT)}),
    (Kind.TASK, Status.IN_REVIEW, Action.APPROVE): _ANY_HAND_IN_THE_ROUND,
    (Kind.TASK, Status.IN_REVIEW, Action.RETURN): _ANY_HAND_IN_THE_ROUND,
}


def report_hands(report: Report) -> Hands:
    """Who submitted and signed off the report, and for a task report its parts too (one query, on the revisions:
    every status move writes one, with who made it)."""
    rows = ReportRevision.objects.filter(action__in=[Action.SUBMIT, Action.SIGN_OFF], by__isnull=False)
    if report.kind == Kind.TASK:
        # The reports by id first (a subquery on their own indexes): an OR across the join to the report walked
        # every revision of every round, once per approval, return and lead sign-off.
        reports = Report.objects.filter(Q(pk=report.pk) | Q(task_report_id=report.pk)).values("pk")
        rows = rows.filter(report_id__in=reports)
    else:
        rows = rows.filter(report_id=report.pk)
    return frozenset(rows.values_list("report__kind", "action", "by_id").distinct())


def duty_conflict(scope: Scope, report: Report, action: str, *, hands: Hands | None = None) -> bool:
    """Whether ``DUTY_CONFLICTS`` bars the user from ``action`` on the report in its status. Reads the report's
    ``hands`` (one query) only when a rule applies and they are not given."""
    barred = DUTY_CONFLICTS.get((report.kind, report.status, action))
    if not barred or scope.user_id is None:
        return False
    if hands is None:
        hands = report_hands(report)
    return any((kind, move, scope.user_id) in hands for kind, move in barred)


def may_open_rounds(scope: Scope) -> bool:
    """Whether the user may open reporting rounds: supervisors (superusers count as supervisors)."""
    return scope.is_supervisor


def role_steps(scope: Scope) -> list[Step]:
    """The steps the user's roles may act on somewhere (from the table's "who acts"), in the table's order: whether
    anything waits for them now is the inbox's question. A lead unit's steps are listed for every reporter or head,
    since any unit may lead a task."""
    roles = {role for _unit, role in scope.roles_by_unit}
    has = {
        Actor.UNIT_REPORTER: Role.REPORTER in roles,
        Actor.UNIT_HEAD: Role.HEAD in roles,
        Actor.LEAD_MEMBER: bool(roles & {Role.REPORTER, Role.HEAD}),
        Actor.LEAD_HEAD: Role.HEAD in roles,
        Actor.SUPERVISOR: scope.is_supervisor,
    }
    return [step for step in Step
            if any(stage.step == step and stage.actor is not None and has[stage.actor] for stage in TABLE.values())]


def waiting_q(scope: Scope) -> Q | None:
    """Reports whose current step is this user's (the inbox), from the table, less those whose step they may not
    take (``DUTY_CONFLICTS``: a review of a round they had a hand in, a sign-off of their own submission); None when
    nothing can be."""
    reporter_units = [unit for unit, role in scope.roles_by_unit if role == Role.REPORTER]
    head_units = [unit for unit, role in scope.roles_by_unit if role == Role.HEAD]
    units_of = {
        Actor.UNIT_REPORTER: reporter_units,
        Actor.UNIT_HEAD: head_units,
        # A task report's unit is its task's lead unit.
        Actor.LEAD_MEMBER: reporter_units + head_units,
        Actor.LEAD_HEAD: head_units,
    }
    conditions = []
    for stage in TABLE.values():
        if stage.step is None or stage.actor is None:
            continue
        if stage.actor == Actor.SUPERVISOR:
            if not scope.is_supervisor:
                continue
            condition = Q(kind=stage.kind, status=stage.status)
        elif units_of[stage.actor]:
            condition = Q(kind=stage.kind, status=stage.status, unit_id__in=units_of[stage.actor])
        else:
            continue
        barred = frozenset().union(*(moves for (kind, status, _action), moves in DUTY_CONFLICTS.items()
                                     if (kind, status) == (stage.kind, stage.status)))
        if barred and scope.user_id is not None:
            # Not what waits for this user: a step of a report they may not take (segregation of duties).
            condition &= ~_moved_by_q(scope.user_id, stage.kind, barred)
        conditions.append(condition)
    return reduce(or_, conditions) if conditions else None


def _moved_by_q(user_id: int, kind: str, moves: frozenset[tuple[str, str]]) -> Q:
    """Reports of ``kind`` the user made one of ``moves`` on — on the report itself, or (for a task report) on one
    of its parts — as a filter by subqueries on the user's own revisions (``by`` is indexed)."""
    mine = ReportRevision.objects.filter(by_id=user_id)
    found = []
    for moved_kind, action in sorted(moves):
        rows = mine.filter(action=action, report__kind=moved_kind)
        if moved_kind == kind:
            found.append(Q(pk__in=rows.values("report_id")))
        elif kind == Kind.TASK:
            # NOT IN must not meet a NULL.
            found.append(Q(pk__in=rows.filter(report__task_report_id__isnull=False).values("report__task_report_id")))
    return reduce(or_, found)
