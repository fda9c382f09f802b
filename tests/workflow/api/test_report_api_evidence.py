"""Evidence through the API, as an attacker and as the supervisor meet it: the attack files of tests/data/attachments
get the right outcome; downloads carry the detected type's extension and safe headers; PDFs and raster images
preview inline in a sandbox, nothing else does; a consolidated report shows its parts' evidence beside the claim it
supports, to exactly those who see the consolidated report."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from tasks.files import content_disposition
from tasks.models import ReportAttachment
from tests.filebuilders import ATTACK_DIR, ooxml_bytes, pdf_bytes, png_bytes
from tests.workflow.api.conftest import build_stage, upload
from tests.workflow.conftest import fill_and_sign
from workflow import services

WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"


def _attach(client: APIClient, report_id: int, name: str, content: bytes, **extra: Any) -> Any:
    return client.post(
        f"/api/reports/{report_id}/attachments/", {"file": upload(name, content), **extra}, format="multipart"
    )


def _attack(name: str) -> bytes:
    return (ATTACK_DIR / name).read_bytes()


# --- the attack files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "download"),
    [
        ("evidence.bat", "application/pdf", "evidence.pdf"),  # a PDF named .bat
        ("report.html", "application/pdf", "report.pdf"),  # a PDF/HTML polyglot
        ("a.js", "image/gif", "a.gif"),  # a GIF/JavaScript polyglot
    ],
)
def test_a_renamed_file_is_stored_as_its_content_and_downloads_under_that_extension(
    world, client_of, media_root, name, content_type, download
):
    stage = build_stage(world, "draft")
    response = _attach(client_of("fgw-r"), stage.part.pk, name, _attack(name))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["original_name"], body["content_type"], body["download_name"]) == (name, content_type, download)
    stored = ReportAttachment.objects.get(pk=body["id"])
    assert stored.content_type == content_type and stored.file.name.endswith(download.rsplit(".")[-1])

    got = client_of("sam").get(body["url"])
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == _attack(name)
    assert got["Content-Type"] == content_type
    assert got["Content-Disposition"] == f"attachment; filename=\"{download}\"; filename*=UTF-8''{download}"
    assert got["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("office-with-exe.docx", "含有可执行文件或网页（word/embeddings/setup.exe）"),
        ("office-with-html.docx", "含有可执行文件或网页（word/afchunk.htm）"),
        ("office-with-macro.docx", "含有宏"),
        ("office-with-package.docx", "内嵌了文件对象"),
        ("zip-not-office.docx", "不是 Word、Excel 或 PowerPoint 文件"),
        ("legacy-macro.doc", "含有宏"),
        ("installer.doc", "不支持的文件类型（按内容识别）"),
        ("drawing.svg", "不支持的文件类型（按内容识别）"),
    ],
)
def test_an_attack_file_is_refused_on_the_file_field_with_the_reason(world, client_of, media_root, name, message):
    stage = build_stage(world, "draft")
    response = _attach(client_of("fgw-r"), stage.part.pk, name, _attack(name))
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["file"]
    assert message in body["errors"]["file"][0], body
    assert not ReportAttachment.objects.exists()


def test_a_chinese_name_downloads_with_an_ascii_fallback_and_the_utf8_name(world, client_of, media_root):
    stage = build_stage(world, "draft")
    url = _attach(client_of("fgw-r"), stage.part.pk, "验收报告.exe", pdf_bytes()).json()["url"]
    disposition = client_of("sam").get(url)["Content-Disposition"]
    assert disposition == f"attachment; filename=\"attachment.pdf\"; filename*=UTF-8''{quote('验收报告.pdf')}"


# --- the inline (preview) endpoint ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("验收报告.pdf", pdf_bytes(), "application/pdf"),
        ("report.html", _attack("report.html"), "application/pdf"),
        ("现场照片.png", png_bytes(), "image/png"),
        ("a.js", _attack("a.js"), "image/gif"),
    ],
)
def test_pdfs_and_images_preview_inline_in_a_sandbox(world, client_of, media_root, name, content, content_type):
    stage = build_stage(world, "draft")
    body = _attach(client_of("fgw-r"), stage.part.pk, name, content).json()
    assert body["preview_url"] == f"/api/reports/{stage.part.pk}/attachments/{body['id']}/inline/"
    got = client_of("sam").get(body["preview_url"], HTTP_ACCEPT="text/html")
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == content
    assert got["Content-Type"] == content_type
    assert got["Content-Disposition"] == content_disposition("inline", body["download_name"])
    assert got["X-Content-Type-Options"] == "nosniff"
    policy = [directive.strip() for directive in got["Content-Security-Policy"].split(";")]
    assert policy[0] == "sandbox"  # no allow-scripts, no allow-same-origin: an opaque origin that runs nothing
    assert "default-src 'none'" in policy and "img-src 'self'" in policy
    assert not any(d.startswith("script-src") for d in policy)
    assert "frame-ancestors 'self'" in policy
    assert got["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("纪要.docx", ooxml_bytes("docx")),
        ("表.xlsx", ooxml_bytes("xlsx")),
        ("photo.webp", WEBP),
    ],
)
def test_other_types_never_preview_inline_they_download(world, client_of, media_root, name, content):
    stage = build_stage(world, "draft")
    body = _attach(client_of("fgw-r"), stage.part.pk, name, content).json()
    assert body["preview_url"] is None
    got = client_of("sam").get(f"{body['url']}inline/")
    assert got.status_code == 415
    assert got.json()["code"] == "unsupported_media_type"
    assert "下载" in got.json()["detail"]
    assert client_of("sam").get(body["url"]).status_code == 200


def test_an_old_attachment_of_the_generic_legacy_office_type_is_redetected_when_downloaded(
    world, client_of, media_root
):
    """Rows stored before the detector told .doc from .xls carry ``application/x-ole-storage`` and ``.doc``
    (the lazy fallback: no data migration)."""
    from tests.filebuilders import ole_bytes

    stage = build_stage(world, "draft")
    body = _attach(client_of("fgw-r"), stage.part.pk, "台账.xls", ole_bytes({"Workbook": None})).json()
    assert (body["content_type"], body["download_name"]) == ("application/vnd.ms-excel", "台账.xls")
    ReportAttachment.objects.filter(pk=body["id"]).update(content_type="application/x-ole-storage", extension=".doc")
    got = client_of("sam").get(body["url"])
    assert got["Content-Type"] == "application/vnd.ms-excel"
    assert got["Content-Disposition"].endswith(f"filename*=UTF-8''{quote('台账.xls')}")
    assert client_of("sam").get(f"{body['url']}inline/").status_code == 415


# --- evidence beside the claims of the consolidated report --------------------------------------------------------


def _in_review_with_evidence(world: Any) -> tuple[Any, dict[str, int]]:
    """Both parts filed with evidence, consolidated, signed off: the task report waits for the supervisor.
    A (fgw) evidences the milestone with a PDF and adds a general photo; B (kjj) a Word file on the milestone."""
    round_ = world.open_round()
    fgw, kjj = world.part(round_, "市发展改革委"), world.part(round_, "市科技局")
    ids = {
        "fgw_pdf": services.report_attach(
            actor=world["fgw-r"],
            report_id=fgw.pk,
            milestone_id=world.milestone.pk,
            upload=upload("验收报告.pdf", pdf_bytes()),
        ).pk,
        "fgw_photo": services.report_attach(
            actor=world["fgw-r"], report_id=fgw.pk, upload=upload("现场照片.png", png_bytes())
        ).pk,
        "kjj_docx": services.report_attach(
            actor=world["kjj-r"],
            report_id=kjj.pk,
            milestone_id=world.milestone.pk,
            upload=upload("纪要.docx", ooxml_bytes("docx")),
        ).pk,
    }
    claim = [{"milestone": world.milestone.pk, "completed_date": "2025-09-28", "evidence": "验收报告"}]
    fill_and_sign(world, round_, "fgw", percent_complete=60, milestone_claims=claim)
    fill_and_sign(world, round_, "kjj", percent_complete=50)
    task = world.task_report(round_)
    services.report_submit(actor=world["jxw-r"], report_id=task.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task.pk)
    ids |= {"task": task.pk, "fgw": fgw.pk, "kjj": kjj.pk}
    return round_, ids


def test_the_supervisor_gets_each_claims_evidence_from_the_parts_and_the_rest_apart(world, client_of, media_root):
    _, ids = _in_review_with_evidence(world)
    body = client_of("sam").get(f"/api/reports/{ids['task']}/").json()
    [claim] = body["milestone_claims"]
    assert claim["milestone"] == world.milestone.pk
    assert [(a["id"], a["report"], a["unit"]["short_name"], a["download_name"]) for a in claim["attachments"]] == [
        (ids["fgw_pdf"], ids["fgw"], "市发展改革委", "验收报告.pdf"),
        (ids["kjj_docx"], ids["kjj"], "市科技局", "纪要.docx"),
    ]
    assert claim["attachments"][0]["url"] == f"/api/reports/{ids['fgw']}/attachments/{ids['fgw_pdf']}/"
    assert claim["attachments"][0]["preview_url"].endswith("/inline/")
    assert claim["attachments"][1]["preview_url"] is None
    assert [a["id"] for a in body["other_attachments"]] == [ids["fgw_photo"]]
    assert body["attachments"] == []  # the task report's own files: none


@pytest.mark.parametrize("persona", ["jxw-r", "jxw-h", "sam", "leo"])
def test_everyone_who_sees_the_consolidated_report_can_open_its_evidence(world, client_of, media_root, persona):
    _, ids = _in_review_with_evidence(world)
    client = client_of(persona)
    body = client.get(f"/api/reports/{ids['task']}/").json()
    urls = [a["url"] for claim in body["milestone_claims"] for a in claim["attachments"]]
    urls += [a["url"] for a in body["other_attachments"]]
    assert len(urls) == 3
    assert all(client.get(url).status_code == 200 for url in urls)


def test_a_unit_that_cannot_see_a_part_cannot_reach_its_evidence_through_the_consolidated_report(
    world, client_of, media_root
):
    _, ids = _in_review_with_evidence(world)
    kjj = client_of("kjj-r")
    assert kjj.get(f"/api/reports/{ids['task']}/").status_code == 404
    for report in ("fgw", "task"):
        for suffix in ("", "inline/"):
            url = f"/api/reports/{ids[report]}/attachments/{ids['fgw_pdf']}/{suffix}"
            assert kjj.get(url).status_code == 404, url
    # Its own evidence it reaches under its own part only, never under the task report.
    assert kjj.get(f"/api/reports/{ids['kjj']}/attachments/{ids['kjj_docx']}/").status_code == 200
    assert client_of("sam").get(f"/api/reports/{ids['task']}/attachments/{ids['kjj_docx']}/").status_code == 404
    # A's own reporter sees A's part and its evidence, but not B's.
    fgw = client_of("fgw-r")
    assert fgw.get(f"/api/reports/{ids['kjj']}/attachments/{ids['kjj_docx']}/").status_code == 404
    assert [a["id"] for a in fgw.get(f"/api/reports/{ids['fgw']}/").json()["attachments"]] == [
        ids["fgw_pdf"],
        ids["fgw_photo"],
    ]


def test_a_part_shows_its_own_evidence_beside_its_own_claims(world, client_of, media_root):
    _, ids = _in_review_with_evidence(world)
    body = client_of("fgw-r").get(f"/api/reports/{ids['fgw']}/").json()
    [claim] = body["milestone_claims"]
    assert [a["id"] for a in claim["attachments"]] == [ids["fgw_pdf"]]
    assert [a["id"] for a in body["other_attachments"]] == [ids["fgw_photo"]]
