"""Thin API of the people's side of the ladder: the escalation board, 督办单 and their steps, a leader's 约谈
decision, and a 催办 by hand. Reads through ``notifications.selectors_notices``, writes through
``notifications.services_notices`` (which check the acting user: 403 not your step, 404 outside your units, 409
wrong state, stale version or a second click)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from notifications import selectors_notices as selectors
from notifications import services_notices as services
from notifications.api.serializers_notices import (
    ChaseInputSerializer,
    ChaseOutputSerializer,
    EscalationOutputSerializer,
    InterviewInputSerializer,
    InterviewOutputSerializer,
    NoticeIssueInputSerializer,
    NoticeOutputSerializer,
    NoticeReplyInputSerializer,
    NoticeReturnInputSerializer,
    NoticeVersionInputSerializer,
    RoundChaseInputSerializer,
    RoundChaseOutputSerializer,
)
from notifications.models import SupervisionNotice
from notifications.services import policy_current
from tasks.api.errors import error_response
from units.selectors import user_scope

_401 = error_response(_("未登录"))
_403 = error_response(_("可见，但不是你的步骤"))
_404 = error_response(_("不存在或不在你的查看范围内"))
_409 = error_response(_("状态已变化、版本过期或重复操作"))
_WRITE = {400: error_response(_("输入有误")), 401: _401, 403: _403, 404: _404, 409: _409}


class _Api(GenericAPIView):
    filter_backends: list = []

    def validated(self, serializer_class: type[serializers.Serializer], data: object = None) -> dict:
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


# --- 督办单 ----------------------------------------------------------------------------------------------------------

class NoticeApi(_Api):
    serializer_class = NoticeOutputSerializer

    def get_queryset(self) -> QuerySet[SupervisionNotice]:
        return selectors.notice_list(user=self.request.user)

    def rendered(self, pk: int) -> Response:
        return Response(NoticeOutputSerializer(self.get_queryset().get(pk=pk)).data)


class NoticeListApi(NoticeApi):
    """GET /api/notices/: the 督办单 the user may see (a unit its own; supervisors and leaders all), newest first."""

    @extend_schema(summary=_("督办单列表"), responses={200: NoticeOutputSerializer(many=True), 401: _401})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(NoticeOutputSerializer(page, many=True).data)


class NoticeReceiptApi(NoticeApi):
    """POST /api/notices/{id}/receipt/: the unit signs for receipt."""

    @extend_schema(summary=_("签收督办单"), request=NoticeVersionInputSerializer,
                   responses={200: NoticeOutputSerializer, **_WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(NoticeVersionInputSerializer)
        services.notice_receipt(actor=request.user, notice_id=pk, version=data.get("version"))
        return self.rendered(pk)


class NoticeReplyApi(NoticeApi):
    """POST /api/notices/{id}/reply/: the unit replies in writing with its measures."""

    @extend_schema(summary=_("回复督办单"), request=NoticeReplyInputSerializer,
                   responses={200: NoticeOutputSerializer, **_WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(NoticeReplyInputSerializer)
        services.notice_reply(actor=request.user, notice_id=pk, reply=data["reply"], measures=data["measures"],
                              version=data.get("version"))
        return self.rendered(pk)


class NoticeAcceptApi(NoticeApi):
    """POST /api/notices/{id}/accept/: a supervisor accepts the reply (办结)."""

    @extend_schema(summary=_("督办单办结"), request=NoticeVersionInputSerializer,
                   responses={200: NoticeOutputSerializer, **_WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(NoticeVersionInputSerializer)
        services.notice_accept(actor=request.user, notice_id=pk, version=data.get("version"))
        return self.rendered(pk)


class NoticeReturnApi(NoticeApi):
    """POST /api/notices/{id}/return/: a supervisor returns the reply with a reason."""

    @extend_schema(summary=_("退回督办单回复"), request=NoticeReturnInputSerializer,
                   responses={200: NoticeOutputSerializer, **_WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(NoticeReturnInputSerializer)
        services.notice_return(actor=request.user, notice_id=pk, reason=data["reason"], version=data.get("version"))
        return self.rendered(pk)


# --- the escalation board ----------------------------------------------------------------------------------------

class BoardFilterSerializer(serializers.Serializer):
    level = serializers.IntegerField(required=False, min_value=0, max_value=3)
    unit = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    plan = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(required=False, choices=selectors.BOARD_KINDS)


class EscalationListApi(_Api):
    """GET /api/escalations/: every overdue item at its rung, as of now (supervisors and leaders)."""

    serializer_class = EscalationOutputSerializer

    @extend_schema(summary=_("升级看板"), parameters=[
        OpenApiParameter("level", int, description=_("升级层级 0–3")),
        OpenApiParameter("unit", int, description=_("单位 ID")),
        OpenApiParameter("plan", int, description=_("行动方案 ID")),
        OpenApiParameter("kind", str, enum=list(selectors.BOARD_KINDS), description=_("事项类型")),
    ], responses={200: EscalationOutputSerializer(many=True), 400: error_response(_("筛选条件有误")), 401: _401,
                  403: _403})
    def get(self, request: Request) -> Response:
        if not user_scope(request.user).sees_all_units:
            raise exceptions.PermissionDenied(_("升级看板仅供督查专班和领导查看。"))
        data = self.validated(BoardFilterSerializer, request.query_params)
        filters = selectors.BoardFilters(level=data.get("level"), unit_id=data.get("unit"),
                                         plan_id=data.get("plan"), kind=data.get("kind"))
        items = selectors.escalation_board(user=request.user, filters=filters, today=timezone.localdate(),
                                           policy=policy_current())
        page = self.paginate_queryset(items)  # type: ignore[arg-type]
        return self.get_paginated_response(EscalationOutputSerializer(page, many=True).data)


class EscalationIssueNoticeApi(_Api):
    """POST /api/escalations/{id}/issue-notice/: a supervisor issues a 督办单 on the overdue item."""

    serializer_class = NoticeOutputSerializer

    @extend_schema(summary=_("下发督办单"), request=NoticeIssueInputSerializer,
                   responses={201: NoticeOutputSerializer, **_WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(NoticeIssueInputSerializer)
        notice = services.notice_issue(actor=request.user, watch_id=pk, requirements=data["requirements"])
        return Response(NoticeOutputSerializer(selectors.notice_list(user=request.user).get(pk=notice.pk)).data,
                        status=201)


class EscalationInterviewApi(_Api):
    """POST /api/escalations/{id}/interview/: a leader decides on the recommended 约谈, with minutes."""

    serializer_class = InterviewOutputSerializer

    @extend_schema(summary=_("约谈决定"), request=InterviewInputSerializer,
                   responses={201: InterviewOutputSerializer, **_WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(InterviewInputSerializer)
        decision = services.interview_decide(actor=request.user, watch_id=pk, outcome=data["outcome"],
                                             minutes=data["minutes"])
        return Response(InterviewOutputSerializer(decision).data, status=201)


# --- 催办 by hand ----------------------------------------------------------------------------------------------------

class ReportChaseApi(_Api):
    """POST /api/reports/{id}/chase/: the lead unit or a supervisor chases one missing part of a task report."""

    serializer_class = ChaseOutputSerializer

    @extend_schema(summary=_("催办单位报告"), request=ChaseInputSerializer,
                   responses={201: ChaseOutputSerializer, **_WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(ChaseInputSerializer)
        chase = services.report_chase(actor=request.user, report_id=pk, part_id=data["part"])
        return Response(ChaseOutputSerializer(chase).data, status=201)


class RoundChaseApi(_Api):
    """POST /api/rounds/{id}/chase/: a supervisor chases every part a unit still owes in a round."""

    serializer_class = RoundChaseOutputSerializer

    @extend_schema(summary=_("按单位催办本轮未报"), request=RoundChaseInputSerializer,
                   responses={201: RoundChaseOutputSerializer, **_WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(RoundChaseInputSerializer)
        chases = services.round_unit_chase(actor=request.user, round_id=pk, unit_id=data["unit"])
        output = {"unit": data["unit"], "day": chases[0].day, "parts": [chase.part_id for chase in chases]}
        return Response(RoundChaseOutputSerializer(output).data, status=201)
