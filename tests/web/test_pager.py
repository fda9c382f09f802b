"""The shared pager (templates/_pager.html): next and previous keep the list's filters."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def test_the_pager_keeps_every_filter_of_the_query():
    request = RequestFactory().get("/escalations/", {"level": "2", "unit": "7", "page": "2"})
    page = Paginator(list(range(120)), 50).page(2)
    html = render_to_string("_pager.html", {"page": page}, request=request)
    assert 'href="?level=2&amp;unit=7&amp;page=1"' in html and 'href="?level=2&amp;unit=7&amp;page=3"' in html
    assert "第 2 页，共 3 页" in html


def test_a_single_page_has_no_pager():
    request = RequestFactory().get("/notices/")
    html = render_to_string("_pager.html", {"page": Paginator(list(range(3)), 50).page(1)}, request=request)
    assert "pager" not in html
