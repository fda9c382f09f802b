"""Who may see and act on reports: the rules the reporting loop, evaluation and notifications share.

Pure rules over ``units.selectors.Scope`` plus the one scoped queryset of reports. No viewflow here:
``workflow`` drives the engine, and every app above ``tasks`` asks these functions what a user may do.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from tasks.models import Plan, Report
from units.models import Membership
from units.selectors import Scope, user_scope

Role = Membership.Role
S = Report.Status


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


def can_edit(scope: Scope, report: Report) -> bool:
    """Drafts are edited by the unit's reporters; the consolidated report by the lead unit."""
    if report.kind == Report.Kind.PART:
        return report.status == S.DRAFT and scope.has_role(report.unit_id, Role.REPORTER)
    return report.status == S.CONSOLIDATING and is_lead_member(scope, report)
