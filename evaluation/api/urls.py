"""Routes of the evaluation API, included under /api/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from evaluation.api.views import RuleSetViewSet, TaskLightApi, TaskLightOverrideApi

router = SimpleRouter()
router.register("rule-sets", RuleSetViewSet, basename="rule-set")

urlpatterns = [
    *router.urls,
    path("tasks/<int:pk>/light/", TaskLightApi.as_view(), name="task-light"),
    path("tasks/<int:pk>/light-override/", TaskLightOverrideApi.as_view(), name="task-light-override"),
]
