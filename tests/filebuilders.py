"""Small real files for the evidence tests, built byte by byte: a PDF, images, OOXML packages and OLE compound
files (legacy Word/Excel/PowerPoint) — clean ones and the attack files of tests/data/attachments/.

``python -m tests.filebuilders`` writes the attack files again (they are committed; a test checks the committed
bytes are still what this module builds, so tests/data/README.md describes them truthfully). Builds are
deterministic: zip members carry a fixed timestamp.
"""

from __future__ import annotations

import io
import itertools
import struct
import sys
import zipfile
import zlib
from pathlib import Path

ATTACK_DIR = Path(__file__).resolve().parent / "data" / "attachments"

# --- PDF and images ------------------------------------------------------------------------------------


def pdf_bytes(text: str = "Evidence", *, tail: bytes = b"") -> bytes:
    """A one-page PDF that viewers render (xref offsets right); ``tail`` is appended after %%EOF."""
    stream = f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out + tail


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """A valid black PNG (8-bit greyscale)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )


def gif_js_polyglot() -> bytes:
    """A GIF that is also JavaScript (the classic polyglot): the logical screen width is the two bytes ``/*``,
    so a script engine reads ``GIF89a/* …binary… */=1;alert(document.domain);`` — ``<script src=a.js>`` would run
    it if the server let the file be read as a script. Image decoders stop at the GIF trailer."""
    header = b"GIF89a/*\x01\x00\x80\x00\x00"  # width "/*", height 1, a global colour table of 2 entries
    palette = b"\x00\x00\x00\xff\xff\xff"
    image = b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"
    return header + palette + image + b"\x3b*/=1;alert(document.domain);//"


# --- OOXML (zip) packages -------------------------------------------------------------------------------

CT = "application/vnd.openxmlformats-officedocument"
MAIN = {
    "docx": ("/word/document.xml", f"{CT}.wordprocessingml.document.main+xml"),
    "xlsx": ("/xl/workbook.xml", f"{CT}.spreadsheetml.sheet.main+xml"),
    "pptx": ("/ppt/presentation.xml", f"{CT}.presentationml.presentation.main+xml"),
}
MACRO_MAIN = {"docx": "application/vnd.ms-word.document.macroEnabled.main+xml"}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 9, 30, 0, 0, 0)), data)
    return buffer.getvalue()


def ooxml_bytes(
    kind: str = "docx", *, extra: dict[str, bytes] | None = None, main_type: str | None = None, defaults: str = ""
) -> bytes:
    """A minimal Office Open XML package of ``kind`` (docx, xlsx, pptx), with ``extra`` members added."""
    part, content_type = MAIN[kind]
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + defaults
        + f'<Override PartName="{part}" ContentType="{main_type or content_type}"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'officeDocument" Target="{part.lstrip("/")}"/></Relationships>'
    )
    members = {
        "[Content_Types].xml": types.encode(),
        "_rels/.rels": rels.encode(),
        part.lstrip("/"): b'<?xml version="1.0" encoding="UTF-8"?><root>\xe9\xaa\x8c\xe6\x94\xb6</root>',
    }
    return _zip(members | (extra or {}))


# --- OLE compound files (CFB v3, 512-byte sectors) ----------------------------------------------------------

FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def ole_bytes(tree: dict[str, object]) -> bytes:
    """A compound file whose root holds ``tree``: a name maps to ``None`` (an empty stream), ``bytes`` (a stream
    stored in regular sectors, padded to 4096 bytes so no mini stream is needed) or a dict (a storage)."""
    entries: list[dict] = []  # in directory order; entry 0 is the root
    sectors: list[bytes] = []  # data sectors, placed after the FAT and directory sectors later

    def add(name: str, node: object) -> int:
        index = len(entries)
        entry = {"name": name, "left": NOSTREAM, "right": NOSTREAM, "child": NOSTREAM, "start": END, "size": 0}
        entries.append(entry)
        if isinstance(node, dict):
            entry["type"] = 1
            entry["child"] = chain(node)
        else:
            entry["type"] = 2
            if node:
                data = bytes(node) + b"\0" * max(0, 4096 - len(bytes(node)))
                data += b"\0" * (-len(data) % 512)
                entry["start"] = ("data", len(sectors))
                entry["size"] = len(data)
                sectors.extend(data[n : n + 512] for n in range(0, len(data), 512))
        return index

    def chain(children: dict[str, object]) -> int:
        """Children as a right-leaning chain, in CFB order (shorter names first, then upper-case)."""
        ids = [add(name, node) for name, node in sorted(children.items(), key=lambda kv: (len(kv[0]), kv[0].upper()))]
        for this, following in itertools.pairwise(ids):
            entries[this]["right"] = following
        return ids[0] if ids else NOSTREAM

    entries.append(
        {
            "name": "Root Entry",
            "type": 5,
            "left": NOSTREAM,
            "right": NOSTREAM,
            "child": NOSTREAM,
            "start": END,
            "size": 0,
        }
    )
    entries[0]["child"] = chain(tree)
    dir_sectors = -(-len(entries) // 4)
    first_data = 1 + dir_sectors  # sector 0 is the FAT
    total = first_data + len(sectors)
    assert total <= 128, "one FAT sector only"
    fat = [FREE] * 128
    fat[0] = FATSECT
    for n in range(dir_sectors):
        fat[1 + n] = 1 + n + 1 if n + 1 < dir_sectors else END
    # Every stream's sectors are consecutive: chain them.
    starts = sorted((e["start"][1], e["size"] // 512) for e in entries if isinstance(e["start"], tuple))
    for start, count in starts:
        for n in range(count):
            fat[first_data + start + n] = first_data + start + n + 1 if n + 1 < count else END
    directory = b""
    for entry in entries:
        name = entry["name"].encode("utf-16-le") + b"\0\0"
        start = entry["start"]
        start = first_data + start[1] if isinstance(start, tuple) else start
        directory += (
            name.ljust(64, b"\0")
            + struct.pack("<HBB", len(name), entry["type"], 1)
            + struct.pack("<III", entry["left"], entry["right"], entry["child"])
            + b"\0" * 36
            + struct.pack("<IQ", start, entry["size"])
        )
    directory = directory.ljust(dir_sectors * 512, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE) * 108
    )
    assert len(header) == 512
    return header + struct.pack("<128I", *fat) + directory + b"".join(sectors)


def packager_object(embedded_name: str = "setup.exe") -> bytes:
    """An OLE "Package" object (what Word's 插入 → 对象 → 由文件创建 makes of an .exe): ``\\x01Ole10Native``."""
    payload = embedded_name.encode() + b"\0" + b"MZ\x90\x00" + b"\0" * 60
    return ole_bytes({"\x01Ole10Native": struct.pack("<I", len(payload)) + payload, "\x01CompObj": None})


# --- the committed attack files ---------------------------------------------------------------------------


def attack_files() -> dict[str, bytes]:
    """File name → bytes of every file in tests/data/attachments/ (see tests/data/README.md, "Attachments")."""
    return {
        "evidence.bat": pdf_bytes("Evidence named .bat"),
        "report.html": pdf_bytes(
            "PDF and HTML",
            tail=(
                b"<html><body><script>document.title='pwned';parent.postMessage('pwned','*')</script></body></html>\n"
            ),
        ),
        "a.js": gif_js_polyglot(),
        "office-with-exe.docx": ooxml_bytes("docx", extra={"word/embeddings/setup.exe": b"MZ\x90\x00" + b"\0" * 60}),
        "office-with-html.docx": ooxml_bytes(
            "docx", extra={"word/afchunk.htm": (b"<html><body><script>alert(1)</script></body></html>")}
        ),
        "office-with-macro.docx": ooxml_bytes(
            "docx",
            main_type=MACRO_MAIN["docx"],
            extra={"word/vbaProject.bin": ole_bytes({"VBA": {"dir": None}})},
            defaults='<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
        ),
        "office-with-package.docx": ooxml_bytes("docx", extra={"word/embeddings/oleObject1.bin": packager_object()}),
        "zip-not-office.docx": _zip({"readme.txt": b"just a zip", "tool.exe": b"MZ"}),
        "legacy-macro.doc": ole_bytes({"WordDocument": b"\xec\xa5", "1Table": None, "Macros": {"VBA": {"dir": None}}}),
        "installer.doc": ole_bytes({"\x05SummaryInformation": None, "\u4840\u463f": None}),
        "drawing.svg": (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(document.domain)</script></svg>"
        ),
    }


def write_attack_files(directory: Path = ATTACK_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in attack_files().items():
        (directory / name).write_bytes(data)


if __name__ == "__main__":
    write_attack_files(Path(sys.argv[1]) if len(sys.argv) > 1 else ATTACK_DIR)
