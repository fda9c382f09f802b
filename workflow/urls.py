"""Pages of the reporting loop (filled in with the pages)."""

from django.urls import path

from workflow.views import step_page

urlpatterns = [
    path("inbox/", step_page, name="inbox"),
]
