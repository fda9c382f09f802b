"""Routes of the evaluation API, included under /api/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from evaluation.api.views import (
    EvaluationRankingApi,
    EvaluationViewSet,
    RuleSetViewSet,
    TaskLightApi,
    TaskLightOverrideApi,
    UnitBreakdownApi,
)

router = SimpleRouter()
router.register("rule-sets", RuleSetViewSet, basename="rule-set")
router.register("evaluations", EvaluationViewSet, basename="evaluation")

urlpatterns = [
    *router.urls,
    path("evaluations/<int:pk>/ranking/", EvaluationRankingApi.as_view(), name="evaluation-ranking"),
    path("evaluations/<int:pk>/units/<int:unit_id>/", UnitBreakdownApi.as_view(), name="evaluation-unit"),
    path("tasks/<int:pk>/light/", TaskLightApi.as_view(), name="task-light"),
    path("tasks/<int:pk>/light-override/", TaskLightOverrideApi.as_view(), name="task-light-override"),
]
