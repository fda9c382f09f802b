from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in and staying safe: the lockout and throttle around login, API tokens, password changes."""

    name = "accounts"
    verbose_name = _("账号与登录")
