"""Who may do what through the API: every endpoint × six personas with exact status codes, 401 for the
anonymous, and the ``actions`` a report lists are exactly the actions the API then accepts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.workflow.api.conftest import PDF_BYTES, PERSONAS, build_stage, upload
from tests.workflow.conftest import World

# (name, stage, method, path, body). Paths name {part} (unit A's part), {task} (the task report),
# {attachment} (a PDF on A's part), {round} and {task_id} (the plan task).
ENDPOINTS: dict[str, tuple[str, str, str, dict | None]] = {
    "report list": ("draft", "get", "/api/reports/", None),
    "part detail": ("draft", "get", "/api/reports/{part}/", None),
    "part edit": ("draft", "patch", "/api/reports/{part}/", {"narrative": "进展"}),
    "part submit": ("draft", "post", "/api/reports/{part}/submit/", {}),
    "part attach": ("draft", "post", "/api/reports/{part}/attachments/", "FILE"),
    "attachment download": ("attached", "get", "/api/reports/{part}/attachments/{attachment}/", None),
    "part sign-off": ("submitted", "post", "/api/reports/{part}/sign-off/", {}),
    "part return in unit": ("submitted", "post", "/api/reports/{part}/return/", {"reason": "数据有误"}),
    "part approve": ("submitted", "post", "/api/reports/{part}/approve/", {}),
    "part return by lead": ("consolidating", "post", "/api/reports/{part}/return/", {"reason": "缺少佐证"}),
    "task detail": ("consolidating", "get", "/api/reports/{task}/", None),
    "task edit": ("consolidating", "patch", "/api/reports/{task}/", {"narrative": "汇总"}),
    "task submit": ("consolidating", "post", "/api/reports/{task}/submit/", {}),
    "task sign-off": ("consolidating", "post", "/api/reports/{task}/sign-off/", {}),
    "task approve": ("in_review", "post", "/api/reports/{task}/approve/", {}),
    "task return": ("in_review", "post", "/api/reports/{task}/return/", {"reason": "汇总不完整"}),
    "task return one part": ("in_review", "post", "/api/reports/{task}/return/",
                             {"reason": "发改委数据有误", "part": "{part}"}),
    "round list": ("draft", "get", "/api/rounds/", None),
    "round detail": ("draft", "get", "/api/rounds/{round}/", None),
    "round open": ("draft", "post", "/api/rounds/", {"plan": "wf", "period": "2025-Q4", "due_date": "2026-01-10"}),
    "inbox": ("draft", "get", "/api/inbox/", None),
    "inbox counts": ("draft", "get", "/api/inbox/counts/", None),
    "task history": ("submitted", "get", "/api/tasks/{task_id}/history/", None),
}

# Expected status per persona, in PERSONAS order: fgw-r, kjj-r, fgw-h, jxw-r, sam, leo.
# A is 市发展改革委 (responsible), B 市科技局 (responsible), the lead unit 市经济信息委.
EXPECTED: dict[str, tuple[int, int, int, int, int, int]] = {
    "report list":          (200, 200, 200, 200, 200, 200),
    # A's part: A sees it, B never does (404); the lead unit, supervisor and leader see it but may not act.
    "part detail":          (200, 404, 200, 200, 200, 200),
    "part edit":            (200, 404, 403, 403, 403, 403),
    "part submit":          (200, 404, 403, 403, 403, 403),
    "part attach":          (201, 404, 403, 403, 403, 403),
    "attachment download":  (200, 404, 200, 200, 200, 200),
    "part sign-off":        (403, 404, 200, 403, 403, 403),
    "part return in unit":  (403, 404, 200, 403, 403, 403),
    "part approve":         (403, 404, 403, 403, 403, 403),
    "part return by lead":  (403, 404, 403, 200, 403, 403),
    # The task report belongs to the lead unit: responsible units do not see it at all.
    "task detail":          (404, 404, 404, 200, 200, 200),
    "task edit":            (404, 404, 404, 200, 403, 403),
    "task submit":          (404, 404, 404, 200, 403, 403),
    "task sign-off":        (404, 404, 404, 403, 403, 403),
    "task approve":         (404, 404, 404, 403, 200, 403),
    "task return":          (404, 404, 404, 403, 200, 403),
    "task return one part": (404, 404, 404, 403, 200, 403),
    "round list":           (200, 200, 200, 200, 200, 200),
    "round detail":         (200, 200, 200, 200, 200, 200),
    "round open":           (403, 403, 403, 403, 202, 403),
    "inbox":                (200, 200, 200, 200, 200, 200),
    "inbox counts":         (200, 200, 200, 200, 200, 200),
    "task history":         (200, 200, 200, 200, 200, 200),
}


def _call(client: APIClient, world: World, endpoint: str) -> Any:
    stage_name, method, path, body = ENDPOINTS[endpoint]
    ids = build_stage(world, stage_name).ids()
    url = path.format(**ids)
    if body == "FILE":
        return client.post(url, {"file": upload("证据.pdf", PDF_BYTES)}, format="multipart")
    if isinstance(body, dict):
        body = {key: int(value.format(**ids)) if value == "{part}" else value for key, value in body.items()}
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


def test_the_matrix_covers_every_routed_endpoint() -> None:
    from workflow.api.urls import urlpatterns

    routed = {str(pattern.pattern) for pattern in urlpatterns}
    listed = {path.removeprefix("/api/").replace("{part}", "<int:pk>").replace("{task}", "<int:pk>")
              .replace("{round}", "<int:pk>").replace("{task_id}", "<int:pk>")
              .replace("{attachment}", "<int:attachment_id>") for _, _, path, _ in ENDPOINTS.values()}
    assert listed == routed
    assert set(EXPECTED) == set(ENDPOINTS)


@pytest.mark.parametrize(
    ("endpoint", "persona", "expected"),
    [(endpoint, persona, codes[n]) for endpoint, codes in EXPECTED.items() for n, persona in enumerate(PERSONAS)],
)
def test_each_persona_gets_exactly_its_status_code(world, client_of, media_root, endpoint, persona, expected):
    response = _call(client_of(persona), world, endpoint)
    assert response.status_code == expected, response.content[:300]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_anonymous_is_told_to_authenticate(world, media_root, endpoint):
    response = _call(APIClient(), world, endpoint)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_unit_that_has_nothing_to_do_with_the_task_sees_no_history(world, client_of, oscar):
    build_stage(world, "submitted")
    outsider = APIClient()
    outsider.force_login(oscar)
    assert outsider.get(f"/api/tasks/{world.task.pk}/history/").status_code == 404
    assert client_of("sam").get("/api/tasks/999999/history/").status_code == 404


# --- the actions a report lists are exactly those the API accepts ----------------------------------

TRIALS = {
    "edit": ("patch", "/api/reports/{id}/", {}),
    "submit": ("post", "/api/reports/{id}/submit/", {}),
    "sign_off": ("post", "/api/reports/{id}/sign-off/", {}),
    "return": ("post", "/api/reports/{id}/return/", {"reason": "请补充"}),
    "approve": ("post", "/api/reports/{id}/approve/", {}),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("stage", "which"), [
    ("draft", "part"), ("submitted", "part"), ("consolidating", "part"), ("consolidating", "task"),
    ("in_review", "part"), ("in_review", "task"),
])
def test_listed_actions_are_exactly_the_accepted_ones(world, client_of, stage, which, persona):
    report_id = build_stage(world, stage).ids()[which]
    client = client_of(persona)
    response = client.get(f"/api/reports/{report_id}/")
    if response.status_code == 404:
        return
    listed = response.json()["actions"]
    accepted = []
    for action, (method, path, body) in TRIALS.items():
        # Try each action and roll it back, so every trial starts from the same stage.
        with transaction.atomic():
            tried = getattr(client, method)(path.format(id=report_id), body, format="json")
            transaction.set_rollback(True)
        assert tried.status_code in (200, 403, 409), (action, tried.content[:300])
        if tried.status_code == 200:
            accepted.append(action)
    assert listed == accepted
