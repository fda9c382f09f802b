"""The rounds, for supervisors and leaders: the list, where supervisors open a round (the page then shows the
opening job's progress), and one round's progress per unit (submitted / late / missing / returned)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tasks.errors import Conflict
from tasks.lifecycle import ReturnLevel
from tasks.models import Plan, Report, ReportingRound
from tasks.periods import parse_period, quarter_of
from tasks.selectors import plan_list
from units.selectors import user_scope
from workflow import selectors, services
from workflow.templatetags.reporting import due_state
from workflow.views.common import _forbidden

S = Report.Status


def _current_quarter(today: date) -> tuple[str, date]:
    """The quarter that ends next (its code) and a due date ten days after its end, as the form's suggestion."""
    period = quarter_of(today)
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
                    messages.success(request, _("已开启 %(period)s 报送轮次，各任务的报告已排队生成，本页显示进度。")
                                     % {"period": round_.period})
                elif round_.status == ReportingRound.Status.OPENING:
                    messages.info(request, _("%(period)s 报送轮次仍在开启中，已重新排队生成报告。")
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


#: The round page's columns (each a ``?sort=`` key, most first), in the table's order. The returns are split by
#: level (``tasks.lifecycle.ReturnLevel``): only a supervisor's return is scored.
UNIT_SORTS = {
    "missing": gettext_lazy("未报"), "overdue": gettext_lazy("逾期未报"), "late": gettext_lazy("迟报"),
    "returned_by_supervisor": ReturnLevel.SUPERVISOR.label, "returned_by_lead": ReturnLevel.LEAD.label,
    "returned_in_unit": ReturnLevel.IN_UNIT.label, "submitted": gettext_lazy("已报"),
    "approved": gettext_lazy("已通过"), "parts": gettext_lazy("应报"),
}


def _laggards_first(row: dict[str, Any]) -> tuple:
    return (-row["overdue"], -row["missing"], -row["late"], -row["returned_by_supervisor"], -row["returned_by_lead"],
            -row["returned_in_unit"], row["unit"].order, row["unit"].code)


class RoundUnitFilterForm(forms.Form):
    """The round page's GET filters: a unit's name (or code), its track, and the order. A value that does not
    fit is ignored (the page shows every unit), not an error page."""

    q = forms.CharField(label=gettext_lazy("单位"), required=False, max_length=40)
    track = forms.ChoiceField(label=gettext_lazy("赛道"), required=False)
    sort = forms.ChoiceField(label=gettext_lazy("排序"), required=False)

    def __init__(self, *args: Any, tracks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["track"].choices = [("", _("全部赛道")), *((track.code, track.display_name) for track in tracks)]
        self.fields["sort"].choices = [("", _("落后的单位在前")), *UNIT_SORTS.items()]

    def value(self, name: str) -> str:
        """The field's clean value, or "" when it is missing or does not fit."""
        self.is_valid()
        return "" if name in self.errors else (self.cleaned_data.get(name) or "").strip()


@login_required
@require_GET
def round_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One round: counts and one row per unit, laggards first (``?sort=`` a column), filtered by the unit's name
    (``?q=``) and track (``?track=``). Supervisors and leaders; a round outside the readable plans is 404. While
    it opens, the page refreshes itself every 3 seconds."""
    round_ = selectors.round_list(user=request.user).filter(pk=pk).first()
    if round_ is None:
        raise Http404(_("没有这个报送轮次"))
    if not user_scope(request.user).sees_all_units:
        return _rounds_forbidden(request)
    today = timezone.localdate()
    form = RoundUnitFilterForm(request.GET, tracks=selectors.round_tracks(round_))
    q, track, sort = form.value("q"), form.value("track"), form.value("sort")
    units = selectors.round_units(round_, today=today, q=q, track=track)
    filtered = bool(q or track)
    if sort:
        units.sort(key=lambda row: (-row[sort], row["unit"].order, row["unit"].code))
    else:
        units.sort(key=_laggards_first)
    for row in units:
        row["share"] = round(100 * row["submitted"] / row["parts"]) if row["parts"] else 0
    opening = round_.status == ReportingRound.Status.OPENING
    response = render(request, "workflow/round_detail.html", {
        "round": round_, "counts": selectors.round_counts(round_, today=today), "units": units, "sort": sort,
        "sort_label": UNIT_SORTS.get(sort, ""), "sorts": UNIT_SORTS, "opening": opening, "today": today,
        "form": form, "q": q, "track": track, "filtered": filtered,
        "unit_total": selectors.round_unit_count(round_) if filtered else len(units),
        "due": due_state(round_.due_date, today), "nav": "rounds",
        "may_close": round_.status == ReportingRound.Status.OPEN and user_scope(request.user).is_supervisor,
        "open_share": round(100 * round_.tasks_opened / round_.tasks_total) if round_.tasks_total else 0,
    })
    if opening:
        response["Refresh"] = "3"
    return response


@login_required
@require_POST
def round_close_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor closes an open round by hand (it closes by itself once due plus the grace)."""
    if selectors.round_list(user=request.user).filter(pk=pk).first() is None:
        raise Http404(_("没有这个报送轮次"))
    try:
        round_ = services.round_close(actor=request.user, round_id=pk, now=timezone.now())
    except PermissionDenied as error:
        return _forbidden(request, str(error))
    except Conflict as error:
        messages.warning(request, str(error))
    else:
        missing = Report.objects.filter(round=round_, missing_at_close=True).count()
        messages.success(request, _("%(period)s 报送轮次已结束：%(missing)s 份报告结束时未报送，已记为缺报；"
                                    "在办的报告照常流转。") % {"period": round_.period, "missing": missing})
    return redirect("round-detail", pk=pk)
