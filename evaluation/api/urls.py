"""Routes of the evaluation API, included under /api/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from evaluation.api.views import RuleSetViewSet

router = SimpleRouter()
router.register("rule-sets", RuleSetViewSet, basename="rule-set")

urlpatterns = router.urls
