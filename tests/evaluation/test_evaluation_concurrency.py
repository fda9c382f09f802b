"""Two people acting on one 赛马比拼 round at the same moment, on PostgreSQL with real row locks (the harness of
tests/workflow/test_concurrency.py: threads with their own connections, released together, on committed data).

Each race must end with one winner, one 409 (``Conflict``), one audit event, and a process that is neither stuck
nor doubled: exactly the open task the evaluation's status says.
"""

from __future__ import annotations

from datetime import date

import pytest
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import STATUS

from evaluation import services
from evaluation.models import Evaluation
from tasks.errors import Conflict
from tasks.models import AuditEvent
from tests.conftest import make_user
from tests.workflow.conftest import World
from tests.workflow.test_concurrency import at_once, require_postgresql
from units.models import Membership

ACTIVE = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
START_DAY, SUBMIT_DAY = date(2025, 10, 20), date(2025, 10, 28)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_and_committed_units(request: pytest.FixtureRequest) -> None:
    require_postgresql()
    request.getfixturevalue("committed_units")


def started(world: World) -> Evaluation:
    """2025-Q3's evaluation, started and computed (the job runs eagerly on commit in the tests)."""
    evaluation = services.evaluation_start(actor=world["sam"], plan_id=world.plan.pk, period="2025-Q3",
                                           today=START_DAY)  # fmt: skip
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.ADJUSTING
    return evaluation


def awaiting_approval(world: World) -> Evaluation:
    evaluation = started(world)
    services.evaluation_open_appeals(actor=world["sam"], evaluation_id=evaluation.pk, version=None, today=START_DAY)
    return services.evaluation_submit(actor=world["sam"], evaluation_id=evaluation.pk, version=None, today=SUBMIT_DAY)


def open_steps(evaluation: Evaluation) -> list[str]:
    return [task.flow_task.name for task in FlowTask.objects.filter(process_id=evaluation.process_id,
                                                                    status__in=ACTIVE)]  # fmt: skip


def outcomes(results: list) -> list[str]:
    return sorted("409" if isinstance(result, Conflict) else type(result).__name__ for result in results)


def test_two_supervisors_publishing_at_once_make_one_publication(
        transactional_db: None, world: World, approved_quarter) -> None:  # fmt: skip
    sue = make_user("sue", ("市政府办公厅", Membership.Role.SUPERVISOR))
    evaluation = awaiting_approval(world)
    services.evaluation_approve(actor=world["leo"], evaluation_id=evaluation.pk, version=None)
    results = at_once(
        lambda: services.evaluation_publish(actor=world["sam"], evaluation_id=evaluation.pk, version=None),
        lambda: services.evaluation_publish(actor=sue, evaluation_id=evaluation.pk, version=None),
    )
    assert outcomes(results) == ["409", "Evaluation"]
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.PUBLISHED and open_steps(evaluation) == []
    assert AuditEvent.objects.filter(action="evaluation.publish").count() == 1
    assert FlowTask.objects.filter(process_id=evaluation.process_id, flow_task__endswith=".end").count() == 1
    assert Evaluation.objects.filter(plan=world.plan, period="2025-Q3").count() == 1


def test_two_starts_of_one_period_at_once_make_one_evaluation_and_one_process(
        transactional_db: None, world: World, approved_quarter) -> None:  # fmt: skip
    sue = make_user("sue", ("市政府办公厅", Membership.Role.SUPERVISOR))
    results = at_once(*(
        lambda who=who: services.evaluation_start(actor=who, plan_id=world.plan.pk, period="2025-Q3", today=START_DAY)
        for who in (world["sam"], sue)
    ))  # fmt: skip
    assert outcomes(results) == ["409", "Evaluation"]
    [evaluation] = Evaluation.objects.filter(plan=world.plan, period="2025-Q3")
    assert evaluation.status == Evaluation.Status.ADJUSTING and open_steps(evaluation) == ["adjust"]
    processes = FlowTask.objects.filter(process__flow_class__endswith="EvaluationFlow").values("process").distinct()
    assert processes.count() == 1


def test_a_leader_approving_while_another_returns_leaves_one_decision_and_the_flow_where_it_says(
        transactional_db: None, world: World, approved_quarter) -> None:  # fmt: skip
    lea = make_user("lea", ("市政府办公厅", Membership.Role.LEADER))
    evaluation = awaiting_approval(world)
    results = at_once(
        lambda: services.evaluation_approve(actor=world["leo"], evaluation_id=evaluation.pk, version=None),
        lambda: services.evaluation_return(actor=lea, evaluation_id=evaluation.pk, version=None, reason="再核"),
    )
    assert outcomes(results) == ["409", "Evaluation"]
    evaluation.refresh_from_db()
    expected = {Evaluation.Status.APPROVED: ["publish"], Evaluation.Status.ADJUSTING: ["adjust"]}
    assert open_steps(evaluation) == expected[evaluation.status]
    decisions = AuditEvent.objects.filter(action__in=("evaluation.approve", "evaluation.return"))
    assert decisions.count() == 1
