"""Server-rendered pages of the 赛马比拼: the rounds, one round's ranking by track (the legend drawn from the round's
own rule spec), and one unit's breakdown — "why is this unit orange?" in one click from the ranking.

Views are thin: they read the request, call one page selector from ``evaluation.selectors`` and render; who may
read what is decided there (drafts: supervisors and leaders; a unit its own breakdown in the appeal window and
once published; the ranking for everyone once published).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from evaluation import bulletin, leadership, selectors, services
from evaluation.board import BOARD_ORDER, LightBoard, light_board
from evaluation.exports import light_board_workbook
from evaluation.models import Appeal, Evaluation
from evaluation.rules.reasons import worded
from tasks.errors import Conflict, NotFound
from tasks.models import Plan
from tasks.periods import quarter_of
from tasks.selectors import plan_list, task_list
from units.models import Membership, Unit
from units.selectors import user_scope


@login_required
@require_GET
def evaluation_list_page(request: HttpRequest) -> HttpResponse:
    """The rounds the user may see, newest period first."""
    evaluations = selectors.evaluation_list(user=request.user).order_by("-period_start", "plan__code", "-version")
    scope = user_scope(request.user)
    plans = plan_list(user=request.user).filter(status=Plan.Status.ACTIVE) if scope.is_supervisor else None
    return render(request, "evaluation/evaluation_list.html", {
        "evaluations": evaluations, "plans": plans, "period": _last_quarter(),
        "categories": None, "nav": "evaluations",
    })


@login_required
@require_GET
def evaluation_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One round's ranking by track (``?track=CODE`` narrows it). A unit reading a draft in its appeal window is
    shown its own units' breakdowns instead (the ranking is not public before publication)."""
    track = request.GET.get("track", "")[:40]
    sort = request.GET.get("sort", "")
    sort = sort if sort in selectors.RANKING_SORTS else ""
    try:
        page = selectors.ranking_page(user=request.user, evaluation_id=pk, track=track, sort=sort)
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        evaluation = selectors.evaluation_get(user=request.user, evaluation_id=pk)
        own = evaluation.unit_results.filter(unit_id__in=user_scope(request.user).unit_ids).select_related("unit")
        return render(request, "evaluation/evaluation_draft.html",
                      {"evaluation": evaluation, "own": own, "nav": "evaluations"})  # fmt: skip
    return render(request, "evaluation/evaluation_detail.html", {
        "page": page, "track": track, "sort": sort, "statuses": Evaluation.Status.choices,
        "steps": _step_buttons(page.actions),
        "sees_all": user_scope(request.user).sees_all_units, "nav": "evaluations",
    })


STEP_BUTTONS = (
    ("open_appeals", "open-appeals", gettext_lazy("开放申诉"), True),
    ("submit", "submit", gettext_lazy("报送领导审定"), True),
    ("approve", "approve", gettext_lazy("审定通过"), True),
    ("return", "return", gettext_lazy("退回督查专班"), False),
    ("publish", "publish", gettext_lazy("发布晾晒"), True),
)


def _step_buttons(actions) -> list[dict]:
    return [{"slug": slug, "label": label, "primary": primary}
            for action, slug, label, primary in STEP_BUTTONS if action in actions]  # fmt: skip


@login_required
@require_GET
def unit_breakdown_page(request: HttpRequest, pk: int, unit_id: int) -> HttpResponse:
    """Everything behind one unit's score: components and weights, process counts, tasks with their lights,
    indicators, bonus and deduction items with evidence and who gave them, reasons in words, the rule version."""
    try:
        page = selectors.breakdown_page(user=request.user, evaluation_id=pk, unit_id=unit_id)
    except NotFound:
        raise Http404 from None
    reasons = worded(page.result.breakdown.get("reasons", []))
    items = (*page.spec.bonus, *page.spec.deductions)
    return render(request, "evaluation/unit_breakdown.html", {
        "page": page, "reasons": reasons, "items": items, "categories": Appeal.Category.choices, "nav": "evaluations",
    })


# -- the round's steps from the pages ----------------------------------------------------------------------------
# Each form posts to one of these; the service checks who may act (403), the step (409) and the input (field
# errors, shown as messages); the page is redirected back (POST → redirect → GET), so a reload never repeats a step.


def _done(request: HttpRequest, target: str, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(target)


def _run(request: HttpRequest, target: str, action, message: str) -> HttpResponse:
    """Take the step; back to ``target`` with ``message``, or with what the service refused (403 page, or messages)."""
    try:
        action()
    except NotFound:
        raise Http404 from None
    except (PermissionDenied, ValidationError, Conflict) as exc:
        return _failed(request, target, exc)
    return _done(request, target, message)


def _failed(request: HttpRequest, target: str, exc: Exception) -> HttpResponse:
    if isinstance(exc, PermissionDenied):
        return render(request, "workflow/403.html", {"message": str(exc) or _("你无权执行此步骤。")}, status=403)
    if isinstance(exc, ValidationError):
        found = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
        for field, errors in found:
            label = FIELD_LABELS.get(field, "")
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
    else:
        messages.error(request, str(exc))
    return redirect(target)


FIELD_LABELS = {
    "unit": gettext_lazy("单位"), "code": gettext_lazy("加减分项"), "count": gettext_lazy("次数"),
    "evidence": gettext_lazy("依据"), "reason": gettext_lazy("理由"), "scores": gettext_lazy("评分"),
    "comment": gettext_lazy("评语"), "category": gettext_lazy("类别"), "reply": gettext_lazy("答复"),
    "upheld": gettext_lazy("是否支持"), "period": gettext_lazy("期次"), "plan": gettext_lazy("行动方案"),
}  # fmt: skip

STEP_DONE = {
    "open-appeals": gettext_lazy("已开放申诉，各单位可以查看本单位明细并申诉。"),
    "submit": gettext_lazy("已报送领导审定。"),
    "approve": gettext_lazy("已审定，督查专班可以发布。"),
    "return": gettext_lazy("已退回督查专班。"),
    "publish": gettext_lazy("已发布晾晒，所有用户可以查看。"),
}


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _number(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


@login_required
@require_POST
def evaluation_start_page(request: HttpRequest) -> HttpResponse:
    """A supervisor starts a period's round (the draft is computed by a job; the page shows it once done)."""
    target = reverse("evaluation-list")
    try:
        evaluation = services.evaluation_start(actor=request.user, plan_id=_number(request.POST.get("plan", "")) or 0,
                                               period=request.POST.get("period", "")[:10],
                                               today=timezone.localdate())  # fmt: skip
    except NotFound:
        raise Http404 from None
    except (PermissionDenied, ValidationError, Conflict) as exc:
        return _failed(request, target, exc)
    return _done(request, reverse("evaluation-detail", args=[evaluation.pk]),
                 _("已发起 %(period)s 赛马比拼，草稿正在计算。") % {"period": evaluation.period})  # fmt: skip


@login_required
@require_POST
def evaluation_step_page(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """open-appeals, submit, publish (supervisors); approve, return with a reason (leaders)."""
    _visible(request, pk)
    target = reverse("evaluation-detail", args=[pk])
    today, version = timezone.localdate(), _version(request)
    steps = {
        "open-appeals": lambda: services.evaluation_open_appeals(actor=request.user, evaluation_id=pk,
                                                                 version=version, today=today),
        "submit": lambda: services.evaluation_submit(actor=request.user, evaluation_id=pk, version=version,
                                                     today=today),
        "approve": lambda: services.evaluation_approve(actor=request.user, evaluation_id=pk, version=version),
        "return": lambda: services.evaluation_return(actor=request.user, evaluation_id=pk, version=version,
                                                     reason=request.POST.get("reason", "")),
        "publish": lambda: services.evaluation_publish(actor=request.user, evaluation_id=pk, version=version),
    }  # fmt: skip
    if step not in steps:
        raise Http404
    return _run(request, target, steps[step], STEP_DONE[step])


@login_required
@require_POST
def evaluation_unit_act_page(request: HttpRequest, pk: int, unit_id: int, act: str) -> HttpResponse:
    """On a unit's breakdown: adjust (a bonus or deduction item) and rate (F4) for supervisors while adjusting;
    appeal for the unit's own reporter or head in the window."""
    _visible(request, pk)
    target = reverse("evaluation-unit", args=[pk, unit_id])
    post = request.POST
    acts = {
        "adjust": lambda: services.evaluation_adjust(
            actor=request.user, evaluation_id=pk, unit_id=unit_id, code=post.get("code", "")[:60],
            count=_number(post.get("count", "1")) or 0, evidence=post.get("evidence", ""),
            reason=post.get("reason", "")),
        "rate": lambda: services.evaluation_rate(
            actor=request.user, evaluation_id=pk, unit_id=unit_id, scores=_scores(post.get("scores", "")),
            comment=post.get("comment", "")),
        "appeal": lambda: services.appeal_file(
            actor=request.user, evaluation_id=pk, unit_id=unit_id, category=post.get("category", "")[:20],
            reason=post.get("reason", ""), today=timezone.localdate()),
    }  # fmt: skip
    if act not in acts:
        raise Http404
    done = {"adjust": _("已加入，得分已重算。"), "rate": _("评分已保存，得分已重算。"),
            "appeal": _("申诉已提交，督查专班会书面答复。")}  # fmt: skip
    return _run(request, target, acts[act], done[act])


@login_required
@require_POST
def appeal_resolve_page(request: HttpRequest, pk: int, appeal_id: int) -> HttpResponse:
    """A supervisor answers an appeal in writing (upheld recomputes the draft)."""
    _visible(request, pk)
    target = reverse("evaluation-detail", args=[pk]) + "#appeals"
    upheld = {"yes": True, "no": False}.get(request.POST.get("upheld", ""))
    try:
        evaluation = selectors.evaluation_get(user=request.user, evaluation_id=pk)
        if not selectors.appeal_list(user=request.user, evaluation=evaluation).filter(pk=appeal_id).exists():
            raise NotFound
        services.appeal_resolve(actor=request.user, appeal_id=appeal_id, upheld=upheld,
                                reply=request.POST.get("reply", ""))  # fmt: skip
    except NotFound:
        raise Http404 from None
    except (PermissionDenied, ValidationError, Conflict) as exc:
        return _failed(request, target, exc)
    return _done(request, target, _("已答复申诉。"))


def _last_quarter() -> str:
    """The quarter before today's: the period a supervisor most likely evaluates next (the form's suggestion)."""
    return quarter_of(quarter_of(timezone.localdate()).start - timedelta(days=1)).code


def _visible(request: HttpRequest, pk: int) -> bool:
    """404 for a round the user may not see (before anything else is said about it)."""
    try:
        selectors.evaluation_get(user=request.user, evaluation_id=pk)
    except NotFound:
        raise Http404 from None
    return True


def _scores(text: str) -> list:
    """"5,4,4" (or with Chinese commas or spaces) → [5, 4, 4]; anything else is left for the service to refuse."""
    parts = [part for part in text.replace("，", ",").replace(" ", ",").split(",") if part][:21]
    return [int(part) if part.lstrip("-").isdigit() and len(part) < 6 else part for part in parts]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# -- the task-light board ----------------------------------------------------------------------------------------


def _board(request: HttpRequest) -> tuple[dict, LightBoard]:
    """The board's GET filters — plan (code), part (a top-level task's code, in the plan chosen or the only one),
    unit (code), colour; a value that does not fit is ignored — and the board they select, today."""
    plans = {plan.code: plan for plan in plan_list(user=request.user).exclude(status=Plan.Status.DRAFT)}
    plan = plans.get(request.GET.get("plan", "")[:60])
    unit = Unit.objects.filter(code=request.GET.get("unit", "")[:40]).first() if request.GET.get("unit") else None
    colour = request.GET.get("colour", "")
    colour = colour if colour in BOARD_ORDER else ""
    in_plan = plan or (next(iter(plans.values())) if len(plans) == 1 else None)  # parts need one plan
    parts = {task.code: task for task in task_list(user=request.user).filter(plan=in_plan, parent__isnull=True,
                                                                           children__isnull=False).distinct()
             .order_by("sort_key")} if in_plan else {}  # fmt: skip
    part = parts.get(request.GET.get("part", "")[:60])
    board = light_board(user=request.user, as_of=timezone.localdate(), plan_id=plan.pk if plan else None,
                        unit_id=unit.pk if unit else None, colour=colour, part=part)  # fmt: skip
    return {"plans": list(plans.values()), "plan": plan, "unit": unit, "colour": colour, "parts": list(parts.values()),
            "part": part}, board  # fmt: skip


@login_required
@require_GET
def light_board_page(request: HttpRequest) -> HttpResponse:
    """亮灯: every task's light today, worst first, with its reasons; filter by plan, unit and colour; .xlsx."""
    filters, board = _board(request)
    units = Unit.objects.filter(active=True).order_by("order", "code")
    return render(request, "evaluation/light_board.html",
                  {"board": board, "units": units, "nav": "lights", **filters})  # fmt: skip


@login_required
@require_GET
def light_board_xlsx(request: HttpRequest) -> HttpResponse:
    """The board as a workbook: the same filters, one row per task, each colour as its cell's fill."""
    _filters, board = _board(request)
    response = HttpResponse(light_board_workbook(board=board), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="lights-{board.as_of.isoformat()}.xlsx"'
    return response


@login_required
@require_GET
def stocktake_agenda_page(request: HttpRequest, pk: int) -> HttpResponse:
    """盘点议程: the supervisors' meeting list for a round (supervisors and leaders)."""
    try:
        agenda = selectors.stocktake_agenda(user=request.user, evaluation_id=pk)
    except NotFound:
        raise Http404 from None
    except PermissionDenied as exc:
        return render(request, "workflow/403.html", {"message": str(exc)}, status=403)
    return render(request, "evaluation/agenda.html", {"agenda": agenda, "nav": "evaluations"})


# -- leadership: the 五色图, the big screen, the bulletin ------------------------------------------------------------


def _map(request: HttpRequest, template: str) -> HttpResponse:
    """The map of ``?evaluation=`` (default: the latest published round the user may read), narrowed to
    ``?track=``; 404 out of sight, 403 for a draft the user may not read."""
    evaluation_id = _number(request.GET.get("evaluation", "")[:20])
    if evaluation_id is None:
        latest = leadership.default_evaluation(user=request.user)
        if latest is None:
            return render(request, template, {"page": None, "nav": "map"})
        evaluation_id = latest.pk
    track = request.GET.get("track", "")[:40]
    try:
        page = leadership.map_page(user=request.user, evaluation_id=evaluation_id, track=track)
    except NotFound:
        raise Http404 from None
    except PermissionDenied as exc:
        return render(request, "workflow/403.html", {"message": str(exc)}, status=403)
    return render(request, template, {"page": page, "track": track, "nav": "map",
                                      "sees_all": user_scope(request.user).sees_all_units})  # fmt: skip


@login_required
@require_GET
def map_view(request: HttpRequest) -> HttpResponse:
    """五色图: the districts on their boundaries, zones and departments as tiles, coloured by a round's result."""
    return _map(request, "evaluation/map.html")


@login_required
@require_GET
def screen_view(request: HttpRequest) -> HttpResponse:
    """The big screen for meetings: dark, large type, the tracks shown in turn (static/js/map.js)."""
    return _map(request, "evaluation/screen.html")


@login_required
@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """Where signing in leads: leaders (who read, rather than report) to the map; everyone else home (a leader who
    also reports or signs off for a unit has work waiting there)."""
    scope = user_scope(request.user)
    reads_only = scope.is_leader and not scope.roles & {Membership.Role.REPORTER, Membership.Role.HEAD}
    return redirect("map" if reads_only else "home")


def _bulletin(request: HttpRequest, pk: int) -> leadership.MapPage:
    try:
        return leadership.bulletin_page(user=request.user, evaluation_id=pk)
    except (NotFound, PermissionDenied):
        raise Http404 from None


@login_required
@require_GET
def bulletin_page(request: HttpRequest, pk: int) -> HttpResponse:
    """晾晒: one printable A4 page (print CSS) of a published round: map, headline, every track's ranking, legend,
    as-of stamp and rule-set version."""
    page = _bulletin(request, pk)
    return render(request, "evaluation/bulletin.html", {"page": page, "nav": "map", "now": timezone.now()})


@login_required
@require_GET
def bulletin_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The bulletin as a PDF (drawn by evaluation.bulletin, no browser needed)."""
    page = _bulletin(request, pk)
    response = HttpResponse(bulletin.bulletin_pdf(page), content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="bulletin-{page.evaluation.plan.code}-'
                                       f'{page.evaluation.period}-v{page.evaluation.version}.pdf"')  # fmt: skip
    return response
