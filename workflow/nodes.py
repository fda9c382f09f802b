"""What the flow's nodes need besides viewflow's own: the view every human node names, and a human step that
decides where the process goes next (``DecisionView``).

Viewflow's View node wants a view; we never mount viewflow's UI (our services drive the flow headless and our
pages read the reports), so that view only sends a stray visitor to the inbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.base import Edge
from viewflow.workflow.nodes.view import View, ViewActivation
from viewflow.workflow.status import STATUS


def step_page(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Viewflow's node view slot: any visit goes to our inbox, where the report's own page is linked."""
    return redirect("inbox")


class DecisionViewActivation(ViewActivation):
    """Completing the step creates the first case's node whose condition holds, else the default next node."""

    @Activation.status.transition(source=STATUS.DONE)
    def create_next(self) -> Iterator[Activation]:
        for node, condition in self.flow_task._cases:
            if condition(self):
                yield node._create(self, self.task.token)
                return
        yield self.flow_task._next._create(self, self.task.token)


class DecisionView(View):
    """A human step that decides where the process goes next, without a gateway task of its own.

    ``DecisionView(view).Next(default).Case(node, condition)`` — like ``View(view).Next(switch)`` with a
    ``Switch().Case(node, condition).Default(default)`` behind it, minus the Switch's task row, its link, its
    savepoint and its update on every pass. Conditions must be cheap and must not fail: ours read the report's
    new status, which the service that completes the step put on the process.
    """

    activation_class = DecisionViewActivation

    def __init__(self, view: Any, **kwargs: Any) -> None:
        super().__init__(view, **kwargs)
        self._cases: list[tuple[Any, Callable[[Activation], bool]]] = []

    def Case(self, node: Any, condition: Callable[[Activation], bool]) -> DecisionView:
        self._cases.append((node, condition))
        return self

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._cases = [(this.resolve(instance, node), this.resolve(instance, condition))
                       for node, condition in self._cases]

    def _outgoing(self) -> Iterator[Edge]:
        yield from super()._outgoing()
        for node, _condition in self._cases:
            yield Edge(src=self, dst=node, edge_class="cond_true")
