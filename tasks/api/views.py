"""Thin API of the plan register: reads through ``tasks.selectors``, writes through ``tasks.services``.

Each view set lists (paginated, filterable) and shows by id what the selector lets the acting
user read — a draft plan's objects are therefore 404 for non-supervisors. Writes validate the
input shape, call one service, and render the fresh object through the selector. The services
check the supervisor rule and the ``version`` a PATCH carries themselves; the permission class
below only makes the API answer 403 before looking at the body. Errors (the services' and the
serializers') are answered by the one handler of every API, ``tasks.api.errors``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from tasks.api.errors import error_response
from tasks.api.filters import IndicatorFilter, MilestoneFilter, PlanFilter, TaskFilter
from tasks.api.pagination import RegisterPagination, RowListMixin
from tasks.api.rows import IndicatorValueRows, MilestoneRows, TaskRows
from tasks.api.serializers import (
    IndicatorCreateInputSerializer,
    IndicatorDetailOutputSerializer,
    IndicatorOutputSerializer,
    IndicatorUpdateInputSerializer,
    IndicatorValueOutputSerializer,
    MilestoneCreateInputSerializer,
    MilestoneOutputSerializer,
    MilestoneUpdateInputSerializer,
    PlanOutputSerializer,
    PlanUpdateInputSerializer,
    TaskCreateInputSerializer,
    TaskOutputSerializer,
    TaskUpdateInputSerializer,
)
from tasks.models import Indicator, Milestone, Plan, PlanTask
from tasks.selectors import (
    indicator_latest_value,
    indicator_list,
    indicator_values,
    milestone_list,
    plan_list,
    task_list,
)
from tasks.services import (
    indicator_create,
    indicator_update,
    milestone_create,
    milestone_update,
    plan_update,
    register_editable_by,
    task_create,
    task_update,
)


class RegisterWritePermission(BasePermission):
    """Reads for every signed-in user; writes only for those the services let edit the register."""

    message = _("只有督查专班可以修改任务台账。")

    def has_permission(self, request: Request, view: APIView) -> bool:
        # A method the route does not offer (PUT, DELETE) is a 405 for everyone, not a 403 for some: let the view
        # answer it.
        offered = request.method in view.allowed_methods
        return request.method in SAFE_METHODS or not offered or register_editable_by(request.user)


_WRITE_ERRORS = {
    400: error_response(_("字段校验失败，按字段路径返回错误")),
    401: error_response(_("未登录")),
    403: error_response(_("无权修改（仅督查专班）")),
}
_UPDATE_ERRORS = {
    **_WRITE_ERRORS,
    404: error_response(_("对象不存在或不可见")),
    409: error_response(_("version 与当前版本不符：已被他人修改，未写入")),
}


class RegisterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and detail through a selector; helpers for writes that delegate to services."""

    permission_classes = [IsAuthenticated, RegisterWritePermission]

    def validated_input(self, serializer_class: type[Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def rendered(self, obj: Model, status_code: int = status.HTTP_200_OK) -> Response:
        """Render the written object as the selector loads it (the same shape and joins as a read)."""
        fresh = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)


@extend_schema_view(
    list=extend_schema(summary=_("行动方案列表")),
    retrieve=extend_schema(summary=_("行动方案详情")),
)
class PlanViewSet(RegisterViewSet):
    """Plans: list, detail, PATCH (supervisors)."""

    serializer_class = PlanOutputSerializer
    filterset_class = PlanFilter
    ordering_fields = ["start_date", "code", "id"]

    def get_queryset(self) -> QuerySet[Plan]:
        return plan_list(user=self.request.user)

    @extend_schema(summary=_("修改行动方案"), request=PlanUpdateInputSerializer,
                   responses={200: PlanOutputSerializer, **_UPDATE_ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        data = self.validated_input(PlanUpdateInputSerializer)
        comment, version = data.pop("comment", ""), data.pop("version", None)
        plan = plan_update(actor=request.user, plan=plan, changes=data, version=version, comment=comment)
        return self.rendered(plan)


@extend_schema_view(
    list=extend_schema(summary=_("任务列表")),
    retrieve=extend_schema(summary=_("任务详情")),
)
class TaskViewSet(RowListMixin, RegisterViewSet):
    """Tasks of the register: list (by cursor or page, see tasks.api.pagination), detail, POST and PATCH
    (supervisors; PATCH may carry ``version``)."""

    serializer_class = TaskOutputSerializer
    filterset_class = TaskFilter
    ordering_fields = ["sort_key", "due_date", "updated_at", "id"]

    def get_queryset(self) -> QuerySet[PlanTask]:
        return task_list(user=self.request.user)

    def list_rows(self) -> TaskRows:
        return TaskRows()

    @extend_schema(summary=_("新建任务"), request=TaskCreateInputSerializer,
                   responses={201: TaskOutputSerializer, **_WRITE_ERRORS})
    def create(self, request: Request) -> Response:
        data = self.validated_input(TaskCreateInputSerializer)
        task = task_create(actor=request.user, **data)
        return self.rendered(task, status.HTTP_201_CREATED)

    @extend_schema(summary=_("修改任务"), request=TaskUpdateInputSerializer,
                   responses={200: TaskOutputSerializer, **_UPDATE_ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        data = self.validated_input(TaskUpdateInputSerializer)
        comment, version = data.pop("comment", ""), data.pop("version", None)
        task = task_update(actor=request.user, task=task, changes=data, version=version, comment=comment)
        return self.rendered(task)


@extend_schema_view(
    list=extend_schema(summary=_("指标列表")),
)
class IndicatorViewSet(RegisterViewSet):
    """Indicators with interim targets: list, detail (with the latest approved value), POST and PATCH
    (supervisors); ``values``: the approved values, by round (cursor pages)."""

    serializer_class = IndicatorOutputSerializer
    filterset_class = IndicatorFilter
    ordering_fields = ["order", "code", "id"]

    def get_queryset(self) -> QuerySet[Indicator]:
        return indicator_list(user=self.request.user)

    def list_rows(self) -> IndicatorValueRows:
        # The rows of the ``values`` action, the only one paged by RegisterPagination here.
        return IndicatorValueRows()

    @extend_schema(summary=_("指标详情（含最新审核通过的实际值）"),
                   responses={200: IndicatorDetailOutputSerializer, 401: error_response(_("未登录")),
                              404: error_response(_("对象不存在或不可见"))})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        indicator = self.get_object()
        context = {**self.get_serializer_context(), "latest_value": indicator_latest_value(indicator)}
        return Response(IndicatorDetailOutputSerializer(indicator, context=context).data)

    @extend_schema(
        summary=_("指标的实际值（仅审核通过的报告）"),
        description=_("每个报送轮次一个值，来自审核通过的任务汇总报告；按轮次开启的先后排列，游标分页（见 cursor）。"),
        filters=False, responses={200: IndicatorValueOutputSerializer(many=True), 400: _WRITE_ERRORS[400],
                                  401: _WRITE_ERRORS[401], 404: _UPDATE_ERRORS[404]},
    )
    @action(detail=True, methods=["get"], url_path="values", pagination_class=RegisterPagination,
            filter_backends=[], serializer_class=IndicatorValueOutputSerializer)
    def values(self, request: Request, pk: str | None = None) -> Response:
        indicator = self.get_object()  # 404 for an indicator the user may not read, or a malformed id
        queryset = indicator_values(user=request.user, indicator_id=indicator.pk)
        rows = self.paginator.paginate_queryset(queryset, request, view=self)
        return self.get_paginated_response(rows)

    @extend_schema(summary=_("新建指标"), request=IndicatorCreateInputSerializer,
                   responses={201: IndicatorOutputSerializer, **_WRITE_ERRORS})
    def create(self, request: Request) -> Response:
        data = self.validated_input(IndicatorCreateInputSerializer)
        indicator = indicator_create(actor=request.user, **data)
        return self.rendered(indicator, status.HTTP_201_CREATED)

    @extend_schema(summary=_("修改指标"), request=IndicatorUpdateInputSerializer,
                   responses={200: IndicatorOutputSerializer, **_UPDATE_ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        indicator = self.get_object()
        data = self.validated_input(IndicatorUpdateInputSerializer)
        comment, version = data.pop("comment", ""), data.pop("version", None)
        indicator = indicator_update(actor=request.user, indicator=indicator, changes=data, version=version,
                                     comment=comment)
        return self.rendered(indicator)


@extend_schema_view(
    list=extend_schema(summary=_("节点列表")),
    retrieve=extend_schema(summary=_("节点详情")),
)
class MilestoneViewSet(RowListMixin, RegisterViewSet):
    """Milestones: list (by cursor or page, see tasks.api.pagination), detail, POST and PATCH (supervisors;
    moving the due date needs a ``reason``)."""

    serializer_class = MilestoneOutputSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["due_date", "order", "code", "id"]

    def get_queryset(self) -> QuerySet[Milestone]:
        return milestone_list(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        # One "today" per request, in Asia/Shanghai, for every row's overdue flag.
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def list_rows(self) -> MilestoneRows:
        return MilestoneRows(today=timezone.localdate())

    @extend_schema(summary=_("新建节点"), request=MilestoneCreateInputSerializer,
                   responses={201: MilestoneOutputSerializer, **_WRITE_ERRORS})
    def create(self, request: Request) -> Response:
        data = self.validated_input(MilestoneCreateInputSerializer)
        milestone = milestone_create(actor=request.user, **data)
        return self.rendered(milestone, status.HTTP_201_CREATED)

    @extend_schema(summary=_("修改节点（调整完成日期须说明理由）"), request=MilestoneUpdateInputSerializer,
                   responses={200: MilestoneOutputSerializer, **_UPDATE_ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        milestone = self.get_object()
        data = self.validated_input(MilestoneUpdateInputSerializer)
        reason, version = data.pop("reason", ""), data.pop("version", None)
        milestone = milestone_update(actor=request.user, milestone=milestone, changes=data, reason=reason,
                                     version=version)
        return self.rendered(milestone)
