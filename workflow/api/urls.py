"""Routes of the reporting-loop API, included under /api/ by config/urls.py."""

from django.urls import path

import tasks.converters  # noqa: F401  (the <id:…> converter)
from workflow.api import views

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("rounds/", views.RoundListOpenApi.as_view(), name="api-rounds"),
    path("rounds/<id:pk>/", views.RoundDetailApi.as_view(), name="api-round"),
    path("rounds/<id:pk>/close/", views.RoundCloseApi.as_view(), name="api-round-close"),
    path("inbox/", views.InboxApi.as_view(), name="api-inbox"),
    path("inbox/counts/", views.InboxCountsApi.as_view(), name="api-inbox-counts"),
    path("reports/", views.ReportListApi.as_view(), name="api-reports"),
    path("reports/<id:pk>/", views.ReportDetailApi.as_view(), name="api-report"),
    path("reports/<id:pk>/submit/", views.ReportSubmitApi.as_view(), name="api-report-submit"),
    path("reports/<id:pk>/sign-off/", views.ReportSignOffApi.as_view(), name="api-report-sign-off"),
    path("reports/<id:pk>/approve/", views.ReportApproveApi.as_view(), name="api-report-approve"),
    path("reports/<id:pk>/return/", views.ReportReturnApi.as_view(), name="api-report-return"),
    path("reports/<id:pk>/attachments/", views.AttachmentCreateApi.as_view(), name="api-report-attachments"),
    path("reports/<id:pk>/attachments/<id:attachment_id>/", views.AttachmentDownloadApi.as_view(),
         name="api-report-attachment"),
    path("reports/<id:pk>/attachments/<id:attachment_id>/inline/", views.AttachmentInlineApi.as_view(),
         name="api-report-attachment-inline"),
    path("tasks/<id:pk>/history/", views.TaskHistoryApi.as_view(), name="api-task-history"),
]
