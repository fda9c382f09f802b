"""Root URLconf: pages, the API, the admin, language switching."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from accounts.api.views import AuthTokenApi, AuthTokenRotateApi
from config.views import healthz

admin.site.site_header = admin.site.site_title = _("落实 Luoshi 管理后台")
admin.site.index_title = _("管理后台首页")

api_patterns = [
    path("auth/token/", AuthTokenApi.as_view(), name="api-token"),
    path("auth/token/rotate/", AuthTokenRotateApi.as_view(), name="api-token-rotate"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script as a request of its own (?script): no inline script, so the
    # page runs under our Content-Security-Policy.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("", include("units.api.urls")),
    path("", include("tasks.api.urls")),
    path("", include("workflow.api.urls")),
    path("", include("evaluation.api.urls")),
    path("", include("notifications.api.urls")),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", account_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("healthz", healthz, name="healthz"),
    path("", include("units.urls")),
    path("", include("tasks.urls")),
    path("", include("workflow.urls")),
    path("", include("evaluation.urls")),
    path("", include("notifications.urls")),
]

# Errors no view answered: JSON under /api/, the site's pages elsewhere.
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
