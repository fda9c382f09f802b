"""Template helpers of the notifications: the navigation's unread count. Reads go through
``notifications.selectors`` with the acting user; no writes."""

from __future__ import annotations

from django import template

from notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """How many of the signed-in user's notifications are unread: one query per request, cached on the request;
    0 for anonymous visitors."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_luoshi_unread_notifications", None)
    if cached is None:
        cached = selectors.unread_count(user=user)
        request._luoshi_unread_notifications = cached
    return cached
