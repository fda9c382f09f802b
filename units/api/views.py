"""Read-only API of the unit directory: /api/units/ and /api/units/{id}/ (every signed-in user)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import mixins, viewsets

from units.api.serializers import UnitOutputSerializer
from units.matching import normalize_name
from units.models import Unit
from units.selectors import unit_list


class UnitFilter(filters.FilterSet):
    """Filters of /api/units/: kind, track (track code), active, q (substring of any name, alias or the code)."""

    kind = filters.ChoiceFilter(choices=Unit.Kind.choices, label=_("类别"))
    track = filters.CharFilter(field_name="track__code", label=_("赛道代码"))
    active = filters.BooleanFilter(label=_("启用"))
    q = filters.CharFilter(method="filter_q", label=_("名称、简称、别称或代码包含"))

    class Meta:
        model = Unit
        fields = ["kind", "track", "active", "q"]

    def filter_q(self, queryset: QuerySet[Unit], name: str, value: str) -> QuerySet[Unit]:
        # Aliases are a JSON list, and SQLite stores them ASCII-escaped, so SQL LIKE cannot see
        # Chinese aliases. The directory is small: match in Python with the importer's
        # normalisation (full-width, spaces, case), in one extra query whatever the page size.
        needle = normalize_name(value)
        if not needle:
            return queryset
        matching = [
            pk
            for pk, code, name_, short_name, name_en, aliases in queryset.values_list(
                "pk", "code", "name", "short_name", "name_en", "aliases"
            )
            if any(needle in normalize_name(text) for text in (code, name_, short_name, name_en, *(aliases or ())))
        ]
        return queryset.filter(pk__in=matching)


class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The unit directory: list (paginated, filterable) and detail by id. Read-only; any signed-in user."""

    serializer_class = UnitOutputSerializer
    filterset_class = UnitFilter
    ordering_fields = ["order", "code", "short_name", "id"]

    def get_queryset(self) -> QuerySet[Unit]:
        return unit_list(user=self.request.user)
