"""Serializers of the reporting-loop API.

Output serializers render what ``workflow.selectors`` loaded (no queries of their own, except the
detail's "last period" and allowed actions, which come from selectors too). Input serializers only
check shapes and resolve the plan reference within what the acting user may read; every rule of the
loop (who acts on which step, ranges, dates, indicators of the task…) lives in ``workflow.services``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks.api.filters import id_or_code
from tasks.api.serializers import PlainDecimalField, PlanRefSerializer, TaskRefSerializer
from tasks.due import classify_due
from tasks.files import download_name, stored_type
from tasks.lifecycle import ACTIONS, Step
from tasks.models import (
    AuditEvent,
    Indicator,
    IndicatorClaim,
    Milestone,
    MilestoneClaim,
    Plan,
    Report,
    ReportAttachment,
    ReportingRound,
)
from tasks.selectors import plan_list
from units.api.serializers import UnitRefSerializer
from units.models import Membership

STEPS = [(step.value, step.value) for step in Step]
ACTION_NAMES = [str(action) for action in ACTIONS]


# --- named enums --------------------------------------------------------------------------------


class EnumField(serializers.ChoiceField):
    """A choice field documented as one named enum component.

    Several models have a ``status`` or ``kind`` choice set; documenting ours as explicit
    components keeps the schema free of enum-name collisions whatever ENUM_NAME_OVERRIDES says.
    With ``allow_null``, an empty value renders as ``null``.
    """

    def __init__(self, choices: Any, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(choices, **kwargs)

    def to_representation(self, value: Any) -> Any:
        if value in ("", None) and self.allow_null:
            return None
        return super().to_representation(value)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field: EnumField = self.target
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={
                "type": "string",
                "enum": list(field.choices),
                "description": "\n".join(f"* `{value}` - {label}" for value, label in field.choices.items()),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def report_status_field(**kwargs: Any) -> EnumField:
    return EnumField(Report.Status.choices, enum_name="ReportStatusEnum", read_only=True, **kwargs)


def report_kind_field(**kwargs: Any) -> EnumField:
    return EnumField(Report.Kind.choices, enum_name="ReportKindEnum", read_only=True, **kwargs)


def step_field(**kwargs: Any) -> EnumField:
    return EnumField(STEPS, enum_name="ReportStepEnum", read_only=True, allow_null=True, help_text=_(
        "报告等待的步骤：fill 填报、sign_off 审签、consolidate 汇总、lead_sign_off 牵头单位负责人审签、review 审核；"
        "不等待任何人时为 null"), **kwargs)


def report_page_url(report_id: int) -> str:
    """The report's page in the web UI (the web engineer owns the page; the path is fixed by the brief)."""
    return f"/reports/{report_id}/"


# --- references ---------------------------------------------------------------------------------


class RoundRefSerializer(serializers.ModelSerializer):
    """A round as other objects refer to it: {id, period, due_date}."""

    class Meta:
        model = ReportingRound
        fields = ["id", "period", "due_date"]
        read_only_fields = fields


class UserRefSerializer(serializers.Serializer):
    """A person: {id, username, name}."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return user.get_full_name() or user.get_username()


# --- rounds -------------------------------------------------------------------------------------


class RoundOutputSerializer(serializers.ModelSerializer):
    """A reporting round; ``tasks_opened`` of ``tasks_total`` shows the opening job's progress."""

    plan = PlanRefSerializer(read_only=True)
    status = EnumField(ReportingRound.Status.choices, enum_name="RoundStatusEnum", read_only=True)

    class Meta:
        model = ReportingRound
        fields = [
            "id", "plan", "period", "period_start", "period_end", "due_date", "status", "tasks_total", "tasks_opened",
            "opened_at", "open_finished_at", "closed_at", "illustrative",
        ]
        read_only_fields = fields


class RoundCountsSerializer(serializers.Serializer):
    """``workflow.selectors.RoundCounts``: parts and task reports of the round by state."""

    tasks_total = serializers.IntegerField(read_only=True)
    tasks_opened = serializers.IntegerField(read_only=True)
    parts = serializers.IntegerField(read_only=True, help_text=_("单位报告总数"))
    submitted = serializers.IntegerField(read_only=True, help_text=_("已提交的单位报告"))
    signed_off = serializers.IntegerField(read_only=True, help_text=_("已审签（或已通过）的单位报告"))
    returned = serializers.IntegerField(read_only=True, help_text=_("被退回、尚未重新提交的报告"))
    overdue = serializers.IntegerField(read_only=True, help_text=_("截止日已过仍未提交的单位报告"))
    tasks_in_review = serializers.IntegerField(read_only=True)
    tasks_approved = serializers.IntegerField(read_only=True)
    returned_by_supervisor = serializers.IntegerField(read_only=True, help_text=_(
        "本轮被督查退回过的报告（单位报告和任务汇总报告）：计入考评的一次通过率"))
    returned_by_lead = serializers.IntegerField(read_only=True, help_text=_(
        "本轮被牵头单位退回过的单位报告：只作展示，不计分"))
    returned_in_unit = serializers.IntegerField(read_only=True, help_text=_(
        "本轮在单位内被退回过的报告（本单位负责人退回，含牵头单位负责人退回汇总报告）：只作展示，不计分"))


class RoundUnitRowSerializer(serializers.Serializer):
    """One unit's reports in the round (``workflow.selectors.round_units``): its parts by state, and its reports
    (parts and, for a lead unit, task reports) returned at each level."""

    unit = UnitRefSerializer(read_only=True)
    parts = serializers.IntegerField(read_only=True)
    submitted = serializers.IntegerField(read_only=True)
    late = serializers.IntegerField(read_only=True)
    missing = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(read_only=True)
    returned = serializers.IntegerField(read_only=True, help_text=_(
        "被退回过的单位报告（任一级退回；保留给旧客户端，按级别见 returned_by_*）"))
    returned_by_supervisor = serializers.IntegerField(read_only=True, help_text=_("被督查退回过的报告：计入考评"))
    returned_by_lead = serializers.IntegerField(read_only=True, help_text=_("被牵头单位退回过的单位报告"))
    returned_in_unit = serializers.IntegerField(read_only=True, help_text=_("在单位内被退回过的报告"))
    approved = serializers.IntegerField(read_only=True)


class RoundDetailOutputSerializer(RoundOutputSerializer):
    """A round with its counts; per-unit rows only for supervisors (``null`` otherwise).

    ``context["counts"]`` and ``context["units"]`` are computed by the view through the selectors.
    """

    counts = serializers.SerializerMethodField()
    units = serializers.SerializerMethodField()

    class Meta(RoundOutputSerializer.Meta):
        fields = [*RoundOutputSerializer.Meta.fields, "counts", "units"]
        read_only_fields = fields

    @extend_schema_field(RoundCountsSerializer)
    def get_counts(self, round_: ReportingRound) -> dict[str, Any]:
        return RoundCountsSerializer(self.context["counts"]).data

    @extend_schema_field(RoundUnitRowSerializer(many=True, allow_null=True))
    def get_units(self, round_: ReportingRound) -> list[dict[str, Any]] | None:
        units = self.context.get("units")
        return None if units is None else RoundUnitRowSerializer(units, many=True).data


class RoundOpenInputSerializer(serializers.Serializer):
    """POST /api/rounds/: the plan (id or code), the period ("2025-Q3" or "2025-07") and the due date."""

    plan = serializers.CharField(help_text=_("行动方案 ID 或代码"))
    period = serializers.CharField(max_length=10, help_text=_("期次，如 2025-Q3 或 2025-07"))
    due_date = serializers.DateField(help_text=_("报送截止日期"))

    def validate_plan(self, value: str) -> Plan:
        request = self.context["request"]
        plan = plan_list(user=request.user).filter(id_or_code(value.strip())).first()
        if plan is None:
            raise serializers.ValidationError(_("没有此行动方案：%(value)s") % {"value": value})
        return plan


# --- inbox --------------------------------------------------------------------------------------


class InboxItemOutputSerializer(serializers.ModelSerializer):
    """One report waiting for the user; ``overdue`` is computed for ``context["today"]`` (Asia/Shanghai); ``link``
    is its page, ``url`` its API resource; ``draft_started`` as ``workflow.selectors.inbox`` annotates it."""

    step = step_field()
    kind = report_kind_field()
    status = report_status_field()
    task = TaskRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True)
    round = RoundRefSerializer(read_only=True)
    plan = PlanRefSerializer(source="round.plan", read_only=True)
    due_date = serializers.DateField(read_only=True)
    overdue = serializers.SerializerMethodField()
    returned = serializers.BooleanField(read_only=True, help_text=_("被退回、尚未重新提交"))
    times_returned = serializers.IntegerField(read_only=True)
    draft_started = serializers.BooleanField(read_only=True, help_text=_(
        "进入当前步骤后已保存过内容或上传过附件（草稿已开始，尚未提交）"))
    link = serializers.SerializerMethodField(help_text=_("报告的网页"))
    url = serializers.SerializerMethodField(help_text=_("报告的 API 地址（GET /api/reports/{id}/）"))

    class Meta:
        model = Report
        fields = ["id", "step", "kind", "status", "task", "unit", "round", "plan", "due_date", "overdue", "returned",
                  "times_returned", "draft_started", "link", "url", "version"]
        read_only_fields = fields

    def get_overdue(self, report: Report) -> bool:
        today: date = self.context["today"]
        return classify_due(report.due_date, done=False, today=today).is_overdue

    def get_link(self, report: Report) -> str:
        return report_page_url(report.pk)

    def get_url(self, report: Report) -> str:
        return reverse("api-report", kwargs={"pk": report.pk})


class InboxCountsOutputSerializer(serializers.Serializer):
    """Items waiting per step, their total, and how many of them are overdue."""

    fill = serializers.IntegerField(read_only=True)
    sign_off = serializers.IntegerField(read_only=True)
    consolidate = serializers.IntegerField(read_only=True)
    lead_sign_off = serializers.IntegerField(read_only=True)
    review = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(read_only=True)


# --- reports ------------------------------------------------------------------------------------


class ReportListOutputSerializer(serializers.ModelSerializer):
    """A report as lists show it."""

    kind = report_kind_field()
    status = report_status_field()
    step = step_field()
    round = RoundRefSerializer(read_only=True)
    task = TaskRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = Report
        fields = [
            "id", "kind", "status", "step", "round", "task", "unit", "task_report", "percent_complete",
            "submitted_at", "on_time", "times_returned", "step_started_at", "version", "updated_at",
        ]
        read_only_fields = fields


class IndicatorClaimOutputSerializer(serializers.ModelSerializer):
    indicator = serializers.IntegerField(source="indicator_id", read_only=True)
    code = serializers.CharField(source="indicator.code", read_only=True)
    name = serializers.CharField(source="indicator.name", read_only=True)
    unit_of_measure = serializers.CharField(source="indicator.unit_of_measure", read_only=True)

    class Meta:
        model = IndicatorClaim
        fields = ["indicator", "code", "name", "unit_of_measure", "value", "note"]
        read_only_fields = fields


class MilestoneClaimOutputSerializer(serializers.ModelSerializer):
    milestone = serializers.IntegerField(source="milestone_id", read_only=True)
    code = serializers.CharField(source="milestone.code", read_only=True)
    title = serializers.CharField(source="milestone.title", read_only=True)
    due_date = serializers.DateField(source="milestone.due_date", read_only=True)

    class Meta:
        model = MilestoneClaim
        fields = ["milestone", "code", "title", "due_date", "completed_date", "evidence"]
        read_only_fields = fields


class TaskIndicatorOutputSerializer(serializers.ModelSerializer):
    """An indicator the report may give a value for."""

    class Meta:
        model = Indicator
        fields = ["id", "code", "name", "unit_of_measure", "direction", "target_year", "target_value"]
        read_only_fields = fields


class TaskMilestoneOutputSerializer(serializers.ModelSerializer):
    """A milestone the report may claim as completed."""

    # A plain string: the register's milestone serializer documents this choice set as an enum already.
    status = serializers.CharField(read_only=True, help_text=_("pending 未完成 / done 已完成"))

    class Meta:
        model = Milestone
        fields = ["id", "code", "title", "due_date", "status", "completed_date"]
        read_only_fields = fields


class AttachmentOutputSerializer(serializers.ModelSerializer):
    """Evidence. ``url`` downloads it (always as an attachment, named ``download_name``: the uploader's base name
    with the detected type's extension); ``preview_url`` shows a PDF or PNG/JPEG/GIF image inline in a sandbox
    (null for every other type); ``report`` and ``unit`` say whose report it belongs to (a consolidated report lists
    its parts' evidence too)."""

    report = serializers.IntegerField(source="report_id", read_only=True)
    unit = UnitRefSerializer(source="report.unit", read_only=True)
    download_name = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportAttachment
        fields = ["id", "report", "unit", "original_name", "download_name", "content_type", "size", "milestone",
                  "uploaded_at", "url", "preview_url"]
        read_only_fields = fields

    def get_download_name(self, attachment: ReportAttachment) -> str:
        return download_name(attachment.original_name, stored_type(attachment.content_type))

    def get_url(self, attachment: ReportAttachment) -> str:
        return reverse("api-report-attachment", kwargs={"pk": attachment.report_id, "attachment_id": attachment.pk})

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_preview_url(self, attachment: ReportAttachment) -> str | None:
        if not stored_type(attachment.content_type).previewable:
            return None
        return reverse("api-report-attachment-inline",
                       kwargs={"pk": attachment.report_id, "attachment_id": attachment.pk})


class ClaimWithEvidenceOutputSerializer(MilestoneClaimOutputSerializer):
    """A milestone claim with the evidence that supports it: the files of the report and, on a consolidated report,
    of its parts, uploaded for that milestone (``context["evidence"]``, ``workflow.selectors.report_evidence``)."""

    attachments = serializers.SerializerMethodField()

    class Meta(MilestoneClaimOutputSerializer.Meta):
        fields = [*MilestoneClaimOutputSerializer.Meta.fields, "attachments"]
        read_only_fields = fields

    @extend_schema_field(AttachmentOutputSerializer(many=True))
    def get_attachments(self, claim: MilestoneClaim) -> list[dict[str, Any]]:
        return AttachmentOutputSerializer(self.context["evidence"].of(claim.milestone_id), many=True).data


class AttachmentCreatedOutputSerializer(AttachmentOutputSerializer):
    """The stored attachment and ``report_version``: the report's version after the upload (an upload changes the
    report), to send with the next write."""

    report_version = serializers.IntegerField(source="report.version", read_only=True)

    class Meta(AttachmentOutputSerializer.Meta):
        fields = [*AttachmentOutputSerializer.Meta.fields, "report_version"]
        read_only_fields = fields


class PartOutputSerializer(serializers.ModelSerializer):
    """A unit's part as its task report lists it."""

    unit = UnitRefSerializer(read_only=True)
    status = report_status_field()

    class Meta:
        model = Report
        fields = [
            "id", "unit", "status", "percent_complete", "submitted_at", "on_time", "times_returned",
            "last_return_reason", "version",
        ]
        read_only_fields = fields


class PreviousReportOutputSerializer(serializers.ModelSerializer):
    """The same unit's approved report of the task in the latest earlier round ("last period")."""

    round = RoundRefSerializer(read_only=True)
    indicator_values = IndicatorClaimOutputSerializer(source="indicator_claims", many=True, read_only=True)
    milestone_claims = MilestoneClaimOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Report
        fields = ["id", "round", "narrative", "percent_complete", "indicator_values", "milestone_claims",
                  "approved_at"]
        read_only_fields = fields


class ReportDetailOutputSerializer(ReportListOutputSerializer):
    """A report with its content, evidence, parts and what the acting user may do with it.

    ``attachments`` are the report's own files; each of ``milestone_claims`` carries the ``attachments`` that
    support it (on a consolidated report, its parts' too) and ``other_attachments`` the rest
    (``context["evidence"]``, from ``workflow.selectors.report_evidence``).
    ``context["previous"]`` (the last approved report, or None) and ``context["actions"]`` come from
    ``workflow.selectors.previous_approved`` and ``workflow.selectors.report_actions``.
    """

    indicator_values = IndicatorClaimOutputSerializer(source="indicator_claims", many=True, read_only=True)
    milestone_claims = ClaimWithEvidenceOutputSerializer(many=True, read_only=True)
    attachments = AttachmentOutputSerializer(many=True, read_only=True)
    other_attachments = serializers.SerializerMethodField()
    parts = PartOutputSerializer(many=True, read_only=True)
    indicators = TaskIndicatorOutputSerializer(source="task.indicators", many=True, read_only=True)
    milestones = TaskMilestoneOutputSerializer(source="task.milestones", many=True, read_only=True)
    lead_unit = UnitRefSerializer(source="task.lead_unit", read_only=True)
    previous = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(ReportListOutputSerializer.Meta):
        fields = [
            *ReportListOutputSerializer.Meta.fields, "lead_unit", "narrative", "indicator_values",
            "milestone_claims", "attachments", "other_attachments", "parts", "indicators", "milestones",
            "last_return_reason",
            "signed_off_at", "approved_at", "previous", "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(AttachmentOutputSerializer(many=True))
    def get_other_attachments(self, report: Report) -> list[dict[str, Any]]:
        """Evidence tied to none of the report's claims (no milestone, or one it does not claim): "其他附件"."""
        claimed = {claim.milestone_id for claim in report.milestone_claims.all()}
        return AttachmentOutputSerializer(self.context["evidence"].besides(claimed), many=True).data

    @extend_schema_field(PreviousReportOutputSerializer(allow_null=True))
    def get_previous(self, report: Report) -> dict[str, Any] | None:
        previous: Report | None = self.context["previous"]
        return None if previous is None else PreviousReportOutputSerializer(previous).data

    @extend_schema_field(serializers.ListField(child=EnumField(ACTION_NAMES, enum_name="ReportActionEnum")))
    def get_actions(self, report: Report) -> list[str]:
        return list(self.context["actions"])


# --- report input -------------------------------------------------------------------------------


class VersionInputSerializer(serializers.Serializer):
    """Every write may carry the version the client last read; a different current version is a 409."""

    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("客户端读取时的版本；与当前版本不符则返回 409"))


class IndicatorValueInputSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(help_text=_("本任务的指标 ID"))
    value = PlainDecimalField(max_digits=20, decimal_places=4, allow_null=True,
                                     help_text=_("数值；为空表示不填"))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class MilestoneClaimInputSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(help_text=_("本任务的节点 ID"))
    completed_date = serializers.DateField(help_text=_("完成日期，不能晚于今天"))
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ReportUpdateInputSerializer(VersionInputSerializer):
    """PATCH /api/reports/{id}/: any subset; each list replaces what the report had."""

    narrative = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    percent_complete = PlainDecimalField(max_digits=20, decimal_places=4, required=False, allow_null=True,
                                                help_text=_("完成百分比，0–100"))
    indicator_values = IndicatorValueInputSerializer(many=True, required=False)
    milestone_claims = MilestoneClaimInputSerializer(many=True, required=False)


class ReportReturnInputSerializer(VersionInputSerializer):
    """POST /api/reports/{id}/return/: a reason (required); ``part`` names one unit's part when a supervisor
    returns a task report in review to that unit only."""

    reason = serializers.CharField(max_length=5000, allow_blank=True, help_text=_("退回理由（必填）"))
    part = serializers.IntegerField(required=False, allow_null=True, help_text=_("只退回此单位报告（督查审核时）"))


class AttachmentInputSerializer(serializers.Serializer):
    """POST /api/reports/{id}/attachments/ (multipart): the file and, optionally, the milestone it evidences."""

    file = serializers.FileField(help_text=_("PDF、图片、Word 或 Excel，最大 20 MB；类型按内容识别"))
    milestone = serializers.IntegerField(required=False, allow_null=True)


# --- me ---------------------------------------------------------------------------------------


class UnitRolesOutputSerializer(serializers.Serializer):
    """One of the user's units and the user's roles there."""

    unit = UnitRefSerializer(read_only=True)
    roles = serializers.ListField(child=EnumField(Membership.Role.choices, enum_name="MembershipRoleEnum"),
                                  read_only=True)


class MeOutputSerializer(serializers.Serializer):
    """``workflow.selectors.Profile``: the signed-in user, their units with roles, and what they may do."""

    user = UserRefSerializer(read_only=True)
    units = UnitRolesOutputSerializer(many=True, read_only=True)
    is_supervisor = serializers.BooleanField(read_only=True, help_text=_("督查专班（或超级用户）"))
    is_leader = serializers.BooleanField(read_only=True, help_text=_("领导：查看所有单位"))
    can_open_rounds = serializers.BooleanField(read_only=True, help_text=_("可以开启报送轮次（POST /api/rounds/）"))
    can_edit_register = serializers.BooleanField(read_only=True, help_text=_(
        "可以修改任务台账（POST/PATCH /api/tasks/ 等）"))
    steps = serializers.ListField(child=EnumField(STEPS, enum_name="ReportStepEnum"), read_only=True, help_text=_(
        "按角色可以处理的步骤；当前有无待办见 /api/inbox/"))


# --- history ------------------------------------------------------------------------------------


class AuditObjectSerializer(serializers.Serializer):
    """The object an event is about: {type, id}; ``id`` is the object's integer id."""

    type = serializers.CharField(source="object_type", read_only=True)
    id = serializers.SerializerMethodField()

    def get_id(self, event: AuditEvent) -> int:
        # Every audited object has an integer primary key; the column is text only to hold any model's.
        return int(event.object_id)


class HistoryEventOutputSerializer(serializers.ModelSerializer):
    """One audit event of a task: who (and the unit they acted for), about which unit, did what to which object,
    before → after, why."""

    actor = UserRefSerializer(read_only=True, allow_null=True)
    actor_unit = UnitRefSerializer(read_only=True, allow_null=True, help_text=_(
        "操作人所代表的单位（如督查室审核时为督查室），记录时确定；早于此字段的记录为 null"))
    unit = UnitRefSerializer(read_only=True, allow_null=True, help_text=_("事件所涉及的单位（如报告所属单位）"))
    object = AuditObjectSerializer(source="*", read_only=True)
    time = serializers.DateTimeField(source="at", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "time", "actor", "actor_unit", "unit", "action", "object", "before", "after", "comment"]
        read_only_fields = fields

