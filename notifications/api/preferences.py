"""GET/PUT /api/notification-preferences/: the caller's own delivery settings — quiet hours, which kinds go out at
once on which channel, and their endpoints (secrets are written, never read back). Validated here, written by
``notifications.endpoints.preferences_set``; a bad value is a 400 naming its field."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import endpoints
from notifications.models import ChannelName, Endpoint
from notifications.preferences import CHANNELS, CONFIGURABLE_KINDS
from tasks.api.errors import error_response

_400 = error_response(_("输入有误，按字段说明"))
_401 = error_response(_("未登录"))
PHONE = re.compile(r"^\+?\d{6,15}$")
WEB_CHANNELS = (ChannelName.WEBHOOK, ChannelName.DINGTALK, ChannelName.WECOM)


class QuietHoursSerializer(serializers.Serializer):
    start = serializers.TimeField(format="%H:%M", help_text=_("开始，北京时间，如 22:00"))
    end = serializers.TimeField(format="%H:%M", help_text=_("结束，如 07:30；早于开始即跨越午夜"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["start"] == attrs["end"]:
            raise serializers.ValidationError({"end": [_("结束时间不能与开始时间相同")]})
        return attrs


class EndpointSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=500, allow_blank=True, default="", help_text=_(
        "邮箱（留空用账号邮箱）、Webhook 或机器人地址、手机号"))
    secret = serializers.CharField(max_length=200, allow_blank=True, required=False, write_only=True, help_text=_(
        "签名密钥（Webhook 必填，钉钉加签可选）；不填则保留原值，从不回显"))
    secret_set = serializers.BooleanField(read_only=True, help_text=_("是否已设置密钥"))
    enabled = serializers.BooleanField(default=True)
    disabled_reason = serializers.CharField(read_only=True)
    disabled_at = serializers.DateTimeField(read_only=True, allow_null=True)


def _kind_fields() -> dict[str, serializers.Field]:
    return {channel: serializers.BooleanField(required=False) for channel in CHANNELS}


ImmediateRowSerializer = type("ImmediateRowSerializer", (serializers.Serializer,), _kind_fields())


def _immediate_fields() -> dict[str, serializers.Field]:
    return {kind: ImmediateRowSerializer(required=False) for kind in CONFIGURABLE_KINDS}


ImmediateSerializer = type("ImmediateSerializer", (serializers.Serializer,), _immediate_fields())


def _endpoint_fields() -> dict[str, serializers.Field]:
    return {channel: EndpointSerializer(required=False, allow_null=True) for channel in CHANNELS}


EndpointsSerializer = type("EndpointsSerializer", (serializers.Serializer,), _endpoint_fields())


class PreferencesSerializer(serializers.Serializer):
    """The caller's delivery settings. In-app is always on and not listed. ``immediate[kind][channel]``: whether
    that kind goes out at once on that channel (else in the daily digest); by default only supervise and interview.
    ``endpoints[channel]``: null when not set up."""

    quiet_hours = QuietHoursSerializer(allow_null=True, required=False, default=None)
    immediate = ImmediateSerializer(required=False, default=dict)
    endpoints = EndpointsSerializer(required=False, default=dict)

    def validate_endpoints(self, value: dict[str, Any]) -> dict[str, Any]:
        user = self.context["user"]
        stored = {row.channel: row for row in Endpoint.objects.filter(user_id=user.pk)}
        errors: dict[str, Any] = {}
        for channel, given in value.items():
            if given is None:
                continue
            address = given.get("address", "").strip()
            given["address"] = address
            problem = None
            if channel == ChannelName.EMAIL:
                if address and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", address):
                    problem = {"address": [_("请填写有效的邮箱地址")]}
                elif not address and not user.email:
                    problem = {"address": [_("账号没有邮箱，请填写邮箱地址")]}
            elif channel in WEB_CHANNELS:
                if not re.match(r"^https?://[^\s/]+", address):
                    problem = {"address": [_("请填写以 http:// 或 https:// 开头的地址")]}
                elif channel == ChannelName.WEBHOOK and not _has_secret(given, stored.get(channel)):
                    problem = {"secret": [_("Webhook 需要签名密钥")]}
            elif channel == ChannelName.SMS and not PHONE.match(address.replace(" ", "").replace("-", "")):
                problem = {"address": [_("请填写有效的手机号")]}
            if problem:
                errors[channel] = problem
        if errors:
            raise serializers.ValidationError(errors)
        return value


def _has_secret(given: dict[str, Any], stored: Endpoint | None) -> bool:
    """A secret given (not blank), or none given and one stored."""
    if "secret" in given:
        return bool(given["secret"])
    return stored is not None and bool(stored.secret)


def preferences_read(user: Any) -> dict[str, Any]:
    """``user``'s own settings in the API's shape."""
    return _output(endpoints.preferences_of(user=user))


def _output(settings: endpoints.Settings) -> dict[str, Any]:
    return {
        "quiet_hours": ({"start": settings.quiet_hours[0].strftime("%H:%M"),
                         "end": settings.quiet_hours[1].strftime("%H:%M")} if settings.quiet_hours else None),
        "immediate": settings.immediate,
        "endpoints": {channel: None if row is None else {
            "address": row.address, "secret_set": bool(row.secret), "enabled": row.enabled,
            "disabled_reason": row.disabled_reason, "disabled_at": row.disabled_at,
        } for channel, row in settings.endpoints.items()},
    }


def preferences_write(user: Any, data: Any) -> dict[str, Any]:
    """Validate ``data`` and write it as ``user``'s own settings (the API and the page); ``ValidationError`` (400)
    naming the field when it is wrong."""
    serializer = PreferencesSerializer(data=data, context={"user": user})
    serializer.is_valid(raise_exception=True)
    given = serializer.validated_data
    quiet = given.get("quiet_hours")
    settings = endpoints.preferences_set(
        actor=user,
        quiet_hours=(quiet["start"], quiet["end"]) if quiet else None,
        immediate={kind: dict(row) for kind, row in given.get("immediate", {}).items()},
        # A PUT replaces: an endpoint left out is removed.
        endpoints=dict.fromkeys(CHANNELS) | {channel: None if row is None else endpoints.EndpointInput(
            address=row.get("address", ""), secret=row.get("secret"), enabled=row.get("enabled", True))
            for channel, row in given.get("endpoints", {}).items()},
        now=timezone.now(),
    )
    return _output(settings)


class NotificationPreferencesApi(APIView):
    """GET/PUT /api/notification-preferences/: my own delivery settings."""

    pagination_class: type[BasePagination] | None = None

    @extend_schema(summary=_("我的通知设置"), responses={200: PreferencesSerializer, 401: _401})
    def get(self, request: Request) -> Response:
        return Response(preferences_read(request.user))

    @extend_schema(summary=_("修改我的通知设置"), request=PreferencesSerializer,
                   responses={200: PreferencesSerializer, 400: _400, 401: _401})
    def put(self, request: Request) -> Response:
        return Response(preferences_write(request.user, request.data))
