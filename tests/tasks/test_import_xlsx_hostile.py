"""Hostile workbooks: each is refused with a message naming the limit it breaks, or as not a workbook,
in bounded memory and without resolving anything (the files and what they carry: tests/data/README.md)."""

from __future__ import annotations

import sys
import tracemalloc
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from tasks.importing.apply import plan_import
from tasks.importing.errors import PlanImportError
from tasks.importing.xlsx_guard import XLSX_LIMITS
from tasks.importing.xlsx_reader import read_xlsx
from tasks.models import AuditEvent, Plan, PlanTask

DATA = Path(__file__).resolve().parents[1] / "data"
sys.path.insert(0, str(DATA))
import make_hostile_xlsx as hostile  # noqa: E402

pytestmark = pytest.mark.django_db

NOT_XLSX = "不是有效的 xlsx 文件"
PEAK_BYTES = 100 * 1024 * 1024


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Yields a one-item list that holds the peak bytes Python allocated inside the block."""
    peak = [0]
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak[0] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def _refused(path: Path) -> tuple[str, int]:
    """Import *path*; return the error message and the peak memory of the attempt."""
    with peak_memory() as peak, pytest.raises(PlanImportError) as caught:
        plan_import(source=path, plan_code="p")
    assert not Plan.objects.exists() and not PlanTask.objects.exists()
    assert not AuditEvent.objects.filter(action="plan.import").exists()
    return str(caught.value), peak[0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hostile-dimension-xfd1048576.xlsx", "第1048576行 XFD列：超出行数上限：有内容的行最多到第 50,000 行：“x”"),
        ("hostile-dimension-az200000.xlsx", "第200000行 AZ列：超出行数上限：有内容的行最多到第 50,000 行"),
        ("hostile-zip-bomb.xlsx", "解压后过大：61 MB，上限 50 MB"),
        ("hostile-xxe.xlsx", NOT_XLSX),
        ("hostile-billion-laughs.xlsx", NOT_XLSX),
        ("hostile-malformed-xml.xlsx", NOT_XLSX),
        ("hostile-not-a-zip.xlsx", NOT_XLSX),
    ],
)
def test_a_hostile_workbook_is_refused_in_bounded_memory(name, expected):
    message, peak = _refused(DATA / name)

    assert message.startswith(name) and expected in message
    assert peak < PEAK_BYTES


def test_the_committed_hostile_files_are_what_the_script_builds(tmp_path):
    for name, build in hostile.COMMITTED.items():
        assert build(tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_an_external_entity_is_never_resolved():
    message, _peak = _refused(DATA / "hostile-xxe.xlsx")

    assert message == "hostile-xxe.xlsx：不是有效的 xlsx 文件（请用 Excel 另存为 .xlsx）"


@pytest.mark.slow  # 50,000 rows streamed under tracemalloc: seconds
def test_a_cell_count_bomb_stops_at_the_row_limit(tmp_path):
    path = hostile.cell_bomb(tmp_path / "bomb.xlsx")

    message, peak = _refused(path)

    assert "第50001行 F列：超出行数上限：有内容的行最多到第 50,000 行：“1”" in message
    assert peak < PEAK_BYTES


def test_a_value_beyond_the_last_column_names_the_column_limit(tmp_path):
    path = hostile.write_package(
        tmp_path / "wide.xlsx",
        hostile.sheet_xml([*hostile.table_rows(), hostile.row(3, [hostile.text_cell("GS3", "宽")])]),
    )

    message, _peak = _refused(path)

    assert "wide.xlsx 工作表“重点任务” 第3行 GS列：超出列数上限：有内容的列最多到第 200 列（GR）：“宽”" in message


def test_empty_formatted_cells_far_away_cost_nothing_and_the_table_imports(tmp_path):
    far = hostile.row(1048576, ['<c r="XFD1048576" s="0"/>'])
    sheet = hostile.sheet_xml([*hostile.table_rows(), far], dimension="A1:XFD1048576")
    path = hostile.write_package(tmp_path / "styled.xlsx", sheet)

    with peak_memory() as peak:
        report = plan_import(source=path, plan_code="p")

    assert report.counts["tasks"].created == 1 and peak[0] < PEAK_BYTES
    assert PlanTask.objects.get(plan__code="p").title == "建设智能工厂"


def test_a_compressed_member_far_beyond_the_ratio_limit_is_a_suspected_zip_bomb(tmp_path):
    path = hostile.write_package(tmp_path / "ratio.xlsx", hostile.sheet_xml(hostile.table_rows()))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/image1.png", b"\0" * (2 * 1024 * 1024))

    message, _peak = _refused(path)

    assert "压缩比异常" in message and "上限 200 倍" in message and "xl/media/image1.png" in message


def test_a_member_whose_header_understates_its_size_is_not_a_workbook(tmp_path):
    # zipfile stops at the declared size and then fails the CRC: the declared sizes the checks trust hold.
    sheet = hostile.sheet_xml(hostile.table_rows()).encode()
    path = hostile.write_package(tmp_path / "lying.xlsx", sheet)
    data = bytearray(path.read_bytes())
    size = len(sheet).to_bytes(4, "little")
    for start in [i for i in range(len(data)) if data.startswith(size, i)]:
        data[start : start + 4] = (200).to_bytes(4, "little")
    path.write_bytes(bytes(data))

    message, _peak = _refused(path)

    assert NOT_XLSX in message


def _read(path: Path, **limits: int) -> str:
    with pytest.raises(PlanImportError) as caught:
        read_xlsx(path, limits=replace(XLSX_LIMITS, **limits))
    return str(caught.value)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"cells": 8}, "small.xlsx 工作表“重点任务” 第2行：单元格过多：整个文件超过上限 8 个"),
        ({"members": 5}, "small.xlsx：压缩包内文件过多：6 个，上限 5 个"),
        ({"uncompressed_bytes": 1024}, "small.xlsx：解压后过大：1 MB，上限 0 MB"),
        ({"part_bytes": 100}, "small.xlsx：文件内部件过大"),
        ({"xml_elements": 20}, "small.xlsx：XML 元素过多：超过上限 20 个"),
        ({"rows": 1}, "small.xlsx 工作表“重点任务” 第2行 A列：超出行数上限：有内容的行最多到第 1 行：“1”"),
        (
            {"columns": 4},
            "small.xlsx 工作表“重点任务” 第1行 E列：超出列数上限：有内容的列最多到第 4 列（D）：“完成时限”",
        ),
    ],
)
def test_each_limit_is_named_when_broken(tmp_path, limits: dict[str, int], expected: str):
    path = hostile.write_package(tmp_path / "small.xlsx", hostile.sheet_xml(hostile.table_rows()))

    assert expected in _read(path, **limits)


def test_too_many_merged_ranges_names_the_limit(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "重点任务"
    sheet.append(list(hostile.HEADER))
    for row in range(2, 6):
        sheet.append(list(hostile.TASK))
        sheet.merge_cells(start_row=row, start_column=3, end_row=row, end_column=4)
    workbook.save(tmp_path / "merged.xlsx")

    assert "merged.xlsx 工作表“重点任务”：合并单元格过多：每个工作表上限 3 处" in _read(
        tmp_path / "merged.xlsx", merged_ranges=3
    )


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.DEFUSEDXML is True


def test_the_command_reports_the_limit_and_exits_non_zero():
    with pytest.raises(CommandError) as caught:
        call_command("import_plan", str(DATA / "hostile-dimension-xfd1048576.xlsx"), "--plan", "p", stdout=StringIO())

    assert "未写入任何数据" in str(caught.value) and "超出行数上限" in str(caught.value)
