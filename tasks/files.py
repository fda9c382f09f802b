"""Pure checks for uploaded evidence: the type comes from the content, never from the name."""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str


PDF = FileType("application/pdf", ".pdf", "PDF")
PNG = FileType("image/png", ".png", "PNG")
JPEG = FileType("image/jpeg", ".jpg", "JPEG")
GIF = FileType("image/gif", ".gif", "GIF")
WEBP = FileType("image/webp", ".webp", "WebP")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel")
OLE = FileType("application/x-ole-storage", ".doc", "Word/Excel 97-2003")
ALLOWED_LABELS = "PDF、PNG、JPEG、GIF、WebP、Word（.doc/.docx）、Excel（.xls/.xlsx）"


def detect_type(stream: BinaryIO) -> FileType | None:
    """The file's type judged from its bytes, or None when it is not an allowed kind. Rewinds the stream."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        finally:
            stream.seek(0)
        if "[Content_Types].xml" in names:
            if any(name.startswith("word/") for name in names):
                return DOCX
            if any(name.startswith("xl/") for name in names):
                return XLSX
    return None


_UNSAFE = re.compile(r"[\x00-\x1f<>:\"|?*\\/]+")


def clean_filename(name: str) -> str:
    """The uploader's name reduced to a display label: no directories, no control or path characters."""
    base = os.path.basename((name or "").replace("\\", "/")).strip().lstrip(".")
    base = _UNSAFE.sub("_", base)
    return (base or "file")[:200]


def sniff_bytes(data: bytes) -> FileType | None:
    """``detect_type`` for bytes already in memory."""
    return detect_type(io.BytesIO(data))
