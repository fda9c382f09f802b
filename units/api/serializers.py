"""Output serializers of the unit directory; ``UnitRefSerializer`` is the compact reference other apps nest."""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from units.models import Track, Unit


def choice_field(choices: type[TextChoices], component: str) -> type[serializers.ChoiceField]:
    """A ChoiceField class for *choices* that the schema shows as its own named enum component.

    Several models have a ``status`` or ``kind``; naming each choice set keeps the schema free
    of spectacular's enum-collision warnings without a settings entry per enum.
    """

    @extend_schema_field({"type": "string", "enum": list(choices.values)}, component_name=component)
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(choices=choices.choices, **kwargs)

    Field.__name__ = Field.__qualname__ = component.removesuffix("Enum") + "Field"
    return Field


UnitKindField = choice_field(Unit.Kind, "UnitKindEnum")


class UnitRefSerializer(serializers.ModelSerializer):
    """A unit as other objects refer to it: {id, code, short_name, name}."""

    class Meta:
        model = Unit
        fields = ["id", "code", "short_name", "name"]
        read_only_fields = fields


class TrackRefSerializer(serializers.ModelSerializer):
    """A ranking track (赛道): {id, code, name, name_en}."""

    class Meta:
        model = Track
        fields = ["id", "code", "name", "name_en"]
        read_only_fields = fields


class UnitOutputSerializer(serializers.ModelSerializer):
    """A unit of the directory with its track and parent unit."""

    track = TrackRefSerializer(read_only=True, allow_null=True)
    parent = UnitRefSerializer(read_only=True, allow_null=True)
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    kind = UnitKindField(read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id", "code", "name", "short_name", "aliases", "name_en", "kind", "track", "parent", "adcode", "order",
            "active",
        ]
        read_only_fields = fields
