"""The token endpoints: obtain (password in, token out), rotate, revoke.

``POST /api/auth/token/`` runs through django-axes like the web login (``authenticate`` gets the request) and
through the ``login`` throttle; a locked-out username answers 429 ``locked_out`` in the error contract.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.lockout import LockedOut, LoginRateThrottle
from tasks.api.errors import error_response


class TokenInputSerializer(AuthTokenSerializer):
    """The credentials (DRF's serializer, which calls ``authenticate`` with the request, as django-axes needs)."""

    token = None  # output only: see TokenOutputSerializer


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("API 令牌：在请求头中发送 Authorization: Token <令牌>"))


def _presented_key(request: Request) -> str | None:
    return request.auth.key if isinstance(request.auth, Token) else None


class AuthTokenApi(APIView):
    """``POST``: a token for a username and password (anyone may ask). ``DELETE``: revoke the caller's token."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_throttles(self):
        if self.request.method == "POST":
            return [AnonRateThrottle(), LoginRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        operation_id="auth_token_obtain",
        auth=[],
        request=TokenInputSerializer,
        responses={
            200: TokenOutputSerializer,
            400: error_response(_("用户名或密码不正确，或缺少其一")),
            429: error_response(_("尝试过于频繁（throttled），或该用户名在本地址已被锁定（locked_out）")),
        },
        summary=_("用用户名和密码获取 API 令牌"),
    )
    def post(self, request: Request) -> Response:
        serializer = TokenInputSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                raise LockedOut()
            serializer.is_valid(raise_exception=True)
        token = services.token_issue(user=serializer.validated_data["user"])
        return Response(TokenOutputSerializer({"token": token.key}).data)

    @extend_schema(
        operation_id="auth_token_revoke",
        request=None,
        responses={204: None, 401: error_response(_("未登录或令牌无效"))},
        summary=_("撤销调用者自己的 API 令牌"),
    )
    def delete(self, request: Request) -> Response:
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuthTokenRotateApi(APIView):
    """``POST``: replace the caller's token by a new one (the old key dies at once) and answer the new key."""

    @extend_schema(
        operation_id="auth_token_rotate",
        request=None,
        responses={
            200: TokenOutputSerializer,
            401: error_response(_("未登录或令牌无效")),
            409: error_response(_("所用令牌已被另一次轮换替换")),
        },
        summary=_("轮换 API 令牌：返回新令牌，旧令牌立即失效"),
    )
    def post(self, request: Request) -> Response:
        token = services.token_rotate(user=request.user, presented_key=_presented_key(request))
        return Response(TokenOutputSerializer({"token": token.key}).data)
