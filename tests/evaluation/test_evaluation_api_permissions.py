"""The evaluation API's permission matrix: every routed endpoint × anonymous and the personas, and a check that the
matrix lists every route of evaluation/api/urls.py."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from evaluation.api.urls import urlpatterns
from evaluation.models import Appeal, Evaluation, RuleSet, UnitResult
from tests.conftest import R, make_persona, make_user
from tests.factories import make_milestone, make_plan, make_task
from units.models import Unit

pytestmark = pytest.mark.django_db

# name: (method, path, body)
ENDPOINTS = {
    "rule-sets": ("get", "/api/rule-sets/", None),
    "rule-set": ("get", "/api/rule-sets/{rule_set}/", None),
    "light": ("get", "/api/tasks/{task}/light/", None),
    "light-override": ("post", "/api/tasks/{task}/light-override/", {"colour": "orange", "reason": "已约谈"}),
    "evaluations": ("get", "/api/evaluations/", None),
    "evaluation-start": ("post", "/api/evaluations/", {"plan": "{plan}", "period": "2024-Q4"}),
    "evaluation": ("get", "/api/evaluations/{evaluation}/", None),
    "ranking": ("get", "/api/evaluations/{evaluation}/ranking/", None),
    "ranking-xlsx": ("get", "/api/evaluations/{evaluation}/ranking.xlsx", None),
    "breakdown": ("get", "/api/evaluations/{evaluation}/units/{unit}/", None),
    "adjust": ("post", "/api/evaluations/{evaluation}/adjustments/",
               {"unit": "{unit}", "code": "model_case", "count": 1, "evidence": "市政府通报", "reason": "推广"}),
    "rate": ("post", "/api/evaluations/{evaluation}/rubric/", {"unit": "{unit}", "scores": [4, 5], "comment": "好"}),
    "appeals": ("get", "/api/evaluations/{evaluation}/appeals/", None),
    "appeal": ("post", "/api/evaluations/{evaluation}/appeals/", {"unit": "{unit}", "category": "data", "reason": "x"}),
    "resolve": ("post", "/api/appeals/{appeal}/resolve/", {"upheld": False, "reply": "维持"}),
    "open-appeals": ("post", "/api/evaluations/{evaluation}/open-appeals/", {}),
    "submit": ("post", "/api/evaluations/{evaluation}/submit/", {}),
    "approve": ("post", "/api/evaluations/{evaluation}/approve/", {}),
    "return": ("post", "/api/evaluations/{evaluation}/return/", {"reason": "再核实"}),
    "publish": ("post", "/api/evaluations/{evaluation}/publish/", {}),
}  # fmt: skip
PERSONAS = ("anonymous", "alice", "carol", "bob", "oscar", "leo", "sam")
READ = dict.fromkeys(PERSONAS, 200) | {"anonymous": 401}
EXPECTED = {
    "rule-sets": READ,
    "rule-set": READ,
    "light": READ,
    "light-override": dict.fromkeys(PERSONAS, 403) | {"anonymous": 401, "sam": 201},
    "evaluations": READ,
    "evaluation-start": dict.fromkeys(PERSONAS, 403) | {"anonymous": 401, "sam": 202},
    # a draft (adjusting): supervisors and leaders only; for anyone else it is not there
    "evaluation": dict.fromkeys(PERSONAS, 404) | {"anonymous": 401, "sam": 200, "leo": 200},
    "ranking": dict.fromkeys(PERSONAS, 404) | {"anonymous": 401, "sam": 200, "leo": 200},
    "ranking-xlsx": dict.fromkeys(PERSONAS, 404) | {"anonymous": 401, "sam": 200, "leo": 200},
    "breakdown": dict.fromkeys(PERSONAS, 404) | {"anonymous": 401, "sam": 200, "leo": 200},
}
UNSEEN = dict.fromkeys(PERSONAS, 404) | {"anonymous": 401}  # a draft is not there for units
EXPECTED |= {
    "adjust": UNSEEN | {"sam": 201, "leo": 403},
    "rate": UNSEEN | {"sam": 201, "leo": 403},
    "appeals": UNSEEN | {"sam": 200, "leo": 200},
    "appeal": UNSEEN | {"sam": 409, "leo": 409},  # not in the appeal window
    "resolve": dict.fromkeys(PERSONAS, 403) | {"anonymous": 401, "sam": 409},
    "open-appeals": UNSEEN | {"sam": 200, "leo": 403},
    "submit": UNSEEN | {"sam": 409, "leo": 403},
    "approve": UNSEEN | {"sam": 403, "leo": 409},
    "return": UNSEEN | {"sam": 403, "leo": 409},
    "publish": UNSEEN | {"sam": 409, "leo": 403},
}
STEPS_WHEN_PUBLISHED = {
    "adjust": "sam", "rate": "sam", "resolve": "sam", "open-appeals": "sam", "submit": "sam", "approve": "leo",
    "return": "leo", "publish": "sam",
}  # fmt: skip
# Published, everyone reads the ranking, and each unit its own breakdown (alice and carol are 市经济信息委's).
PUBLISHED = EXPECTED | {
    "evaluation": READ,
    "ranking": READ,
    "ranking-xlsx": READ,
    "breakdown": dict.fromkeys(PERSONAS, 404) | {"anonymous": 401, "sam": 200, "leo": 200, "alice": 200, "carol": 200},
    "appeals": READ,
    "appeal": dict.fromkeys(PERSONAS, 409) | {"anonymous": 401},  # the window is over
    # every step: 409 for the one whose step it would be (the result is frozen), 403 for everyone else
    **{step: dict.fromkeys(PERSONAS, 403) | {"anonymous": 401, who: 409} for step, who in STEPS_WHEN_PUBLISHED.items()},
}


def test_the_matrix_covers_every_routed_endpoint():
    routed = {str(pattern.pattern) for pattern in urlpatterns}
    router = {"/api/rule-sets/", "/api/rule-sets/{rule_set}/", "/api/evaluations/", "/api/evaluations/{evaluation}/"}
    listed = {
        "^"
        + path.removeprefix("/api/").replace("{rule_set}", "(?P<pk>[^/.]+)").replace("{evaluation}", "(?P<pk>[^/.]+)")
        + "$"
        if path in router
        else path.removeprefix("/api/")
        .replace("{task}", "<id:pk>")
        .replace("{evaluation}", "<id:pk>")
        .replace("{unit}", "<id:unit_id>")
        .replace("{appeal}", "<id:pk>")
        for _method, path, _body in ENDPOINTS.values()
    }
    assert listed == routed
    assert set(EXPECTED) == set(ENDPOINTS) == set(PUBLISHED)


@pytest.mark.parametrize("published", [False, True], ids=["draft", "published"])
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_call_what(endpoint, persona, published):
    rule_set = RuleSet.objects.create(code="m", name="矩阵", effective_from="2024-Q2")
    plan = make_plan("cq")
    task = make_task(plan, "1", title="逾期任务")
    make_milestone(task, "a", plan.start_date)  # long overdue: red, so orange is one level
    status = Evaluation.Status.PUBLISHED if published else Evaluation.Status.ADJUSTING
    evaluation = Evaluation.objects.create(plan=plan, period="2024-Q3", period_start=date(2024, 7, 1),
                                           period_end=date(2024, 9, 30), as_of=date(2024, 10, 10), rule_set=rule_set,
                                           status=status)  # fmt: skip
    jxw = Unit.objects.get(short_name="市经济信息委")
    UnitResult.objects.create(evaluation=evaluation, unit=jxw, track=jxw.track, score=80, rank=1, colour="green")
    appellant = make_user("appellant", ("市经济信息委", R))
    appeal = Appeal.objects.create(evaluation=evaluation, unit=jxw, category="data", reason="数据有误", by=appellant)
    client = APIClient()
    if persona != "anonymous":
        client.force_authenticate(make_persona(persona))
    method, path, body = ENDPOINTS[endpoint]
    ids = {"rule_set": rule_set.pk, "task": task.pk, "evaluation": evaluation.pk, "unit": jxw.pk, "plan": plan.pk,
           "appeal": appeal.pk}  # fmt: skip
    if isinstance(body, dict):
        body = {
            key: int(value.format(**ids)) if value in ("{plan}", "{unit}") else value for key, value in body.items()
        }
    response = getattr(client, method)(path.format(**ids), body, format="json")
    expected = (PUBLISHED if published else EXPECTED)[endpoint][persona]
    assert response.status_code == expected, response.content
