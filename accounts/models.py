"""Data of the accounts app: only a proxy of DRF's token, so that the admin can list tokens without their keys."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy


def masked_key(key: str) -> str:
    """The first four characters of a key and an ellipsis: enough to tell two tokens apart, useless to sign in."""
    return f"{key[:4]}…"


class ApiToken(TokenProxy):
    """DRF's token as the admin shows it. DRF's own ``TokenProxy`` prints the key (in its list, on the delete page
    and in the admin log, through ``__str__``); this one prints the owner and a masked prefix. Like ``TokenProxy``,
    its ``pk`` is the owner's id, so no admin URL carries a key either."""

    class Meta:
        proxy = True
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.user} · {masked_key(self.key)}"
