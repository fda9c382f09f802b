"""赛马比拼: task lights, unit scores within tracks and the colours of the 五色图.

``evaluation.rules`` holds the rules themselves, pure (no ORM; ``as_of`` is always passed in) and configured by a
:class:`~evaluation.rules.config.RuleSpec`. The app depends on ``tasks`` and ``units`` only; nothing below imports it.
"""
