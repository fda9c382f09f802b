"""Page URLs of the notifications (mounted at the site root)."""

from django.urls import path

import tasks.converters  # noqa: F401  (the <id:…> converter)
from notifications import views, views_preferences

urlpatterns = [
    path("notifications/", views.notification_list_page, name="notification-list"),
    path("notifications/preferences/", views_preferences.notification_preferences_page,
         name="notification-preferences"),
    path("notifications/read-all/", views.notification_read_all_page, name="notification-read-all"),
    path("notifications/<id:pk>/read/", views.notification_read_page, name="notification-read"),
]
