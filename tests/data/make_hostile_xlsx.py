"""Build the hostile workbooks in tests/data (what each carries: tests/data/README.md).

    python tests/data/make_hostile_xlsx.py          # rewrite the committed files

Each file is a minimal package written by hand with zipfile, so the attack sits exactly where the
reader meets it: a 台账 header and one real task row, then the hostile part. The builders are also
imported by the tests for files too large to commit (the cell-count bomb).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<workbook xmlns="{NS}" xmlns:r="{REL_NS}">'
    '<sheets><sheet name="重点任务" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
HEADER = ("序号", "任务名称", "牵头单位", "责任单位", "完成时限")
TASK = ("1", "建设智能工厂", "市经济信息委", "市科技局", "2025年底")


def column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number: int, cells: Iterable[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def table_rows() -> list[str]:
    """The 台账 a hostile file pretends to be: a header and one task that would import."""
    return [
        row(n, (text_cell(f"{column_letter(i)}{n}", value) for i, value in enumerate(values, start=1)))
        for n, values in ((1, HEADER), (2, TASK))
    ]


def sheet_xml(rows: Iterable[str], *, dimension: str = "A1:E2", prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        f'<worksheet xmlns="{NS}"><dimension ref="{dimension}"/><sheetData>{"".join(rows)}</sheetData></worksheet>'
    )


def write_package(path: Path, sheet: str | bytes, *, level: int = 6) -> Path:
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/styles.xml": STYLES,
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            # A fixed date, so the same script writes the same bytes (a test checks the committed files).
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
    return path


def far_cell(path: Path, ref: str, dimension: str) -> Path:
    """One real cell far from the table, and a declared dimension reaching it."""
    digits = next(i for i, ch in enumerate(ref) if ch.isdigit())
    far = row(int(ref[digits:]), [text_cell(ref, "x")])
    return write_package(path, sheet_xml([*table_rows(), far], dimension=f"A1:{dimension}"))


def cell_bomb(path: Path, rows: int = 60_000) -> Path:
    """Row after row of one tiny number cell, past the row limit (2.7 MB of XML, ~0.3 MB on disk)."""
    tiny = (f'<row r="{n}"><c r="F{n}"><v>1</v></c></row>' for n in range(3, rows + 3))
    return write_package(path, sheet_xml([*table_rows(), *tiny], dimension=f"A1:F{rows + 2}"), level=9)


def zip_bomb(path: Path, megabytes: int = 60) -> Path:
    """A sheet whose XML inflates to *megabytes* MB of empty rows (~1,000 : 1), all after the table."""
    filler = b'<row r="3" spans="1:5"/>' * (megabytes * 1024 * 1024 // 24)
    head, tail = sheet_xml([*table_rows(), "@@"]).encode().split(b"@@")
    return write_package(path, head + filler + tail, level=9)


def xxe(path: Path) -> Path:
    """An external entity pointing at /etc/passwd, used as the task title."""
    prolog = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    rows = [*table_rows(), row(3, [text_cell("A3", "2"), '<c r="B3" t="inlineStr"><is><t>&xxe;</t></is></c>'])]
    return write_package(path, sheet_xml(rows, prolog=prolog))


def billion_laughs(path: Path) -> Path:
    """Ten nested entities, each ten of the one before: 10^9 "lol"s if expanded."""
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    prolog = f"<!DOCTYPE worksheet [{''.join(entities)}]>\n"
    rows = [*table_rows(), row(3, [text_cell("A3", "2"), '<c r="B3" t="inlineStr"><is><t>&lol9;</t></is></c>'])]
    return write_package(path, sheet_xml(rows, prolog=prolog))


def malformed(path: Path) -> Path:
    """Sheet XML cut off in the middle of a cell."""
    return write_package(path, sheet_xml(table_rows())[:-60])


def not_a_zip(path: Path) -> Path:
    path.write_text("序号,任务名称,牵头单位,责任单位,完成时限\n1,建设智能工厂,市经济信息委,市科技局,2025年底\n")
    return path


COMMITTED = {
    "hostile-dimension-xfd1048576.xlsx": lambda p: far_cell(p, "XFD1048576", "XFD1048576"),
    "hostile-dimension-az200000.xlsx": lambda p: far_cell(p, "AZ200000", "AZ200000"),
    "hostile-zip-bomb.xlsx": zip_bomb,
    "hostile-xxe.xlsx": xxe,
    "hostile-billion-laughs.xlsx": billion_laughs,
    "hostile-malformed-xml.xlsx": malformed,
    "hostile-not-a-zip.xlsx": not_a_zip,
}


if __name__ == "__main__":
    for name, build in COMMITTED.items():
        target = build(HERE / name)
        print(f"{name}: {target.stat().st_size:,} bytes")
