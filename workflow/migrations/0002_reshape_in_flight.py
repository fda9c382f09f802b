"""Carry reports in flight into the reshaped flow (start → consolidate → lead_sign_off → review → end).

Before, every unit's part had viewflow tasks of its own (fill, sign_off, joined before consolidate). Now a part
is a status row, and a process holds one open task: the task report's step. For each task report not yet
approved, this cancels its process's open tasks of the old shape and opens the step the report now waits for
(consolidate while parts are still coming in or being consolidated; review when it is in review), linked from
the report. Reports, claims and their history are untouched. Raw SQL: the old node names no longer resolve to
nodes, so viewflow's task rows must not be loaded as models here.
"""

from django.db import migrations
from django.utils import timezone

FLOW = "workflow/flows.ReportFlow"
STEP_OF_STATUS = {"waiting": "consolidate", "consolidating": "consolidate", "in_review": "review"}


def reshape(apps, schema_editor):
    connection = schema_editor.connection
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id, r.status, COALESCE(r.flow_task_id,"
            " (SELECT MAX(p.flow_task_id) FROM tasks_report p WHERE p.task_report_id = r.id))"
            " FROM tasks_report r WHERE r.kind = 'task' AND r.status <> 'approved'")
        for report_id, status, any_task_id in cursor.fetchall():
            if any_task_id is None or status not in STEP_OF_STATUS:
                continue
            cursor.execute("SELECT process_id FROM viewflow_task WHERE id = %s", [any_task_id])
            row = cursor.fetchone()
            if row is None:
                continue
            process_id = row[0]
            cursor.execute(
                "UPDATE viewflow_task SET status = 'CANCELED', finished = %s"
                " WHERE process_id = %s AND status IN ('NEW', 'ASSIGNED', 'STARTED')", [now, process_id])
            cursor.execute(
                "INSERT INTO viewflow_task (flow_task, flow_task_type, status, created, token, process_id, data)"
                " VALUES (%s, 'HUMAN', 'NEW', %s, 'start', %s, '{}')",
                [f"{FLOW}.{STEP_OF_STATUS[status]}", now, process_id])
            cursor.execute("SELECT MAX(id) FROM viewflow_task WHERE process_id = %s", [process_id])
            step_id = cursor.fetchone()[0]
            cursor.execute("UPDATE tasks_report SET flow_task_id = %s WHERE id = %s", [step_id, report_id])
        cursor.execute("UPDATE tasks_report SET flow_task_id = NULL WHERE kind = 'part'")


class Migration(migrations.Migration):

    dependencies = [
        ("workflow", "0001_initial"),
        ("tasks", "0005_register_version"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(reshape, migrations.RunPython.noop)]
