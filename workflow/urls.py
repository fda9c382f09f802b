"""Page URLs of the reporting loop (mounted at the site root)."""

from django.urls import path

from workflow.views import inbox, reports, rounds

urlpatterns = [
    path("inbox/", inbox.inbox_page, name="inbox"),
    path("reports/<int:pk>/", reports.report_page, name="report-detail"),
    path("reports/<int:pk>/save/", reports.report_save, name="report-save"),
    path("reports/<int:pk>/submit/", reports.report_submit, name="report-submit"),
    path("reports/<int:pk>/sign-off/", reports.report_sign_off, name="report-sign-off"),
    path("reports/<int:pk>/return/", reports.report_return, name="report-return"),
    path("reports/<int:pk>/approve/", reports.report_approve, name="report-approve"),
    path("reports/<int:pk>/attach/", reports.report_attach, name="report-attach"),
    path("rounds/", rounds.round_list_page, name="round-list"),
    path("rounds/<int:pk>/", rounds.round_detail_page, name="round-detail"),
]
