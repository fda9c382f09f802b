"""Who may do what through the API: every endpoint × seven personas with exact status codes, 401 for the
anonymous, and the ``actions`` a report lists are exactly the actions the API then accepts.

An eighth persona, sid, deals with himself: a supervisor who also holds a reporter's role in unit B (市科技局).
Where he did nothing himself he is any supervisor (sam's column); on the stage where he filled B's part himself
(``in_review_self``) he may not review the task report (403, segregation of duties).

Nearly two hundred cases share a handful of stages, so the world is built once for the module and each stage
once per test function (the cases are listed stage by stage), each in a transaction that is rolled back when
it is no longer needed. Every case takes ``stage`` and then ``db``, so it runs in a savepoint of its own on top
of the stage, rolled back after it: what one persona writes never reaches the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from rest_framework.test import APIClient

from tests.conftest import make_persona, make_user, rolled_back_at_the_end
from tests.support import valid_report
from tests.workflow.api.conftest import PDF_BYTES, PERSONAS, Stage, build_stage, upload
from tests.workflow.conftest import PEOPLE, UNITS, World, build_world, fill_and_sign
from units.models import Membership
from workflow import services

STAGES = ("draft", "attached", "submitted", "consolidating", "lead_sign_off", "in_review", "in_review_self")

# (name, stage, method, path, body). Paths name {part} (unit A's part), {task} (the task report),
# {attachment} (a PDF on A's part), {round} and {task_id} (the plan task).
ENDPOINTS: dict[str, tuple[str, str, str, dict | None]] = {
    "report list": ("draft", "get", "/api/reports/", None),
    "part detail": ("draft", "get", "/api/reports/{part}/", None),
    "part edit": ("draft", "patch", "/api/reports/{part}/", {"narrative": "进展"}),
    "part submit": ("draft", "post", "/api/reports/{part}/submit/", valid_report()),
    "part attach": ("draft", "post", "/api/reports/{part}/attachments/", "FILE"),
    "attachment download": ("attached", "get", "/api/reports/{part}/attachments/{attachment}/", None),
    "attachment inline": ("attached", "get", "/api/reports/{part}/attachments/{attachment}/inline/", None),
    "part sign-off": ("submitted", "post", "/api/reports/{part}/sign-off/", {}),
    "part return in unit": ("submitted", "post", "/api/reports/{part}/return/", {"reason": "数据有误"}),
    "part approve": ("submitted", "post", "/api/reports/{part}/approve/", {}),
    "part return by lead": ("consolidating", "post", "/api/reports/{part}/return/", {"reason": "缺少佐证"}),
    "task detail": ("consolidating", "get", "/api/reports/{task}/", None),
    "task edit": ("consolidating", "patch", "/api/reports/{task}/", {"narrative": "汇总"}),
    "task submit": ("consolidating", "post", "/api/reports/{task}/submit/", {}),
    "task sign-off": ("consolidating", "post", "/api/reports/{task}/sign-off/", {}),
    "task lead sign-off": ("lead_sign_off", "post", "/api/reports/{task}/sign-off/", {}),
    "task lead return": ("lead_sign_off", "post", "/api/reports/{task}/return/", {"reason": "汇总需补充"}),
    "task approve": ("in_review", "post", "/api/reports/{task}/approve/", {}),
    "task return": ("in_review", "post", "/api/reports/{task}/return/", {"reason": "汇总不完整"}),
    "task return one part": ("in_review", "post", "/api/reports/{task}/return/",
                             {"reason": "发改委数据有误", "part": "{part}"}),
    "task approve, self-dealt": ("in_review_self", "post", "/api/reports/{task}/approve/", {}),
    "task return, self-dealt": ("in_review_self", "post", "/api/reports/{task}/return/", {"reason": "汇总不完整"}),
    "task return one part, self-dealt": ("in_review_self", "post", "/api/reports/{task}/return/",
                                         {"reason": "发改委数据有误", "part": "{part}"}),
    "round list": ("draft", "get", "/api/rounds/", None),
    "round detail": ("draft", "get", "/api/rounds/{round}/", None),
    "round open": ("draft", "post", "/api/rounds/", {"plan": "wf", "period": "2025-Q4", "due_date": "2026-01-10"}),
    "round close": ("draft", "post", "/api/rounds/{round}/close/", {}),
    "inbox": ("draft", "get", "/api/inbox/", None),
    "inbox counts": ("draft", "get", "/api/inbox/counts/", None),
    "task history": ("submitted", "get", "/api/tasks/{task_id}/history/", None),
    "me": ("draft", "get", "/api/me/", None),
}

# Expected status per persona, in PERSONAS order: fgw-r, kjj-r, fgw-h, jxw-r, jxw-h, sam, leo.
# A is 市发展改革委 (responsible), B 市科技局 (responsible), the lead unit 市经济信息委.
EXPECTED: dict[str, tuple[int, int, int, int, int, int, int]] = {
    "report list":          (200, 200, 200, 200, 200, 200, 200),
    # A's part: A sees it, B never does (404); the lead unit, supervisor and leader see it but may not act.
    "part detail":          (200, 404, 200, 200, 200, 200, 200),
    "part edit":            (200, 404, 403, 403, 403, 403, 403),
    "part submit":          (200, 404, 403, 403, 403, 403, 403),
    "part attach":          (201, 404, 403, 403, 403, 403, 403),
    "attachment download":  (200, 404, 200, 200, 200, 200, 200),
    "attachment inline":    (200, 404, 200, 200, 200, 200, 200),
    "part sign-off":        (403, 404, 200, 403, 403, 403, 403),
    "part return in unit":  (403, 404, 200, 403, 403, 403, 403),
    "part approve":         (403, 404, 403, 403, 403, 403, 403),
    "part return by lead":  (403, 404, 403, 200, 200, 403, 403),
    # The task report belongs to the lead unit: responsible units do not see it at all.
    "task detail":          (404, 404, 404, 200, 200, 200, 200),
    "task edit":            (404, 404, 404, 200, 200, 403, 403),
    "task submit":          (404, 404, 404, 200, 200, 403, 403),
    # The lead unit's head signs the consolidated report off once it is submitted: before that, 409.
    "task sign-off":        (404, 404, 404, 403, 409, 403, 403),
    "task lead sign-off":   (404, 404, 404, 403, 200, 403, 403),
    "task lead return":     (404, 404, 404, 403, 200, 403, 403),
    "task approve":         (404, 404, 404, 403, 403, 200, 403),
    "task return":          (404, 404, 404, 403, 403, 200, 403),
    "task return one part": (404, 404, 404, 403, 403, 200, 403),
    # sid filled unit B's part of this one: sam, who did nothing of it, reviews it (sid's codes: SELF_DEALING).
    "task approve, self-dealt":         (404, 404, 404, 403, 403, 200, 403),
    "task return, self-dealt":          (404, 404, 404, 403, 403, 200, 403),
    "task return one part, self-dealt": (404, 404, 404, 403, 403, 200, 403),
    "round list":           (200, 200, 200, 200, 200, 200, 200),
    "round detail":         (200, 200, 200, 200, 200, 200, 200),
    "round open":           (403, 403, 403, 403, 403, 202, 403),
    "round close":          (403, 403, 403, 403, 403, 200, 403),
    "inbox":                (200, 200, 200, 200, 200, 200, 200),
    "inbox counts":         (200, 200, 200, 200, 200, 200, 200),
    "task history":         (200, 200, 200, 200, 200, 200, 200),
    "me":                   (200, 200, 200, 200, 200, 200, 200),
}

# sid's status codes: a supervisor's (sam's) on every endpoint, but a review of what he had a hand in.
SELF_DEALING: dict[str, int] = {
    **{endpoint: codes[PERSONAS.index("sam")] for endpoint, codes in EXPECTED.items()},
    "task approve, self-dealt": 403,
    "task return, self-dealt": 403,
    "task return one part, self-dealt": 403,
}
ALL_PERSONAS = (*PERSONAS, "sid")


def expected_code(endpoint: str, persona: str) -> int:
    return SELF_DEALING[endpoint] if persona == "sid" else EXPECTED[endpoint][PERSONAS.index(persona)]


def build_any_stage(world: World, name: str) -> Stage:
    """``build_stage``, and ``in_review_self``: in review, unit B's part filled and submitted by sid (signed off by
    B's head), A's and the consolidation by their own people."""
    if name != "in_review_self":
        return build_stage(world, name)
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    part_b = world.part(round_, UNITS["kjj"])
    services.report_submit(actor=world["sid"], report_id=part_b.pk,
                           content=services.report_content({"narrative": "sid 代填", "percent_complete": "50"}))
    services.report_sign_off(actor=world["kjj-h"], report_id=part_b.pk)
    services.report_submit(actor=world["jxw-r"], report_id=world.task_report(round_).pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=world.task_report(round_).pk)
    return Stage(round=round_, part=world.part(round_, UNITS["fgw"]), task=world.task_report(round_))


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The world of tests/workflow/conftest.py, built once for this module (it overrides the function-scoped one);
    uploads go to a temporary MEDIA_ROOT of the module."""
    with (override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
          rolled_back_at_the_end(django_db_blocker)):
        with django_db_blocker.unblock():
            people = {key: make_persona(persona) for key, persona in PEOPLE.items()}
            people["sid"] = make_user("sid", ("市政府办公厅", Membership.Role.SUPERVISOR),
                                      (UNITS["kjj"], Membership.Role.REPORTER))
            built = build_world(people)
        yield built


class Stages:
    """The module's world at one stage at a time, kept in a savepoint: asking for another stage rolls the current
    one back and builds the next with the services."""

    def __init__(self, world: World, django_db_blocker: Any) -> None:
        self.world, self.blocker = world, django_db_blocker
        self.name: str | None = None
        self.built: Stage | None = None
        self.depth = len(connection.atomic_blocks)  # the world's transaction
        self._kept = ExitStack()

    def at(self, name: str) -> Stage:
        # The stage lies beneath the case's own savepoint, which must not be open yet.
        ours = self.depth + (1 if self.name else 0)
        assert len(connection.atomic_blocks) == ours, (
            "the stage must be set up before the case's transaction: take `stage` before any fixture using `db`")
        if name != self.name:
            self.close()
            self._kept.enter_context(rolled_back_at_the_end(self.blocker))
            try:
                with self.blocker.unblock():
                    self.built = build_any_stage(self.world, name)
            except BaseException:
                self.close()
                raise
            self.name = name
        assert self.built is not None
        return self.built

    def close(self) -> None:
        self._kept.close()
        self.name = self.built = None


@pytest.fixture(scope="module")
def stages(world: World, django_db_blocker: Any) -> Iterator[Stages]:
    kept = Stages(world, django_db_blocker)
    yield kept
    kept.close()


@pytest.fixture
def stage(request: pytest.FixtureRequest, stages: Stages) -> Stage:
    """The world at the stage the test names (an indirect parameter). Tests take ``stage`` first and ``db`` right
    after it, so the case's savepoint opens on top of the stage; they list their cases stage by stage, so a stage
    is built once for a run of cases."""
    return stages.at(request.param)


def by_stage(cases: list[Any]) -> list[Any]:
    """Cases ``pytest.param(stage, ...)`` in the order of STAGES, so consecutive cases share their stage."""
    return sorted(cases, key=lambda case: STAGES.index(case.values[0]))


def _call(client: APIClient, stage: Stage, endpoint: str) -> Any:
    _, method, path, body = ENDPOINTS[endpoint]
    ids = stage.ids()
    url = path.format(**ids)
    if body == "FILE":
        return client.post(url, {"file": upload("证据.pdf", PDF_BYTES)}, format="multipart")
    if isinstance(body, dict):
        body = {key: int(value.format(**ids)) if value == "{part}" else value for key, value in body.items()}
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


def test_the_matrix_covers_every_routed_endpoint() -> None:
    from workflow.api.urls import urlpatterns

    routed = {str(pattern.pattern) for pattern in urlpatterns}
    listed = {path.removeprefix("/api/").replace("{part}", "<id:pk>").replace("{task}", "<id:pk>")
              .replace("{round}", "<id:pk>").replace("{task_id}", "<id:pk>")
              .replace("{attachment}", "<id:attachment_id>") for _, _, path, _ in ENDPOINTS.values()}
    assert listed == routed
    assert set(EXPECTED) == set(ENDPOINTS)


@pytest.mark.parametrize(
    ("stage", "endpoint", "persona", "expected"),
    by_stage([pytest.param(ENDPOINTS[endpoint][0], endpoint, persona, expected_code(endpoint, persona),
                           id=f"{endpoint}-{persona}-{expected_code(endpoint, persona)}")
              for endpoint in EXPECTED for persona in ALL_PERSONAS]),
    indirect=["stage"],
)
def test_each_persona_gets_exactly_its_status_code(stage, db, client_of, endpoint, persona, expected):
    response = _call(client_of(persona), stage, endpoint)
    assert response.status_code == expected, response.content[:300]
    if persona == "sid" and endpoint.endswith("self-dealt"):
        assert response.json()["code"] == "conflict_of_duty"


@pytest.mark.parametrize(
    ("stage", "endpoint"),
    by_stage([pytest.param(stage_name, endpoint, id=endpoint) for endpoint, (stage_name, *_) in ENDPOINTS.items()]),
    indirect=["stage"],
)
def test_anonymous_is_told_to_authenticate(stage, db, endpoint):
    response = _call(APIClient(), stage, endpoint)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("stage", ["submitted"], indirect=True)
def test_a_unit_that_has_nothing_to_do_with_the_task_reads_only_the_registers_changes(stage, db, world, oscar,
                                                                                    client_of):
    from tasks.models import AuditEvent

    AuditEvent.objects.create(action="task.update", object_type="plantask", object_id=str(world.task.pk),
                              plan=world.plan, task=world.task)
    outsider = APIClient()
    outsider.force_login(oscar)
    history = outsider.get(f"/api/tasks/{world.task.pk}/history/").json()
    assert [event["action"] for event in history["results"]] == ["task.update"]  # as on the task page
    assert client_of("sam").get("/api/tasks/999999/history/").status_code == 404


# --- the actions a report lists are exactly those the API accepts ----------------------------------

TRIALS = {
    "edit": ("patch", "/api/reports/{id}/", {}),
    "submit": ("post", "/api/reports/{id}/submit/", valid_report()),
    "sign_off": ("post", "/api/reports/{id}/sign-off/", {}),
    "return": ("post", "/api/reports/{id}/return/", {"reason": "请补充"}),
    "approve": ("post", "/api/reports/{id}/approve/", {}),
}


def sees(persona: str, which: str) -> bool:
    """The visibility rule for the world's reports: a unit sees its own parts (``part`` is unit A's, 市发展改革委),
    the lead unit (市经济信息委, jxw) every part and its task report, supervisors and leaders everything."""
    if persona in ("sam", "leo", "sid"):
        return True
    unit = persona.split("-")[0]
    return unit == "jxw" or (which == "part" and unit == "fgw")


def test_the_visibility_rule_agrees_with_the_matrix() -> None:
    for which in ("part", "task"):
        assert [sees(persona, which) for persona in ALL_PERSONAS] == [
            expected_code(f"{which} detail", persona) == 200 for persona in ALL_PERSONAS]


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize(("stage", "which"), [
    ("draft", "part"), ("submitted", "part"), ("consolidating", "part"), ("consolidating", "task"),
    ("lead_sign_off", "part"), ("lead_sign_off", "task"), ("in_review", "part"), ("in_review", "task"),
    ("in_review_self", "task"),
], indirect=["stage"])
def test_listed_actions_are_exactly_the_accepted_ones(stage, db, client_of, which, persona):
    report_id = stage.ids()[which]
    client = client_of(persona)
    response = client.get(f"/api/reports/{report_id}/")
    if sees(persona, which):
        assert response.status_code == 200, response.content[:300]
        listed, outcomes = response.json()["actions"], (200, 403, 409)
    else:
        # Not theirs to see: a 404 for the report and for every action on it.
        assert response.status_code == 404, response.content[:300]
        listed, outcomes = [], (404,)
    accepted = []
    for action, (method, path, body) in TRIALS.items():
        # Try each action and roll it back, so every trial starts from the same stage.
        with transaction.atomic():
            tried = getattr(client, method)(path.format(id=report_id), body, format="json")
            transaction.set_rollback(True)
        assert tried.status_code in outcomes, (action, tried.content[:300])
        if tried.status_code == 200:
            accepted.append(action)
    assert listed == accepted
