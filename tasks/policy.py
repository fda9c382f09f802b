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

from tasks.lifecycle import ACTIONS, TABLE, Actor, Kind, Status, Step
from tasks.models import Plan, Report
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


def report_actions(scope: Scope, report: Report, *, task_report_status: str | None = None) -> list[str]:
    """Every action the user may take on the report now, in ``ACTIONS`` order."""
    return [str(action) for action in ACTIONS
            if allowed(scope, report, action, task_report_status=task_report_status)]


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
    """Reports whose current step is this user's (the inbox), from the table; None when nothing can be."""
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
            if scope.is_supervisor:
                conditions.append(Q(kind=stage.kind, status=stage.status))
        elif units_of[stage.actor]:
            conditions.append(Q(kind=stage.kind, status=stage.status, unit_id__in=units_of[stage.actor]))
    return reduce(or_, conditions) if conditions else None
