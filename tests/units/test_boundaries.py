"""units.boundaries: ECharts' compressed coordinates decoded exactly, the pinned tarball checked before anything is
written, 2016's renames applied, and the projection's shapes closed and inside the drawing."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile

import pytest

from units import boundaries


def encode(points: list[tuple[float, float]], offset: tuple[int, int]) -> str:
    """The compressor ECharts' decoder undoes (the test's own, to check the decoder against)."""
    out, (px, py) = [], offset
    for lon, lat in points:
        x, y = round(lon * 1024), round(lat * 1024)
        for delta in (x - px, y - py):
            out.append(chr(((delta << 1) ^ (delta >> 31)) + 64))
        px, py = x, y
    return "".join(out)


def test_a_ring_decodes_to_the_points_it_was_encoded_from():
    points = [(106.5, 29.5), (106.5 + 3 / 1024, 29.5 - 7 / 1024), (106.4, 29.6), (106.5, 29.5)]
    offset = (round(106.5 * 1024), round(29.5 * 1024))
    decoded = boundaries.decode_ring(encode(points, offset), offset)
    assert decoded == [(round(x * 1024) / 1024, round(y * 1024) / 1024) for x, y in points]
    with pytest.raises(boundaries.BoundaryError):
        boundaries.decode_ring("@@@", offset)


def package(features: list[dict]) -> bytes:
    data = json.dumps({"type": "FeatureCollection", "UTF8Encoding": True, "features": features}).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, blob in ((boundaries.MEMBER, data), (boundaries.LICENCE_MEMBER, b"MIT License\n")):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    return out.getvalue()


def feature(name: str, adcode: str, kind: str = "Polygon") -> dict:
    ring = [(107.8, 30.6), (107.9, 30.6), (107.9, 30.7), (107.8, 30.6)]
    offset = [round(107.8 * 1024), round(30.6 * 1024)]
    coords, offsets = [encode(ring, tuple(offset))], [offset]
    if kind == "MultiPolygon":
        coords, offsets = [coords, coords], [offsets, offsets]
    return {"id": adcode, "type": "Feature", "properties": {"name": name},
            "geometry": {"type": kind, "coordinates": coords, "encodeOffsets": offsets}}  # fmt: skip


def integrity(blob: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()


def test_the_tarball_is_checked_decoded_and_renamed(tmp_path, monkeypatch):
    blob = package([feature("梁平县", "500228"), feature("武隆县", "500232", "MultiPolygon"),
                    feature("万州区", "500101")])
    with pytest.raises(boundaries.BoundaryError, match="does not match"):
        boundaries.install_from_tarball(blob, tmp_path)
    assert not list(tmp_path.iterdir())  # nothing written from an unchecked download
    monkeypatch.setattr(boundaries, "INTEGRITY", integrity(blob))
    written = boundaries.install_from_tarball(blob, tmp_path)
    data = json.loads(written.read_text("utf-8"))
    assert [(f["properties"]["name"], f["properties"]["adcode"]) for f in data["features"]] == [
        ("梁平区", "500155"), ("武隆区", "500156"), ("万州区", "500101")]
    assert data["features"][1]["geometry"]["type"] == "MultiPolygon"
    assert data["features"][0]["geometry"]["coordinates"][0][1] == [107.900390625, 30.599609375]
    assert (tmp_path / boundaries.LICENCE_NAME).read_text() == "MIT License\n"
    found = boundaries.districts(written)
    assert [d.name for d in found] == ["梁平区", "武隆区", "万州区"] and len(found[1].polygons) == 2


def test_the_installed_map_projects_into_closed_shapes_inside_the_drawing():
    drawing = boundaries.map_shapes(1000)
    if drawing is None:
        pytest.skip("boundaries not installed (manage.py fetch_boundaries); the map pages' tests require them")
    assert drawing.width == 1000 and 800 < drawing.height < 1100 and len(drawing.shapes) == 38
    for shape in drawing.shapes:
        assert shape.d.startswith("M") and shape.d.endswith("z") and shape.rings
        points = [p for ring in shape.rings for p in ring]
        assert all(0 <= x <= drawing.width and 0 <= y <= drawing.height for x, y in points), shape.name
        assert min(x for x, _ in points) <= shape.label_x <= max(x for x, _ in points), shape.name
    assert sum(len(shape.d) for shape in drawing.shapes) < 100_000  # the page carries ~65 kB of outlines
