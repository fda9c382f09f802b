"""Admin of the people's side of the ladder: 督办单, 约谈 decisions and 催办 by hand, read-only (every step goes through
``notifications.services_notices``, which checks the actor and audits it)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import InterviewDecision, ManualChase, SupervisionNotice


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SupervisionNotice)
class SupervisionNoticeAdmin(_ReadOnly):
    list_display = ("pk", "title", "unit", "status", "issued_by", "issued_at", "receipt_due", "reply_due",
                    "times_returned")
    list_filter = ("status",)
    search_fields = ("title", "reply", "measures")
    list_select_related = ("unit", "issued_by")


@admin.register(InterviewDecision)
class InterviewDecisionAdmin(_ReadOnly):
    list_display = ("decided_at", "unit", "outcome", "decided_by")
    list_filter = ("outcome",)
    list_select_related = ("unit", "decided_by")


@admin.register(ManualChase)
class ManualChaseAdmin(_ReadOnly):
    list_display = ("chased_at", "part", "day", "chased_by")
    list_select_related = ("part", "chased_by")
