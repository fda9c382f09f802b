"""Pages of the register show the panels higher apps register (tasks/panels.py), in order, each with its own
context over the page's, without ``tasks`` importing those apps."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Engine

from tasks import panels as registry


@pytest.fixture
def no_panels(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty registry for the test; the apps' own registrations come back afterwards."""
    monkeypatch.setattr(registry, "_PANELS", {})


def _engine(**templates: str) -> Engine:
    return Engine(
        loaders=[("django.template.loaders.locmem.Loader", {f"{name}.html": text for name, text in templates.items()})],
        libraries={"luoshi": "tasks.templatetags.luoshi"},
    )


def _greeting(request: Any, obj: Any) -> dict[str, Any]:
    return {"greeting": f"hello {obj}", "seen_request": request is None}


def test_panels_render_in_order_with_their_context_over_the_pages(no_panels):
    registry.register_panel("page", template="late.html", context=lambda request, obj: {}, order=200)
    registry.register_panel("page", template="early.html", context=_greeting, order=10)
    registry.register_panel("other", template="other.html", context=lambda request, obj: {}, order=0)
    engine = _engine(
        page='{% load luoshi %}<main>{% panels "page" thing %}</main>',
        early="[{{ greeting }} {{ title }} {{ seen_request }}]",
        late="[late <{{ thing }}>]",
        other="[other]",
    )
    html = engine.get_template("page.html").render(Context({"thing": "<b>", "title": "T"}))
    assert html == "<main>[hello &lt;b&gt; T True][late <&lt;b&gt;>]</main>"


def test_a_page_without_panels_renders_none(no_panels):
    engine = _engine(page='{% load luoshi %}<main>{% panels "page" thing %}</main>')
    assert engine.get_template("page.html").render(Context({"thing": 1})) == "<main></main>"


def test_registering_a_template_again_replaces_it_and_unregistering_removes_it(no_panels):
    registry.register_panel("page", template="a.html", context=_greeting, order=5)
    registry.register_panel("page", template="b.html", context=_greeting, order=7)
    registry.register_panel("page", template="a.html", context=_greeting, order=9)
    assert [(panel.template, panel.order) for panel in registry.page_panels("page")] == [("b.html", 7), ("a.html", 9)]
    registry.unregister_panel("page", template="b.html")
    registry.unregister_panel("page", template="missing.html")
    assert [panel.template for panel in registry.page_panels("page")] == ["a.html"]


def test_the_higher_apps_register_their_panels_on_the_register_pages():
    # the task's light (evaluation) above its reports by round (workflow); the unit's scores and lights
    assert [panel.template for panel in registry.page_panels("task")] == [
        "evaluation/_task_light_panel.html", "workflow/_task_reports.html"]
    assert [panel.template for panel in registry.page_panels("unit")] == ["evaluation/_unit_scores_panel.html"]
    assert [panel.template for panel in registry.page_panels("home")] == [
        "evaluation/_headline_panel.html", "workflow/_next_steps.html"]
