"""The Celery app. Jobs live in each app's ``jobs.py`` (never ``tasks.py``: ``tasks`` is our register app)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("luoshi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
