"""Local and demo settings: the embedded defaults (SQLite, no Redis needed)."""

from config.env import env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import DATA_DIR

# Without an SMTP host the demo's e-mail is written to files under var/mail/, one per message.
if env_str("LUOSHI_EMAIL_HOST") is None:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
