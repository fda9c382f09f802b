"""What an import did (or, in a dry run, would do). Pure value objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

KINDS = ("plan", "tasks", "indicators", "milestones")
KIND_LABELS = {"plan": _("方案"), "tasks": _("任务"), "indicators": _("指标"), "milestones": _("节点")}


@dataclass(frozen=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass(frozen=True)
class FieldChange:
    """One changed field of one existing object: ``old`` and ``new`` as people read them."""

    kind: str
    key: str
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{KIND_LABELS[self.kind]} {self.key}：{self.field}：{self.old or '—'} → {self.new or '—'}"


@dataclass(frozen=True)
class ImportReport:
    """Counts per kind, every field change of existing objects, what was created, and what the
    register holds that the file does not mention ("not in file": never deleted)."""

    source: str
    plan_code: str
    dry_run: bool
    counts: dict[str, Counts]
    changes: tuple[FieldChange, ...] = ()
    created: tuple[tuple[str, str], ...] = ()
    not_in_file: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(counts.created or counts.updated for counts in self.counts.values())

    def total(self) -> Counts:
        return Counts(
            created=sum(c.created for c in self.counts.values()),
            updated=sum(c.updated for c in self.counts.values()),
            unchanged=sum(c.unchanged for c in self.counts.values()),
        )

    def as_dict(self) -> dict[str, Any]:
        """Counts as JSON (the audit event's ``after``)."""
        return {
            "file": self.source,
            "plan": self.plan_code,
            **{kind: self.counts[kind].as_dict() for kind in KINDS},
            "not_in_file": len(self.not_in_file),
        }

    def summary(self) -> str:
        """One line, stable wording for logs and scripts: "3 created, 1 updated, 250 unchanged (…)"."""
        total = self.total()
        parts = ", ".join(f"{kind} {c.created}/{c.updated}/{c.unchanged}" for kind, c in self.counts.items())
        prefix = "dry run: " if self.dry_run else ""
        return (
            f"{prefix}{self.plan_code}: {total.created} created, {total.updated} updated, "
            f"{total.unchanged} unchanged ({parts}; created/updated/unchanged), {len(self.not_in_file)} not in file"
        )

    def lines(self, *, max_changes: int = 200) -> list[str]:
        """The report for people, in the UI language."""
        head = _("试运行（未写入）") if self.dry_run else _("已导入")
        lines = [f"{head}：{self.source} → {self.plan_code}"]
        for kind in KINDS:
            c = self.counts[kind]
            lines.append(
                str(
                    _("%(kind)s：新建 %(created)d，更新 %(updated)d，未变 %(unchanged)d")
                    % {"kind": KIND_LABELS[kind], "created": c.created, "updated": c.updated, "unchanged": c.unchanged}
                )
            )
        for change in self.changes[:max_changes]:
            lines.append(f"  {change}")
        if len(self.changes) > max_changes:
            lines.append(str(_("  …… 另有 %(n)d 处变更未列出") % {"n": len(self.changes) - max_changes}))
        if self.not_in_file:
            lines.append(str(_("文件中没有、系统中保留（未删除）：")))
            for kind, key in self.not_in_file[:max_changes]:
                lines.append(f"  {KIND_LABELS[kind]} {key}")
            if len(self.not_in_file) > max_changes:
                lines.append(str(_("  …… 另有 %(n)d 项") % {"n": len(self.not_in_file) - max_changes}))
        return lines
