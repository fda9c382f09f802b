"""Tests for units.matching and for the real unit list in units/data/units.yaml."""

from __future__ import annotations

import pickle
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from units.matching import UnitIndex, UnitNames, UnknownUnit, split_unit_names

UNITS_YAML = Path(__file__).resolve().parents[2] / "units" / "data" / "units.yaml"
REGION_KINDS = {"district", "county", "autonomous_county"}


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    with UNITS_YAML.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def index(data: dict[str, Any]) -> UnitIndex[str]:
    return UnitIndex(UnitNames(u["code"], u["name"], u["short_name"], u["aliases"], u["kind"]) for u in data["units"])


@pytest.fixture(scope="module")
def small_index() -> UnitIndex[int]:
    return UnitIndex(
        [
            UnitNames(1, "重庆市发展和改革委员会", "市发展改革委", ["市发改委"], "department"),
            UnitNames(2, "重庆市渝北区", "渝北区", ["渝北"], "district"),
            UnitNames(3, "重庆市城口县", "城口县", ["城口"], "county"),
            UnitNames(4, "重庆两江新区", "两江新区", ["两江"], "zone"),
            UnitNames(5, "重庆市石柱土家族自治县", "石柱县", ["石柱"], "autonomous_county"),
            UnitNames(6, "重庆市人民政府办公厅", "市政府办公厅", [], "other"),
        ]
    )


# --- split_unit_names -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("市发展改革委、两江新区、江北区等", ["市发展改革委", "两江新区", "江北区"]),
        ("市住房城乡建委，各区县", ["市住房城乡建委", "各区县"]),
        ("市生态环境局；涪陵区、长寿区", ["市生态环境局", "涪陵区", "长寿区"]),
        ("市生态环境局, 市发展改革委", ["市生态环境局", "市发展改革委"]),
        ("市生态环境局;市发展改革委", ["市生态环境局", "市发展改革委"]),
        ("市科技局\n市财政局\r\n市教委", ["市科技局", "市财政局", "市教委"]),
        ("市科技局等单位", ["市科技局"]),
        ("市科技局、市财政局等部门", ["市科技局", "市财政局"]),
        ("市科技局等、市财政局", ["市科技局", "市财政局"]),
        ("市科技局、市财政局等相关单位", ["市科技局", "市财政局"]),
        ("市科技局 等", ["市科技局"]),
        ("  市科技局 、　市财政局　", ["市科技局", "市财政局"]),
        ("市科技局、、，市财政局、", ["市科技局", "市财政局"]),
        ("市科技局、市财政局、市科技局", ["市科技局", "市财政局"]),
        ("市财政局、市科技局", ["市财政局", "市科技局"]),
        ("各区县（自治县）", ["各区县（自治县）"]),
        ("等", []),
        ("", []),
        ("  \n ", []),
    ],
)
def test_split_unit_names_splits_strips_and_dedupes(text: str, expected: list[str]) -> None:
    assert split_unit_names(text) == expected


# --- UnitIndex.resolve on a small, hand-made index ----------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("市发展改革委", [1]),
        ("重庆市发展和改革委员会", [1]),
        ("市发改委", [1]),
        ("发展和改革委员会", [1]),
        ("重庆市发改委", [1]),
        ("重庆发改委", [1]),
        ("重庆市发展改革委", [1]),
        (" 市发改委 ", [1]),
        ("市 发改委", [1]),
        ("渝北", [2]),
        ("重庆渝北区", [2]),
        ("两江新区", [4]),
        ("重庆两江新区", [4]),
        ("两江", [4]),
        ("石柱", [5]),
        ("市政府办公厅", [6]),
        ("重庆市政府办公厅", [6]),
        ("各区县", [2, 3, 5]),
        ("全市各区县", [2, 3, 5]),
        ("各区县（自治县）", [2, 3, 5]),
        ("各区县(自治县)", [2, 3, 5]),
        ("各区县 （自治县）", [2, 3, 5]),
        ("各开发区", [4]),
    ],
)
def test_resolve_matches_names_aliases_and_group_tokens(
    small_index: UnitIndex[int], name: str, expected: list[int]
) -> None:
    assert small_index.resolve(name) == expected


def test_resolve_normalises_full_width_characters() -> None:
    index = UnitIndex([UnitNames("x", "重庆市Ａ（Ｂ）中心", "Ａ中心", ["ａｂｃ"], "other")])
    assert index.resolve("重庆市A(B)中心") == ["x"]
    assert index.resolve("A中心") == ["x"]
    assert index.resolve("ABC") == ["x"]


@pytest.mark.parametrize("name", ["市经委", "江北区", "", "重庆", "各部门", "发改"])
def test_resolve_raises_unknown_unit_for_unknown_names(small_index: UnitIndex[int], name: str) -> None:
    with pytest.raises(UnknownUnit) as excinfo:
        small_index.resolve(name)
    assert excinfo.value.name == name.strip()
    assert len(excinfo.value.suggestions) <= 3


def test_unknown_unit_is_a_picklable_exception_with_name_and_suggestions() -> None:
    error = UnknownUnit("市经委", ["市经济信息委", "市教委"])
    assert isinstance(error, Exception)
    assert str(error) == '未知单位 "市经委"，是否是：市经济信息委、市教委'
    assert str(UnknownUnit("某某局")) == '未知单位 "某某局"'
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.name, clone.suggestions, str(clone)) == (
        error.name,
        error.suggestions,
        str(error),
    )


@pytest.mark.parametrize(
    ("units", "clash"),
    [
        pytest.param(
            [
                UnitNames("a", "甲局", "市甲局", ["甲"], "department"),
                UnitNames("b", "乙局", "市乙局", ["甲"], "department"),
            ],
            "甲",
            id="shared-alias",
        ),
        pytest.param(
            [
                UnitNames("a", "甲局", "市甲局", [], "department"),
                UnitNames("b", "乙局", "市乙局", ["市甲局"], "department"),
            ],
            "市甲局",
            id="alias-equals-other-short-name",
        ),
        pytest.param(
            [
                UnitNames("a", "重庆市甲局", "市甲局", [], "department"),
                UnitNames("b", "乙局", "市乙局", ["甲局"], "department"),
            ],
            "甲局",
            id="clash-after-dropping-city-prefix",
        ),
        pytest.param(
            [
                UnitNames("a", "甲局", "市甲局", [], "department"),
                UnitNames("b", "乙局", "市乙局", ["市甲局 "], "department"),
            ],
            "市甲局",
            id="clash-after-normalising-whitespace",
        ),
        pytest.param(
            [
                UnitNames("a", "甲局", "市甲局", [], "department"),
                UnitNames("a", "乙局", "市乙局", [], "department"),
            ],
            "'a'",
            id="duplicate-key",
        ),
        pytest.param(
            [UnitNames("a", "甲局", "各区县", [], "department")],
            "各区县",
            id="name-equals-group-token",
        ),
        pytest.param(
            [UnitNames("a", "甲局", "市甲局", [" "], "department")],
            "empty",
            id="empty-alias",
        ),
    ],
)
def test_index_rejects_ambiguous_or_invalid_names(units: list[UnitNames[str]], clash: str) -> None:
    with pytest.raises(ValueError, match=clash):
        UnitIndex(units)


def test_index_allows_a_unit_to_repeat_its_own_name_in_different_forms() -> None:
    index = UnitIndex([UnitNames("a", "重庆市甲局", "市甲局", ["甲局", "重庆甲局"], "department")])
    assert index.resolve("甲局") == ["a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("市发改委、渝北区、市发展改革委", [1, 2]),
        ("渝北区，各区县", [2, 3, 5]),
        ("各开发区；两江新区等", [4]),
        ("", []),
    ],
)
def test_resolve_many_splits_resolves_and_dedupes(small_index: UnitIndex[int], text: str, expected: list[int]) -> None:
    assert small_index.resolve_many(text) == expected


def test_resolve_many_raises_for_the_first_unknown_item(small_index: UnitIndex[int]) -> None:
    with pytest.raises(UnknownUnit) as excinfo:
        small_index.resolve_many("市发改委、某某局、另一个局")
    assert excinfo.value.name == "某某局"


# --- the real units in units.yaml ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("市发展改革委、两江新区、江北区等", ["fgw", "liangjiang", "jiangbei"]),
        ("市生态环境局；涪陵区、长寿区", ["sthjj", "fuling", "changshou"]),
        ("市生态环境局, 市发展改革委", ["sthjj", "fgw"]),
        ("市经信委", ["jxw"]),
        ("市经济信息委", ["jxw"]),
        ("重庆市经济和信息化委员会", ["jxw"]),
        ("梁平县", ["liangping"]),
        ("梁平区", ["liangping"]),
        ("梁平", ["liangping"]),
        ("开县", ["kaizhou"]),
        ("武隆县", ["wulong"]),
        ("铜梁县、璧山县、潼南县、荣昌县", ["tongliang", "bishan", "tongnan", "rongchang"]),
        ("忠县", ["zhongxian"]),
        ("石柱土家族自治县、秀山县、酉阳、彭水苗族土家族自治县", ["shizhu", "xiushan", "youyang", "pengshui"]),
        ("重庆高新区、高新区、重庆高新技术产业开发区", ["gaoxin"]),
        ("西部科学城重庆高新区", ["gaoxin"]),
        ("万盛经开区、万盛", ["wansheng"]),
        ("两江", ["liangjiang"]),
        ("市金融管理局、市地方金融监管局、市委金融办、重庆市地方金融管理局", ["jrj"]),
        ("市税务局、国家税务总局重庆市税务局、重庆市税务局", ["swj"]),
        ("重庆海关", ["cqhg"]),
        ("人行重庆市分行、中国人民银行重庆市分行", ["rhcq"]),
        ("市规资局、市人社局、市卫健委、市住建委、市发改委", ["ghzrzyj", "rlsbj", "wjw", "zfcxjw", "fgw"]),
        ("重庆市市场监管局", ["scjgj"]),
        ("重庆市委组织部", ["zzb"]),
        ("市政府办公厅", ["bgt"]),
    ],
)
def test_real_units_resolve(index: UnitIndex[str], text: str, expected: list[str]) -> None:
    assert index.resolve_many(text) == expected


@pytest.mark.parametrize(
    "short_name",
    [
        "市经济信息委",
        "市发展改革委",
        "市科技局",
        "市财政局",
        "市商务委",
        "市规划自然资源局",
        "市生态环境局",
        "市市场监管局",
        "市人力社保局",
        "市教委",
        "市国资委",
        "市能源局",
        "市农业农村委",
        "市卫生健康委",
        "市药监局",
        "市金融管理局",
        "市住房城乡建委",
        "市统计局",
        "市交通运输委",
        "市大数据发展局",
        "市知识产权局",
        "市税务局",
        "重庆海关",
        "市政府外办",
        "市招商投资局",
        "市政府口岸物流办",
        "市委组织部",
        "市工商联",
        "市文化旅游委",
        "人行重庆市分行",
    ],
)
def test_required_department_short_names_exist(index: UnitIndex[str], data: dict[str, Any], short_name: str) -> None:
    (key,) = index.resolve(short_name)
    unit = next(u for u in data["units"] if u["code"] == key)
    assert (unit["short_name"], unit["kind"], unit["track"]) == (
        short_name,
        "department",
        "departments",
    )


def test_every_real_name_resolves_to_its_own_unit(index: UnitIndex[str], data: dict[str, Any]) -> None:
    for unit in data["units"]:
        for name in (unit["name"], unit["short_name"], *unit["aliases"]):
            assert index.resolve(name) == [unit["code"]], name


@pytest.mark.parametrize("token", ["各区县", "全市各区县", "各区县（自治县）"])
def test_region_group_tokens_give_all_38_districts_and_counties(
    index: UnitIndex[str], data: dict[str, Any], token: str
) -> None:
    keys = index.resolve(token)
    assert len(keys) == 38
    assert keys == [u["code"] for u in data["units"] if u["kind"] in REGION_KINDS]


def test_zone_group_token_gives_the_three_zones(index: UnitIndex[str]) -> None:
    assert index.resolve("各开发区") == ["liangjiang", "gaoxin", "wansheng"]


def test_group_token_combines_with_units(index: UnitIndex[str]) -> None:
    keys = index.resolve_many("市住房城乡建委，各区县")
    assert keys[0] == "zfcxjw"
    assert len(keys) == 39


def test_unknown_real_name_suggests_closest_short_names(
    index: UnitIndex[str],
) -> None:
    with pytest.raises(UnknownUnit) as excinfo:
        index.resolve("市经委")
    error = excinfo.value
    assert error.suggestions[0] == "市经济信息委"
    assert 1 <= len(error.suggestions) <= 3
    assert str(error).startswith('未知单位 "市经委"，是否是：市经济信息委')


def test_units_yaml_has_the_expected_kinds(data: dict[str, Any]) -> None:
    kinds = Counter(u["kind"] for u in data["units"])
    assert kinds["district"] == 26
    assert kinds["county"] == 8
    assert kinds["autonomous_county"] == 4
    assert kinds["zone"] == 3
    assert kinds["department"] >= 30
    assert set(kinds) <= {"department", "district", "county", "autonomous_county", "zone", "other"}


def test_units_yaml_codes_and_adcodes_are_unique_and_well_formed(data: dict[str, Any]) -> None:
    units = data["units"]
    codes = [u["code"] for u in units]
    assert len(codes) == len(set(codes))
    assert all(c.isascii() and c == c.lower() and " " not in c for c in codes)
    adcodes = [u["adcode"] for u in units if u["adcode"] is not None]
    assert len(adcodes) == len(set(adcodes)) == 38
    for unit in units:
        if unit["kind"] in REGION_KINDS:
            assert isinstance(unit["adcode"], str), unit["code"]
            assert len(unit["adcode"]) == 6 and unit["adcode"].startswith("500"), unit["code"]
        else:
            assert unit["adcode"] is None, unit["code"]


def test_units_yaml_required_fields_are_present(data: dict[str, Any]) -> None:
    for unit in data["units"]:
        assert set(unit) == {
            "code",
            "name",
            "short_name",
            "aliases",
            "name_en",
            "kind",
            "track",
            "adcode",
        }, unit["code"]
        assert unit["name"] and unit["short_name"] and unit["name_en"], unit["code"]
        assert isinstance(unit["aliases"], list), unit["code"]


def test_units_yaml_tracks_partition_the_ranked_units(data: dict[str, Any]) -> None:
    tracks = {t["code"]: t for t in data["tracks"]}
    assert sorted(t["order"] for t in tracks.values()) == [1, 2, 3, 4, 5, 6]
    sizes = Counter(u["track"] for u in data["units"])
    assert set(sizes) - {None} <= set(tracks)
    assert (sizes["central"], sizes["new-main"], sizes["northeast"], sizes["southeast"]) == (
        9,
        12,
        11,
        6,
    )
    assert sizes["zones"] == 3
    for unit in data["units"]:
        expected = {
            "department": "departments",
            "zone": "zones",
            "other": None,
        }.get(unit["kind"])
        if unit["kind"] not in REGION_KINDS:
            assert unit["track"] == expected, unit["code"]
        else:
            assert unit["track"] in {"central", "new-main", "northeast", "southeast"}


@pytest.mark.parametrize(
    ("short_names_in_track", "track"),
    [
        ("渝中区 大渡口区 江北区 沙坪坝区 九龙坡区 南岸区 北碚区 渝北区 巴南区", "central"),
        (
            "涪陵区 长寿区 江津区 合川区 永川区 南川区 綦江区 大足区 璧山区 铜梁区 潼南区 荣昌区",
            "new-main",
        ),
        ("万州区 开州区 梁平区 城口县 丰都县 垫江县 忠县 云阳县 奉节县 巫山县 巫溪县", "northeast"),
        ("黔江区 武隆区 石柱县 秀山县 酉阳县 彭水县", "southeast"),
    ],
)
def test_districts_and_counties_are_in_their_track(data: dict[str, Any], short_names_in_track: str, track: str) -> None:
    actual = {u["short_name"] for u in data["units"] if u["track"] == track}
    assert actual == set(short_names_in_track.split())


def test_government_general_office_is_not_ranked(index: UnitIndex[str], data: dict[str, Any]) -> None:
    (key,) = index.resolve("重庆市人民政府办公厅")
    unit = next(u for u in data["units"] if u["code"] == key)
    assert (unit["short_name"], unit["kind"], unit["track"]) == ("市政府办公厅", "other", None)
