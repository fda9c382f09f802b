"""Shared fixtures: the real unit directory loaded once per test database, and named personas.

Personas (one per role that matters for the register):
- alice: reporter of 市经济信息委 (the lead unit of most tasks)
- bob:   reporter of 市发展改革委 (a responsible unit)
- carol: head of 市经济信息委
- sam:   supervisor (督查室, in 市政府办公厅)
- leo:   leader (市政府办公厅)
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import clear_url_caches, get_resolver

from units.models import Membership, Unit
from units.services import units_load


@pytest.fixture(scope="session", autouse=True)
def _load_root_urlconf() -> None:
    clear_url_caches()
    get_resolver()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real units into the test database once; every test starts from them."""
    with django_db_blocker.unblock():
        units_load()


def unit(short_name: str) -> Unit:
    return Unit.objects.get(short_name=short_name)


def make_user(username: str, *memberships: tuple[str, str], **extra) -> User:
    """A user with memberships given as (unit short name, role)."""
    user = User.objects.create_user(username=username, password="pw-" + username, **extra)
    for short_name, role in memberships:
        Membership.objects.create(user=user, unit=unit(short_name), role=role)
    return user


@pytest.fixture
def alice(db) -> User:
    return make_user("alice", ("市经济信息委", Membership.Role.REPORTER))


@pytest.fixture
def bob(db) -> User:
    return make_user("bob", ("市发展改革委", Membership.Role.REPORTER))


@pytest.fixture
def carol(db) -> User:
    return make_user("carol", ("市经济信息委", Membership.Role.HEAD))


@pytest.fixture
def sam(db) -> User:
    return make_user("sam", ("市政府办公厅", Membership.Role.SUPERVISOR))


@pytest.fixture
def leo(db) -> User:
    return make_user("leo", ("市政府办公厅", Membership.Role.LEADER))
