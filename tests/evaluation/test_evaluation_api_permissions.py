"""The evaluation API's permission matrix: every routed endpoint × anonymous and the personas, and a check that the
matrix lists every route of evaluation/api/urls.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from evaluation.api.urls import urlpatterns
from tests.conftest import make_persona
from tests.factories import make_milestone, make_plan, make_task

pytestmark = pytest.mark.django_db

# name: (method, path, body)
ENDPOINTS = {
    "rule-sets": ("get", "/api/rule-sets/", None),
    "rule-set": ("get", "/api/rule-sets/{rule_set}/", None),
    "light": ("get", "/api/tasks/{task}/light/", None),
    "light-override": ("post", "/api/tasks/{task}/light-override/", {"colour": "orange", "reason": "已约谈"}),
}
PERSONAS = ("anonymous", "alice", "carol", "bob", "oscar", "leo", "sam")
READ = dict.fromkeys(PERSONAS, 200) | {"anonymous": 401}
EXPECTED = {
    "rule-sets": READ,
    "rule-set": READ,
    "light": READ,
    "light-override": dict.fromkeys(PERSONAS, 403) | {"anonymous": 401, "sam": 201},
}


def test_the_matrix_covers_every_routed_endpoint():
    routed = {str(pattern.pattern) for pattern in urlpatterns}
    listed = {
        "^" + path.removeprefix("/api/").replace("{rule_set}", "(?P<pk>[^/.]+)") + "$"
        if "{rule_set}" in path or path == "/api/rule-sets/"
        else path.removeprefix("/api/").replace("{task}", "<int:pk>")
        for _method, path, _body in ENDPOINTS.values()
    }
    assert listed == routed
    assert set(EXPECTED) == set(ENDPOINTS)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_call_what(endpoint, persona):
    from evaluation.models import RuleSet

    rule_set = RuleSet.objects.create(code="m", name="矩阵", effective_from="2024-Q2")
    task = make_task(make_plan("cq"), "1", title="逾期任务")
    make_milestone(task, "a", task.plan.start_date)  # long overdue: red, so orange is one level
    client = APIClient()
    if persona != "anonymous":
        client.force_authenticate(make_persona(persona))
    method, path, body = ENDPOINTS[endpoint]
    response = getattr(client, method)(path.format(rule_set=rule_set.pk, task=task.pk), body, format="json")
    assert response.status_code == EXPECTED[endpoint][persona], response.content
