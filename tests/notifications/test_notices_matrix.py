"""The permission matrix of the 督办单, escalation board, 约谈 and 催办 routes: every endpoint × anonymous and the
world's people, on Monday 20 October 2025 with a notice issued (status 待签收) on the milestone 9 working days overdue
and the round 2025-Q3 overdue with every part still to fill. ``test_notifications_api`` checks that this matrix and
its own together list every route of notifications/api/urls.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from notifications.models import SupervisionNotice
from notifications.services_notices import notice_issue
from tests.notifications.test_notices import late  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

# name: (method, path, body)
ENDPOINTS = {
    "notices": ("get", "/api/notices/", {}),
    "receipt": ("post", "/api/notices/{notice}/receipt/", {}),
    "reply": ("post", "/api/notices/{notice}/reply/", {"reply": "已推进"}),
    "accept": ("post", "/api/notices/{notice}/accept/", {}),
    "return": ("post", "/api/notices/{notice}/return/", {"reason": "不具体"}),
    "escalations": ("get", "/api/escalations/", {}),
    "issue-notice": ("post", "/api/escalations/{watch}/issue-notice/", {}),
    "interview": ("post", "/api/escalations/{watch}/interview/", {"outcome": "held", "minutes": "纪要"}),
    "chase": ("post", "/api/reports/{task_report}/chase/", {"part": "{part}"}),
    "round-chase": ("post", "/api/rounds/{round}/chase/", {"unit": "{unit}"}),
}
PEOPLE = ("anonymous", "jxw-r", "jxw-h", "fgw-r", "fgw-h", "sam", "leo")
UNIT = {"jxw-r", "jxw-h"}  # the notice's unit, and the task's lead unit


def _row(**status: int) -> dict[str, int]:
    return {"anonymous": 401, **status}


EXPECTED = {
    "notices": _row(**dict.fromkeys(PEOPLE[1:], 200)),
    # the unit signs; another unit does not see it; supervisor and leader see it, but it is not their step
    "receipt": _row(**{"jxw-r": 200, "jxw-h": 200, "fgw-r": 404, "fgw-h": 404, "sam": 403, "leo": 403}),
    # the unit's step, but not before signing
    "reply": _row(**{"jxw-r": 409, "jxw-h": 409, "fgw-r": 404, "fgw-h": 404, "sam": 403, "leo": 403}),
    # the supervisor's step, but nothing replied yet
    "accept": _row(**{"jxw-r": 403, "jxw-h": 403, "fgw-r": 404, "fgw-h": 404, "sam": 409, "leo": 403}),
    "return": _row(**{"jxw-r": 403, "jxw-h": 403, "fgw-r": 404, "fgw-h": 404, "sam": 409, "leo": 403}),
    "escalations": _row(**{"jxw-r": 403, "jxw-h": 403, "fgw-r": 403, "fgw-h": 403, "sam": 200, "leo": 200}),
    # the item has its open notice already
    "issue-notice": _row(**{"jxw-r": 403, "jxw-h": 403, "fgw-r": 403, "fgw-h": 403, "sam": 409, "leo": 403}),
    # the leader's, but 9 working days is the 督办 rung, not 约谈
    "interview": _row(**{"jxw-r": 403, "jxw-h": 403, "fgw-r": 403, "fgw-h": 403, "sam": 403, "leo": 409}),
    # the lead unit and the supervisor; the co-units do not see the task report; the leader sees it
    "chase": _row(**{"jxw-r": 201, "jxw-h": 201, "fgw-r": 404, "fgw-h": 404, "sam": 201, "leo": 403}),
    # a unit's parts of a round: the supervisor's; everyone who reads the round but is not one is refused
    "round-chase": _row(**{"jxw-r": 403, "jxw-h": 403, "fgw-r": 403, "fgw-h": 403, "sam": 201, "leo": 403}),
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("person", PEOPLE)
def test_who_may_call_what(late, endpoint, person):  # noqa: F811
    notice = notice_issue(actor=late["sam"], watch_id=late.watch.pk)
    ids = {"notice": notice.pk, "watch": late.watch.pk, "task_report": late.task_report(late.round).pk,
           "part": late.part(late.round, "市发展改革委").pk, "round": late.round.pk,
           "unit": late.part(late.round, "市发展改革委").unit_id}
    method, path, body = ENDPOINTS[endpoint]
    client = APIClient()
    if person != "anonymous":
        client.force_authenticate(late[person])
    data = {key: (int(value.format(**ids)) if isinstance(value, str) and value.startswith("{") else value)
            for key, value in body.items()}
    response = getattr(client, method)(path.format(**ids), data, format="json")
    assert response.status_code == EXPECTED[endpoint][person], response.content
    if response.status_code >= 400 and person != "anonymous":
        notice.refresh_from_db()
        assert (notice.status, notice.version) == (SupervisionNotice.Status.ISSUED, 1)  # a refusal changed nothing


def test_the_expectations_cover_every_endpoint():
    assert set(EXPECTED) == set(ENDPOINTS)
    assert all(set(row) == set(PEOPLE) for row in EXPECTED.values())
