"""The evidence type detector (tasks.files): the type comes from the bytes, never from the name; Office packages
are opened and refused when they carry programs, web pages or macros; the download name keeps the uploader's base
name under the detected type's extension."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest

from tasks import files
from tasks.files import Refused, content_disposition, detect_type, download_name
from tests.filebuilders import (
    ATTACK_DIR,
    attack_files,
    gif_js_polyglot,
    ole_bytes,
    ooxml_bytes,
    packager_object,
    pdf_bytes,
    png_bytes,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"


def detect(data: bytes) -> files.FileType:
    return detect_type(io.BytesIO(data))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (pdf_bytes(), files.PDF),
        (png_bytes(), files.PNG),
        (JPEG, files.JPEG),
        (GIF, files.GIF),
        (WEBP, files.WEBP),
        (ooxml_bytes("docx"), files.DOCX),
        (ooxml_bytes("xlsx"), files.XLSX),
        (ooxml_bytes("pptx"), files.PPTX),
        # What real documents carry: pictures (SVG too, since Office 2016), an embedded workbook, custom XML.
        (
            ooxml_bytes(
                "docx",
                extra={
                    "word/media/image1.png": png_bytes(),
                    "word/media/image2.svg": b"<svg/>",
                    "word/embeddings/Microsoft_Excel_Worksheet.xlsx": ooxml_bytes("xlsx"),
                    "customXml/item1.xml": b"<a/>",
                },
            ),
            files.DOCX,
        ),
        (ole_bytes({"WordDocument": b"\xec\xa5", "1Table": None, "\x05SummaryInformation": None}), files.DOC),
        (ole_bytes({"Workbook": b"\x09\x08", "\x05SummaryInformation": None}), files.XLS),
        (ole_bytes({"Book": None}), files.XLS),  # Excel 5/95
        (ole_bytes({"PowerPoint Document": None, "Current User": None}), files.PPT),
        # An embedded chart (an OLE object that is not a Package) is fine.
        (
            ole_bytes({"WordDocument": None, "ObjectPool": {"_1234": {"\x01CompObj": None, "CONTENTS": None}}}),
            files.DOC,
        ),
        # Polyglots are what their first bytes say, and are only ever served as that.
        (pdf_bytes(tail=b"<html><script>alert(1)</script></html>"), files.PDF),
        (gif_js_polyglot(), files.GIF),
    ],
)
def test_allowed_content_is_recognised(content, expected):
    assert detect(content) == expected


def test_the_stream_is_rewound_after_detection():
    stream = io.BytesIO(ooxml_bytes("xlsx"))
    stream.seek(7)
    detect_type(stream)
    assert stream.tell() == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", Refused.UNSUPPORTED),
        (b"plain text, a CSV,\n1,2\n", Refused.UNSUPPORTED),
        (b"<!doctype html><html><script>alert(1)</script></html>", Refused.UNSUPPORTED),
        (b"#!/bin/sh\nrm -rf /\n", Refused.UNSUPPORTED),
        (b"MZ\x90\x00\x03\x00\x00\x00", Refused.UNSUPPORTED),  # a Windows executable
        (b"  %PDF-1.4 not at the start", Refused.UNSUPPORTED),
        (b"PK\x03\x04 not really a zip", Refused.UNSUPPORTED),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 a compound file header and nothing else", Refused.UNSUPPORTED),
        (attack_files()["drawing.svg"], Refused.UNSUPPORTED),
        # A compound file that is no Word, Excel or PowerPoint document (an .msi installer, an Outlook message…).
        (attack_files()["installer.doc"], Refused.UNSUPPORTED),
        (ole_bytes({"__substg1.0_0037001F": None}), Refused.UNSUPPORTED),
        # Zips that are not Office documents.
        (attack_files()["zip-not-office.docx"], Refused.NOT_OFFICE),
        (ooxml_bytes("docx", main_type="application/xml"), Refused.NOT_OFFICE),
        # Office packages that carry programs or web pages, whatever the case or separator of the member's name.
        (attack_files()["office-with-exe.docx"], Refused.EXECUTABLE),
        (ooxml_bytes("xlsx", extra={"xl\\media\\RUN.BAT": b"@echo off"}), Refused.EXECUTABLE),
        *[
            (ooxml_bytes("pptx", extra={f"ppt/embeddings/x.{ext}": b"x"}), Refused.EXECUTABLE)
            for ext in ("exe", "dll", "cmd", "js", "vbs", "ps1", "scr", "com", "msi", "jar", "lnk", "wsf", "hta")
        ],
        (attack_files()["office-with-html.docx"], Refused.EXECUTABLE),
        *[
            (ooxml_bytes("docx", extra={f"word/x.{ext}": b"<html/>"}), Refused.EXECUTABLE)
            for ext in ("html", "htm", "xhtml", "mht", "mhtml")
        ],
        # Macros: the VBA project, a macro-enabled main part, a macro-enabled document embedded, ActiveX controls.
        (attack_files()["office-with-macro.docx"], Refused.MACRO),
        (ooxml_bytes("docx", extra={"word/vbaProject.bin": b"\0"}), Refused.MACRO),
        (ooxml_bytes("docx", main_type="application/vnd.ms-word.document.macroEnabled.main+xml"), Refused.MACRO),
        (ooxml_bytes("xlsx", extra={"xl/embeddings/book.xlsm": b"PK"}), Refused.MACRO),
        (ooxml_bytes("docx", extra={"word/activeX/activeX1.bin": b"\0"}), Refused.MACRO),
        (attack_files()["legacy-macro.doc"], Refused.MACRO),
        (ole_bytes({"Workbook": None, "_VBA_PROJECT_CUR": {"VBA": {"dir": None}}}), Refused.MACRO),
        # A file wrapped as an OLE "Package" object (an .exe behind an icon in the document).
        (attack_files()["office-with-package.docx"], Refused.EMBEDDED),
        (ole_bytes({"WordDocument": None, "ObjectPool": {"_1": {"\x01Ole10Native": b"setup.exe"}}}), Refused.EMBEDDED),
    ],
)
def test_refused_content_says_why(content, reason):
    with pytest.raises(Refused) as refused:
        detect(content)
    assert refused.value.reason == reason


def test_a_refusal_names_the_offending_member():
    with pytest.raises(Refused) as refused:
        detect(attack_files()["office-with-exe.docx"])
    assert refused.value.member == "word/embeddings/setup.exe"


def test_a_member_that_would_inflate_past_the_limit_is_not_read(monkeypatch):
    monkeypatch.setattr(files, "MAX_MEMBER_BYTES", 2000)  # the package's XML fits, the object does not
    with pytest.raises(Refused) as refused:
        detect(ooxml_bytes("docx", extra={"word/embeddings/oleObject1.bin": packager_object()}))
    assert refused.value.reason == Refused.UNSUPPORTED


def test_the_committed_attack_files_are_what_the_builder_makes():
    """tests/data/README.md describes these files; rebuild them with ``python -m tests.filebuilders``."""
    on_disk = {
        path.name: path.read_bytes()
        for path in ATTACK_DIR.iterdir()
        if path.is_file() and not path.name.startswith(".")
    }
    assert on_disk == attack_files()


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("evidence.bat", files.PDF, "evidence.pdf"),
        ("report.html", files.PDF, "report.pdf"),
        ("a.js", files.GIF, "a.gif"),
        ("验收报告.pdf", files.PDF, "验收报告.pdf"),
        ("现场.PDF", files.PDF, "现场.PDF"),
        ("photo.jpeg", files.JPEG, "photo.jpeg"),
        ("photo.JPG", files.JPEG, "photo.JPG"),
        ("photo.png", files.JPEG, "photo.jpg"),
        ("scan", files.PDF, "scan.pdf"),
        ("2025年第三季度.报告", files.PDF, "2025年第三季度.报告.pdf"),
        ("archive.tar.gz", files.PDF, "archive.tar.pdf"),
        ("a.pdf.exe", files.PDF, "a.pdf"),
        ("纪要.docx", files.DOC, "纪要.doc"),
        ("", files.PNG, "file.png"),
        ("../../etc/passwd", files.PDF, "passwd.pdf"),
    ],
)
def test_the_download_name_keeps_the_base_name_under_the_detected_extension(name, kind, expected):
    assert download_name(name, kind) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("evidence.pdf", "attachment; filename=\"evidence.pdf\"; filename*=UTF-8''evidence.pdf"),
        ("验收报告.pdf", f"attachment; filename=\"attachment.pdf\"; filename*=UTF-8''{quote('验收报告.pdf')}"),
        (
            "2025年 报告(终).pdf",
            f"attachment; filename=\"2025_ _(_).pdf\"; filename*=UTF-8''{quote('2025年 报告(终).pdf', safe='')}",
        ),
        ("a;b=c,d'e%f.pdf", "attachment; filename=\"a_b_c_d_e_f.pdf\"; filename*=UTF-8''a%3Bb%3Dc%2Cd%27e%25f.pdf"),
    ],
)
def test_the_content_disposition_is_rfc_6266_with_an_ascii_fallback(name, expected):
    assert content_disposition("attachment", name) == expected
    assert content_disposition("inline", name) == expected.replace("attachment;", "inline;", 1)


def test_only_pdf_and_raster_images_preview():
    assert {kind.label for kind in files.TYPES if kind.previewable} == {"PDF", "PNG", "JPEG", "GIF"}
