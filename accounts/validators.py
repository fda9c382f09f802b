"""The hook that ends a user's API tokens when their password changes.

Django calls ``password_changed(password, user)`` on every configured password validator after a user whose
password was set with ``set_password()`` is saved: the password-change page, the admin's "change password" form,
``manage.py changepassword``, a password reset, any code that calls ``set_password`` and ``save``. It does *not*
call it when ``check_password`` only re-hashes the same password with a newer hasher (Django marks that case as
"not a password change"), so an upgrade of Django does not end every token on the next login. That is why the
hook is a validator and not a ``pre_save`` signal comparing hashes, which fires on those upgrades too.
"""

from __future__ import annotations

from typing import Any

from accounts.services import tokens_revoke_on_password_change


class RevokeTokensOnPasswordChange:
    """Listed in ``AUTH_PASSWORD_VALIDATORS``; accepts every password and revokes tokens after a change."""

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None:
            tokens_revoke_on_password_change(user=user)

    def get_help_text(self) -> str:
        return ""
