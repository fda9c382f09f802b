"""Who gave whom which role (issue 7, item 3): every membership change goes through ``units.services`` — the admin's
membership pages and the unit page's inline included — and leaves a record (who, which role, granted or revoked,
by whom, when) that the unit page shows to the unit's members and to supervisors."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.conftest import make_user
from units.models import Membership, MembershipEvent, Unit
from units.services import membership_change, membership_grant, membership_revoke

R, H, SUP = Membership.Role.REPORTER, Membership.Role.HEAD, Membership.Role.SUPERVISOR
GRANTED, REVOKED = MembershipEvent.Change.GRANTED, MembershipEvent.Change.REVOKED


def unit(short_name: str) -> Unit:
    return Unit.objects.get(short_name=short_name)


def staff_supervisor(name: str = "sam") -> User:
    """A supervisor who may edit units and memberships in the admin, as the demo's ``supervisor``."""
    user = make_user(name, ("市政府办公厅", SUP), is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="units",
            codename__in=[
                "view_unit",
                "change_unit",
                "view_membership",
                "add_membership",
                "change_membership",
                "delete_membership",
            ],
        )
    )
    return User.objects.get(pk=user.pk)


def trail(short_name: str) -> list[tuple[str, str, str, str | None]]:
    return [
        (event.user.username, event.role, event.change, event.by.username if event.by else None)
        for event in MembershipEvent.objects.filter(unit=unit(short_name)).order_by("at", "id")
    ]


def test_granting_and_revoking_a_role_is_recorded_with_who_did_it(db):
    sam, bob = staff_supervisor(), make_user("bob")
    membership = membership_grant(actor=sam, user=bob, unit=unit("市发展改革委"), role=R)
    assert membership_grant(actor=sam, user=bob, unit=unit("市发展改革委"), role=R) == membership  # idempotent
    membership_revoke(actor=sam, membership_id=membership.pk)
    membership_revoke(actor=sam, membership_id=membership.pk)  # gone already: nothing more
    assert not Membership.objects.filter(user=bob).exists()
    assert trail("市发展改革委") == [("bob", R, GRANTED, "sam"), ("bob", R, REVOKED, "sam")]


def test_changing_a_membership_revokes_the_old_role_and_grants_the_new_one(db):
    sam, bob = staff_supervisor(), make_user("bob")
    membership = membership_grant(actor=sam, user=bob, unit=unit("市发展改革委"), role=R)
    membership_change(actor=sam, membership_id=membership.pk, user=bob, unit=unit("市科技局"), role=H)
    assert trail("市发展改革委") == [("bob", R, GRANTED, "sam"), ("bob", R, REVOKED, "sam")]
    assert trail("市科技局") == [("bob", H, GRANTED, "sam")]
    membership_change(actor=sam, membership_id=membership.pk, user=bob, unit=unit("市科技局"), role=H)
    assert len(trail("市科技局")) == 1  # unchanged: nothing recorded


def test_only_those_who_may_edit_memberships_change_them(db):
    bob, erin = make_user("bob", ("市发展改革委", H)), make_user("erin")
    with pytest.raises(PermissionDenied):
        membership_grant(actor=bob, user=erin, unit=unit("市发展改革委"), role=R)
    with pytest.raises(ValidationError):
        membership_grant(actor=None, user=erin, unit=unit("市发展改革委"), role="owner")
    assert not MembershipEvent.objects.exists()
    # A loader (the demo) acts as the system: recorded without a person.
    membership_grant(actor=None, user=erin, unit=unit("市发展改革委"), role=R)
    assert trail("市发展改革委") == [("erin", R, GRANTED, None)]


def test_the_admins_membership_pages_go_through_the_service(db):
    sam, bob = staff_supervisor(), make_user("bob")
    admin = Client()
    admin.force_login(sam)
    fgw, kjj = unit("市发展改革委"), unit("市科技局")

    added = admin.post("/admin/units/membership/add/", {"user": bob.pk, "unit": fgw.pk, "role": H})
    assert added.status_code == 302
    membership = Membership.objects.get(user=bob)
    changed = admin.post(
        f"/admin/units/membership/{membership.pk}/change/", {"user": bob.pk, "unit": kjj.pk, "role": H}
    )
    assert changed.status_code == 302
    deleted = admin.post(f"/admin/units/membership/{membership.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not Membership.objects.filter(user=bob).exists()
    assert trail("市发展改革委") == [("bob", H, GRANTED, "sam"), ("bob", H, REVOKED, "sam")]
    assert trail("市科技局") == [("bob", H, GRANTED, "sam"), ("bob", H, REVOKED, "sam")]

    again = membership_grant(actor=None, user=bob, unit=fgw, role=R)
    bulk = admin.post(
        "/admin/units/membership/", {"action": "delete_selected", "_selected_action": [again.pk], "post": "yes"}
    )
    assert bulk.status_code == 302
    assert trail("市发展改革委")[-1] == ("bob", R, REVOKED, "sam")


def _unit_change_form(admin: Client, unit_: Unit) -> dict[str, object]:
    """What the admin's unit page posts back unchanged: the unit's fields and its membership inline."""
    page = admin.get(f"/admin/units/unit/{unit_.pk}/change/")
    assert page.status_code == 200
    data: dict[str, object] = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = field.prepare_value(value) if name == "aliases" else value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None and value is not False:
                    data[form.add_prefix(name)] = value
    return data


def test_the_unit_pages_membership_inline_goes_through_the_service(db):
    sam, bob, erin = staff_supervisor(), make_user("bob"), make_user("erin")
    fgw = unit("市发展改革委")
    held = membership_grant(actor=None, user=erin, unit=fgw, role=R)
    admin = Client()
    admin.force_login(sam)
    data = _unit_change_form(admin, fgw)
    prefix = "memberships"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    row = next(n for n in range(total) if str(data.get(f"{prefix}-{n}-id")) == str(held.pk))
    data[f"{prefix}-{row}-DELETE"] = "on"
    data |= {
        f"{prefix}-TOTAL_FORMS": total + 1,
        f"{prefix}-{total}-user": bob.pk,
        f"{prefix}-{total}-role": H,
        f"{prefix}-{total}-unit": fgw.pk,
    }
    response = admin.post(f"/admin/units/unit/{fgw.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert trail("市发展改革委")[-2:] == [("erin", R, REVOKED, "sam"), ("bob", H, GRANTED, "sam")]
    assert set(Membership.objects.filter(unit=fgw).values_list("user__username", "role")) >= {("bob", H)}
    assert not Membership.objects.filter(pk=held.pk).exists()


def _history_rows(html: str) -> list[str]:
    section = html.split('id="membership-history"', 1)
    if len(section) == 1:
        return []
    body = section[1].split("</section>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr class=\"membership-event\">(.*?)</tr>", body, re.S)
    ]


def test_an_admin_change_shows_on_the_unit_page_to_its_members_and_supervisors_only(db):
    sam, bob = staff_supervisor(), make_user("bob", first_name="刘填报")
    dave = make_user("dave", ("市发展改革委", H))
    oscar = make_user("oscar", ("市财政局", R))
    leo = make_user("leo", ("市政府办公厅", Membership.Role.LEADER))
    admin = Client()
    admin.force_login(sam)
    assert (
        admin.post(
            "/admin/units/membership/add/", {"user": bob.pk, "unit": unit("市发展改革委").pk, "role": R}
        ).status_code
        == 302
    )

    def rows(user: User) -> list[str]:
        client = Client()
        client.force_login(user)
        response = client.get("/units/fgw/")
        assert response.status_code == 200
        return _history_rows(response.content.decode())

    for reader in (dave, sam):
        (row,) = rows(reader)
        assert "刘填报" in row and "填报员" in row and "授予" in row and "sam" in row
    assert rows(oscar) == [] and rows(leo) == []


def test_the_unit_pages_history_costs_the_same_queries_for_few_and_many_changes(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dave = make_user("dave", ("市发展改革委", H))
    client = Client()
    client.force_login(dave)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/units/fgw/").status_code == 200
        return len(captured)

    membership_grant(actor=None, user=make_user("u0"), unit=unit("市发展改革委"), role=R)
    few = queries()
    for n in range(1, 8):
        membership_grant(actor=staff_supervisor(f"s{n}"), user=make_user(f"u{n}"), unit=unit("市发展改革委"), role=R)
    assert queries() == few
