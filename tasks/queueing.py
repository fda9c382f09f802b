"""Publishing a Celery job from an on-commit hook without letting a broker outage fail the request.

The write has committed when the hook runs: raising would turn a saved change into a 500. Every job published this
way has something that makes up for a lost one — a beat sweep that queues it again, or the next reader — and the
caller names it, so the log says what will happen.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def publish(job: Any, *args: Any, about: str, recovery: str) -> bool:
    """``job.delay(*args)``; True when published. An unreachable broker is logged (a warning naming ``about``, what
    the job was for, and ``recovery``, what will do it instead), not raised."""
    try:
        job.delay(*args)
    except OperationalError:
        logger.warning("%s: the job could not be queued (broker unavailable); %s", about, recovery, exc_info=True)
        return False
    return True
