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
    EvaluationOutputSerializer,
    EvaluationStartInputSerializer,
    LightOverrideInputSerializer,
    RankingRowSerializer,
    RuleSetOutputSerializer,
    TaskLightOutputSerializer,
    UnitBreakdownSerializer,
)
from evaluation.models import Evaluation, RuleSet
from evaluation.selectors import (
    evaluation_get,
    evaluation_list,
    evaluation_ranking,
    rule_set_list,
    task_light_get,
    unit_breakdown,
)
from evaluation.services import evaluation_start, light_override
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


class EvaluationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """赛马比拼 rounds: list and detail (drafts for supervisors and leaders only), and a supervisor's start (202)."""

    serializer_class = EvaluationOutputSerializer
    filterset_fields = ["plan", "period", "status"]

    def get_queryset(self) -> QuerySet[Evaluation]:
        return evaluation_list(user=self.request.user)

    @extend_schema(
        request=EvaluationStartInputSerializer,
        responses={
            202: EvaluationOutputSerializer,
            **WRITE_ERRORS,
            409: error_response(gettext_lazy("已有未发布的一轮")),
        },
    )
    def create(self, request: Request) -> Response:
        data = EvaluationStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = evaluation_start(
            actor=request.user,
            plan_id=data.validated_data["plan"],
            period=data.validated_data["period"],
            today=timezone.localdate(),
        )
        return Response(EvaluationOutputSerializer(evaluation).data, status=status.HTTP_202_ACCEPTED)


TRACK = OpenApiParameter("track", OpenApiTypes.STR, description="track code; all tracks when absent")


class EvaluationRankingApi(APIView):
    """GET /api/evaluations/{id}/ranking/?track=CODE: the ranking by track (drafts: supervisors and leaders only)."""

    @extend_schema(parameters=[TRACK], responses={200: RankingRowSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        evaluation = evaluation_get(user=request.user, evaluation_id=pk)
        rows = evaluation_ranking(user=request.user, evaluation=evaluation, track=request.query_params.get("track"))
        return Response(RankingRowSerializer(rows, many=True).data)


class UnitBreakdownApi(APIView):
    """GET /api/evaluations/{id}/units/{unit_id}/: why a unit stands where it does."""

    @extend_schema(responses={200: UnitBreakdownSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int, unit_id: int) -> Response:
        evaluation = evaluation_get(user=request.user, evaluation_id=pk)
        result = unit_breakdown(user=request.user, evaluation=evaluation, unit_id=unit_id)
        return Response(UnitBreakdownSerializer(result).data)
