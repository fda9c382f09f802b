"""The words of a message: its title and body from the subject, what the planner says to send and to whom. Written
once, in the active language (the sweep uses the site's), and stored with the message."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import get_language, gettext, gettext_noop

from notifications.planner import Kind, Role, Send
from notifications.subjects import Subject


@lru_cache(maxsize=512)
def _translated(language: str | None, message: str) -> str:
    return gettext(message)  # called with ``language`` active: the key says which catalogue answered


def _(message: str) -> str:
    """``gettext``, remembered per language: a sweep composes thousands of messages from a dozen strings, and each
    lookup through Django's translation machinery costs more than the rest of composing. (Still ``_``, so
    makemessages finds the strings.)"""
    return _translated(get_language(), message)


def _state(kind: Kind, days: int) -> str:
    if kind == Kind.RETURNED:
        return _("已被退回")
    if kind == Kind.REMINDER:
        if days > 0:
            return _("还有 %(n)s 天到期") % {"n": days}
        return _("今天到期") if days == 0 else _("已过截止日期")
    if kind == Kind.STALE:
        return _("已等待 %(n)s 个工作日") % {"n": days}
    return _("已逾期 %(n)s 个工作日") % {"n": days}


# Marked for translation here, translated when used (through the cached ``_``): a message translates only its own.
_PREFIXES = {
    Kind.REMINDER: gettext_noop("提醒"),
    Kind.STALE: gettext_noop("久未处理"),
    Kind.CHASE: gettext_noop("催办"),
    Kind.SUPERVISE: gettext_noop("建议督办"),
    Kind.INTERVIEW: gettext_noop("建议约谈"),
    Kind.RETURNED: gettext_noop("退回"),
}


def _advice(kind: Kind, role: Role) -> str:
    if kind == Kind.RETURNED:
        return _("请查看退回意见，修改后重新提交。")
    if kind == Kind.REMINDER:
        return _("请在截止日期前办理。")
    if kind == Kind.STALE:
        return _("请尽快处理。")
    if kind == Kind.CHASE:
        return _("请尽快办理。本催办同时发给经办人和单位负责人。")
    if kind == Kind.SUPERVISE:
        if role == Role.SUPERVISOR:
            return _("已达督办条件，建议下发督办单（由督查专班决定）。")
        return _("已达督办条件，已提请督查专班督办，请尽快办理。")
    return _("已达约谈条件，建议约谈责任单位（由领导决定）。")


def compose(subject: Subject, send: Send, role: Role, *, language: str | None = None) -> tuple[str, str]:
    """(title, body) of the message ``send`` to someone holding ``role``, in the active language (``language``: the
    caller's reading of it, once for many messages — each reading costs more than composing)."""
    title_format, prefix, state, due_format, advice = _frame(language or get_language(), send.kind, send.days, role)
    title = title_format % {"prefix": prefix, "what": subject.what, "state": state, "label": subject.label}
    facts = [subject.unit_name] if subject.unit_name else []
    if subject.due_date is not None:
        facts.append(due_format % {"date": subject.due_date.isoformat()})
    body = " · ".join(facts)
    return title[:300], f"{body}\n{advice}" if body else advice


@lru_cache(maxsize=1024)
def _frame(language: str | None, kind: Kind, days: int, role: Role) -> tuple[str, str, str, str, str]:
    """The words of every message of one kind, day count and role, in ``language`` (the active one: the key says
    which): its title's format, prefix and state, the due date's format and the advice. Composing then only fills
    in the subject."""
    return (_("【%(prefix)s】%(what)s%(state)s：%(label)s"), _(_PREFIXES[kind]), _state(kind, days),
            _("截止 %(date)s"), _advice(kind, role))
