"""Page URLs of the reporting loop (mounted at the site root)."""

from django.urls import path

import tasks.converters  # noqa: F401  (the <id:…> converter)
from workflow.views import inbox, reports, rounds

urlpatterns = [
    path("inbox/", inbox.inbox_page, name="inbox"),
    path("reports/<id:pk>/", reports.report_page, name="report-detail"),
    path("reports/<id:pk>/save/", reports.report_save, name="report-save"),
    path("reports/<id:pk>/submit/", reports.report_submit, name="report-submit"),
    path("reports/<id:pk>/sign-off/", reports.report_sign_off, name="report-sign-off"),
    path("reports/<id:pk>/return/", reports.report_return, name="report-return"),
    path("reports/<id:pk>/approve/", reports.report_approve, name="report-approve"),
    path("reports/<id:pk>/attach/", reports.report_attach, name="report-attach"),
    path("rounds/", rounds.round_list_page, name="round-list"),
    path("rounds/<id:pk>/", rounds.round_detail_page, name="round-detail"),
    path("rounds/<id:pk>/close/", rounds.round_close_page, name="round-close"),
]
