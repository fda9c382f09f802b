"""Page URLs of the reporting loop (mounted at the site root)."""

from django.urls import path

from workflow import views

urlpatterns = [
    path("inbox/", views.inbox_page, name="inbox"),
    path("reports/<int:pk>/", views.report_page, name="report-detail"),
    path("reports/<int:pk>/save/", views.report_save, name="report-save"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report-submit"),
    path("reports/<int:pk>/sign-off/", views.report_sign_off, name="report-sign-off"),
    path("reports/<int:pk>/return/", views.report_return, name="report-return"),
    path("reports/<int:pk>/approve/", views.report_approve, name="report-approve"),
    path("reports/<int:pk>/attach/", views.report_attach, name="report-attach"),
    path("rounds/", views.round_list_page, name="round-list"),
    path("rounds/<int:pk>/", views.round_detail_page, name="round-detail"),
]
