"""Evidence attached to a report."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from tasks.audit import audit_record
from tasks.files import ALLOWED_LABELS, MAX_ATTACHMENT_BYTES, Refused, clean_filename, detect_type
from tasks.lifecycle import Action
from tasks.models import Milestone, ReportAttachment, ReportRevision
from workflow.services.transitions import locked_for


def refusal_message(refused: Refused) -> str:
    """Why an upload was refused, for the person who chose the file."""
    if refused.reason == Refused.NOT_OFFICE:
        return _("压缩包不是 Word、Excel 或 PowerPoint 文件，不能上传。")
    if refused.reason == Refused.EXECUTABLE:
        return _("Office 文件中含有可执行文件或网页（%(member)s），不能上传。") % {"member": refused.member}
    if refused.reason == Refused.MACRO:
        return _("Office 文件含有宏或 ActiveX 控件，不能上传；请另存为不含宏的 .docx、.xlsx、.pptx 或 PDF。")
    if refused.reason == Refused.EMBEDDED:
        return _("Office 文件中内嵌了文件对象（%(member)s），不能上传；请把该文件单独上传。") % {
            "member": refused.member}
    return _("不支持的文件类型（按内容识别）。允许：%(allowed)s。") % {"allowed": ALLOWED_LABELS}


@transaction.atomic
def report_attach(*, actor: AbstractBaseUser, report_id: int, upload: UploadedFile,
                  milestone_id: int | None = None) -> ReportAttachment:
    """Attach evidence to a report the actor may edit, optionally to one milestone of its task (the claim it
    supports). The type is judged from the content (``tasks.files.detect_type``: PDF, images, Word, Excel,
    PowerPoint; an Office file carrying programs, web pages, macros or wrapped files is refused, saying why); at
    most 20 MB; stored under a generated name with the detected type; the uploader's name is kept only as a label
    (it downloads under the detected extension). Bumps the report's version (the attachment list is part of what a
    reviewer sees)."""
    report = locked_for(actor, report_id, Action.EDIT)
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": [_("文件不能超过 20 MB。")]})
    if upload.size == 0:
        raise ValidationError({"file": [_("文件是空的。")]})
    try:
        kind = detect_type(upload.file)
    except Refused as refused:
        raise ValidationError({"file": [refusal_message(refused)]}) from None
    if milestone_id is not None and not Milestone.objects.filter(pk=milestone_id, task_id=report.task_id).exists():
        raise ValidationError({"milestone": [_("节点不属于此任务。")]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = ReportAttachment(
        report=report, milestone_id=milestone_id, original_name=clean_filename(upload.name or ""),
        content_type=kind.content_type, extension=kind.extension, size=upload.size, sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    report.version += 1
    report.save(update_fields=["version", "updated_at"])
    ReportRevision.objects.create(report_id=report.pk, version=report.version, action="attach",
                                  data={"attachment": attachment.pk, "file": attachment.original_name}, by=actor)
    audit_record(action="report.attach", obj=report, actor=actor, unit=report.unit, plan=report.round.plan,
                 task=report.task, after={"file": attachment.original_name, "size": attachment.size})
    return attachment
