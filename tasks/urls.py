"""Page URLs of the register (mounted at the site root)."""

from django.urls import path, register_converter

from tasks import views


class TaskCodeConverter:
    """Dotted task codes such as ``2.4.1.10`` (segments of digits, letters or hyphens)."""

    regex = r"[0-9A-Za-z.\-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TaskCodeConverter, "taskcode")

urlpatterns = [
    path("", views.home, name="home"),
    path("plans/<slug:code>/", views.plan_detail, name="plan-detail"),
    path("plans/<slug:code>/tasks/<taskcode:task_code>/", views.task_detail_page, name="task-detail"),
    path("units/<slug:code>/", views.unit_detail, name="unit-detail"),
    path("search/", views.search, name="search"),
]
