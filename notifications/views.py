"""The notifications page: my messages, unread first, each with its link and a button to mark it read; and the two
forms' endpoints (mark one read, optionally going on to its page; mark all read)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from notifications import selectors, services
from tasks.errors import NotFound
from units.selectors import user_scope

PAGE_SIZE = 50


@login_required
@require_GET
def notification_list_page(request: HttpRequest) -> HttpResponse:
    items = selectors.notification_list(user=request.user).select_related("unit")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {
        "nav": "notifications", "page": page, "unread": selectors.unread_count(user=request.user),
        "show_board": user_scope(request.user).sees_all_units,
    })


@login_required
@require_POST
def notification_read_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of mine read; with ``go=1`` go on to the page it is about, else back to the list."""
    try:
        notification = services.notification_read(actor=request.user, notification_id=pk, now=timezone.now())
    except NotFound:
        raise Http404(_("没有这条通知")) from None
    target = notification.url
    if request.POST.get("go") == "1" and target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("notification-list")


@login_required
@require_POST
def notification_read_all_page(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_read_all(actor=request.user, now=timezone.now())
    if marked:
        messages.success(request, _("已将 %(n)s 条通知标为已读。") % {"n": marked})
    return redirect("notification-list")
