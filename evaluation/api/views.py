"""The evaluation API: rule sets (read-only, every signed-in user) and task lights (read with the task; a
supervisor's override)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation.api.serializers import (
    LightOverrideInputSerializer,
    RuleSetOutputSerializer,
    TaskLightOutputSerializer,
)
from evaluation.models import RuleSet
from evaluation.selectors import rule_set_list, task_light_get
from evaluation.services import light_override
from tasks.api.errors import error_response


class RuleSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """How units are judged: every rule set with its full spec and legend. Read-only; any signed-in user."""

    serializer_class = RuleSetOutputSerializer
    filterset_fields = ["plan", "code"]

    def get_queryset(self) -> QuerySet[RuleSet]:
        return rule_set_list(user=self.request.user)


def read_as_of(request: Request) -> date:
    """``?as_of=YYYY-MM-DD``, today (Asia/Shanghai) when absent; not after today."""
    today = timezone.localdate()
    raw = request.query_params.get("as_of")
    if raw in (None, ""):
        return today
    try:
        as_of = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({"as_of": [_("日期格式应为 YYYY-MM-DD。")]}) from None
    if as_of > today:
        raise ValidationError({"as_of": [_("不能晚于今天（%(today)s）。") % {"today": today.isoformat()}]})
    if as_of.year < 2000:
        raise ValidationError({"as_of": [_("不能早于 2000 年。")]})
    return as_of


READ_ERRORS = {
    400: error_response(gettext_lazy("as_of 无效")),
    401: error_response(gettext_lazy("未登录")),
    404: error_response(gettext_lazy("不存在或不在你的查看范围内")),
}
WRITE_ERRORS = {**READ_ERRORS, 400: error_response(gettext_lazy("字段校验失败，按字段路径返回错误")),
                403: error_response(gettext_lazy("只有督查专班可以调整灯色"))}  # fmt: skip

AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="YYYY-MM-DD, default today; not after today")


class TaskLightApi(APIView):
    """GET /api/tasks/{id}/light/: the task's light on a day, with reasons and the current override."""

    @extend_schema(parameters=[AS_OF], responses={200: TaskLightOutputSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        light = task_light_get(user=request.user, task_id=pk, as_of=read_as_of(request))
        return Response(TaskLightOutputSerializer(light).data)


class TaskLightOverrideApi(APIView):
    """POST /api/tasks/{id}/light-override/ {colour, reason}: a supervisor moves today's light one level."""

    @extend_schema(request=LightOverrideInputSerializer, responses={201: TaskLightOutputSerializer, **WRITE_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = LightOverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        today = timezone.localdate()
        light_override(actor=request.user, task_id=pk, today=today, **data.validated_data)
        light = task_light_get(user=request.user, task_id=pk, as_of=today)
        return Response(TaskLightOutputSerializer(light).data, status=status.HTTP_201_CREATED)
