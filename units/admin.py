"""Admin: supervisors and administrators configure tracks, units and memberships here."""

from django.contrib import admin

from units.models import Membership, Track, Unit


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "name_en", "order")
    list_editable = ("order",)
    search_fields = ("name", "code", "name_en")


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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "role", "created_at")
    list_filter = ("role", "unit__kind", "unit__track")
    search_fields = ("user__username", "user__first_name", "user__last_name", "unit__short_name", "unit__name")
    list_select_related = ("user", "unit")
    autocomplete_fields = ("user", "unit")
