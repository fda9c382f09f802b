"""The notification settings page (/notifications/preferences/): the signed-in person's quiet hours, which kinds go
out at once on which channel, and their endpoints. The form is turned into the API's shape and written through the
same validation (``notifications.api.preferences``), so the page and ``PUT /api/notification-preferences/`` accept
and refuse the same things."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.exceptions import ValidationError

from notifications.api.preferences import preferences_read, preferences_write
from notifications.models import ChannelName, Endpoint, Notification
from notifications.preferences import CHANNELS, CONFIGURABLE_KINDS, URGENT_KINDS


def _from_form(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    start, end = post.get("quiet_start", "").strip(), post.get("quiet_end", "").strip()
    stored = set(Endpoint.objects.filter(user_id=request.user.pk).values_list("channel", flat=True))
    endpoints: dict[str, Any] = {}
    for channel in CHANNELS:
        address = post.get(f"ep-{channel}-address", "").strip()
        enabled = post.get(f"ep-{channel}-enabled") == "on"
        if post.get(f"ep-{channel}-remove") == "on" or (channel not in stored and not address and not enabled):
            endpoints[channel] = None
            continue
        row: dict[str, Any] = {"address": address, "enabled": enabled}
        if post.get(f"ep-{channel}-secret", ""):
            row["secret"] = post[f"ep-{channel}-secret"]
        endpoints[channel] = row
    return {
        "quiet_hours": {"start": start, "end": end} if start or end else None,
        "immediate": {kind: {channel: post.get(f"imm-{kind}-{channel}") == "on" for channel in CHANNELS}
                      for kind in CONFIGURABLE_KINDS},
        "endpoints": endpoints,
    }


def _errors(detail: Any, path: tuple[str, ...] = ()) -> list[str]:
    """The validation errors as lines: "endpoints · webhook · secret: …" in the page's words."""
    if isinstance(detail, dict):
        return [line for key, value in detail.items() for line in _errors(value, (*path, str(key)))]
    if isinstance(detail, list):
        return [line for value in detail for line in _errors(value, path)]
    names = {"quiet_hours": _("免打扰时段"), "endpoints": _("通知渠道"), "immediate": _("即时发送"),
             "address": _("地址"), "secret": _("密钥"), "start": _("开始"), "end": _("结束"),
             **{channel: str(ChannelName(channel).label) for channel in CHANNELS}}
    where = " · ".join(names.get(part, part) for part in path if part != "non_field_errors")
    return [f"{where}：{detail}" if where else str(detail)]


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences_page(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    if request.method == "POST":
        data = _from_form(request)
        try:
            preferences_write(request.user, data)
        except ValidationError as exc:
            errors = _errors(exc.detail)
            current = preferences_read(request.user)
            shown = {**current, "immediate": data["immediate"], "quiet_hours": data["quiet_hours"]}
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("notification-preferences")
    else:
        shown = preferences_read(request.user)
    kinds = [(kind, Notification.Kind(kind).label, kind in URGENT_KINDS,
              [(channel, shown["immediate"][kind][channel]) for channel in CHANNELS]) for kind in CONFIGURABLE_KINDS]
    channels = [(channel, ChannelName(channel).label, shown["endpoints"].get(channel)) for channel in CHANNELS]
    return render(request, "notifications/preferences.html", {
        "nav": "notifications", "kinds": kinds, "channels": channels, "quiet": shown["quiet_hours"],
        "errors": errors, "user_email": request.user.email,
    }, status=400 if errors else 200)
