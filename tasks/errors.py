"""Errors the services raise; the API maps them to status codes (400, 403, 404, 409)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class Conflict(Exception):
    """Wrong state, stale version, or a second click of the same action (HTTP 409)."""


class NotFound(Exception):
    """The object does not exist or lies outside the user's units; never say which (HTTP 404)."""


class DutyConflict(PermissionDenied):
    """The actor may take this step in general, but not on this report: they did an earlier step of it themselves
    (segregation of duties, ``tasks.policy.DUTY_CONFLICTS``). HTTP 403 with the code ``conflict_of_duty``."""

    code = "conflict_of_duty"
