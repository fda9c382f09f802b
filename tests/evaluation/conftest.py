"""Fixtures of the evaluation tests."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from tests.workflow.conftest import world  # noqa: F401 - the reporting loop's small world, for end-to-end tests


@pytest.fixture(autouse=True)
def default_rule_set(request):
    """The default rule set the data migration writes (a transactional test elsewhere may have flushed it from a
    reused test database); its function is idempotent. Pure-rule tests need no database and skip this."""
    if "django_db" not in {mark.name for mark in request.node.iter_markers()}:
        return
    request.getfixturevalue("db")
    importlib.import_module("evaluation.migrations.0002_default_rule_set").create_default(apps, None)
