"""Root URLconf: pages, the API, the admin, language switching."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from accounts.api.views import AuthTokenApi, AuthTokenRotateApi
from config.views import healthz

api_patterns = [
    path("auth/token/", AuthTokenApi.as_view(), name="api-token"),
    path("auth/token/rotate/", AuthTokenRotateApi.as_view(), name="api-token-rotate"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("units.api.urls")),
    path("", include("tasks.api.urls")),
    path("", include("workflow.api.urls")),
    path("", include("evaluation.api.urls")),
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
]
