"""Routes of the notifications API, included under /api/ by config/urls.py."""

from django.urls import path

import tasks.converters  # noqa: F401  (the <id:…> converter)
from notifications.api import views
from notifications.api.preferences import NotificationPreferencesApi

urlpatterns = [
    path("notifications/", views.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read-all/", views.NotificationReadAllApi.as_view(), name="api-notifications-read-all"),
    path("notifications/<id:pk>/read/", views.NotificationReadApi.as_view(), name="api-notification-read"),
    path("notification-preferences/", NotificationPreferencesApi.as_view(), name="api-notification-preferences"),
]
