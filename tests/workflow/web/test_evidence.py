"""Evidence on the report pages: the supervisor reviewing a consolidated report sees each part's files beside the
milestone claim they support (the rest under 其他附件), downloads them under the detected extension and previews
PDFs and images in a sandboxed tab; a unit that cannot see a part never gets its files through the page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.filebuilders import pdf_bytes
from tests.workflow.api.conftest import build_stage, upload
from tests.workflow.api.test_report_api_evidence import _in_review_with_evidence
from workflow import services


def _between(html: str, start: str, end: str) -> str:
    """The page from the first ``start`` to the ``end`` that follows it."""
    at = html.index(start)
    return html[at : html.index(end, at)]


@pytest.mark.parametrize("persona", ["sam", "leo", "jxw-r"])
def test_the_consolidated_report_shows_each_claims_evidence_beside_it(world, page_client, media_root, persona):
    _, ids = _in_review_with_evidence(world)
    html = page_client(persona).get(f"/reports/{ids['task']}/").content.decode()
    claim = _between(html, f'id="claim-evidence-{world.milestone.code}"', 'id="other-evidence"')
    pdf_url = f"/api/reports/{ids['fgw']}/attachments/{ids['fgw_pdf']}/"
    assert f'href="{pdf_url}"' in claim and "验收报告.pdf" in claim
    assert f'href="{pdf_url}inline/" target="_blank" rel="noopener"' in claim  # 预览
    assert "市发展改革委" in claim and "市科技局" in claim  # whose evidence it is
    docx_url = f"/api/reports/{ids['kjj']}/attachments/{ids['kjj_docx']}/"
    assert f'href="{docx_url}"' in claim and f'href="{docx_url}inline/"' not in claim  # Word downloads only
    other = _between(html, 'id="other-evidence"', "</section>")
    assert "其他附件" in other and "现场照片.png" in other and "验收报告.pdf" not in other


def test_a_renamed_file_is_listed_under_its_download_name(world, page_client, media_root):
    stage = build_stage(world, "draft")
    services.report_attach(actor=world["fgw-r"], report_id=stage.part.pk, upload=upload("evidence.bat", pdf_bytes()))
    html = page_client("fgw-r").get(f"/reports/{stage.part.pk}/").content.decode()
    assert "evidence.pdf" in html and "evidence.bat" not in html


def test_a_unit_that_cannot_see_the_consolidated_report_gets_no_page_and_no_file(world, page_client, media_root):
    _, ids = _in_review_with_evidence(world)
    kjj = page_client("kjj-r")
    assert kjj.get(f"/reports/{ids['task']}/").status_code == 404
    assert kjj.get(f"/api/reports/{ids['fgw']}/attachments/{ids['fgw_pdf']}/inline/").status_code == 404
    own = kjj.get(f"/reports/{ids['kjj']}/").content.decode()
    assert "纪要.docx" in own and "验收报告.pdf" not in own


def test_the_upload_without_javascript_can_name_the_milestone_it_evidences(world, page_client, media_root):
    stage = build_stage(world, "draft")
    html = page_client("fgw-r").get(f"/reports/{stage.part.pk}/").content.decode()
    select = _between(html, 'name="milestone" form="attach-form"', "</select>")
    assert f'<option value="{world.milestone.pk}">' in select and '<option value="">' in select


def test_the_review_page_reads_evidence_in_constant_queries(world, page_client, media_root):
    _, ids = _in_review_with_evidence(world)
    client = page_client("sam")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/reports/{ids['task']}/").status_code == 200
        return len(captured)

    before = queries()
    from tasks.models import ReportAttachment

    first = ReportAttachment.objects.get(pk=ids["fgw_pdf"])
    for n in range(4):  # more files on both parts, some on the milestone, some not
        ReportAttachment.objects.create(
            report_id=ids["fgw" if n % 2 else "kjj"],
            milestone_id=world.milestone.pk if n < 2 else None,
            file=first.file.name,
            original_name=f"附件{n}.pdf",
            content_type="application/pdf",
            extension=".pdf",
            size=first.size,
            sha256=first.sha256,
            uploaded_by=world["fgw-r"],
        )
    assert queries() == before


def test_the_lead_unit_consolidating_sees_its_parts_evidence_beside_the_milestone(world, page_client, media_root):
    from tests.workflow.conftest import fill_and_sign

    round_ = world.open_round()
    fgw = world.part(round_, "市发展改革委")
    services.report_attach(
        actor=world["fgw-r"],
        report_id=fgw.pk,
        milestone_id=world.milestone.pk,
        upload=upload("验收报告.pdf", pdf_bytes()),
    )
    claim = [{"milestone": world.milestone.pk, "completed_date": "2025-09-28", "evidence": "验收报告"}]
    fill_and_sign(world, round_, "fgw", percent_complete=60, milestone_claims=claim)
    fill_and_sign(world, round_, "kjj", percent_complete=50)
    task = world.task_report(round_)
    html = page_client("jxw-r").get(f"/reports/{task.pk}/").content.decode()
    row = _between(html, f'id="claim-{world.milestone.code}"', "data-upload-status")
    assert "验收报告.pdf" in row and "市发展改革委" in row
