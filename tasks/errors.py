"""Errors the services raise; the API maps them to status codes (400, 403, 404, 409)."""

from __future__ import annotations


class Conflict(Exception):
    """Wrong state, stale version, or a second click of the same action (HTTP 409)."""


class NotFound(Exception):
    """The object does not exist or lies outside the user's units; never say which (HTTP 404)."""
