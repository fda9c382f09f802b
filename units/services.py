"""Writes to the unit directory. Every function is atomic and idempotent where it says so."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from units.matching import UnitIndex, UnitNames
from units.models import Track, Unit

DEFAULT_UNITS_FILE = Path(__file__).resolve().parent / "data" / "units.yaml"


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def _upsert(model: type, lookup: dict[str, Any], values: dict[str, Any]) -> str:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        model.objects.create(**lookup, **values)
        return "created"
    changed = [field for field, value in values.items() if getattr(obj, field) != value]
    if not changed:
        return "unchanged"
    for field in changed:
        setattr(obj, field, values[field])
    obj.save(update_fields=changed)
    return "updated"


@transaction.atomic
def units_load(*, path: Path = DEFAULT_UNITS_FILE) -> LoadResult:
    """Upsert tracks and units from a units YAML file, keyed by code. Idempotent; never deletes.

    The whole file is checked first (names and aliases must not clash), so a bad
    file writes nothing.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    UnitIndex(
        UnitNames(
            key=row["code"],
            name=row["name"],
            short_name=row["short_name"],
            aliases=tuple(row.get("aliases") or ()),
            kind=row["kind"],
        )
        for row in data["units"]
    )
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for track in data["tracks"]:
        outcome = _upsert(
            Track,
            {"code": track["code"]},
            {"name": track["name"], "name_en": track.get("name_en", ""), "order": track.get("order", 0)},
        )
        counts[outcome] += 1
    tracks = {track.code: track for track in Track.objects.all()}
    for order, row in enumerate(data["units"], start=1):
        outcome = _upsert(
            Unit,
            {"code": row["code"]},
            {
                "name": row["name"],
                "short_name": row["short_name"],
                "aliases": list(row.get("aliases") or []),
                "name_en": row.get("name_en") or "",
                "kind": row["kind"],
                "track": tracks[row["track"]] if row.get("track") else None,
                "adcode": str(row.get("adcode") or ""),
                "order": order,
            },
        )
        counts[outcome] += 1
    return LoadResult(**counts)


def unit_index() -> UnitIndex:
    """A name index over all units (active or not), keyed by unit id, for importers."""
    return UnitIndex(
        UnitNames(key=unit.pk, name=unit.name, short_name=unit.short_name, aliases=tuple(unit.aliases), kind=unit.kind)
        for unit in Unit.objects.order_by("order", "code")
    )
