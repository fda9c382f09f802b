"""Pages of signing in and of one's own password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy

from accounts.forms import LoginForm
from accounts.lockout import LoginRateThrottle


class ThrottledPostMixin:
    """Refuse a POST (429, the same page saying why) when the client's address has used up its sign-in attempts
    for now (:class:`accounts.lockout.LoginRateThrottle`); GET is never throttled."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not LoginRateThrottle().allow_request(request, self):
            # An unbound form: validating the posted one would try the password after all.
            posted = self.get_form_kwargs()  # type: ignore[attr-defined]
            form = self.get_form_class()(**{k: v for k, v in posted.items() if k not in ("data", "files")})  # type: ignore[attr-defined]
            context = self.get_context_data(form=form, throttled=True)  # type: ignore[attr-defined]
            return self.render_to_response(context, status=429)  # type: ignore[attr-defined]
        return super().post(request, *args, **kwargs)  # type: ignore[misc]


class LoginView(ThrottledPostMixin, auth_views.LoginView):
    form_class = LoginForm


class PasswordChangeView(ThrottledPostMixin, auth_views.PasswordChangeView):
    """Any signed-in user changes their own password (the old one, then the new one twice, under the project's
    validators). This session stays signed in; other sessions and every API token end."""

    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            password_rules=[text for text in password_validators_help_texts() if text], **kwargs
        )


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
