"""Read-only API of the rule sets: /api/rule-sets/ and /api/rule-sets/{id}/ (every signed-in user)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, viewsets

from evaluation.api.serializers import RuleSetOutputSerializer
from evaluation.models import RuleSet
from evaluation.selectors import rule_set_list


class RuleSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """How units are judged: every rule set with its full spec and legend. Read-only; any signed-in user."""

    serializer_class = RuleSetOutputSerializer
    filterset_fields = ["plan", "code"]

    def get_queryset(self) -> QuerySet[RuleSet]:
        return rule_set_list(user=self.request.user)
