"""Ids that are not ids get a 400 (or a 404 for a path), never a 500 — on SQLite and PostgreSQL (issue 7, item 6)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url", [
    "/api/tasks/?plan=²", "/api/tasks/?unit=¹¹", "/api/milestones/?unit=¹¹", "/api/tasks/?plan=99999999999999999999999",
])
def test_a_code_that_only_looks_like_an_id_matches_nothing(client_for, sam, url):
    response = client_for(sam).get(url)
    assert response.status_code in (200, 400), response.content[:200]
    if response.status_code == 200:
        assert response.json()["results"] == []


@pytest.mark.parametrize(("url", "field"), [
    ("/api/reports/?round=99999999999999999999999", "round"),
    ("/api/reports/?task=99999999999999999999999", "task"),
    ("/api/milestones/?task=99999999999999999999999", "task"),
    ("/api/reports/?task=²", "task"),
])
def test_an_id_filter_out_of_range_is_a_field_error(client_for, sam, url, field):
    response = client_for(sam).get(url)
    assert response.status_code == 400, response.content[:200]
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("url", ["/api/reports/9223372036854775808/", "/api/tasks/99999999999999999999999/"])
def test_an_id_beyond_64_bits_in_a_path_is_not_found(client_for, sam, url):
    assert client_for(sam).get(url).status_code == 404
