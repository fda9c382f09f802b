"""Routes of the evaluation API, included under /api/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

import tasks.converters  # noqa: F401  (the <id:…> converter)
from evaluation.api.views import (
    AppealResolveApi,
    EvaluationAdjustmentApi,
    EvaluationAppealsApi,
    EvaluationRankingApi,
    EvaluationRankingXlsxApi,
    EvaluationReturnApi,
    EvaluationRubricApi,
    EvaluationStepApi,
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
    path("evaluations/<id:pk>/ranking/", EvaluationRankingApi.as_view(), name="evaluation-ranking"),
    path("evaluations/<id:pk>/ranking.xlsx", EvaluationRankingXlsxApi.as_view(), name="evaluation-ranking-xlsx"),
    path("evaluations/<id:pk>/units/<id:unit_id>/", UnitBreakdownApi.as_view(), name="evaluation-unit"),
    path("evaluations/<id:pk>/adjustments/", EvaluationAdjustmentApi.as_view(), name="evaluation-adjustments"),
    path("evaluations/<id:pk>/rubric/", EvaluationRubricApi.as_view(), name="evaluation-rubric"),
    path("evaluations/<id:pk>/appeals/", EvaluationAppealsApi.as_view(), name="evaluation-appeals"),
    path("appeals/<id:pk>/resolve/", AppealResolveApi.as_view(), name="appeal-resolve"),
    path(
        "evaluations/<id:pk>/open-appeals/",
        EvaluationStepApi.as_view(step="open-appeals"),
        name="evaluation-open-appeals",
    ),
    path("evaluations/<id:pk>/submit/", EvaluationStepApi.as_view(step="submit"), name="evaluation-submit"),
    path("evaluations/<id:pk>/approve/", EvaluationStepApi.as_view(step="approve"), name="evaluation-approve"),
    path("evaluations/<id:pk>/return/", EvaluationReturnApi.as_view(), name="evaluation-return"),
    path("evaluations/<id:pk>/publish/", EvaluationStepApi.as_view(step="publish"), name="evaluation-publish"),
    path("tasks/<id:pk>/light/", TaskLightApi.as_view(), name="task-light"),
    path("tasks/<id:pk>/light-override/", TaskLightOverrideApi.as_view(), name="task-light-override"),
]
