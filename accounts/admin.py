"""API tokens in the admin: who has one and since when, never the key; an admin may revoke one (delete)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from accounts.models import ApiToken, masked_key

# DRF's admin lists keys in clear; ours replaces it.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(TokenAdmin):
    list_display = ("user", "key_prefix", "created")
    fields = ("user", "key_prefix", "created")
    readonly_fields = ("user", "key_prefix", "created")

    @admin.display(description=_("令牌前缀"))
    def key_prefix(self, token: ApiToken) -> str:
        return masked_key(token.key)

    def has_add_permission(self, request, obj=None) -> bool:
        # A token made here would be shown to whoever made it; users get theirs through the API.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
