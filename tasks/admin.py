"""Admin: plans are configured here; the task tree is browsable. Audit events are read-only."""

from django.contrib import admin

from tasks.models import AuditEvent, Indicator, IndicatorTarget, Milestone, Plan, PlanTask, TaskUnit


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "status", "cadence", "start_date", "end_date", "units_illustrative")
    list_filter = ("status", "cadence")
    search_fields = ("code", "title", "title_en", "issuer")


class TaskUnitInline(admin.TabularInline):
    model = TaskUnit
    extra = 0
    autocomplete_fields = ("unit",)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ("code", "title", "due_date", "original_due_date", "weight", "target_value", "owner_unit", "status",
              "completed_date")
    autocomplete_fields = ("owner_unit",)


@admin.register(PlanTask)
class PlanTaskAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "plan", "kind", "importance", "lead_unit", "due_date", "status")
    list_filter = ("plan", "kind", "importance", "status", "units_illustrative")
    search_fields = ("code", "title", "text")
    list_select_related = ("plan", "lead_unit")
    autocomplete_fields = ("parent", "lead_unit")
    ordering = ("plan", "sort_key")
    inlines = [TaskUnitInline, MilestoneInline]


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit_of_measure", "baseline_value", "target_value", "target_year", "plan")
    list_filter = ("plan", "direction")
    search_fields = ("code", "name")
    list_select_related = ("plan",)
    autocomplete_fields = ("task",)
    inlines = [IndicatorTargetInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only: nobody adds, changes or deletes audit events through the admin."""

    list_display = ("at", "action", "object_type", "object_id", "actor", "unit", "task")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "comment", "actor__username")
    list_select_related = ("actor", "unit", "task")
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
