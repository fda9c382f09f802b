"""Thin API of the reporting loop: reads through ``workflow.selectors``, writes through ``workflow.services``.

Each view validates the input's shape, calls one service (which checks the acting user itself) and
renders the fresh object through the selector. Errors, the services' and the serializers' alike, are
answered by the one handler of every API (``tasks.api.errors``): 400 with flat field paths,
``PermissionDenied`` 403 (visible, but not this user's step), ``NotFound``/``DoesNotExist`` 404 (outside
the user's units — never said which), ``Conflict`` 409 (wrong state, stale version, second click).
Anonymous requests get 401 from the authentication classes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from tasks.api.errors import error_response
from tasks.api.filters import IdFilter, id_or_code
from tasks.files import content_disposition, download_name
from tasks.lifecycle import Step
from tasks.models import AuditEvent, Report, ReportAttachment, ReportingRound
from units.selectors import user_scope
from workflow import selectors, services
from workflow.api.serializers import (
    AttachmentCreatedOutputSerializer,
    AttachmentInputSerializer,
    AttachmentOutputSerializer,
    HistoryEventOutputSerializer,
    InboxCountsOutputSerializer,
    InboxItemOutputSerializer,
    MeOutputSerializer,
    ReportDetailOutputSerializer,
    ReportListOutputSerializer,
    ReportReturnInputSerializer,
    ReportUpdateInputSerializer,
    RoundDetailOutputSerializer,
    RoundOpenInputSerializer,
    RoundOutputSerializer,
    VersionInputSerializer,
)

# --- errors -------------------------------------------------------------------------------------

_401 = error_response(_("未登录"))
_403 = error_response(_("可见，但不是你的步骤"))
_404 = error_response(_("不存在或不在你的单位范围内"))
_409 = error_response(_("状态不允许、版本已过期或重复提交"))
_400 = error_response(_("字段校验失败，按字段路径返回错误"))
_415 = error_response(_("此类型不能在线预览"))
_READ_ERRORS = {401: _401, 404: _404}
_WRITE_ERRORS = {400: _400, 401: _401, 403: _403, 404: _404, 409: _409}


class WorkflowApi(GenericAPIView):
    """Base of every view here: no ordering or filter backends unless a view declares its own (the
    selectors own the order). Errors go to the API's one exception handler (settings)."""

    filter_backends: list = []

    def validated(self, serializer_class: type[Serializer]) -> dict[str, Any]:
        """The request body checked for shape (a 400 with field paths if it is not right)."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


# --- rounds -------------------------------------------------------------------------------------


class RoundListOpenApi(WorkflowApi):
    """GET: rounds of the plans the user may read (paginated). POST: open a round (supervisors)."""

    serializer_class = RoundOutputSerializer

    def get_queryset(self) -> QuerySet[ReportingRound]:
        return selectors.round_list(user=self.request.user)

    @extend_schema(summary=_("报送轮次列表"), responses={200: RoundOutputSerializer(many=True), 401: _401})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary=_("开启报送轮次（督查专班）"),
        description=_("新开启返回 202（各任务的流程由后台任务在提交后启动，见 tasks_opened；后台队列暂不可用时"
                      "轮次保持“开启中”，系统会自动重试）；同一方案同一期次的轮次仍在开启中则重新排队并返回 202，"
                      "已开启完成则返回 200 和已有的轮次，什么也不做。"),
        request=RoundOpenInputSerializer,
        responses={202: RoundOutputSerializer, 200: RoundOutputSerializer, 400: _400, 401: _401, 403: _403},
    )
    def post(self, request: Request) -> Response:
        data = self.validated(RoundOpenInputSerializer)
        round_, created = services.round_open(actor=request.user, plan=data["plan"], period=data["period"],
                                              due_date=data["due_date"])
        fresh = self.get_queryset().get(pk=round_.pk)
        if not created and fresh.status != ReportingRound.Status.OPENING:
            return Response(self.get_serializer(fresh).data)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": reverse("api-round", kwargs={"pk": round_.pk})})


class RoundDetailApi(WorkflowApi):
    """A round with its counts; supervisors also get one row per unit."""

    serializer_class = RoundDetailOutputSerializer

    @extend_schema(summary=_("报送轮次详情与进度"), responses={200: RoundDetailOutputSerializer, **_READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(round_detail(self, request, pk))


def round_detail(view: WorkflowApi, request: Request, pk: int) -> dict[str, Any]:
    """The round's detail as the API answers it, for the detail and after a close."""
    round_ = selectors.round_list(user=request.user).get(pk=pk)
    today = timezone.localdate()
    units = selectors.round_units(round_, today=today) if user_scope(request.user).is_supervisor else None
    context = {**view.get_serializer_context(), "counts": selectors.round_counts(round_, today=today),
               "units": units}
    return RoundDetailOutputSerializer(round_, context=context).data


class RoundCloseApi(WorkflowApi):
    """POST /api/rounds/{id}/close/: a supervisor closes an open round by hand (it closes by itself once due)."""

    serializer_class = RoundDetailOutputSerializer

    @extend_schema(summary=_("结束报送轮次"), request=None,
                   responses={200: RoundDetailOutputSerializer, 403: _403, 409: _409, **_READ_ERRORS})  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        selectors.round_list(user=request.user).get(pk=pk)  # 404 for a round out of sight
        services.round_close(actor=request.user, round_id=pk, now=timezone.now())
        return Response(round_detail(self, request, pk))


# --- inbox --------------------------------------------------------------------------------------


class InboxFilter(filters.FilterSet):
    """Filters of /api/inbox/: step, unit and plan (id or code), returned."""

    step = filters.ChoiceFilter(choices=Step.choices, method="filter_step", label=_("步骤"))
    unit = filters.CharFilter(method="filter_unit", label=_("单位 ID 或代码"))
    plan = filters.CharFilter(method="filter_plan", label=_("行动方案 ID 或代码"))
    returned = filters.BooleanFilter(method="filter_returned", label=_("true 只看被退回的；false 不看被退回的"))

    class Meta:
        model = Report
        fields = ["step", "unit", "plan", "returned"]

    def filter_step(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        return selectors.InboxFilters(step=Step(value)).apply(queryset)

    def filter_unit(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        return queryset.filter(id_or_code(value, "unit__"))

    def filter_plan(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        return queryset.filter(id_or_code(value, "round__plan__"))

    def filter_returned(self, queryset: QuerySet[Report], name: str, value: bool | None) -> QuerySet[Report]:
        return selectors.InboxFilters(returned=value).apply(queryset)


class InboxApi(WorkflowApi):
    """My actionable items: returned first, then by due date (overdue first); filterable (paginated)."""

    serializer_class = InboxItemOutputSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = InboxFilter

    def get_queryset(self) -> QuerySet[Report]:
        return selectors.inbox(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        # One "today" per request, in Asia/Shanghai, for every row's overdue flag.
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(summary=_("待办"), responses={200: InboxItemOutputSerializer(many=True), 400: _400, 401: _401})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class InboxCountsApi(WorkflowApi):
    """Counts of my items per step (for a badge), with their total and overdue count. One query."""

    serializer_class = InboxCountsOutputSerializer
    pagination_class = None

    @extend_schema(summary=_("待办数量"), responses={200: InboxCountsOutputSerializer, 401: _401})
    def get(self, request: Request) -> Response:
        counts = {"fill": 0, "sign_off": 0, "consolidate": 0, "review": 0,
                  **selectors.inbox_counts(user=request.user)}
        return Response(InboxCountsOutputSerializer(counts).data)


# --- reports ------------------------------------------------------------------------------------


class ReportFilter(filters.FilterSet):
    """Filters of /api/reports/: round, task (ids), unit (id or code), status, kind."""

    round = IdFilter(field_name="round_id", label=_("报送轮次 ID"))
    task = IdFilter(field_name="task_id", label=_("任务 ID"))
    unit = filters.CharFilter(method="filter_unit", label=_("单位 ID 或代码"))
    status = filters.ChoiceFilter(choices=Report.Status.choices, label=_("状态"))
    kind = filters.ChoiceFilter(choices=Report.Kind.choices, label=_("类型"))

    class Meta:
        model = Report
        fields = ["round", "task", "unit", "status", "kind"]

    def filter_unit(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        return queryset.filter(id_or_code(value, "unit__"))


class ReportListApi(WorkflowApi):
    """Reports the user may see (paginated, filterable)."""

    serializer_class = ReportListOutputSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ReportFilter

    def get_queryset(self) -> QuerySet[Report]:
        return selectors.report_list(user=self.request.user)

    @extend_schema(summary=_("进展报告列表"), responses={200: ReportListOutputSerializer(many=True), 400: _400,
                                                   401: _401})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ReportApi(WorkflowApi):
    """Renders a report as ``report_detail`` loads it for the acting user (after any write too)."""

    serializer_class = ReportDetailOutputSerializer

    def rendered(self, report_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        user = self.request.user
        report = selectors.report_detail(user=user, report_id=report_id)
        context = {**self.get_serializer_context(), "previous": selectors.previous_approved(report),
                   "actions": selectors.report_actions(user=user, report=report),
                   "evidence": selectors.report_evidence(user=user, report=report)}
        return Response(ReportDetailOutputSerializer(report, context=context).data, status=status_code)


class ReportDetailApi(ReportApi):
    """GET one report; PATCH its draft (a part's reporter, or the lead unit while it consolidates)."""

    @extend_schema(summary=_("进展报告详情"), responses={200: ReportDetailOutputSerializer, **_READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self.rendered(pk)

    @extend_schema(summary=_("保存草稿"), request=ReportUpdateInputSerializer,
                   responses={200: ReportDetailOutputSerializer, **_WRITE_ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        data = self.validated(ReportUpdateInputSerializer)
        version = data.pop("version", None)
        services.report_update(actor=request.user, report_id=pk, content=services.report_content(data),
                               version=version)
        return self.rendered(pk)


class ReportSubmitApi(ReportApi):
    """A part's reporter submits it for sign-off; the lead unit sends its consolidated report to its head's sign-off
    (or to review when the plan has none). Content fields in the body are saved first, atomically with the submit
    (one call instead of PATCH then submit)."""

    @extend_schema(summary=_("提交（单位报告送审签；汇总报告送牵头单位负责人审签）"),
                   request=ReportUpdateInputSerializer,
                   responses={200: ReportDetailOutputSerializer, **_WRITE_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(ReportUpdateInputSerializer)
        version = data.pop("version", None)
        services.report_submit(actor=request.user, report_id=pk, version=version,
                               content=services.report_content(data))
        return self.rendered(pk)


class ReportSignOffApi(ReportApi):
    """The head of the part's unit signs it off (the task report waits for the other parts); the lead unit's head
    signs off the consolidated report, which then goes to review."""

    @extend_schema(summary=_("单位负责人审签"), request=VersionInputSerializer,
                   responses={200: ReportDetailOutputSerializer, **_WRITE_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(VersionInputSerializer)
        services.report_sign_off(actor=request.user, report_id=pk, version=data.get("version"))
        return self.rendered(pk)


class ReportApproveApi(ReportApi):
    """A supervisor approves a task report in review; its milestones and indicator values then count."""

    @extend_schema(summary=_("督查审核通过"), request=VersionInputSerializer,
                   responses={200: ReportDetailOutputSerializer, **_WRITE_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(VersionInputSerializer)
        services.report_approve(actor=request.user, report_id=pk, version=data.get("version"))
        return self.rendered(pk)


class ReportReturnApi(ReportApi):
    """Send work back with a reason: head → own reporter, lead unit → one unit, supervisor → lead unit or one part."""

    @extend_schema(
        summary=_("退回"),
        description=_("单位负责人退回本单位待审签的报告；牵头单位汇总时退回某单位已审签的报告；"
                      "督查审核时退回牵头单位，或用 part 只退回某一单位的报告。返回本报告的最新状态。"),
        request=ReportReturnInputSerializer, responses={200: ReportDetailOutputSerializer, **_WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(ReportReturnInputSerializer)
        services.report_return(actor=request.user, report_id=pk, reason=data["reason"], part_id=data.get("part"),
                               version=data.get("version"))
        return self.rendered(pk)


# --- attachments --------------------------------------------------------------------------------


class AttachmentCreateApi(WorkflowApi):
    """Attach evidence to a report the user may edit (multipart)."""

    serializer_class = AttachmentOutputSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(summary=_("上传佐证材料"), request={"multipart/form-data": AttachmentInputSerializer},
                   responses={201: AttachmentCreatedOutputSerializer, 400: _400, 401: _401, 403: _403, 404: _404})
    def post(self, request: Request, pk: int) -> Response:
        data = self.validated(AttachmentInputSerializer)
        attachment = services.report_attach(actor=request.user, report_id=pk, upload=data["file"],
                                            milestone_id=data.get("milestone"))
        # The service bumped the report's version on the report it returns with the attachment.
        return Response(AttachmentCreatedOutputSerializer(attachment).data, status=status.HTTP_201_CREATED)


class FirstRenderer(BaseContentNegotiation):
    """Ignore Accept: a download answers with the file (or a JSON error), never 406."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list[BaseRenderer],
                        format_suffix: str | None = None) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


def _serve(attachment: ReportAttachment, *, inline: bool) -> FileResponse:
    """The stored file, under the detected type and the download name. Uploaded content never runs in our origin:
    nosniff, and a CSP sandbox without ``allow-scripts`` or ``allow-same-origin`` (an opaque origin that runs no
    script, in the tab or in a frame)."""
    kind = selectors.attachment_type(attachment)
    name = download_name(attachment.original_name, kind)
    response = FileResponse(attachment.file.open("rb"), content_type=kind.content_type)
    response["Content-Disposition"] = content_disposition("inline" if inline else "attachment", name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = INLINE_POLICY if inline else "sandbox; default-src 'none'"
    return response


# Chromium's PDF viewer and image view render under this policy (tests/workflow/web/test_evidence_browser.py);
# no script runs. ``frame-ancestors`` lets only our own pages frame a preview.
INLINE_POLICY = ("sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'self'; form-action 'none'; "
                 "base-uri 'none'")


class AttachmentDownloadApi(WorkflowApi):
    """Download evidence: always as an attachment, with the type detected at upload and nosniff."""

    content_negotiation_class = FirstRenderer

    @extend_schema(summary=_("下载佐证材料"),
                   description=_("以附件下载，文件名为上传时的文件名加按内容识别的类型扩展名。"),
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **_READ_ERRORS})
    def get(self, request: Request, pk: int, attachment_id: int) -> FileResponse:
        attachment = selectors.report_attachment(user=request.user, report_id=pk, attachment_id=attachment_id)
        return _serve(attachment, inline=False)


class AttachmentInlineApi(WorkflowApi):
    """Preview evidence in the browser: PDFs and PNG/JPEG/GIF images only, inline in a CSP sandbox; any other type
    is 415 (download it instead). The same scope as the download."""

    content_negotiation_class = FirstRenderer

    @extend_schema(
        summary=_("在线预览佐证材料"),
        description=_("仅 PDF 和 PNG、JPEG、GIF 图片（按内容识别）以 inline 方式返回，带沙箱 CSP，脚本不能运行；"
                      "其他类型返回 415，请用下载地址。"),
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 415: _415, **_READ_ERRORS},
    )
    def get(self, request: Request, pk: int, attachment_id: int) -> FileResponse:
        attachment = selectors.report_attachment(user=request.user, report_id=pk, attachment_id=attachment_id)
        if not selectors.attachment_type(attachment).previewable:
            raise exceptions.UnsupportedMediaType(
                attachment.content_type, detail=_("只有 PDF 和图片（PNG、JPEG、GIF）可以在线预览，请下载查看。"))
        return _serve(attachment, inline=True)


# --- me ---------------------------------------------------------------------------------------


class MeApi(WorkflowApi):
    """The signed-in user: units with roles, supervisor and leader flags, and what the services let them do."""

    serializer_class = MeOutputSerializer
    pagination_class = None

    @extend_schema(summary=_("当前用户：单位、角色与权限"), responses={200: MeOutputSerializer, 401: _401})
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(selectors.user_profile(user=request.user)).data)


# --- history ------------------------------------------------------------------------------------


class TaskHistoryApi(WorkflowApi):
    """A task's audit trail, newest first (paginated): lead and responsible units, supervisors, leaders."""

    serializer_class = HistoryEventOutputSerializer

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return selectors.task_history(user=self.request.user, task_id=self.kwargs["pk"])

    @extend_schema(summary=_("任务的审计记录"), responses={200: HistoryEventOutputSerializer(many=True),
                                                    **_READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
