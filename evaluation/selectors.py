"""Scoped reads of the evaluation app. Rule sets are readable by every signed-in user: units must be able to see
how they are judged."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from evaluation.models import RuleSet
from tasks.periods import parse_period


def rule_set_list(*, user) -> QuerySet[RuleSet]:
    """Every rule set, newest start first, for any signed-in user (none for anyone else)."""
    if not getattr(user, "is_authenticated", False):
        return RuleSet.objects.none()
    return RuleSet.objects.select_related("plan").order_by("-effective_start", "code", "-version")


def active_rule_set(*, plan_id: int, period: str) -> RuleSet | None:
    """The rule set in force for a plan in a period: the plan's own with the latest start not after the period's
    start; failing that, the general one likewise; None when no rule set starts early enough."""
    start = parse_period(period).start
    return (
        RuleSet.objects.filter(Q(plan_id=plan_id) | Q(plan__isnull=True), effective_start__lte=start)
        .order_by(F("plan_id").asc(nulls_last=True), "-effective_start")
        .first()
    )
