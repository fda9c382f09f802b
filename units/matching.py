"""Resolve the unit names people write in spreadsheet cells to unit keys.

Pure module: no Django or ORM imports. Callers build a :class:`UnitIndex` from
:class:`UnitNames` records (from the database or from ``units/data/units.yaml``)
and resolve cells such as ``"市发展改革委、两江新区、江北区等"``.

Matching is exact, never fuzzy: a name matches a unit only if, after
normalisation, it equals the unit's name, short name or one of its aliases.
Normalisation folds full-width characters to half-width (NFKC), removes all
whitespace, case-folds Latin letters and ignores a leading ``重庆市`` / ``重庆``.
Fuzzy matching is only used to suggest names in :class:`UnknownUnit`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "REGION_GROUP_TOKENS",
    "REGION_KINDS",
    "ZONE_GROUP_TOKENS",
    "ZONE_KIND",
    "UnitIndex",
    "UnitNames",
    "UnknownUnit",
    "normalize_name",
    "split_unit_names",
]

K = TypeVar("K", bound=Hashable)

REGION_KINDS: frozenset[str] = frozenset({"district", "county", "autonomous_county"})
ZONE_KIND = "zone"

REGION_GROUP_TOKENS: tuple[str, ...] = (
    "各区县",
    "全市各区县",
    "各区县（自治县）",
    "全市各区县（自治县）",
)
ZONE_GROUP_TOKENS: tuple[str, ...] = ("各开发区",)

_SEPARATORS = re.compile(r"[、，,；;\r\n]+")
_TRAILING_ETC: tuple[str, ...] = (
    "等相关单位",
    "等相关部门",
    "等有关单位",
    "等有关部门",
    "等单位",
    "等部门",
    "等",
)
_CITY_PREFIXES: tuple[str, ...] = ("重庆市", "重庆")
_WHITESPACE = re.compile(r"\s+")
_MAX_SUGGESTIONS = 3
_SUGGESTION_CUTOFF = 0.5


def split_unit_names(text: str) -> list[str]:
    """Split a cell listing several units into the individual names.

    Separators are ``、`` ``，`` ``,`` ``；`` ``;`` and line breaks. Each item is
    stripped of surrounding whitespace and of a trailing ``等`` / ``等单位`` /
    ``等部门`` (also ``等相关单位`` and similar). Empty items are dropped and
    repeated items are kept only at their first position. Names are returned
    as written, not normalised.
    """
    names: list[str] = []
    for raw in _SEPARATORS.split(text or ""):
        item = raw.strip()
        for suffix in _TRAILING_ETC:
            if item.endswith(suffix):
                item = item[: -len(suffix)].strip()
                break
        if item and item not in names:
            names.append(item)
    return names


def normalize_name(name: str) -> str:
    """Return *name* folded to NFKC, without whitespace and case-folded."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", name)).casefold()


def _canonical(name: str) -> str:
    """Return the normalised *name* without a leading ``重庆市`` / ``重庆``."""
    normalized = normalize_name(name)
    for prefix in _CITY_PREFIXES:
        if normalized.startswith(prefix) and len(normalized) > len(prefix):
            return normalized[len(prefix) :]
    return normalized


@dataclass(frozen=True)
class UnitNames(Generic[K]):
    """The names one unit is known by.

    ``key`` is any hashable id (a slug, a primary key, a model instance);
    ``kind`` is one of ``department``, ``district``, ``county``,
    ``autonomous_county``, ``zone`` or ``other``. ``aliases`` is stored as a
    tuple whatever sequence is passed.
    """

    key: K
    name: str
    short_name: str
    aliases: Sequence[str]
    kind: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "aliases", tuple(self.aliases))

    @property
    def all_names(self) -> tuple[str, ...]:
        """Name, short name and aliases, in that order."""
        return (self.name, self.short_name, *self.aliases)


class UnknownUnit(LookupError):
    """A name that matches no unit.

    ``name`` is the name as written; ``suggestions`` holds up to three short
    names of the units whose names are closest to it, best first.
    """

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(name, list(suggestions))
        self.name = name
        self.suggestions: list[str] = list(suggestions)

    def __str__(self) -> str:
        message = f'未知单位 "{self.name}"'
        if self.suggestions:
            message += "，是否是：" + "、".join(self.suggestions)
        return message


class UnitIndex(Generic[K]):
    """Exact lookup of unit names, short names, aliases and group tokens.

    The constructor raises :class:`ValueError` if two units share a name after
    normalisation (so every name resolves to at most one unit), if a unit name
    collides with a group token, if a key repeats, or if a name is empty.
    """

    def __init__(self, units: Iterable[UnitNames[K]]) -> None:
        self._units: list[UnitNames[K]] = list(units)
        self._by_key: dict[K, UnitNames[K]] = {}
        self._by_name: dict[str, K] = {}
        groups = {_canonical(token) for token in (*REGION_GROUP_TOKENS, *ZONE_GROUP_TOKENS)}
        for unit in self._units:
            if unit.key in self._by_key:
                raise ValueError(f"单位 key 重复 / duplicate unit key: {unit.key!r}")
            self._by_key[unit.key] = unit
            for written in unit.all_names:
                canonical = _canonical(written)
                if not canonical:
                    raise ValueError(f"单位 {unit.key!r} 有空名称 / unit {unit.key!r} has an empty name")
                if canonical in groups:
                    raise ValueError(
                        f'单位名称 "{written}"（{unit.key!r}）与分组词冲突 / '
                        f"unit name {written!r} of {unit.key!r} clashes with a group token"
                    )
                owner = self._by_name.setdefault(canonical, unit.key)
                if owner != unit.key:
                    other = self._by_key[owner]
                    raise ValueError(
                        f'单位名称冲突："{written}" 同时指向 {other.short_name}（{owner!r}）'
                        f"和 {unit.short_name}（{unit.key!r}）/ "
                        f"ambiguous unit name {written!r}: {owner!r} and {unit.key!r}"
                    )
        self._groups: dict[str, list[K]] = {}
        regions = [u.key for u in self._units if u.kind in REGION_KINDS]
        zones = [u.key for u in self._units if u.kind == ZONE_KIND]
        for token in REGION_GROUP_TOKENS:
            self._groups[normalize_name(token)] = regions
        for token in ZONE_GROUP_TOKENS:
            self._groups[normalize_name(token)] = zones
        self._suggestion_pool: dict[str, str] = {}
        for unit in self._units:
            for written in unit.all_names:
                for form in (normalize_name(written), _canonical(written)):
                    self._suggestion_pool.setdefault(form, unit.short_name)

    def __len__(self) -> int:
        return len(self._units)

    def resolve(self, name: str) -> list[K]:
        """Return the keys *name* stands for.

        A unit name gives a one-element list; a group token (``各区县``,
        ``全市各区县``, ``各区县（自治县）``) gives every district, county and
        autonomous county, and ``各开发区`` every zone, in input order.
        Besides the normalisation described in the module docstring, a name
        written as ``重庆市X`` or ``重庆X`` also matches a unit known as ``市X``.
        Raises :class:`UnknownUnit` if nothing matches.
        """
        normalized = normalize_name(name)
        if normalized in self._groups:
            return list(self._groups[normalized])
        canonical = _canonical(name)
        candidates = [canonical]
        if canonical != normalized:
            candidates.append("市" + canonical)
        for candidate in candidates:
            if candidate in self._by_name:
                return [self._by_name[candidate]]
        raise UnknownUnit(name.strip(), self._suggest(normalized))

    def resolve_many(self, text: str) -> list[K]:
        """Split *text* with :func:`split_unit_names` and resolve every item.

        Keys are returned in order of first appearance, without repeats.
        Raises :class:`UnknownUnit` for the first item that matches nothing.
        """
        keys: list[K] = []
        seen: set[K] = set()
        for name in split_unit_names(text):
            for key in self.resolve(name):
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
        return keys

    def _suggest(self, normalized: str) -> list[str]:
        """Short names of the units whose names are closest to *normalized* (none when there are no units)."""
        if not normalized or not self._suggestion_pool:
            return []
        matches = difflib.get_close_matches(
            normalized,
            list(self._suggestion_pool),
            n=len(self._suggestion_pool),
            cutoff=_SUGGESTION_CUTOFF,
        )
        suggestions: list[str] = []
        for match in matches:
            short_name = self._suggestion_pool[match]
            if short_name not in suggestions:
                suggestions.append(short_name)
            if len(suggestions) == _MAX_SUGGESTIONS:
                break
        return suggestions
