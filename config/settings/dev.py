"""Local and demo settings: the embedded defaults (SQLite, no Redis needed)."""

from config.settings.base import *  # noqa: F403
