"""Who sees which link in the navigation, and the admin in the product's name with viewflow's models in Chinese.

"API 文档" is for those who use the API: supervisors (they configure the register and integrate with it), staff,
and anyone who holds an API token. Reporters, heads and leaders without a token do not see it (the page itself
stays open to every signed-in user).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.conftest import make_user
from units.models import Membership


def _nav(client: Client) -> str:
    html = client.get("/units/").content.decode()
    return html.split('<nav class="mainnav"')[1].split("</nav>")[0]


@pytest.mark.parametrize(
    ("persona", "sees_docs"),
    [
        ("sam", True),
        ("alice", False),
        ("carol", False),
        ("leo", False),
        ("oscar", False),
    ],
)
def test_the_api_docs_link_shows_to_supervisors_only_among_the_personas(request, db, client_for, persona, sees_docs):
    # ``db`` named here: pytest-django orders tests by the database fixtures they name, and a persona fetched only
    # through getfixturevalue would otherwise run after the transactional tests have emptied the unit table.
    nav = _nav(client_for(request.getfixturevalue(persona)))
    assert ('href="/api/docs/"' in nav) is sees_docs
    assert "管理后台" not in nav  # none of them is staff


def test_staff_see_the_api_docs_and_the_admin(client_for, db):
    stella = make_user("stella", ("市政府办公厅", Membership.Role.LEADER), is_staff=True)
    nav = _nav(client_for(stella))
    assert 'href="/api/docs/"' in nav and 'href="/admin/"' in nav


def test_a_reporter_with_an_api_token_sees_the_api_docs(alice, client_for):
    Token.objects.create(user=alice)
    assert 'href="/api/docs/"' in _nav(client_for(alice))


def test_the_docs_page_stays_open_to_every_signed_in_user(alice, client_for):
    assert client_for(alice).get("/api/docs/").status_code == 200


# --- the admin ----------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_zh(db) -> Client:
    admin = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def test_the_admin_carries_the_products_name(admin_client_zh):
    html = admin_client_zh.get("/admin/").content.decode()
    assert "<title>管理后台首页 | 落实 Luoshi 管理后台</title>" in html
    assert '<a href="/admin/">落实 Luoshi 管理后台</a>' in html
    assert "<h1>管理后台首页</h1>" in html
    assert "Django" not in html.split("<body")[1]


def test_viewflows_models_are_listed_in_chinese(admin_client_zh):
    html = admin_client_zh.get("/admin/").content.decode()
    assert "流程引擎" in html and "流程实例" in html and "流程任务" in html
    for english in (">Workflow<", ">Process list<", ">Tasks<", ">Processs<", ">Processes<"):
        assert english not in html
    changelist = admin_client_zh.get("/admin/viewflow/process/").content.decode()
    assert "<title>选择 流程实例 来修改 | 落实 Luoshi 管理后台</title>" in changelist
    tasks = admin_client_zh.get("/admin/viewflow/task/").content.decode()
    assert "选择 流程任务 来修改" in tasks


def test_the_chinese_names_need_no_migration_of_viewflow(db):
    call_command("makemigrations", "viewflow", "--check", "--dry-run", verbosity=0)
