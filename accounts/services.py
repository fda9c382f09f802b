"""Every write on API tokens: issue, rotate, revoke, and revoke all of a user's on a password change.

A user has at most one token (DRF's model: one-to-one). Each write locks the user's row first, so two writes
for one user run one after the other; the key a client presented is checked under that lock.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from tasks.errors import Conflict

log = logging.getLogger(__name__)


def _lock(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def token_issue(*, user: User) -> Token:
    """The user's token, made if they have none (the answer of ``POST /api/auth/token/``). Idempotent."""
    _lock(user)
    token, created = Token.objects.get_or_create(user=user)
    if created:
        log.info("API token issued to user %s", user.pk)
    return token


@transaction.atomic
def token_rotate(*, user: User, presented_key: str | None) -> Token:
    """Replace the user's token by a new one and answer it; the old key stops working at once.

    *presented_key* is the key the caller authenticated with (``None`` for a session): if the user's token is no
    longer that key, another rotation got there first and this one is refused (``Conflict``) instead of killing
    the key the winner was just given. A session caller rotates whatever token the user has, or gets a first one.
    """
    _lock(user)
    current = Token.objects.filter(user=user).first()
    if presented_key is not None and (current is None or current.key != presented_key):
        raise Conflict(_("这个令牌已被轮换或撤销，请使用新令牌。"))
    if current is not None:
        current.delete()
    token = Token.objects.create(user=user)
    log.info("API token rotated for user %s", user.pk)
    return token


@transaction.atomic
def token_revoke(*, user: User) -> None:
    """Delete the user's token, if any. Idempotent."""
    _lock(user)
    if Token.objects.filter(user=user).delete()[0]:
        log.info("API token revoked for user %s", user.pk)


def tokens_revoke_on_password_change(*, user: User) -> None:
    """A new password ends every API token of the user (sessions other than the current one already end through
    Django's session hash). Called from :class:`accounts.validators.RevokeTokensOnPasswordChange`."""
    if user.pk is not None and Token.objects.filter(user=user).delete()[0]:
        log.info("API token revoked for user %s: password changed", user.pk)
