"""Routes of the notifications API, included under /api/ by config/urls.py."""

from django.urls import path

import tasks.converters  # noqa: F401  (the <id:…> converter)
from notifications.api import views, views_notices
from notifications.api.preferences import NotificationPreferencesApi

urlpatterns = [
    path("notifications/", views.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read-all/", views.NotificationReadAllApi.as_view(), name="api-notifications-read-all"),
    path("notifications/<id:pk>/read/", views.NotificationReadApi.as_view(), name="api-notification-read"),
    path("notices/", views_notices.NoticeListApi.as_view(), name="api-notices"),
    path("notices/<id:pk>/receipt/", views_notices.NoticeReceiptApi.as_view(), name="api-notice-receipt"),
    path("notices/<id:pk>/reply/", views_notices.NoticeReplyApi.as_view(), name="api-notice-reply"),
    path("notices/<id:pk>/accept/", views_notices.NoticeAcceptApi.as_view(), name="api-notice-accept"),
    path("notices/<id:pk>/return/", views_notices.NoticeReturnApi.as_view(), name="api-notice-return"),
    path("escalations/", views_notices.EscalationListApi.as_view(), name="api-escalations"),
    path("escalations/<id:pk>/issue-notice/", views_notices.EscalationIssueNoticeApi.as_view(),
         name="api-escalation-issue-notice"),
    path("escalations/<id:pk>/interview/", views_notices.EscalationInterviewApi.as_view(),
         name="api-escalation-interview"),
    path("reports/<id:pk>/chase/", views_notices.ReportChaseApi.as_view(), name="api-report-chase"),
    path("rounds/<id:pk>/chase/", views_notices.RoundChaseApi.as_view(), name="api-round-chase"),
    path("notification-preferences/", NotificationPreferencesApi.as_view(), name="api-notification-preferences"),
]
