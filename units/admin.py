"""Admin: supervisors and administrators configure tracks, units and memberships here.

Memberships are changed only through ``units.services`` (``membership_grant`` / ``membership_change`` /
``membership_revoke``), from the membership pages and from the unit page's inline alike, so each change is recorded
(``MembershipEvent``, shown on the unit page) and not only in Django's admin log.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from units.models import Membership, MembershipEvent, Track, Unit
from units.services import membership_change, membership_grant, membership_revoke


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "name_en", "order")
    list_editable = ("order",)
    search_fields = ("name", "code", "name_en")


def _save_membership(request: HttpRequest, obj: Membership, *, change: bool) -> None:
    """Save the admin's edited membership through the service, and give the admin's object the saved row's id."""
    if change:
        saved = membership_change(actor=request.user, membership_id=obj.pk, user=obj.user, unit=obj.unit, role=obj.role)
    else:
        saved = membership_grant(actor=request.user, user=obj.user, unit=obj.unit, role=obj.role)
    obj.pk, obj.created_at = saved.pk, saved.created_at


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("short_name", "name", "code", "kind", "track", "adcode", "active")
    list_filter = ("kind", "track", "active")
    search_fields = ("name", "short_name", "code", "aliases", "name_en")
    list_select_related = ("track",)
    autocomplete_fields = ("parent",)
    inlines = [MembershipInline]

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        # Collects what was added, changed and deleted without writing it; the services write it.
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            membership_revoke(actor=request.user, membership_id=obj.pk)
        for obj, _fields in formset.changed_objects:
            _save_membership(request, obj, change=True)
        for obj in formset.new_objects:
            _save_membership(request, obj, change=False)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "role", "created_at")
    list_filter = ("role", "unit__kind", "unit__track")
    search_fields = ("user__username", "user__first_name", "user__last_name", "unit__short_name", "unit__name")
    list_select_related = ("user", "unit")
    autocomplete_fields = ("user", "unit")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        _save_membership(request, obj, change=change)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_revoke(actor=request.user, membership_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership_id in queryset.order_by("pk").values_list("pk", flat=True):
            membership_revoke(actor=request.user, membership_id=membership_id)


@admin.register(MembershipEvent)
class MembershipEventAdmin(admin.ModelAdmin):
    """Read-only: the record is written by the services."""

    list_display = ("at", "unit", "user", "role", "change", "by")
    list_filter = ("change", "role")
    search_fields = ("user__username", "user__first_name", "unit__short_name", "unit__name", "by__username")
    list_select_related = ("unit", "user", "by")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
