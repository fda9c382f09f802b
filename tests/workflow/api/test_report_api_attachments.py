"""Evidence through the API: the type comes from the content, at most 20 MB, stored under a generated
name, and always downloaded as an attachment with the detected type and nosniff."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from tasks.files import MAX_ATTACHMENT_BYTES
from tasks.models import ReportAttachment
from tests.workflow.api.conftest import PDF_BYTES, build_stage, docx_bytes, png_bytes, upload


def _attach(client: APIClient, report_id: int, name: str, content: bytes, **extra: Any) -> Any:
    return client.post(f"/api/reports/{report_id}/attachments/", {"file": upload(name, content), **extra},
                       format="multipart")


def _stored_files(media_root: Path) -> list[Path]:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


@pytest.mark.parametrize(("name", "content", "content_type", "extension"), [
    ("验收报告.pdf", PDF_BYTES, "application/pdf", ".pdf"),
    ("现场照片.png", png_bytes(), "image/png", ".png"),
    ("会议纪要.docx", docx_bytes(),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    # The name lies; the content decides.
    ("photo.pdf", png_bytes(), "image/png", ".png"),
])
def test_real_files_are_accepted_and_downloaded_as_attachments(world, client_of, media_root, name, content,
                                                               content_type, extension):
    stage = build_stage(world, "draft")
    response = _attach(client_of("fgw-r"), stage.part.pk, name, content)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["original_name"], body["content_type"], body["size"]) == (name, content_type, len(content))
    assert body["url"] == f"/api/reports/{stage.part.pk}/attachments/{body['id']}/"
    stored = ReportAttachment.objects.get(pk=body["id"])
    assert stored.file.name.endswith(extension) and name not in stored.file.name

    for persona in ("fgw-r", "fgw-h", "jxw-r", "sam", "leo"):
        download = client_of(persona).get(body["url"])
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
        assert download["Content-Type"] == content_type
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Disposition"].startswith("attachment;")
    listed = client_of("jxw-r").get(f"/api/reports/{stage.part.pk}/").json()["attachments"]
    assert [(a["id"], a["original_name"]) for a in listed] == [(body["id"], name)]


def test_a_chinese_file_name_is_sent_as_rfc_5987_with_an_ascii_fallback(world, client_of, media_root):
    stage = build_stage(world, "draft")
    url = _attach(client_of("fgw-r"), stage.part.pk, "验收报告.pdf", PDF_BYTES).json()["url"]
    disposition = client_of("sam").get(url)["Content-Disposition"]
    assert disposition == f"attachment; filename=\"attachment.pdf\"; filename*=UTF-8''{quote('验收报告.pdf')}"


def test_a_file_over_20_mb_is_refused(world, client_of, media_root):
    stage = build_stage(world, "draft")
    content = PDF_BYTES + b"\0" * (MAX_ATTACHMENT_BYTES + 1 - len(PDF_BYTES))
    assert len(content) == 20 * 1024 * 1024 + 1
    response = _attach(client_of("fgw-r"), stage.part.pk, "big.pdf", content)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]
    assert not ReportAttachment.objects.exists()
    assert _stored_files(media_root) == []


def test_a_file_of_exactly_20_mb_is_accepted(world, client_of, media_root):
    stage = build_stage(world, "draft")
    content = PDF_BYTES + b"\0" * (MAX_ATTACHMENT_BYTES - len(PDF_BYTES))
    assert _attach(client_of("fgw-r"), stage.part.pk, "big.pdf", content).status_code == 201


@pytest.mark.parametrize(("name", "content"), [
    ("evil.pdf", b"#!/bin/sh\nrm -rf / --no-preserve-root\n"),
    ("page.pdf", b"<html><body><script>alert(document.cookie)</script></body></html>"),
    ("archive.docx", b"PK\x03\x04not really a zip"),
    ("empty.pdf", b""),
])
def test_content_that_is_not_an_allowed_type_is_refused(world, client_of, media_root, name, content):
    stage = build_stage(world, "draft")
    response = _attach(client_of("fgw-r"), stage.part.pk, name, content)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]
    assert not ReportAttachment.objects.exists()
    assert _stored_files(media_root) == []


def test_a_path_in_the_file_name_never_reaches_the_disk(world, client_of, media_root):
    stage = build_stage(world, "draft")
    response = _attach(client_of("fgw-r"), stage.part.pk, "../../etc/passwd.pdf", PDF_BYTES)
    assert response.status_code == 201
    assert response.json()["original_name"] == "passwd.pdf"
    stored = ReportAttachment.objects.get()
    assert ".." not in stored.file.name and "passwd" not in stored.file.name
    [path] = _stored_files(media_root)
    assert path.resolve().is_relative_to(Path(media_root).resolve())
    assert path.read_bytes() == PDF_BYTES


def test_evidence_for_a_milestone_of_another_task_is_refused(world, client_of, media_root):
    from tests.factories import make_milestone, make_task

    other = make_milestone(make_task(world.plan, "1.2", parent=world.task.parent), "M9", world.milestone.due_date)
    stage = build_stage(world, "draft")
    client = client_of("fgw-r")
    response = _attach(client, stage.part.pk, "a.pdf", PDF_BYTES, milestone=other.pk)
    assert (response.status_code, list(response.json()["errors"])) == (400, ["milestone"])
    response = _attach(client, stage.part.pk, "a.pdf", PDF_BYTES, milestone=world.milestone.pk)
    assert (response.status_code, response.json()["milestone"]) == (201, world.milestone.pk)


def test_nothing_can_be_attached_once_the_part_is_submitted(world, client_of, media_root):
    stage = build_stage(world, "submitted")
    assert _attach(client_of("fgw-r"), stage.part.pk, "late.pdf", PDF_BYTES).status_code == 403


def test_an_attachment_is_only_found_under_its_own_report(world, client_of, media_root):
    stage = build_stage(world, "attached")
    kjj_part = world.part(stage.round, "市科技局")
    sam = client_of("sam")
    assert sam.get(f"/api/reports/{stage.part.pk}/attachments/{stage.attachment_id}/").status_code == 200
    assert sam.get(f"/api/reports/{kjj_part.pk}/attachments/{stage.attachment_id}/").status_code == 404
    # kjj-r can see its own part, but not A's attachment through it.
    assert client_of("kjj-r").get(
        f"/api/reports/{kjj_part.pk}/attachments/{stage.attachment_id}/").status_code == 404


def test_a_download_ignores_the_accept_header(world, client_of, media_root):
    stage = build_stage(world, "attached")
    response = client_of("fgw-r").get(f"/api/reports/{stage.part.pk}/attachments/{stage.attachment_id}/",
                                      HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
