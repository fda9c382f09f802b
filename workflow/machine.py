"""The report's state machine on the engine (``viewflow.fsm``), declared from the lifecycle table.

``tasks.lifecycle.TABLE`` says, for each (kind, status), where every action leads; this module turns each action
and system move of that table into an fsm transition of ``ReportMachine``, so the engine refuses a move the table
does not have (``viewflow.fsm.TransitionNotAllowed``, which the services answer with 409). Parts live only here:
their fill → submit → sign-off → return cycle is status changes under the part's row lock. The task report's
steps are, in addition, viewflow tasks of ``workflow.flows.ReportFlow``.

Who may move is not checked here (``tasks.policy`` decides, in the services); this only knows what may follow
what. Only the open-source core of ``viewflow.fsm`` (``State``) is used.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from viewflow.fsm import State

from tasks import lifecycle
from tasks.lifecycle import Status
from tasks.models import Report


class ReportMachine:
    """Wraps one report; ``machine.submit()`` (and every other move of the table) sets ``report.status``.

    The caller holds the report's row lock and saves the report (``workflow.services.transitions.apply``).
    """

    state = State(Status, default=Status.DRAFT)

    def __init__(self, report: Report, *, lead_sign_off: bool = True) -> None:
        self.report = report
        self.lead_sign_off = lead_sign_off

    @state.getter()
    def _get_state(self) -> str:
        return self.report.status

    @state.setter()
    def _set_state(self, value: str) -> None:
        self.report.status = value

    def move(self, name: str) -> str:
        """Make the move ``name`` (an action or a system move of the table); returns the new status."""
        getattr(self, name)()
        return self.report.status


def _target(name: str) -> Any:
    def resolve(machine: ReportMachine, *args: Any, **kwargs: Any) -> str | None:
        return lifecycle.next_status(machine.report.kind, machine.report.status, name,
                                     lead_sign_off=machine.lead_sign_off)

    return resolve


def _declare() -> None:
    """One fsm transition per (source status, move) of the table."""
    sources: dict[str, list[str]] = defaultdict(list)
    targets: dict[str, set[str]] = defaultdict(set)
    for (_kind, status), stage in lifecycle.TABLE.items():
        for name, target in stage.moves.items():
            sources[str(name)].append(status)
            targets[str(name)].add(target)
            if target == Status.LEAD_SIGN_OFF:
                targets[str(name)].add(Status.IN_REVIEW)  # when the plan turns the lead head's sign-off off
    for name, statuses in sources.items():
        def move(self: ReportMachine) -> None:
            """The status is set by the transition itself; nothing else happens here."""

        move.__name__ = name
        transition = ReportMachine.state.transition(
            source=statuses, target=State.GET_STATE(_target(name), states=sorted(targets[name])))
        setattr(ReportMachine, name, transition(move))


_declare()
