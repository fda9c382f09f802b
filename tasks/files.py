"""Pure checks for uploaded evidence: the type comes from the content, never from the name.

The allowed types are what a report's evidence is made of: signed or scanned documents (PDF), photos and
screenshots (PNG, JPEG, GIF, WebP), and the office files units work in (Word, Excel, PowerPoint, in both the
current OOXML and the legacy 97-2003 formats). Not allowed: plain text and CSV (no content rule tells them from
HTML or script; a table is evidence as .xlsx or PDF), archives (they hide anything), SVG (an image that runs
script) and every other type.

An Office package is opened, never trusted: a zip must be a real OOXML document (its main part declared in
``[Content_Types].xml``) and may not carry programs or web pages (members named ``.exe``, ``.js``, ``.htm``…),
macros (``vbaProject.bin``, a macro-enabled content type, ActiveX) or files wrapped as OLE "Package" objects. A
legacy compound file must be a Word, Excel or PowerPoint document without a VBA storage or Package objects.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

import olefile

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# What one zip member may inflate to before it is read (an embedded OLE object, [Content_Types].xml).
MAX_MEMBER_BYTES = MAX_ATTACHMENT_BYTES
MAX_MEMBERS = 10_000


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str
    previewable: bool = False  # served inline (sandboxed) for the browser's own viewer: PDF and raster images
    aliases: tuple[str, ...] = ()  # other extensions of the same type, kept when the uploader used one


PDF = FileType("application/pdf", ".pdf", "PDF", previewable=True)
PNG = FileType("image/png", ".png", "PNG", previewable=True)
JPEG = FileType("image/jpeg", ".jpg", "JPEG", previewable=True, aliases=(".jpeg", ".jpe"))
GIF = FileType("image/gif", ".gif", "GIF", previewable=True)
WEBP = FileType("image/webp", ".webp", "WebP")
_OOXML = "application/vnd.openxmlformats-officedocument"
DOCX = FileType(f"{_OOXML}.wordprocessingml.document", ".docx", "Word")
XLSX = FileType(f"{_OOXML}.spreadsheetml.sheet", ".xlsx", "Excel")
PPTX = FileType(f"{_OOXML}.presentationml.presentation", ".pptx", "PowerPoint")
DOC = FileType("application/msword", ".doc", "Word 97-2003")
XLS = FileType("application/vnd.ms-excel", ".xls", "Excel 97-2003")
PPT = FileType("application/vnd.ms-powerpoint", ".ppt", "PowerPoint 97-2003")
TYPES = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, DOC, XLS, PPT)
ALLOWED_LABELS = "PDF、PNG、JPEG、GIF、WebP、Word（.doc/.docx）、Excel（.xls/.xlsx）、PowerPoint（.ppt/.pptx）"
# Uploads stored before legacy Office files were told apart carry this type (and ".doc"): see ``stored_type``.
LEGACY_OLE = FileType("application/x-ole-storage", ".doc", "Word/Excel 97-2003")
OCTET = FileType("application/octet-stream", "", "")
_BY_CONTENT_TYPE = {kind.content_type: kind for kind in (*TYPES, LEGACY_OLE)}


class Refused(Exception):
    """Content that may not be uploaded, with the reason (one of the constants) and the zip member or OLE stream
    that decided it, if any."""

    UNSUPPORTED = "unsupported"  # no allowed type, or a broken file
    NOT_OFFICE = "not_office"  # a zip that is not a Word, Excel or PowerPoint document
    EXECUTABLE = "executable"  # an Office package carrying a program or a web page
    MACRO = "macro"  # macros or ActiveX controls
    EMBEDDED = "embedded"  # a file wrapped as an OLE Package object

    def __init__(self, reason: str, member: str = "") -> None:
        super().__init__(reason, member)
        self.reason = reason
        self.member = member


def detect_type(stream: BinaryIO) -> FileType:
    """The file's type judged from its bytes; raises ``Refused`` when it is no allowed type or an Office file
    carries what it may not. Rewinds the stream."""
    try:
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
            return _legacy_office(stream)
        if head.startswith(b"PK\x03\x04"):
            return _ooxml(stream)
        raise Refused(Refused.UNSUPPORTED)
    finally:
        stream.seek(0)


# --- OOXML packages ----------------------------------------------------------------------------------------

_MAIN_TYPES = {
    f"{_OOXML}.wordprocessingml.document.main+xml": DOCX,
    f"{_OOXML}.spreadsheetml.sheet.main+xml": XLSX,
    f"{_OOXML}.presentationml.presentation.main+xml": PPTX,
}
# Programs, scripts and web pages: never inside evidence (an altChunk .htm, an .exe behind an icon…).
_EXECUTABLE_EXTENSIONS = frozenset(
    {
        ".exe",
        ".dll",
        ".com",
        ".scr",
        ".pif",
        ".cpl",
        ".msi",
        ".msp",
        ".jar",
        ".bat",
        ".cmd",
        ".ps1",
        ".psm1",
        ".sh",
        ".js",
        ".jse",
        ".vbs",
        ".vbe",
        ".wsf",
        ".wsh",
        ".hta",
        ".lnk",
        ".reg",
        ".html",
        ".htm",
        ".xhtml",
        ".mht",
        ".mhtml",
    }
)
# Macro-enabled Office files embedded in a document carry macros of their own.
_MACRO_EXTENSIONS = frozenset({".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm", ".ppam"})
_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b[^>]*>")
_ATTRIBUTE = re.compile(rb'\b(PartName|ContentType)\s*=\s*["\']([^"\']*)["\']')


def _ooxml(stream: BinaryIO) -> FileType:
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise Refused(Refused.UNSUPPORTED)
            names = {member.filename.replace("\\", "/").lower(): member for member in members}
            content_types = names.get("[content_types].xml")
            if content_types is None:
                raise Refused(Refused.NOT_OFFICE)
            types = _read_member(archive, content_types)
            if b"macroenabled" in types.lower() or b"vbaproject" in types.lower():
                raise Refused(Refused.MACRO, content_types.filename)
            kind = _main_type(types, names)
            for member in members:
                _check_member_name(member.filename.replace("\\", "/"))
            for name, member in names.items():
                if name.endswith(".bin") and "/embeddings/" in f"/{name}":
                    _check_embedded_object(_read_member(archive, member), member.filename)
            return kind
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        EOFError,
        OSError,
        ValueError,
        zlib.error,
    ):
        # A broken, encrypted or exotic zip (bad CRC, unsupported compression, truncated): not a document a
        # reviewer can open.
        raise Refused(Refused.UNSUPPORTED) from None


def _check_member_name(name: str) -> None:
    lowered = name.lower()
    base = lowered.rsplit("/", 1)[-1]
    extension = os.path.splitext(base)[1]
    if extension in _EXECUTABLE_EXTENSIONS:
        raise Refused(Refused.EXECUTABLE, name)
    if base in ("vbaproject.bin", "vbadata.xml", "vbaprojectsignature.bin") or extension in _MACRO_EXTENSIONS:
        raise Refused(Refused.MACRO, name)
    if "/activex/" in f"/{lowered}":
        raise Refused(Refused.MACRO, name)


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """A member's bytes, refusing one that declares (or turns out) larger than ``MAX_MEMBER_BYTES`` (a zip bomb)."""
    if member.file_size > MAX_MEMBER_BYTES:
        raise Refused(Refused.UNSUPPORTED, member.filename)
    with archive.open(member) as handle:
        data = handle.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise Refused(Refused.UNSUPPORTED, member.filename)
    return data


def _main_type(types: bytes, names: dict[str, zipfile.ZipInfo]) -> FileType:
    """The document type ``[Content_Types].xml`` declares for a part the package really has."""
    for override in _OVERRIDE.findall(types):
        attributes = {key.decode(): value.decode("utf-8", "replace") for key, value in _ATTRIBUTE.findall(override)}
        kind = _MAIN_TYPES.get(attributes.get("ContentType", "").strip())
        if kind is not None and attributes.get("PartName", "").lstrip("/").lower() in names:
            return kind
    raise Refused(Refused.NOT_OFFICE)


def _check_embedded_object(data: bytes, name: str) -> None:
    """An embedded OLE object (``word/embeddings/oleObject1.bin``): refused when it is a Package (a file of any
    kind wrapped behind an icon) or carries macros; other objects (charts, equations, worksheets) are fine."""
    if not olefile.isOleFile(data):
        return
    _check_ole_names(_ole_names(io.BytesIO(data)), name)


# --- legacy (97-2003) compound files -------------------------------------------------------------------------

_MACRO_STORAGES = frozenset({"macros", "_vba_project_cur", "vba", "_vba_project"})


def _ole_names(stream: BinaryIO) -> list[list[str]]:
    """Every storage and stream path of a compound file, lower-cased."""
    try:
        with olefile.OleFileIO(stream) as ole:
            return [[part.lower() for part in path] for path in ole.listdir(streams=True, storages=True)]
    except Exception:  # olefile raises many kinds of error on a malformed file: each one is a refusal
        raise Refused(Refused.UNSUPPORTED) from None


def _check_ole_names(paths: list[list[str]], where: str = "") -> None:
    for path in paths:
        if _MACRO_STORAGES.intersection(path):
            raise Refused(Refused.MACRO, where or "/".join(path))
        if "\x01ole10native" in path:
            raise Refused(Refused.EMBEDDED, where or "/".join(path))


def _legacy_office(stream: BinaryIO) -> FileType:
    paths = _ole_names(stream)
    _check_ole_names(paths)
    top = {path[0] for path in paths if len(path) == 1}
    if "worddocument" in top:
        return DOC
    if "workbook" in top or "book" in top:
        return XLS
    if "powerpoint document" in top:
        return PPT
    # Installers (.msi), Outlook messages, Visio drawings, encrypted packages…: compound files, not evidence.
    raise Refused(Refused.UNSUPPORTED)


# --- names -----------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*\\/]+")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9 ._()\-]+")


def clean_filename(name: str) -> str:
    """The uploader's name reduced to a display label: no directories, no control or path characters."""
    base = os.path.basename((name or "").replace("\\", "/")).strip().lstrip(".")
    base = _UNSAFE.sub("_", base)
    return (base or "file")[:200]


def download_name(name: str, kind: FileType) -> str:
    """The name a file downloads under: the uploader's base name with the detected type's extension (an extension
    the uploader gave is replaced, a name without one gets one; ``photo.jpeg`` stays, ``evidence.bat`` of a PDF
    becomes ``evidence.pdf``)."""
    base = clean_filename(name)
    if kind.extension == "":
        return base
    stem = base[: -len(match.group())] if (match := _EXTENSION.search(base)) else base
    for extension in (kind.extension, *kind.aliases):
        if base.lower().endswith(extension):
            return base
        if stem.lower().endswith(extension):
            return stem
    return f"{stem or 'file'}{kind.extension}"


def content_disposition(disposition: str, filename: str) -> str:
    """``Content-Disposition`` (RFC 6266) with an ASCII ``filename`` for old clients and the exact name as
    ``filename*`` (RFC 8187, UTF-8, percent-encoded): nothing of the name can break out of the header."""
    stem, extension = os.path.splitext(filename)
    fallback = _NOT_ASCII_SAFE.sub("_", stem)
    if not re.search(r"[A-Za-z0-9]", fallback):
        fallback = "attachment"
    fallback += _NOT_ASCII_SAFE.sub("_", extension)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def stored_type(content_type: str) -> FileType:
    """The type an upload was stored with (the detected type). Unknown values (none are written) download as
    octet-stream and never preview."""
    return _BY_CONTENT_TYPE.get(content_type, OCTET)
