"""Server-rendered pages of the 赛马比拼: the rounds, one round's ranking by track (the legend drawn from the round's
own rule spec), and one unit's breakdown — "why is this unit orange?" in one click from the ranking.

Views are thin: they read the request, call one page selector from ``evaluation.selectors`` and render; who may
read what is decided there (drafts: supervisors and leaders; a unit its own breakdown in the appeal window and
once published; the ranking for everyone once published).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from evaluation import selectors
from evaluation.api.serializers import worded
from tasks.errors import NotFound
from units.selectors import user_scope


@login_required
@require_GET
def evaluation_list_page(request: HttpRequest) -> HttpResponse:
    """The rounds the user may see, newest period first."""
    evaluations = selectors.evaluation_list(user=request.user).order_by("-period_start", "plan__code", "-version")
    return render(request, "evaluation/evaluation_list.html", {"evaluations": evaluations, "nav": "evaluations"})


@login_required
@require_GET
def evaluation_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One round's ranking by track (``?track=CODE`` narrows it). A unit reading a draft in its appeal window is
    shown its own units' breakdowns instead (the ranking is not public before publication)."""
    track = request.GET.get("track", "")[:40]
    try:
        page = selectors.ranking_page(user=request.user, evaluation_id=pk, track=track)
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        evaluation = selectors.evaluation_get(user=request.user, evaluation_id=pk)
        own = evaluation.unit_results.filter(unit_id__in=user_scope(request.user).unit_ids).select_related("unit")
        return render(request, "evaluation/evaluation_draft.html",
                      {"evaluation": evaluation, "own": own, "nav": "evaluations"})  # fmt: skip
    return render(request, "evaluation/evaluation_detail.html", {"page": page, "track": track, "nav": "evaluations"})


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
    return render(request, "evaluation/unit_breakdown.html",
                  {"page": page, "reasons": reasons, "nav": "evaluations"})  # fmt: skip
