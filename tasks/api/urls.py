"""Routes of the plan register API, included under /api/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from tasks.api.views import IndicatorViewSet, MilestoneViewSet, PlanViewSet, TaskViewSet

router = SimpleRouter()
router.register("plans", PlanViewSet, basename="plan")
router.register("tasks", TaskViewSet, basename="task")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("milestones", MilestoneViewSet, basename="milestone")

urlpatterns = router.urls
