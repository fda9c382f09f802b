"""The login form: Django's, plus the reason when django-axes refused the attempt."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.lockout import locked_out_message


class LoginForm(AuthenticationForm):
    """Says "locked out, try again in N minutes" instead of "wrong password" when django-axes refused (or just
    locked) this username from this address; ``locked_out`` tells the template which it was."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(locked_out_message(), code="locked_out") from None
            raise

    @property
    def locked_out(self) -> bool:
        return any(error.code == "locked_out" for error in self.errors.as_data().get("__all__", []))
