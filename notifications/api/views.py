"""Thin API of the notifications: the signed-in user's own messages, read through ``notifications.selectors``,
marked read through ``notifications.services``. Someone else's message is a 404 (never saying it exists)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from notifications import selectors, services
from notifications.api.serializers import NotificationOutputSerializer, ReadAllOutputSerializer
from notifications.models import Notification
from tasks.api.errors import error_response

_401 = error_response(_("未登录"))
_404 = error_response(_("不存在或不是你的消息"))


class NotificationApi(GenericAPIView):
    """Base of the views here: no filter or ordering backends (the selector owns the order)."""

    filter_backends: list = []
    serializer_class = NotificationOutputSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        return (selectors.notification_list(user=self.request.user).select_related("unit")
                .prefetch_related("deliveries"))


class NotificationListApi(NotificationApi):
    """GET /api/notifications/: my messages, unread first, then newest first (paginated)."""

    @extend_schema(summary=_("我的通知"), responses={200: NotificationOutputSerializer(many=True), 401: _401})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class NotificationReadApi(NotificationApi):
    """POST /api/notifications/{id}/read/: mark one of my messages read (idempotent)."""

    @extend_schema(summary=_("标为已读"), request=None,
                   responses={200: NotificationOutputSerializer, 401: _401, 404: _404})
    def post(self, request: Request, pk: int) -> Response:
        services.notification_read(actor=request.user, notification_id=pk, now=timezone.now())
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)


class NotificationReadAllApi(NotificationApi):
    """POST /api/notifications/read-all/: mark all my messages read."""

    serializer_class = ReadAllOutputSerializer
    pagination_class = None

    @extend_schema(summary=_("全部标为已读"), request=None, responses={200: ReadAllOutputSerializer, 401: _401})
    def post(self, request: Request) -> Response:
        marked = services.notifications_read_all(actor=request.user, now=timezone.now())
        return Response(ReadAllOutputSerializer({"marked": marked}).data)
