"""Admin: supervisors edit rule sets here; the spec is checked field by field (``RuleSet.clean``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from evaluation.lights import rule_set_changed
from evaluation.models import RuleSet
from evaluation.rules import DEFAULT_SPEC


class RuleSetForm(forms.ModelForm):
    class Meta:
        model = RuleSet
        fields = ["code", "version", "name", "plan", "effective_from", "spec", "note"]
        widgets = {"spec": forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "vLargeTextField"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk and not self.initial.get("spec"):
            self.initial["spec"] = DEFAULT_SPEC.to_data()


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    form = RuleSetForm
    list_display = ("name", "code", "version", "plan", "effective_from", "created_at")
    list_filter = ("plan",)
    search_fields = ("name", "code")
    readonly_fields = ("legend",)

    def save_model(self, request, obj: RuleSet, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        rule_set_changed(obj)  # today's stored lights of its plans are recomputed (published results never are)

    @admin.display(description=_("颜色图例"))
    def legend(self, obj: RuleSet) -> str:
        if not obj.pk:
            return "-"
        # Text only: the site's Content-Security-Policy allows no inline styles to paint swatches with.
        return format_html_join(
            "; ", "{}（{}，{}）", ((swatch.label, swatch.hex, swatch.meaning) for swatch in obj.rules.legend())
        )
