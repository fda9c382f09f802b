"""The one error contract of every API endpoint (the register, the reporting loop, whatever comes next).

Every error answer has the same body::

    {"detail": "<one sentence for a person>", "code": "<machine code>", "errors": {"<field path>": ["…"]}}

- ``code`` names the kind of error, not the case: ``invalid`` and ``parse_error`` (400),
  ``not_authenticated`` and ``authentication_failed`` (401), ``permission_denied`` and ``conflict_of_duty``
  (403: the step is the user's, but they did an earlier step of the same report),
  ``not_found`` (404), ``method_not_allowed`` (405), ``not_acceptable`` (406), ``conflict`` (409),
  ``unsupported_media_type`` (415), ``throttled`` and ``locked_out`` (429: too many attempts from this address;
  too many failed sign-ins of this username from this address, see ``accounts.lockout``).
- ``errors`` is on every 400 and on nothing else: the field errors as one level of paths
  (``percent_complete``, ``indicator_values[0]``, ``interim_targets[1].value``), errors of no field
  under ``non_field_errors``; ``{}`` when the body could not be read at all.

How the services' errors map, in one place (:func:`exception_handler`, installed as
``REST_FRAMEWORK["EXCEPTION_HANDLER"]``; no view overrides ``get_exception_handler``):
Django ``ValidationError`` → 400 with its fields; ``PermissionDenied`` → 403 with its message;
``tasks.errors.NotFound``, ``ObjectDoesNotExist`` and ``Http404`` → 404 with one sentence that never
says whether the object exists or is only out of sight; ``tasks.errors.Conflict`` → 409 with its
message (wrong state, stale ``version``, second click). DRF's own exceptions keep their status and
headers (``WWW-Authenticate``, ``Retry-After``, ``Allow``). Anything else is a bug and stays a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from tasks.errors import Conflict, DutyConflict, NotFound

NOT_FOUND = _("对象不存在，或不在你的查看范围内。")
INVALID = _("提交的数据有误，请按字段说明修改。")


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("数据已被他人修改或状态已变化，请刷新后重试。")
    default_code = "conflict"


class DutyConflictError(exceptions.PermissionDenied):
    """403: the step is the user's, but not on a report they did an earlier step of (segregation of duties)."""

    default_code = DutyConflict.code


def api_exception(exc: Exception) -> exceptions.APIException | None:
    """The API error that *exc* stands for, or ``None`` when it is not an error the API answers (a bug: 500)."""
    if isinstance(exc, Conflict):
        return ConflictError(str(exc) or None)
    if isinstance(exc, NotFound | ObjectDoesNotExist | Http404):
        # Their messages may name a model or a lookup; a 404 never says more than "not here for you".
        return exceptions.NotFound(NOT_FOUND)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, DutyConflict):
        return DutyConflictError(*exc.args)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, exceptions.APIException):
        return exc
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: DRF's handler (status, headers, rollback) with our body."""
    error = api_exception(exc)
    if error is None:
        return None
    response = drf_exception_handler(error, context)
    if response is not None:
        response.data = error_body(error)
    return response


def error_body(error: exceptions.APIException) -> dict[str, Any]:
    """The contract body of an API error (see the module docstring)."""
    if isinstance(error, exceptions.ValidationError):
        return {"detail": str(INVALID), "code": "invalid", "errors": flat_errors(error.detail)}
    messages = [message for field in flat_errors(error.detail).values() for message in field]
    body: dict[str, Any] = {"detail": messages[0] if messages else str(error.default_detail),
                            "code": error.default_code}
    if error.status_code == status.HTTP_400_BAD_REQUEST:
        body["errors"] = {}
    return body


def flat_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested error details as one level of paths (``indicator_values[0].value``), so a client reads every
    400 the same way whether a serializer or a service found the error. Errors of no field go under
    ``non_field_errors``; a nested object's own errors under its path."""
    if isinstance(errors, dict):
        items: Any = errors.items()
    elif isinstance(errors, list | tuple) and any(isinstance(item, dict | list | tuple) for item in errors):
        items = enumerate(errors)
    else:
        messages = [str(errors)] if isinstance(errors, str) else [str(message) for message in errors]
        return {prefix or api_settings.NON_FIELD_ERRORS_KEY: messages} if messages else {}
    flat: dict[str, list[str]] = {}
    for key, value in items:
        for path, messages in flat_errors(value, _path(prefix, key)).items():
            flat.setdefault(path, []).extend(messages)
    return flat


def _path(prefix: str, key: Any) -> str:
    key = str(key)
    if key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__"):
        return prefix
    if key.isdigit():
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


# --- schema -------------------------------------------------------------------------------------


class ErrorOutputSerializer(serializers.Serializer):
    """Every error answer of the API: one sentence, a machine code, and on a 400 the field errors by path."""

    detail = serializers.CharField(help_text=_("一句话说明，可直接展示给用户"))
    code = serializers.CharField(
        help_text=_("错误类别：invalid、parse_error、not_authenticated、authentication_failed、permission_denied、"
                    "conflict_of_duty、not_found、method_not_allowed、conflict、unsupported_media_type、throttled、"
                    "locked_out…")
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text=_("仅 400：按字段路径列出错误，如 indicator_values[0].value；非字段错误在 non_field_errors 下"),
    )


def error_response(description: Any) -> OpenApiResponse:
    """An error answer for ``extend_schema(responses=…)``: the contract body with *description*."""
    return OpenApiResponse(response=ErrorOutputSerializer, description=description)
