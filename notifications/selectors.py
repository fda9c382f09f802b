"""Scoped reads of notifications: a user sees their own, and only those the in-app channel delivered."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from notifications.channels import IN_APP
from notifications.models import Delivery, Notification


def notification_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Notification]:
    """The user's in-app notifications: unread first, then newest first. Nobody sees anyone else's."""
    if not user.is_authenticated:
        return Notification.objects.none()
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return (Notification.objects.filter(recipient_id=user.pk, deliveries__channel=IN_APP,
                                        deliveries__status=Delivery.Status.SENT)
            .annotate(unread=unread).order_by("-unread", "-created_at", "-pk"))


def unread_count(*, user: AbstractBaseUser | AnonymousUser) -> int:
    """How many of the user's in-app notifications are unread (one query)."""
    if not user.is_authenticated:
        return 0
    return notification_list(user=user).filter(read_at__isnull=True).order_by().count()
