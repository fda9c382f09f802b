"""The evaluation API: rule sets (read-only, every signed-in user) and task lights (read with the task; a
supervisor's override)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.http import HttpResponse
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
    AdjustmentInputSerializer,
    AdjustmentOutputSerializer,
    AppealInputSerializer,
    AppealOutputSerializer,
    AppealResolveInputSerializer,
    EvaluationOutputSerializer,
    EvaluationStartInputSerializer,
    LightOverrideInputSerializer,
    RankingRowSerializer,
    ReturnInputSerializer,
    RubricInputSerializer,
    RubricOutputSerializer,
    RuleSetOutputSerializer,
    StepInputSerializer,
    TaskLightOutputSerializer,
    UnitBreakdownSerializer,
)
from evaluation.exports import ranking_workbook
from evaluation.models import Evaluation, RuleSet
from evaluation.selectors import (
    appeal_list,
    evaluation_get,
    evaluation_list,
    evaluation_ranking,
    rule_set_list,
    task_light_get,
    unit_breakdown,
)
from evaluation.services import (
    appeal_file,
    appeal_resolve,
    evaluation_adjust,
    evaluation_approve,
    evaluation_open_appeals,
    evaluation_publish,
    evaluation_rate,
    evaluation_return,
    evaluation_start,
    evaluation_submit,
    light_override,
)
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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
        return _evaluation_answer(request, evaluation.pk, status.HTTP_202_ACCEPTED)


TRACK = OpenApiParameter("track", OpenApiTypes.STR, description="track code; all tracks when absent")


class EvaluationRankingApi(APIView):
    """GET /api/evaluations/{id}/ranking/?track=CODE: the ranking by track (drafts: supervisors and leaders only)."""

    @extend_schema(parameters=[TRACK], responses={200: RankingRowSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        evaluation = evaluation_get(user=request.user, evaluation_id=pk)
        rows = evaluation_ranking(user=request.user, evaluation=evaluation, track=request.query_params.get("track"))
        return Response(RankingRowSerializer(rows, many=True).data)


class EvaluationRankingXlsxApi(APIView):
    """GET /api/evaluations/{id}/ranking.xlsx: the ranking as a workbook, one sheet per track (same scope)."""

    @extend_schema(
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
                   **READ_ERRORS}
    )  # fmt: skip
    def get(self, request: Request, pk: int) -> HttpResponse:
        evaluation = evaluation_get(user=request.user, evaluation_id=pk)
        rows = list(evaluation_ranking(user=request.user, evaluation=evaluation))
        response = HttpResponse(ranking_workbook(evaluation=evaluation, rows=rows), content_type=XLSX)
        name = f"ranking-{evaluation.plan.code}-{evaluation.period}-v{evaluation.version}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class UnitBreakdownApi(APIView):
    """GET /api/evaluations/{id}/units/{unit_id}/: why a unit stands where it does."""

    @extend_schema(responses={200: UnitBreakdownSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int, unit_id: int) -> Response:
        evaluation = evaluation_get(user=request.user, evaluation_id=pk)
        result = unit_breakdown(user=request.user, evaluation=evaluation, unit_id=unit_id)
        return Response(UnitBreakdownSerializer(result).data)


def _evaluation_answer(request: Request, evaluation_id: int, code: int = status.HTTP_200_OK) -> Response:
    evaluation = evaluation_get(user=request.user, evaluation_id=evaluation_id)
    return Response(EvaluationOutputSerializer(evaluation, context={"request": request}).data, status=code)


STEP_ERRORS = {**WRITE_ERRORS, 403: error_response(gettext_lazy("不是你的步骤")),
               409: error_response(gettext_lazy("状态已变化、版本已过期或重复操作"))}  # fmt: skip


class EvaluationStepApi(APIView):
    """POST /api/evaluations/{id}/<step>/ {version?}: open-appeals and submit (supervisors), approve (leaders),
    publish (supervisors). Each answers the evaluation as it now stands."""

    step: str = ""
    input_serializer = StepInputSerializer

    @extend_schema(request=StepInputSerializer, responses={200: EvaluationOutputSerializer, **STEP_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        evaluation_get(user=request.user, evaluation_id=pk)  # 404 before anything else for those who cannot see it
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version", None)
        today = timezone.localdate()
        steps = {
            "open-appeals": lambda: evaluation_open_appeals(actor=request.user, evaluation_id=pk, version=version,
                                                            today=today),
            "submit": lambda: evaluation_submit(actor=request.user, evaluation_id=pk, version=version, today=today),
            "approve": lambda: evaluation_approve(actor=request.user, evaluation_id=pk, version=version),
            "return": lambda: evaluation_return(actor=request.user, evaluation_id=pk, version=version, **values),
            "publish": lambda: evaluation_publish(actor=request.user, evaluation_id=pk, version=version),
        }  # fmt: skip
        steps[self.step]()
        return _evaluation_answer(request, pk)


class EvaluationReturnApi(EvaluationStepApi):
    """POST /api/evaluations/{id}/return/ {reason, version?}: a leader returns the draft to the supervisors."""

    step = "return"
    input_serializer = ReturnInputSerializer

    @extend_schema(request=ReturnInputSerializer, responses={200: EvaluationOutputSerializer, **STEP_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class EvaluationAdjustmentApi(APIView):
    """POST /api/evaluations/{id}/adjustments/: a supervisor gives a unit a bonus or deduction item (recomputes)."""

    @extend_schema(request=AdjustmentInputSerializer, responses={201: AdjustmentOutputSerializer, **STEP_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        evaluation_get(user=request.user, evaluation_id=pk)
        data = AdjustmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        adjustment = evaluation_adjust(actor=request.user, evaluation_id=pk, unit_id=values["unit"],
                                       code=values["code"], count=values["count"], evidence=values["evidence"],
                                       reason=values["reason"])  # fmt: skip
        return Response(AdjustmentOutputSerializer(adjustment).data, status=status.HTTP_201_CREATED)


class EvaluationRubricApi(APIView):
    """POST /api/evaluations/{id}/rubric/: a supervisor's rubric scores for a unit (F4; recomputes)."""

    @extend_schema(request=RubricInputSerializer, responses={201: RubricOutputSerializer, **STEP_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        evaluation_get(user=request.user, evaluation_id=pk)
        data = RubricInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rating = evaluation_rate(actor=request.user, evaluation_id=pk, unit_id=values["unit"],
                                 scores=values["scores"], comment=values["comment"])  # fmt: skip
        return Response(RubricOutputSerializer(rating).data, status=status.HTTP_201_CREATED)


class EvaluationAppealsApi(APIView):
    """GET /api/evaluations/{id}/appeals/ (supervisors and leaders: all; a unit: its own);
    POST: a unit's reporter or head appeals in the window."""

    @extend_schema(responses={200: AppealOutputSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        evaluation = evaluation_get(user=request.user, evaluation_id=pk)
        return Response(AppealOutputSerializer(appeal_list(user=request.user, evaluation=evaluation), many=True).data)

    @extend_schema(request=AppealInputSerializer, responses={201: AppealOutputSerializer, **STEP_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        evaluation_get(user=request.user, evaluation_id=pk)
        data = AppealInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        appeal = appeal_file(actor=request.user, evaluation_id=pk, unit_id=values["unit"],
                             category=values["category"], reason=values["reason"],
                             today=timezone.localdate())  # fmt: skip
        return Response(AppealOutputSerializer(appeal).data, status=status.HTTP_201_CREATED)


class AppealResolveApi(APIView):
    """POST /api/appeals/{id}/resolve/ {upheld, reply}: a supervisor answers an appeal in writing."""

    @extend_schema(request=AppealResolveInputSerializer, responses={200: AppealOutputSerializer, **STEP_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = AppealResolveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = appeal_resolve(actor=request.user, appeal_id=pk, **data.validated_data)
        return Response(AppealOutputSerializer(appeal).data)
