"""Pages of the people's side of the ladder: the 督办单 list and one notice with the forms of its next step (the
unit signs and replies; a supervisor accepts or returns), the escalation board (supervisors and leaders; a
supervisor issues a 督办单 from it, a leader records a 约谈 decision), and the 催办 button of the report page's
missing-parts panel. Each form posts to a thin view that calls one service; errors come back as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from notifications import selectors_notices as selectors
from notifications import services_notices as services
from notifications.models import InterviewDecision, SupervisionNotice
from notifications.services import policy_current
from tasks.errors import Conflict, NotFound
from tasks.models import Plan
from units.models import Unit
from units.selectors import user_scope

PAGE_SIZE = 50


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 18 else None


def _version(request: HttpRequest) -> int | None:
    return _int(request.POST.get("version"))


def _acted(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    """Run a service; its refusals become messages on the page (404 stays a 404)."""
    try:
        action()
    except NotFound:
        raise Http404 from None
    except (PermissionDenied, Conflict) as exc:
        messages.error(request, str(exc) or _("不能执行此操作。"))
        return False
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
        return False
    messages.success(request, done)
    return True


@login_required
@require_GET
def notice_list_page(request: HttpRequest) -> HttpResponse:
    items = selectors.notice_list(user=request.user)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notice_list.html", {
        "nav": "notifications", "page": page, "today": timezone.localdate(),
        "scope": user_scope(request.user)})


@login_required
@require_GET
def notice_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notice = selectors.notice_list(user=request.user).get(pk=pk)
    except SupervisionNotice.DoesNotExist:
        raise Http404(_("没有这份督办单")) from None
    scope = user_scope(request.user)
    member = any(scope.has_role(notice.unit_id, role) for role in ("reporter", "head"))
    status = SupervisionNotice.Status
    return render(request, "notifications/notice_detail.html", {
        "nav": "notifications", "notice": notice, "due": selectors.notice_due(notice), "today": timezone.localdate(),
        "can_receive": member and notice.status == status.ISSUED,
        "can_reply": member and notice.status in (status.RECEIVED, status.RETURNED),
        "can_decide": scope.is_supervisor and notice.status == status.REPLIED,
    })


@login_required
@require_POST
def notice_receipt_page(request: HttpRequest, pk: int) -> HttpResponse:
    _acted(request, lambda: services.notice_receipt(actor=request.user, notice_id=pk, version=_version(request)),
           _("已签收督办单。"))
    return redirect("notice-detail", pk=pk)


@login_required
@require_POST
def notice_reply_page(request: HttpRequest, pk: int) -> HttpResponse:
    _acted(request, lambda: services.notice_reply(
        actor=request.user, notice_id=pk, reply=request.POST.get("reply", ""),
        measures=request.POST.get("measures", ""), version=_version(request)), _("已提交书面回复。"))
    return redirect("notice-detail", pk=pk)


@login_required
@require_POST
def notice_accept_page(request: HttpRequest, pk: int) -> HttpResponse:
    _acted(request, lambda: services.notice_accept(actor=request.user, notice_id=pk, version=_version(request)),
           _("督办单已办结。"))
    return redirect("notice-detail", pk=pk)


@login_required
@require_POST
def notice_return_page(request: HttpRequest, pk: int) -> HttpResponse:
    _acted(request, lambda: services.notice_return(
        actor=request.user, notice_id=pk, reason=request.POST.get("reason", ""), version=_version(request)),
        _("已退回回复。"))
    return redirect("notice-detail", pk=pk)


@login_required
@require_GET
def escalation_board_page(request: HttpRequest) -> HttpResponse:
    scope = user_scope(request.user)
    if not scope.sees_all_units:
        raise PermissionDenied(_("升级看板仅供督查专班和领导查看。"))
    level, kind = _int(request.GET.get("level")), request.GET.get("kind") or None
    filters = selectors.BoardFilters(
        level=level if level is not None and level <= 3 else None, unit_id=_int(request.GET.get("unit")),
        plan_id=_int(request.GET.get("plan")), kind=kind if kind in selectors.BOARD_KINDS else None)
    items = selectors.escalation_board(user=request.user, filters=filters, today=timezone.localdate(),
                                       policy=policy_current())
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/escalation_board.html", {
        "nav": "notifications", "page": page, "filters": filters, "scope": scope,
        "units": Unit.objects.filter(active=True).order_by("order", "code"),
        "plans": Plan.objects.exclude(status=Plan.Status.DRAFT).order_by("code"),
        "kinds": selectors.BOARD_KINDS, "outcomes": InterviewDecision.Outcome.choices,
    })


@login_required
@require_POST
def escalation_issue_notice_page(request: HttpRequest, pk: int) -> HttpResponse:
    _acted(request, lambda: services.notice_issue(actor=request.user, watch_id=pk,
                                                  requirements=request.POST.get("requirements", "")),
           _("已下发督办单。"))
    return redirect("escalation-board")


@login_required
@require_POST
def escalation_interview_page(request: HttpRequest, pk: int) -> HttpResponse:
    _acted(request, lambda: services.interview_decide(
        actor=request.user, watch_id=pk, outcome=request.POST.get("outcome", ""),
        minutes=request.POST.get("minutes", "")), _("已记录约谈决定。"))
    return redirect("escalation-board")


@login_required
@require_POST
def report_chase_page(request: HttpRequest, pk: int) -> HttpResponse:
    part = _int(request.POST.get("part"))
    if part is None:
        raise Http404
    _acted(request, lambda: services.report_chase(actor=request.user, report_id=pk, part_id=part), _("已催办。"))
    return redirect("report-detail", pk=pk)


@login_required
@require_POST
def round_chase_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor chases a unit's missing parts of a round (the round page's 催办 list)."""
    unit = _int(request.POST.get("unit"))
    if unit is None:
        raise Http404
    _acted(request, lambda: services.round_unit_chase(actor=request.user, round_id=pk, unit_id=unit), _("已催办。"))
    return redirect(reverse("round-detail", kwargs={"pk": pk}) + "#round-chase")


def round_chase_panel(request: HttpRequest | None, round_: Any) -> dict[str, Any]:
    """The round page's panel (``tasks.panels``, page "round"): the units that still owe parts, with who holds them
    and the 催办 button — for supervisors; nothing for anyone else. Four queries for a supervisor, one otherwise."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"missing_units": []}
    return {"missing_units": selectors.round_missing_units(user=user, round_id=round_.pk,
                                                           today=timezone.localdate())}


def missing_parts_panel(request: HttpRequest | None, report: Any) -> dict[str, Any]:
    """The report page's panel (``tasks.panels``, page "report"): on a task report, its parts still missing with who
    holds them and the 催办 button — for the lead unit and supervisors; nothing for anyone else. Three queries on a
    task report, none otherwise."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(report, "kind", None) != "task":
        return {"missing_parts": []}
    return {"missing_parts": selectors.missing_parts(user=user, task_report=report, today=timezone.localdate())}
