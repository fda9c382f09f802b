"""Shared fixtures: the real unit directory loaded once per test database, and the personas.

One cast for the whole suite. Each persona is a fixture of that name; the username is the name and the
password "pw-" + the name. The reporting-loop tests (tests/workflow/) call the same people by unit and role
through their ``world``: ``world["jxw-r"]`` is alice.

    persona  unit                                       role                world
    alice    市经济信息委 (jxw, lead unit of most tasks)  reporter (填报员)     jxw-r
    carol    市经济信息委                                 head (单位负责人)     jxw-h
    bob      市发展改革委 (fgw, a responsible unit)       reporter            fgw-r
    dave     市发展改革委                                 head                fgw-h
    erin     市科技局 (kjj, another responsible unit)     reporter            kjj-r
    frank    市科技局                                     head                kjj-h
    sam      市政府办公厅                                 supervisor (督查室)   sam
    leo      市政府办公厅                                 leader              leo
    oscar    市财政局 (czj, in no task of the fixtures)   reporter            (an outsider)

Tests on ``transactional_db`` start from flushed tables and make their personas with ``make_persona``. Anyone
else a test needs (a second supervisor for a race, the reporters of five units) is made with ``make_user``
under a name that says who they are.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.urls import clear_url_caches, get_resolver
from hypothesis import settings as hypothesis_settings

from units.models import Membership, Unit
from units.services import units_load

# Property tests (hypothesis): on CI the same examples every run (seeded from each test, no example database), so a
# red build is reproducible and a green one does not turn red by chance; locally, fresh examples each run and the
# failures remembered in .hypothesis/. No deadline anywhere: a shared 2-core machine is no place to time examples.
# HYPOTHESIS_PROFILE picks one explicitly.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                                 or ("ci" if os.environ.get("CI") == "true" else "dev"))


@pytest.fixture(scope="session", autouse=True)
def _load_root_urlconf() -> None:
    clear_url_caches()
    get_resolver()


@pytest.fixture(autouse=True)
def _forget_throttle_counts() -> Iterator[None]:
    """DRF's throttles count requests per address in the (local-memory) cache: each test starts from zero, or
    the suite's many anonymous requests from 127.0.0.1 would be throttled."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real units into the test database once; every test starts from them."""
    with django_db_blocker.unblock():
        units_load()


@contextmanager
def rolled_back_at_the_end(django_db_blocker: Any) -> Iterator[None]:
    """A transaction (a savepoint inside another) that outlives single tests, for data that a module or a class
    builds once and shares; nothing in it is committed, and it is rolled back when the block ends.

    Database access stays blocked inside: build the data under ``django_db_blocker.unblock()``. Each test that
    reads or writes it takes the ``db`` fixture, which runs the test in a savepoint of its own and rolls that
    back afterwards, so what one test writes never reaches the next."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        # Marked as TestCase marks its class-wide transaction, so a durable atomic block still runs inside it.
        atomic._from_testcase = True
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def unit(short_name: str) -> Unit:
    return Unit.objects.get(short_name=short_name)


def make_user(username: str, *memberships: tuple[str, str], **extra) -> User:
    """A user with memberships given as (unit short name, role)."""
    user = User.objects.create_user(username=username, password="pw-" + username, **extra)
    for short_name, role in memberships:
        Membership.objects.create(user=user, unit=unit(short_name), role=role)
    return user


R, H = Membership.Role.REPORTER, Membership.Role.HEAD

# name: (unit short name, role), as in the table at the top.
PERSONAS: dict[str, tuple[str, str]] = {
    "alice": ("市经济信息委", R),
    "carol": ("市经济信息委", H),
    "bob": ("市发展改革委", R),
    "dave": ("市发展改革委", H),
    "erin": ("市科技局", R),
    "frank": ("市科技局", H),
    "sam": ("市政府办公厅", Membership.Role.SUPERVISOR),
    "leo": ("市政府办公厅", Membership.Role.LEADER),
    "oscar": ("市财政局", R),
}


def make_persona(name: str, **extra) -> User:
    """A persona of the table at the top, with its membership."""
    return make_user(name, PERSONAS[name], **extra)


@pytest.fixture
def alice(db) -> User:
    return make_persona("alice")


@pytest.fixture
def carol(db) -> User:
    return make_persona("carol")


@pytest.fixture
def bob(db) -> User:
    return make_persona("bob")


@pytest.fixture
def dave(db) -> User:
    return make_persona("dave")


@pytest.fixture
def erin(db) -> User:
    return make_persona("erin")


@pytest.fixture
def frank(db) -> User:
    return make_persona("frank")


@pytest.fixture
def sam(db) -> User:
    return make_persona("sam")


@pytest.fixture
def leo(db) -> User:
    return make_persona("leo")


@pytest.fixture
def oscar(db) -> User:
    return make_persona("oscar")
