"""Admin: the reminder policy is configured here; messages, deliveries and watches are read-only (the sweep writes
them), for looking into what was sent to whom and why — each message shows its deliveries, its delivery log. People's
endpoints can be looked into and disabled or enabled here (their secrets are never shown); their preferences and
quiet hours are read-only (each person sets their own)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Delivery, Endpoint, Notification, Preference, QuietHours, ReminderPolicy, Watch


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "days_before", "on_due_day", "chase_after", "supervise_after", "interview_after",
                    "stale_after", "send_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ReminderPolicy.objects.exists() and super().has_add_permission(request)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "level", "title", "read_at", "illustrative")
    list_filter = ("kind", "level", "illustrative")
    search_fields = ("title", "recipient__username", "key")
    list_select_related = ("recipient",)
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("notification", "channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("channel", "status")
    list_select_related = ("notification",)


@admin.register(Watch)
class WatchAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "is_open", "next_reminder_at", "planned_until", "failures")
    list_filter = ("is_open",)
    search_fields = ("last_error",)


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("user", "channel", "address", "enabled", "disabled_reason", "disabled_at", "updated_at")
    list_filter = ("channel", "enabled")
    search_fields = ("user__username", "address", "disabled_reason")
    list_select_related = ("user",)
    fields = ("user", "channel", "address", "enabled", "disabled_reason", "disabled_at", "updated_at")
    readonly_fields = ("user", "channel", "disabled_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "channel", "immediate")
    list_filter = ("kind", "channel", "immediate")
    search_fields = ("user__username",)
    list_select_related = ("user",)


@admin.register(QuietHours)
class QuietHoursAdmin(ReadOnlyAdmin):
    list_display = ("user", "start", "end")
    search_fields = ("user__username",)
    list_select_related = ("user",)


import notifications.admin_notices  # noqa: E402, F401  (registers the 督办单, 约谈 and 催办 admins)
