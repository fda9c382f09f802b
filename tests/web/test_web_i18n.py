"""The English catalogue: complete, not fuzzy, and the compiled .mo says exactly what the .po says."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"
PO, MO = LOCALE / "django.po", LOCALE / "django.mo"

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    parts: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The key gettext uses: ``context\\x04msgid`` or the bare msgid."""
        msgid = self.parts["msgid"]
        return f"{self.parts['msgctxt']}\x04{msgid}" if "msgctxt" in self.parts else msgid

    @property
    def translations(self) -> list[str]:
        if "msgid_plural" in self.parts:
            return [value for name, value in sorted(self.parts.items()) if name.startswith("msgstr[")]
        return [self.parts.get("msgstr", "")]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def read_po(path: Path) -> list[Entry]:
    """A small .po reader: flags, msgctxt, msgid, msgid_plural and msgstr[n], with continuation lines."""
    entries: list[Entry] = []
    current: Entry | None = None
    last = ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            current = None
            continue
        if line.startswith("#,"):
            if current is None:
                current = Entry(line=number)
                entries.append(current)
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword = _KEYWORD.match(line)
        if keyword:
            if current is None or (keyword.group(1) in ("msgctxt", "msgid") and "msgid" in current.parts):
                current = Entry(line=number, flags=current.flags if current and not current.parts else set())
                entries.append(current)
            last = keyword.group(1)
            current.parts[last] = _unescape(keyword.group(2))
            continue
        continuation = _CONTINUATION.match(line)
        assert continuation and current is not None, f"{path}:{number}: cannot read {line!r}"
        current.parts[last] += _unescape(continuation.group(1))
    return [entry for entry in entries if "msgid" in entry.parts]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return read_po(PO)


def test_every_message_has_an_english_translation_and_none_is_fuzzy(entries):
    messages = [entry for entry in entries if entry.parts["msgid"]]
    assert len(messages) > 300
    untranslated = [entry.key for entry in messages if not all(text.strip() for text in entry.translations)]
    fuzzy = [entry.key for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []


def test_placeholders_survive_translation(entries):
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    broken = [
        entry.key for entry in entries
        for text in entry.translations
        if entry.parts["msgid"] and sorted(set(placeholder.findall(entry.parts["msgid"]))) != sorted(
            set(placeholder.findall(text))
        )
    ]
    assert broken == []


def test_the_compiled_catalogue_matches_the_po_file(entries):
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for entry in entries:
        if not entry.parts["msgid"]:
            continue  # the header; gettext reads it as metadata
        if "msgid_plural" in entry.parts:
            for index, text in enumerate(entry.translations):
                expected[(entry.key, index)] = text
        else:
            expected[entry.key] = entry.translations[0]
    stale = {key: (value, catalog.get(key)) for key, value in expected.items() if catalog.get(key) != value}
    assert stale == {}, "locale/en/LC_MESSAGES/django.mo is stale: run manage.py compilemessages -l en"
    assert set(catalog) - {""} == set(expected), "the .mo holds messages the .po does not"


def _model_strings() -> set[str]:
    """Verbose names, help texts and choice labels of the units and tasks models (the source strings)."""
    strings: set[str] = set()
    for label in ("units", "tasks"):
        config = apps.get_app_config(label)
        strings.add(str(config.verbose_name))
        for model in config.get_models():
            strings |= {str(model._meta.verbose_name), str(model._meta.verbose_name_plural)}
            for model_field in model._meta.get_fields():
                if model_field.auto_created and not model_field.concrete:
                    continue
                for text in (getattr(model_field, "verbose_name", ""), getattr(model_field, "help_text", "")):
                    strings.add(str(text))
                for _value, choice in getattr(model_field, "choices", None) or ():
                    strings.add(str(choice))
    return {text for text in strings if re.search(r"[\u4e00-\u9fff]", text)}


def test_model_names_and_choices_of_units_and_tasks_are_in_the_catalogue(entries):
    with translation.override("zh-hans"):
        wanted = _model_strings()
    assert len(wanted) > 50
    msgids = {entry.parts["msgid"] for entry in entries if "msgctxt" not in entry.parts}
    assert sorted(wanted - msgids) == []


@pytest.mark.parametrize(
    ("source", "english"),
    [("牵头单位", "Lead unit"), ("重大", "Major"), ("持续推进", None), ("按季度", "Quarterly")],
)
def test_django_serves_the_english_catalogue(source, english):
    with translation.override("en"):
        assert translation.gettext(source) == (english or source)
    with translation.override("zh-hans"):
        assert translation.gettext(source) == source
