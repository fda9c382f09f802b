"""The reminder policy in the admin: one row at most, validated by the planner's own rules, field by field."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from notifications.models import ReminderPolicy
from notifications.planner import Policy
from notifications.services import policy_current
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_without_a_row_the_defaults_hold_and_a_row_replaces_them():
    assert policy_current() == Policy()
    ReminderPolicy.objects.create(days_before="5，2", chase_after=2, send_at=time(9, 0))
    assert policy_current() == Policy(days_before=(5, 2), chase_after=2, send_at=time(9, 0))


@pytest.mark.parametrize(("fields", "field"), [
    ({"days_before": "7,x"}, "days_before"),
    ({"days_before": "7,7"}, "days_before"),
    ({"chase_after": 8}, "supervise_after"),
    ({"interview_after": 5}, "supervise_after"),
])
def test_a_policy_that_cannot_work_is_refused_on_its_field(fields, field):
    with pytest.raises(ValidationError) as refused:
        ReminderPolicy(**fields).full_clean()
    assert field in refused.value.message_dict


def test_the_admin_edits_the_one_policy():
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    assert client.get("/admin/notifications/reminderpolicy/add/").status_code == 200
    response = client.post("/admin/notifications/reminderpolicy/add/", {
        "days_before": "7,3,1", "on_due_day": "on", "chase_after": 1, "supervise_after": 8, "interview_after": 16,
        "stale_after": 5, "max_lateness_days": 30, "send_at": "08:30"})
    assert response.status_code == 302 and ReminderPolicy.objects.count() == 1
    assert client.get("/admin/notifications/reminderpolicy/add/").status_code == 403  # one row at most
    for page in ("notification", "delivery", "watch"):
        assert client.get(f"/admin/notifications/{page}/").status_code == 200
