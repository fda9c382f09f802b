"""Fixtures of the reporting-loop API tests: a signed-in client per persona of the ``world``, the stages a
report goes through (built with the services, as a user would), and small real files to upload.

Personas (the world's names for the cast of tests/conftest.py): fgw-r (bob) reporter of unit A (市发展改革委),
kjj-r (erin) reporter of unit B (市科技局), fgw-h (dave) head of A, jxw-r (alice) reporter of the lead unit
(市经济信息委), sam supervisor, leo leader.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tasks.models import Report, ReportingRound
from tests.support import submit_report
from tests.workflow.conftest import World, fill_and_sign
from workflow import services

PERSONAS = ("fgw-r", "kjj-r", "fgw-h", "jxw-r", "jxw-h", "sam", "leo")


@pytest.fixture
def client_of(world: World) -> Callable[[str], APIClient]:
    """A session-signed-in API client for a persona of the world (a fresh user object on every request)."""

    def make(name: str) -> APIClient:
        client = APIClient()
        client.force_login(world[name])
        return client

    return make


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Uploads land in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- the stages of one task's reports -------------------------------------------------------------


@dataclass
class Stage:
    """A round of the world at one stage; ``part`` is unit A's (市发展改革委) part, ``task`` the task report."""

    round: ReportingRound
    part: Report
    task: Report
    attachment_id: int | None = None

    def ids(self) -> dict[str, int | None]:
        return {"round": self.round.pk, "part": self.part.pk, "task": self.task.pk,
                "attachment": self.attachment_id, "task_id": self.task.task_id}


def build_stage(world: World, name: str) -> Stage:
    """Bring the world's first round to a stage through the services:

    draft (everything open), submitted (A's part submitted), consolidating (both parts signed off, the lead
    unit consolidates), lead_sign_off (the consolidated report waits for the lead unit head's sign-off), in_review
    (the task report sent to review), attached (draft, with a PDF on A's part).
    """
    round_ = world.open_round()
    part = world.part(round_, "市发展改革委")
    attachment_id = None
    if name == "submitted":
        submit_report(actor=world["fgw-r"], report_id=part.pk)
    elif name in ("consolidating", "lead_sign_off", "in_review"):
        fill_and_sign(world, round_, "fgw")
        fill_and_sign(world, round_, "kjj")
        if name in ("lead_sign_off", "in_review"):
            submit_report(actor=world["jxw-r"], report_id=world.task_report(round_).pk)
        if name == "in_review":
            services.report_sign_off(actor=world["jxw-h"], report_id=world.task_report(round_).pk)
    elif name == "attached":
        attachment_id = services.report_attach(actor=world["fgw-r"], report_id=part.pk,
                                               upload=upload("证据.pdf", PDF_BYTES)).pk
    elif name != "draft":
        raise ValueError(name)
    return Stage(round=round_, part=world.part(round_, "市发展改革委"), task=world.task_report(round_),
                 attachment_id=attachment_id)


# --- small real files -------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes() -> bytes:
    """A valid 1×1 black PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + _png_chunk(b"IEND", b""))


def docx_bytes() -> bytes:
    """A minimal Word document: [Content_Types].xml and word/document.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            '<w:body><w:p><w:r><w:t>验收报告</w:t></w:r></w:p></w:body></w:document>'))
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
