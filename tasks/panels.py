"""Panels that higher apps add to the register's pages, so that ``tasks`` shows their sections without importing them.

An app above ``tasks`` (``workflow``, later ``evaluation`` or ``notifications``) registers a panel for a page in its
``AppConfig.ready()``: a template of its own and a function that builds that template's context from the request
and the page's object. The page places ``{% panels "task" task %}`` (library ``luoshi``) where the panels go; each
panel renders there in ``order``, seeing the page's context plus its own. Registration happens once per process,
at start-up; reading the registry takes no lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

PanelContext = Callable[[HttpRequest | None, Any], dict[str, Any]]


@dataclass(frozen=True)
class Panel:
    page: str
    template: str
    context: PanelContext
    order: int


_PANELS: dict[str, dict[str, Panel]] = {}


def register_panel(page: str, *, template: str, context: PanelContext, order: int = 100) -> Panel:
    """Add a panel to ``page`` ("task", …): ``template`` rendered with ``context(request, obj)`` on top of the
    page's context; panels of one page render by ``order``, then by registration. Idempotent: registering the
    same template for the same page again replaces the earlier registration. The context function must do its
    own scoping with ``request.user`` (``request`` is None when a page is rendered outside a request) and should
    cost the page a fixed number of queries."""
    panel = Panel(page=page, template=template, context=context, order=order)
    _PANELS.setdefault(page, {})[template] = panel
    return panel


def unregister_panel(page: str, *, template: str) -> None:
    """Remove a panel (tests that register their own); unknown panels are ignored."""
    _PANELS.get(page, {}).pop(template, None)


def page_panels(page: str) -> tuple[Panel, ...]:
    """The panels of a page in the order they render."""
    panels = list(_PANELS.get(page, {}).values())
    return tuple(sorted(panels, key=lambda panel: panel.order))
