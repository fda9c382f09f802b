"""Read a plan YAML file (schema in docs/import-format.md) into a :class:`PlanDocument`.

Pure module: no ORM. The file is composed into YAML nodes (libyaml when available)
so every value keeps its line; the nodes are then checked against the schema by hand.
Unknown keys, repeated keys and wrong types are problems, never silently dropped.
Problems with single values are collected (up to 50) into the document for apply to report
with its own; a file that is not YAML at all raises :class:`PlanImportError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.utils.translation import gettext_lazy as _
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tasks.importing import values
from tasks.importing.document import IndicatorDoc, MilestoneDoc, PlanDoc, PlanDocument, TaskDoc
from tasks.importing.errors import Location, PlanImportError, Problem, ProblemLog

T = TypeVar("T")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"

PLAN_KEYS = {
    "code",
    "title",
    "title_en",
    "issuer",
    "issued_date",
    "start_date",
    "end_date",
    "cadence",
    "status",
    "units_illustrative",
    "note",
}
PLAN_REQUIRED = {"code", "title", "start_date", "end_date", "cadence"}
TASK_KEYS = {
    "code",
    "title",
    "title_en",
    "text",
    "kind",
    "importance",
    "lead",
    "responsible",
    "units_illustrative",
    "start",
    "due",
    "due_text",
    "note",
    "indicators",
    "milestones",
    "children",
}
TASK_REQUIRED = {"code", "title"}
INDICATOR_KEYS = {
    "code",
    "name",
    "name_en",
    "unit",
    "direction",
    "baseline",
    "target",
    "target_text",
    "interim",
    "interim_illustrative",
    "source",
}
INDICATOR_REQUIRED = {"code", "name", "unit", "direction", "baseline", "target"}
MILESTONE_KEYS = {"code", "title", "due", "weight", "target_value", "owner"}
MILESTONE_REQUIRED = {"code", "title", "due", "weight"}

_Entries = dict[str, tuple[Node, Node]]


class _NodeLocations(Mapping[str, Location]):
    """Field name → its YAML path and line, built only when asked (a large plan has ~150,000 values)."""

    __slots__ = ("_file", "_nodes")

    def __init__(self, file: str) -> None:
        self._file = file
        self._nodes: dict[str, tuple[Node, str]] = {}

    def put(self, name: str, node: Node, path: str) -> None:
        self._nodes[name] = (node, path)

    def __getitem__(self, name: str) -> Location:
        node, path = self._nodes[name]
        return Location(file=self._file, path=path, line=node.start_mark.line + 1)

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.name
        self.log = ProblemLog()
        self.constructor = yaml.constructor.SafeConstructor()
        self.tasks: list[TaskDoc] = []
        self.indicators: list[IndicatorDoc] = []
        self.milestones: list[MilestoneDoc] = []
        self.plan_illustrative = False

    # -- plumbing ---------------------------------------------------------------------------

    def loc(self, node: Node, path: str) -> Location:
        return Location(file=self.file, path=path, line=node.start_mark.line + 1)

    def raw(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            return node.value
        return "{…}" if isinstance(node, MappingNode) else "[…]"

    def scalar(self, node: Node) -> Any:
        if not isinstance(node, ScalarNode):
            raise ValueError(_("须为单个值"))
        if node.tag == _STR_TAG:
            return node.value  # the common case, without the constructor's bookkeeping
        return self.constructor.construct_object(node, deep=True)

    def mapping(self, node: Node, path: str, allowed: set[str], required: set[str]) -> _Entries | None:
        """The entries of a mapping node, after checking keys; None (and a problem) if it is not a mapping."""
        if not isinstance(node, MappingNode):
            self.log.add(self.loc(node, path), _("须为键值映射（key: value）"), self.raw(node))
            return None
        entries: _Entries = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            key_path = f"{path}.{key}" if path else str(key)
            if key not in allowed:
                self.log.add(
                    self.loc(key_node, key_path),
                    _("未知字段（可用：%(keys)s）") % {"keys": "、".join(sorted(allowed))},
                    key,
                )
            elif key in entries:
                self.log.add(self.loc(key_node, key_path), _("字段重复"), key)
            else:
                entries[key] = (key_node, value_node)
        for key in sorted(required - entries.keys()):
            self.log.add(self.loc(node, path or "/"), _("缺少必填字段"), key)
        return entries

    def field(
        self,
        entries: _Entries,
        key: str,
        path: str,
        convert: Callable[[Node], T],
        default: T,
        locations: _NodeLocations,
        name: str | None = None,
    ) -> T:
        """Convert entry *key*; on a bad value log a problem at its line and return *default*."""
        entry = entries.get(key)
        if entry is None:
            return default
        node = entry[1]
        locations.put(name or key, node, f"{path}.{key}")
        try:
            return convert(node)
        except ValueError as exc:
            self.log.add(locations[name or key], str(exc), self.raw(node))
            return default

    # -- converters (node → value, ValueError with a message) -------------------------------

    def text(self, node: Node) -> str:
        value = self.scalar(node)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(_("须为文本"))
        return str(value).strip()

    def code(self, node: Node) -> str:
        value = self.scalar(node)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(_('编号须为加引号的文本，如 "3.2"'))
        return str(value).strip()

    def date(self, node: Node) -> date:
        return values.to_date(self.scalar(node))

    def optional_date(self, node: Node) -> date | None:
        value = self.scalar(node)
        return None if value is None else values.to_date(value)

    def boolean(self, node: Node) -> bool:
        value = self.scalar(node)
        if not isinstance(value, bool):
            raise ValueError(_("须为 true 或 false"))
        return value

    def number(self, node: Node) -> Decimal:
        return values.to_decimal(self.scalar(node))

    def optional_number(self, node: Node) -> Decimal | None:
        value = self.scalar(node)
        return None if value is None else values.to_decimal(value)

    def weight(self, node: Node) -> Decimal:
        number = values.to_decimal(self.scalar(node), places=2)
        if number <= 0:
            raise ValueError(_("权重须大于 0"))
        return number

    def year(self, node: Node) -> int:
        return values.to_year(self.scalar(node))

    def choice(self, labels: dict[str, str]) -> Callable[[Node], str]:
        return lambda node: values.to_choice(self.scalar(node), labels)

    def names(self, node: Node) -> tuple[str, ...]:
        if not isinstance(node, SequenceNode):
            raise ValueError(_("须为单位名称列表，如 [市发展改革委, 市科技局]"))
        return tuple(self.text(item) for item in node.value)

    def interim(self, node: Node) -> tuple[tuple[int, Decimal], ...]:
        if not isinstance(node, MappingNode):
            raise ValueError(_("须为“年份: 目标值”映射，如 {2024: 3.2, 2025: 3.5}"))
        items: list[tuple[int, Decimal]] = []
        for key_node, value_node in node.value:
            year = values.to_year(self.scalar(key_node))
            if any(year == seen for seen, _value in items):
                raise ValueError(_("年份重复：%(year)d") % {"year": year})
            items.append((year, values.to_decimal(self.scalar(value_node))))
        return tuple(items)

    # -- records ----------------------------------------------------------------------------

    def read(self) -> PlanDocument:
        where = Location(file=self.file)
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise PlanImportError([Problem(where, str(_("不是 UTF-8 编码的文本文件")))]) from None
        try:
            root = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise PlanImportError(
                [Problem(Location(file=self.file, line=line), str(_("YAML 语法错误：%(error)s") % {"error": exc}))]
            ) from None
        if root is None:
            raise PlanImportError([Problem(where, str(_("文件为空")))])
        entries = self.mapping(root, "", {"plan", "tasks"}, {"plan", "tasks"})
        plan = None
        if entries is not None:
            if "plan" in entries:
                plan = self.plan(entries["plan"][1])
            if "tasks" in entries:
                self.task_list(entries["tasks"][1], "tasks", parent=None)
        if entries is not None and "tasks" in entries and not self.tasks and not self.log:
            self.log.add(self.loc(entries["tasks"][1], "tasks"), _("没有任何任务"))
        return PlanDocument(
            source=self.file,
            plan=plan,
            tasks=tuple(self.tasks),
            indicators=tuple(self.indicators),
            milestones=tuple(self.milestones),
            where=where,
            problems=tuple(self.log.problems),
        )

    def plan(self, node: Node) -> PlanDoc | None:
        entries = self.mapping(node, "plan", PLAN_KEYS, PLAN_REQUIRED)
        if entries is None:
            return None
        at = _NodeLocations(self.file)

        def get(key: str, convert: Callable[[Node], Any], default: Any) -> Any:
            return self.field(entries, key, "plan", convert, default, at)

        self.plan_illustrative = get("units_illustrative", self.boolean, False)
        return PlanDoc(
            where=self.loc(node, "plan"),
            given=frozenset(PLAN_KEYS),
            locations=at,
            code=get("code", self.code, None),
            title=get("title", self.text, ""),
            title_en=get("title_en", self.text, ""),
            issuer=get("issuer", self.text, ""),
            issued_date=get("issued_date", self.optional_date, None),
            start_date=get("start_date", self.date, None),
            end_date=get("end_date", self.date, None),
            cadence=get("cadence", self.choice(values.CADENCE_LABELS), "quarterly"),
            status=get("status", self.choice(values.PLAN_STATUS_LABELS), "active"),
            units_illustrative=self.plan_illustrative,
            note=get("note", self.text, ""),
        )

    def task_list(self, node: Node, path: str, parent: str | None) -> None:
        if not isinstance(node, SequenceNode):
            self.log.add(self.loc(node, path), _("须为任务列表"), self.raw(node))
            return
        for index, item in enumerate(node.value):
            self.task(item, f"{path}[{index}]", parent)

    def task(self, node: Node, path: str, parent: str | None) -> None:
        entries = self.mapping(node, path, TASK_KEYS, TASK_REQUIRED)
        if entries is None:
            return
        at = _NodeLocations(self.file)

        def get(key: str, convert: Callable[[Node], Any], default: Any, name: str | None = None) -> Any:
            return self.field(entries, key, path, convert, default, at, name)

        code = get("code", self.code, "")
        if code and parent is not None and not code.startswith(parent + "."):
            self.log.add(at["code"], _("下级任务的编号须以上级编号“%(parent)s.”开头") % {"parent": parent}, code)
        due_date, due_text = None, ""
        if "due" in entries:
            due_node = entries["due"][1]
            at.put("due_date", due_node, f"{path}.due")
            at.put("due_text", due_node, f"{path}.due")
            try:
                raw = self.scalar(due_node)
                due_date, due_text = (raw, "") if isinstance(raw, date) else values.read_deadline(raw)
            except ValueError as exc:
                self.log.add(at["due_date"], str(exc), self.raw(due_node))
        if "due_text" in entries:
            due_text = get("due_text", self.text, "")
        responsible = get("responsible", self.names, ())
        if "responsible" in entries and isinstance(entries["responsible"][1], SequenceNode):
            for index, item in enumerate(entries["responsible"][1].value):
                at.put(f"responsible[{index}]", item, f"{path}.responsible[{index}]")
        task = TaskDoc(
            where=self.loc(node, path),
            given=frozenset(TaskDoc.__dataclass_fields__) - {"where", "given", "locations"},
            locations=at,
            code=code,
            title=get("title", self.text, ""),
            title_en=get("title_en", self.text, ""),
            text=get("text", self.text, ""),
            kind=get("kind", self.choice(values.KIND_LABELS), "qualitative"),
            importance=get("importance", self.choice(values.IMPORTANCE_LABELS), "normal"),
            lead=get("lead", self.text, ""),
            responsible=responsible,
            units_illustrative=get("units_illustrative", self.boolean, self.plan_illustrative),
            start_date=get("start", self.optional_date, None, "start_date"),
            due_date=due_date,
            due_text=due_text,
            note=get("note", self.text, ""),
        )
        self.tasks.append(task)
        if "indicators" in entries:
            self.indicator_list(entries["indicators"][1], f"{path}.indicators", code)
        if "milestones" in entries:
            self.milestone_list(entries["milestones"][1], f"{path}.milestones", code)
        if "children" in entries:
            self.task_list(entries["children"][1], f"{path}.children", code)

    def indicator_list(self, node: Node, path: str, task_code: str) -> None:
        if not isinstance(node, SequenceNode):
            self.log.add(self.loc(node, path), _("须为指标列表"), self.raw(node))
            return
        for index, item in enumerate(node.value):
            self.indicator(item, f"{path}[{index}]", task_code)

    def indicator(self, node: Node, path: str, task_code: str) -> None:
        entries = self.mapping(node, path, INDICATOR_KEYS, INDICATOR_REQUIRED)
        if entries is None:
            return
        at = _NodeLocations(self.file)

        def get(key: str, convert: Callable[[Node], Any], default: Any, name: str | None = None) -> Any:
            return self.field(entries, key, path, convert, default, at, name)

        baseline: dict[str, Any] = {"year": 0, "value": Decimal(0), "illustrative": False}
        target: dict[str, Any] = {"year": 0, "value": Decimal(0)}
        for key, holder, allowed, required in (
            ("baseline", baseline, {"year", "value", "illustrative"}, {"year", "value"}),
            ("target", target, {"year", "value"}, {"year", "value"}),
        ):
            if key not in entries:
                continue
            sub_path = f"{path}.{key}"
            sub = self.mapping(entries[key][1], sub_path, allowed, required)
            if sub is None:
                continue
            holder["year"] = self.field(sub, "year", sub_path, self.year, 0, at, f"{key}_year")
            holder["value"] = self.field(sub, "value", sub_path, self.number, Decimal(0), at, f"{key}_value")
            if key == "baseline":
                holder["illustrative"] = self.field(
                    sub, "illustrative", sub_path, self.boolean, False, at, "baseline_illustrative"
                )
        self.indicators.append(
            IndicatorDoc(
                where=self.loc(node, path),
                given=frozenset(IndicatorDoc.__dataclass_fields__) - {"where", "given", "locations"},
                locations=at,
                task_code=task_code,
                code=get("code", self.code, ""),
                name=get("name", self.text, ""),
                name_en=get("name_en", self.text, ""),
                unit_of_measure=get("unit", self.text, "", "unit_of_measure"),
                direction=get("direction", self.choice(values.DIRECTION_LABELS), "higher"),
                baseline_year=baseline["year"],
                baseline_value=baseline["value"],
                baseline_illustrative=baseline["illustrative"],
                target_year=target["year"],
                target_value=target["value"],
                target_text=get("target_text", self.text, ""),
                interim=get("interim", self.interim, ()),
                interim_illustrative=get("interim_illustrative", self.boolean, False),
                source=get("source", self.text, ""),
                order=len(self.indicators) + 1,
            )
        )

    def milestone_list(self, node: Node, path: str, task_code: str) -> None:
        if not isinstance(node, SequenceNode):
            self.log.add(self.loc(node, path), _("须为节点列表"), self.raw(node))
            return
        for index, item in enumerate(node.value):
            self.milestone(item, f"{path}[{index}]", task_code, index + 1)

    def milestone(self, node: Node, path: str, task_code: str, order: int) -> None:
        entries = self.mapping(node, path, MILESTONE_KEYS, MILESTONE_REQUIRED)
        if entries is None:
            return
        at = _NodeLocations(self.file)

        def get(key: str, convert: Callable[[Node], Any], default: Any, name: str | None = None) -> Any:
            return self.field(entries, key, path, convert, default, at, name)

        self.milestones.append(
            MilestoneDoc(
                where=self.loc(node, path),
                given=frozenset(MilestoneDoc.__dataclass_fields__)
                - {"where", "given", "locations", "original_due_date"},
                locations=at,
                task_code=task_code,
                code=get("code", self.code, ""),
                title=get("title", self.text, ""),
                due_date=get("due", lambda n: values.to_deadline_date(self.scalar(n)), None, "due_date"),
                weight=get("weight", self.weight, Decimal(1)),
                target_value=get("target_value", self.optional_number, None),
                owner=get("owner", self.text, ""),
                order=order,
            )
        )


def read_yaml(path: Path) -> PlanDocument:
    """Read and check a plan YAML file. Problems with single values are in ``problems`` of the result;
    a file that cannot be read at all raises :class:`PlanImportError`."""
    return _Reader(path).read()
