"""The report page (fill, sign off, consolidate, review, or read: the step this user may act on) and its actions:
save, submit, sign off, return, approve, attach.

Every action is one call of ``workflow.services`` (which checks the acting user itself). The services' errors become
pages in one place, ``_perform``: ValidationError → the page again with the message (400), PermissionDenied → 403,
NotFound → 404, Conflict → the page in its current state with "已被处理或已过期，请刷新" (409). A step done goes to
the inbox with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tasks.errors import Conflict, NotFound
from tasks.models import Milestone, Report, ReportAttachment
from workflow import selectors, services
from workflow.templatetags.reporting import due_state
from workflow.views.common import _error_messages, _forbidden
from workflow.views.report_form import _content_from_post, _content_of, _field_labels, _form_rows, _has_content, _typed

CONFLICT_MESSAGE = gettext_lazy("已被处理或已过期，请刷新。")
# Why a user whose role acts on this step may not act on this report (segregation of duties).
DUTY_NOTES = {
    "sign_off": gettext_lazy("只读：这份报告由你本人提交，须由其他负责人审签。"),
    "approve": gettext_lazy("只读：你在本轮参与了这份报告的填报、审签或汇总，须由其他督查人员审核。"),
    "return": gettext_lazy("只读：你在本轮参与了这份报告的填报、审签或汇总，须由其他督查人员审核。"),
}


def _mode(report: Report, actions: list[str]) -> str:
    """Which page the report shows this user: the step they may act on, or read."""
    if report.kind == Report.Kind.PART:
        return "fill" if "edit" in actions else "sign_off" if "sign_off" in actions else "read"
    if "edit" in actions:
        return "consolidate"
    return "lead_sign_off" if "sign_off" in actions else "review" if "approve" in actions else "read"


def _report_or_404(request: HttpRequest, report_id: int) -> Report:
    try:
        return selectors.report_detail(user=request.user, report_id=report_id)
    except Report.DoesNotExist:
        raise Http404(_("没有这份报告")) from None


def _parts(request: HttpRequest, report: Report) -> list[Report]:
    """A task report's parts with their content (constant queries), as far as the user may see them."""
    return list(
        selectors.report_list(user=request.user).filter(task_report=report)
        .select_related("signed_off_by")
        .prefetch_related("indicator_claims__indicator", "milestone_claims__milestone",
                          Prefetch("attachments", queryset=ReportAttachment.objects.order_by("uploaded_at")))
        .order_by("unit__order", "unit_id")
    )


def _report_response(request: HttpRequest, report_id: int, *, status: int = 200, errors: list[str] | None = None,
                     conflict: str = "", posted: dict[str, Any] | None = None) -> HttpResponse:
    """Render the report page for its current state and this user's allowed actions."""
    report = _report_or_404(request, report_id)
    actions = selectors.report_actions(user=request.user, report=report)
    mode = _mode(report, actions)
    barred = selectors.barred_actions(user=request.user, report=report) if mode == "read" else []
    today = timezone.localdate()
    previous = selectors.previous_approved(report)
    prefetch_related_objects(list(report.task.indicators.all()), "interim_targets")
    evidence = selectors.report_evidence(user=request.user, report=report)
    claims = list(report.milestone_claims.all())
    context: dict[str, Any] = {
        "report": report, "actions": actions, "mode": mode, "previous": previous, "today": today,
        "errors": errors or [], "conflict": conflict, "conflict_message": CONFLICT_MESSAGE if conflict else "",
        "due": due_state(report.round.due_date, today), "nav": "inbox",
        "revisions": list(report.revisions.select_related("by").order_by("-version")[:30]),
        # Each claim with the files that support it (a consolidated report's parts' too), and the rest: 其他附件.
        "claim_evidence": [(claim, evidence.of(claim.milestone_id)) for claim in claims],
        "other_evidence": evidence.besides({claim.milestone_id for claim in claims}),
        "done_milestones": [m for m in report.task.milestones.all() if m.status == Milestone.Status.DONE],
        "parts": _parts(request, report) if report.kind == Report.Kind.TASK else [],
        "max_upload_mb": 20,
        "duty_note": DUTY_NOTES[barred[0]] if barred else "",
    }
    if mode in ("fill", "consolidate"):
        content = posted if posted is not None else _content_of(report)
        context["narrative"] = content.get("narrative", "")
        context["percent_complete"] = content.get("percent_complete", "")
        context["indicator_rows"], context["milestone_rows"] = _form_rows(report, content, previous, today.year,
                                                                          evidence)
        context["general_attachments"] = evidence.besides({row.milestone.pk for row in context["milestone_rows"]})
    return render(request, "workflow/report_detail.html", context, status=status)


@login_required
@require_GET
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One report, as the page of the step this user may act on (or read-only)."""
    return _report_response(request, pk)


def _perform(request: HttpRequest, report_id: int, run: Callable[[], Report], *,
             success: Callable[[Report], str], next_url: str | None = None, page_id: int | None = None,
             posted: dict[str, Any] | None = None, labels: dict[str, str] | None = None) -> HttpResponse:
    """Run one service call and answer as the contract in this module's docstring says."""
    try:
        done = run()
    except NotFound:
        raise Http404(_("没有这份报告")) from None
    except PermissionDenied as exc:
        return _forbidden(request, str(exc))
    except ValidationError as exc:
        return _report_response(request, page_id or report_id, status=400, errors=_error_messages(exc, labels),
                                posted=posted)
    except Conflict as exc:
        return _report_response(request, page_id or report_id, status=409, conflict=str(exc))
    messages.success(request, success(done))
    return redirect(next_url or reverse("inbox"))


def _version(request: HttpRequest) -> int | None:
    return services.as_int(request.POST.get("version"))


@login_required
@require_POST
def report_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the fill (or consolidation) form without JavaScript; back to the page."""
    report = _report_or_404(request, pk)
    typed = _typed(request, report) or {}

    def run() -> Report:
        content = services.report_content(_content_from_post(request.POST, report))
        return services.report_update(actor=request.user, report_id=pk, content=content, version=_version(request))

    return _perform(request, pk, run, success=lambda _r: _("已保存。"), next_url=reverse("report-detail", args=[pk]),
                    posted=typed, labels=_field_labels(report, typed))


@login_required
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit: a part to its head, the consolidated report to review. When the form carries the content (the
    fill form's 提交 button), it is saved first, in the same transaction."""
    report = _report_or_404(request, pk)

    def run() -> Report:
        content = None
        if _has_content(request.POST) and "edit" in selectors.report_actions(user=request.user, report=report):
            content = services.report_content(_content_from_post(request.POST, report))
        return services.report_submit(actor=request.user, report_id=pk, version=_version(request), content=content)

    def success(done: Report) -> str:
        if done.kind == Report.Kind.PART:
            return _("已提交，等待单位负责人审签。")
        if done.status == Report.Status.LEAD_SIGN_OFF:
            return _("汇总报告已提交，等待本单位负责人审签。")
        return _("汇总报告已提交审核。")

    typed = _typed(request, report)
    return _perform(request, pk, run, success=success, posted=typed, labels=_field_labels(report, typed or {}))


@login_required
@require_POST
def report_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit head signs the part off."""
    return _perform(
        request, pk,
        lambda: services.report_sign_off(actor=request.user, report_id=pk, version=_version(request)),
        success=lambda done: (_("已审签：汇总报告已送督查审核。") if done.kind == Report.Kind.TASK
                              else _("已审签：%(unit)s 的报告已送牵头单位汇总。") % {"unit": done.unit.display_name}),
    )


@login_required
@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Send back with a reason: a part inside its unit (head), a part to its unit (lead unit, supervisor with
    ``target=part``), or the task report to the lead unit (supervisor). ``page`` names the report page to show
    again on a refusal (the consolidation page when the lead unit returns one part)."""
    part_id = services.as_int(request.POST.get("part"))
    page_id = services.as_int(request.POST.get("page"))

    def run() -> Report:
        if request.POST.get("target") == "part" and part_id is None:
            raise ValidationError({"part": [_("请选择要退回的单位。")]})
        return services.report_return(actor=request.user, report_id=pk, reason=request.POST.get("reason", ""),
                                      part_id=part_id, version=_version(request))

    return _perform(
        request, pk, run, page_id=page_id,
        success=lambda done: _("已退回%(unit)s，理由已记录。") % {"unit": done.unit.display_name},
        labels={"reason": _("退回理由"), "part": _("退回单位")},
    )


@login_required
@require_POST
def report_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor approves the task report; its milestones and indicator values then count."""
    return _perform(
        request, pk,
        lambda: services.report_approve(actor=request.user, report_id=pk, version=_version(request)),
        success=lambda done: _("审核通过：%(code)s 的节点和指标值已生效。") % {"code": done.task.code},
    )


@login_required
@require_POST
def report_attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload evidence without JavaScript (the page uploads through the API otherwise); back to the page."""
    upload = request.FILES.get("file")

    def run() -> Report:
        if upload is None:
            raise ValidationError({"file": [_("请选择要上传的文件。")]})
        attachment = services.report_attach(actor=request.user, report_id=pk, upload=upload,
                                            milestone_id=services.as_int(request.POST.get("milestone")))
        return attachment.report

    return _perform(
        request, pk, run, success=lambda _r: _("已上传：%(name)s") % {"name": upload.name if upload else ""},
        next_url=reverse("report-detail", args=[pk]), labels={"file": _("文件"), "milestone": _("节点")},
    )
