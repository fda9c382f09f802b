"""Pages of the reporting loop: the inbox, the report page (fill, sign off, consolidate, review, or read),
the rounds and one round's progress.

Views are thin: reads go through ``workflow.selectors`` with the acting user, every write is one call of
``workflow.services`` (which checks the acting user itself). The services' errors become pages in one place,
``_perform``: ValidationError → the page again with the message (400), PermissionDenied → 403,
NotFound → 404, Conflict → the page in its current state with "已被处理或已过期，请刷新" (409). A step done
goes to the inbox with a message. Every page needs a signed-in user; outside the user's units is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tasks.errors import Conflict, NotFound
from tasks.lifecycle import STEP_STATUS
from tasks.models import Indicator, Milestone, Plan, Report, ReportAttachment, ReportingRound
from tasks.periods import parse_period
from tasks.selectors import plan_list
from units.selectors import user_scope
from workflow import selectors, services
from workflow.templatetags.reporting import STEP_LABELS, due_state

S = Report.Status
CONFLICT_MESSAGE = gettext_lazy("已被处理或已过期，请刷新。")


# --- shared helpers -------------------------------------------------------------------------------------------


def _forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "workflow/403.html", {"message": message or _("你无权执行此步骤。")}, status=403)


def _error_messages(exc: ValidationError, labels: dict[str, str] | None = None) -> list[str]:
    """A service's field errors as sentences; ``labels`` names a field path (``indicator_values[0]``)."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    result = []
    for key, errors in exc.message_dict.items():
        label = (labels or {}).get(key.split(".")[0], "")
        result += [_("%(field)s：%(error)s") % {"field": label, "error": error} if label else error
                   for error in errors]
    return result


# --- the inbox ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxGroup:
    due_date: date
    label: str
    colour: str
    overdue_days: int
    items: tuple[Report, ...]


INBOX_PAGE_SIZE = 100


@login_required
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    """What waits for the user, grouped by due date (overdue first); ``?step=`` keeps one step. Paginated by
    ``INBOX_PAGE_SIZE``: a supervisor can have thousands of items. Three queries whatever their number."""
    today = timezone.localdate()
    counts = selectors.inbox_counts(user=request.user)
    step = request.GET.get("step", "")
    if step not in STEP_LABELS:
        step = ""
    items = selectors.inbox(user=request.user)
    if step:
        items = items.filter(status=STEP_STATUS[step])
    page = Paginator(items, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    groups = []
    for due, rows in groupby(page.object_list, key=lambda item: item.round.due_date):
        state = due_state(due, today)
        groups.append(InboxGroup(due_date=due, label=state.label, colour=state.colour,
                                 overdue_days=state.overdue_days, items=tuple(rows)))
    tabs = [(key, str(label), counts.get(key, 0)) for key, label in STEP_LABELS.items()]
    return render(request, "workflow/inbox.html", {
        "groups": groups, "tabs": tabs, "step": step, "total": counts["total"], "today": today, "nav": "inbox",
        "overdue": counts["overdue"], "page": page,
    })


# --- the report page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    indicator: Indicator
    value: str
    note: str
    previous: Decimal | None
    interim: Decimal | None


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    claimed: bool
    completed_date: str
    evidence: str
    attachments: tuple[ReportAttachment, ...]


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


def _open_milestones(report: Report) -> list[Milestone]:
    """Milestones a report may claim: the task's pending ones, and any it already claims."""
    claimed = {claim.milestone_id for claim in report.milestone_claims.all()}
    return [m for m in report.task.milestones.all() if m.status == Milestone.Status.PENDING or m.pk in claimed]


def _content_of(report: Report) -> dict[str, Any]:
    """The report's stored content in the shape ``services.report_update`` takes."""
    return {
        "narrative": report.narrative,
        "percent_complete": "" if report.percent_complete is None else format(report.percent_complete.normalize(), "f"),
        "indicator_values": [{"indicator": c.indicator_id, "value": format(c.value.normalize(), "f"), "note": c.note}
                             for c in report.indicator_claims.all()],
        "milestone_claims": [{"milestone": c.milestone_id, "completed_date": c.completed_date.isoformat(),
                              "evidence": c.evidence} for c in report.milestone_claims.all()],
    }


def _read_form(post: QueryDict, report: Report) -> tuple[dict[str, Any], list[str]]:
    """The fill form's fields in the shape ``services.report_update`` takes, and the form's own shape errors
    (a milestone ticked without a date). Indicators left empty are not sent."""
    indicator_values = []
    for indicator in report.task.indicators.all():
        value = post.get(f"indicator-{indicator.pk}-value", "").strip()
        if value:
            indicator_values.append({"indicator": indicator.pk, "value": value,
                                     "note": post.get(f"indicator-{indicator.pk}-note", "").strip()})
    milestone_claims, errors = [], []
    for milestone in _open_milestones(report):
        if not post.get(f"milestone-{milestone.pk}-done"):
            continue
        completed = post.get(f"milestone-{milestone.pk}-date", "").strip()
        if not completed:
            errors.append(_("请填写节点“%(title)s”的完成日期。") % {"title": milestone.title})
        milestone_claims.append({"milestone": milestone.pk, "completed_date": completed,
                                 "evidence": post.get(f"milestone-{milestone.pk}-evidence", "").strip()})
    content = {"narrative": post.get("narrative", ""), "percent_complete": post.get("percent_complete", "").strip(),
               "indicator_values": indicator_values, "milestone_claims": milestone_claims}
    return content, errors


def _content_from_post(post: QueryDict, report: Report) -> dict[str, Any]:
    """``_read_form``'s content; its shape errors as a ValidationError."""
    content, errors = _read_form(post, report)
    if errors:
        raise ValidationError(errors)
    return content


def _field_labels(report: Report, content: dict[str, Any]) -> dict[str, str]:
    """Names for the services' error paths (``indicator_values[0]`` → the indicator's name)."""
    indicators = {i.pk: i.display_name for i in report.task.indicators.all()}
    milestones = {m.pk: m.title for m in report.task.milestones.all()}
    labels = {"narrative": _("进展情况"), "percent_complete": _("完成百分比"), "file": _("文件")}
    for n, row in enumerate(content.get("indicator_values") or []):
        labels[f"indicator_values[{n}]"] = indicators.get(services.as_int(row.get("indicator")), "")
    for n, row in enumerate(content.get("milestone_claims") or []):
        labels[f"milestone_claims[{n}]"] = milestones.get(services.as_int(row.get("milestone")), "")
    return labels


def _form_rows(report: Report, content: dict[str, Any], previous: Report | None,
               year: int) -> tuple[list[IndicatorRow], list[MilestoneRow]]:
    """The editable rows of the fill form: each indicator with last period's approved value and this year's
    interim target beside the value being typed; each open milestone with its claim and evidence files."""
    values = {services.as_int(row.get("indicator")): row for row in content.get("indicator_values") or []}
    last = {claim.indicator_id: claim.value for claim in previous.indicator_claims.all()} if previous else {}
    indicator_rows = []
    for indicator in report.task.indicators.all():
        row = values.get(indicator.pk, {})
        interim = next((t.value for t in indicator.interim_targets.all() if t.year == year), None)
        indicator_rows.append(IndicatorRow(indicator=indicator, value=str(row.get("value", "")),
                                           note=str(row.get("note", "")), previous=last.get(indicator.pk),
                                           interim=interim))
    claims = {services.as_int(row.get("milestone")): row for row in content.get("milestone_claims") or []}
    files: dict[int, list[ReportAttachment]] = {}
    for attachment in report.attachments.all():
        if attachment.milestone_id is not None:
            files.setdefault(attachment.milestone_id, []).append(attachment)
    milestone_rows = []
    for m in _open_milestones(report):
        claim = claims.get(m.pk, {})
        milestone_rows.append(MilestoneRow(
            milestone=m, claimed=m.pk in claims, completed_date=str(claim.get("completed_date", "")),
            evidence=str(claim.get("evidence", "")), attachments=tuple(files.get(m.pk, ()))))
    return indicator_rows, milestone_rows


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
    today = timezone.localdate()
    previous = selectors.previous_approved(report)
    prefetch_related_objects(list(report.task.indicators.all()), "interim_targets")
    context: dict[str, Any] = {
        "report": report, "actions": actions, "mode": mode, "previous": previous, "today": today,
        "errors": errors or [], "conflict": conflict, "conflict_message": CONFLICT_MESSAGE if conflict else "",
        "due": due_state(report.round.due_date, today), "nav": "inbox",
        "revisions": list(report.revisions.select_related("by").order_by("-version")[:30]),
        "general_attachments": [a for a in report.attachments.all() if a.milestone_id is None],
        "done_milestones": [m for m in report.task.milestones.all() if m.status == Milestone.Status.DONE],
        "parts": _parts(request, report) if report.kind == Report.Kind.TASK else [],
        "max_upload_mb": 20,
    }
    if mode in ("fill", "consolidate"):
        content = posted if posted is not None else _content_of(report)
        context["narrative"] = content.get("narrative", "")
        context["percent_complete"] = content.get("percent_complete", "")
        context["indicator_rows"], context["milestone_rows"] = _form_rows(report, content, previous, today.year)
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


def _has_content(post: QueryDict) -> bool:
    return "narrative" in post


def _typed(request: HttpRequest, report: Report) -> dict[str, Any] | None:
    """What the user typed, to show again after a refusal; None when the form carried no content."""
    return _read_form(request.POST, report)[0] if _has_content(request.POST) else None


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


# --- rounds ---------------------------------------------------------------------------------------------------


def _current_quarter(today: date) -> tuple[str, date]:
    """The quarter that ends next (its code) and a due date ten days after its end, as the form's suggestion."""
    quarter = (today.month - 1) // 3 + 1
    period = parse_period(f"{today.year}-Q{quarter}")
    return period.code, period.end + timedelta(days=10)


class RoundOpenForm(forms.Form):
    """Open a round: an active plan, a period (2025-Q3 or 2025-07) and a due date. The service decides the rest."""

    plan = forms.ModelChoiceField(label=gettext_lazy("行动方案"), queryset=Plan.objects.none(), empty_label=None)
    period = forms.CharField(label=gettext_lazy("期次"), max_length=10,
                             widget=forms.TextInput(attrs={"placeholder": "2025-Q3", "autocomplete": "off"}),
                             help_text=gettext_lazy("如 2025-Q3 或 2025-07"))
    due_date = forms.DateField(label=gettext_lazy("报送截止日期"),
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans

    def clean_period(self) -> str:
        try:
            return parse_period(self.cleaned_data["period"]).code
        except ValueError:
            raise forms.ValidationError(_("期次格式应为 2025-Q3 或 2025-07。")) from None


def _rounds_forbidden(request: HttpRequest) -> HttpResponse:
    return _forbidden(request, _("报送轮次只对督查专班和领导开放。"))


@login_required
@require_http_methods(["GET", "POST"])
def round_list_page(request: HttpRequest) -> HttpResponse:
    """Rounds with their progress (supervisors and leaders); supervisors open a round here (POST), then land on
    its page, which shows the opening job's progress."""
    scope = user_scope(request.user)
    if not scope.sees_all_units:
        return _rounds_forbidden(request)
    plans = plan_list(user=request.user).filter(status=Plan.Status.ACTIVE).order_by("-start_date", "code")
    period, due = _current_quarter(timezone.localdate())
    form = RoundOpenForm(request.POST or None, plans=plans, initial={"period": period, "due_date": due})
    status = 200
    if request.method == "POST":
        if not scope.is_supervisor:
            return _forbidden(request, _("只有督查专班可以开启报送轮次。"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                round_, created = services.round_open(actor=request.user, plan=data["plan"], period=data["period"],
                                                      due_date=data["due_date"])
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                if created:
                    messages.success(request, _("已开启 %(period)s 报送轮次，正在为各任务生成报告。")
                                     % {"period": round_.period})
                else:
                    messages.info(request, _("%(period)s 报送轮次此前已开启。") % {"period": round_.period})
                return redirect("round-detail", pk=round_.pk)
        status = 400
    part, task = Q(reports__kind=Report.Kind.PART), Q(reports__kind=Report.Kind.TASK)
    rounds = selectors.round_list(user=request.user).annotate(
        parts=Count("reports", filter=part),
        parts_submitted=Count("reports", filter=part & Q(reports__submitted_at__isnull=False)),
        reports_tasks=Count("reports", filter=task),
        tasks_approved=Count("reports", filter=task & Q(reports__status=S.APPROVED)),
    ).order_by("-period_start", "plan__code")
    return render(request, "workflow/round_list.html", {
        "rounds": rounds, "form": form if scope.is_supervisor else None, "today": timezone.localdate(),
        "nav": "rounds",
    }, status=status)


UNIT_SORTS = {
    "missing": gettext_lazy("未报"), "overdue": gettext_lazy("逾期未报"), "late": gettext_lazy("迟报"),
    "returned": gettext_lazy("被退回"), "submitted": gettext_lazy("已报"), "approved": gettext_lazy("已通过"),
    "parts": gettext_lazy("应报"),
}


def _laggards_first(row: dict[str, Any]) -> tuple:
    return (-row["overdue"], -row["missing"], -row["late"], -row["returned"], row["unit"].order, row["unit"].code)


@login_required
@require_GET
def round_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One round: counts and one row per unit, laggards first (``?sort=`` a column). Supervisors and leaders;
    a round outside the readable plans is 404. While it opens, the page refreshes itself every 3 seconds."""
    round_ = selectors.round_list(user=request.user).filter(pk=pk).first()
    if round_ is None:
        raise Http404(_("没有这个报送轮次"))
    if not user_scope(request.user).sees_all_units:
        return _rounds_forbidden(request)
    today = timezone.localdate()
    units = selectors.round_units(round_, today=today)
    sort = request.GET.get("sort", "")
    if sort in UNIT_SORTS:
        units.sort(key=lambda row: (-row[sort], row["unit"].order, row["unit"].code))
    else:
        sort = ""
        units.sort(key=_laggards_first)
    for row in units:
        row["share"] = round(100 * row["submitted"] / row["parts"]) if row["parts"] else 0
    opening = round_.status == ReportingRound.Status.OPENING
    response = render(request, "workflow/round_detail.html", {
        "round": round_, "counts": selectors.round_counts(round_, today=today), "units": units, "sort": sort,
        "sort_label": UNIT_SORTS.get(sort, ""), "sorts": UNIT_SORTS, "opening": opening, "today": today,
        "due": due_state(round_.due_date, today), "nav": "rounds",
        "open_share": round(100 * round_.tasks_opened / round_.tasks_total) if round_.tasks_total else 0,
    })
    if opening:
        response["Refresh"] = "3"
    return response
