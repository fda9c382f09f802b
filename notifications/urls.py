"""Page URLs of the notifications (mounted at the site root)."""

from django.urls import path

import tasks.converters  # noqa: F401  (the <id:…> converter)
from notifications import views, views_notices, views_preferences

urlpatterns = [
    path("notifications/", views.notification_list_page, name="notification-list"),
    path("notifications/preferences/", views_preferences.notification_preferences_page,
         name="notification-preferences"),
    path("notifications/read-all/", views.notification_read_all_page, name="notification-read-all"),
    path("notifications/<id:pk>/read/", views.notification_read_page, name="notification-read"),
    path("notices/", views_notices.notice_list_page, name="notice-list"),
    path("notices/<id:pk>/", views_notices.notice_detail_page, name="notice-detail"),
    path("notices/<id:pk>/receipt/", views_notices.notice_receipt_page, name="notice-receipt"),
    path("notices/<id:pk>/reply/", views_notices.notice_reply_page, name="notice-reply"),
    path("notices/<id:pk>/accept/", views_notices.notice_accept_page, name="notice-accept"),
    path("notices/<id:pk>/return/", views_notices.notice_return_page, name="notice-return"),
    path("escalations/", views_notices.escalation_board_page, name="escalation-board"),
    path("escalations/<id:pk>/issue-notice/", views_notices.escalation_issue_notice_page,
         name="escalation-issue-notice"),
    path("escalations/<id:pk>/interview/", views_notices.escalation_interview_page, name="escalation-interview"),
    path("reports/<id:pk>/chase/", views_notices.report_chase_page, name="report-chase"),
    path("rounds/<id:pk>/chase/", views_notices.round_chase_page, name="round-chase"),
]
