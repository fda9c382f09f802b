"""The task page is a page of ``tasks``: the reports by round reach it only as workflow's panel, and without that
panel the page stands on its own."""

from __future__ import annotations

from tasks import panels
from tasks.models import AuditEvent

TASK_PAGE = "/plans/wf/tasks/1.1/"


def test_the_reports_by_round_are_workflows_panel_on_the_task_page(world, page_client):
    world.open_round()
    html = page_client("sam").get(TASK_PAGE).content.decode()
    assert html.index('id="milestones-title"') < html.index('id="reports"') < html.index('id="audit-title"')


def test_without_workflows_panel_the_task_page_shows_no_reports_and_keeps_the_rest(world, page_client, monkeypatch):
    world.open_round()
    AuditEvent.objects.create(action="task.update", object_type="plantask", object_id=str(world.task.pk),
                              actor=world["sam"], plan=world.plan, task=world.task, before={"title": "旧"},
                              after={"title": "新"})
    monkeypatch.setattr(panels, "_PANELS", {})
    response = page_client("sam").get(TASK_PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="reports"' not in html
    assert 'id="milestones-title"' in html
    assert '<strong class="audit-label">修改任务</strong>' in html and "<strong>新</strong>" in html

